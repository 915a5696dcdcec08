"""How fast respcheck judges recorded traffic, against a bare parse of the same files.

    python bench/replay.py [PATH ...] [--repeat N]

Prints SSE events judged per second with every registered check on (openai profile),
and the same files merely parsed into Exchanges, measured in the same run; the ratio
is what the checks cost. Wall time, and the process's CPU time, which a machine shared with
other work disturbs less. Default PATH: tests/fixtures/recordings.
"""

from __future__ import annotations

import argparse
import os
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


def timed(func, *args) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    parse_and_judge(args.paths)  # warm-up: compiles every schema validator once
    # Interleaved rounds, best of each: a burst of load elsewhere then hits both sides alike.
    bare_wall = bare_cpu = judged_wall = judged_cpu = float("inf")
    for _ in range(args.repeat):
        wall, cpu, (n_ex, n_ev) = timed(parse_only, args.paths)
        bare_wall, bare_cpu = min(bare_wall, wall), min(bare_cpu, cpu)
        wall, cpu, (_, _, n_find) = timed(parse_and_judge, args.paths)
        judged_wall, judged_cpu = min(judged_wall, wall), min(judged_cpu, cpu)
    load_average = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"corpus: {n_ex} exchanges, {n_ev} SSE events; {len(all_checks())} checks; best of {args.repeat} "
        f"interleaved rounds; load average {load_average:.1f}"
    )
    for label, bare_s, judged_s in (("wall", bare_wall, judged_wall), ("CPU ", bare_cpu, judged_cpu)):
        print(
            f"{label}: bare parse {n_ev / bare_s:9,.0f} events/s ({bare_s * 1000:6.1f} ms); "
            f"parse + all checks {n_ev / judged_s:9,.0f} events/s ({judged_s * 1000:6.1f} ms, "
            f"{n_find} findings); ratio {judged_s / bare_s:.2f}x"
        )
    met = n_ev / judged_wall >= 100_000 or judged_wall / bare_wall <= 1.5
    verdict = "met" if met else "NOT met"
    print(f"target (wall): judged >= 100,000 events/s or <= 1.5x the bare parse: {verdict}")


if __name__ == "__main__":
    main()
