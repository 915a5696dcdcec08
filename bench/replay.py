"""How fast respcheck judges recorded traffic, against a bare parse of the same files.

    python bench/replay.py [PATH ...] [--repeat N]

Prints SSE events judged per second with every registered check on (openai profile),
and the same files merely parsed into Exchanges, measured in the same run; the ratio
is what the checks cost. Default PATH: tests/fixtures/recordings.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from respcheck.checks import all_checks
from respcheck.judge import judge
from respcheck.profiles import get_profile
from respcheck.replay.load import LoadError, load

DEFAULT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "recordings"


def parse_only(paths: list[Path]) -> tuple[int, int]:
    exchanges = events = 0
    for item in load(paths):
        if isinstance(item, LoadError):
            continue
        exchanges += 1
        events += len(item.events or ())
    return exchanges, events


def parse_and_judge(paths: list[Path]) -> tuple[int, int, int]:
    profile = get_profile("openai")
    exchanges = events = findings = 0
    for item in load(paths):
        if isinstance(item, LoadError):
            continue
        exchanges += 1
        events += len(item.events or ())
        findings += len(judge(item, profile))  # every registered check, as replay does
    return exchanges, events, findings


def best_of(repeat: int, func, *args):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    parse_and_judge(args.paths)  # warm-up: compiles every schema validator once
    bare_s, (n_ex, n_ev) = best_of(args.repeat, parse_only, args.paths)
    judged_s, (_, _, n_find) = best_of(args.repeat, parse_and_judge, args.paths)
    print(f"corpus: {n_ex} exchanges, {n_ev} SSE events; {len(all_checks())} checks; best of {args.repeat}")
    print(f"bare parse        : {n_ev / bare_s:12,.0f} events/s  ({bare_s * 1000:8.1f} ms)")
    print(
        f"parse + all checks: {n_ev / judged_s:12,.0f} events/s  ({judged_s * 1000:8.1f} ms, "
        f"{n_find} findings)"
    )
    print(
        f"ratio (judged / bare time): {judged_s / bare_s:.2f}x; target >= 20,000 events/s judged: "
        f"{'met' if n_ev / judged_s >= 20_000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
