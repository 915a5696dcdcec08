"""How fast respcheck judges recorded traffic, against a bare parse of the same files.

    python bench/replay.py [PATH ...] [--repeat N] [--by-check N]

Prints SSE events judged per second with every registered check on (openai profile), as
``respcheck replay`` judges (a file at a time: the per-exchange checks, then the sequence checks
over the file), and the same files merely parsed into Exchanges, measured in the same run; the
ratio is what the checks cost. Wall time, and the process's CPU time, which a machine shared with
other work disturbs less. Default PATH: tests/fixtures/recordings.

``--by-check N`` then shows where the judging time goes: the N costliest checks, each timed on its own
once the views the checks share (``checks.common.per_exchange``: the stream's one pass, the item walk,
the Response objects) are made, and those views apart. A new check shows its cost here.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from pathlib import Path

from respcheck.checks import all_checks
from respcheck.checks.registry import CheckContext, relevant_checks, status_class
from respcheck.exchange import Exchange
from respcheck.judge import judge, judge_recording
from respcheck.profiles import get_profile
from respcheck.replay.load import LoadError, iter_files, load_file

DEFAULT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "recordings"


def recordings(paths: list[Path]) -> Iterator[list[Exchange]]:
    """Each recording file's exchanges, parsed, as ``respcheck replay`` reads them: a file at a time."""
    for source in iter_files(paths):
        if not isinstance(source, LoadError):
            yield [item for item in load_file(source) if not isinstance(item, LoadError)]


def parse_only(paths: list[Path]) -> tuple[int, int]:
    exchanges = events = 0
    for recording in recordings(paths):
        exchanges += len(recording)
        events += sum(len(item.events or ()) for item in recording)
    return exchanges, events


def parse_and_judge(paths: list[Path]) -> tuple[int, int, int]:
    """As ``respcheck replay`` judges: each file's exchanges, then every registered check over them (the
    per-exchange checks, and the sequence checks over the file as one scenario: ``judge_recording``)."""
    profile = get_profile("openai")
    exchanges = events = findings = 0
    for recording in recordings(paths):
        exchanges += len(recording)
        events += sum(len(item.events or ()) for item in recording)
        findings += sum(len(found) for found in judge_recording(recording, profile).values())
    return exchanges, events, findings


def cost_by_check(paths: list[Path], repeat: int) -> tuple[float, float, float, dict[str, float]]:
    """(seconds of judge() over the corpus, of its checks run back to back as judge() runs them, the
    part of that the views they share took, each check's own seconds by id), best of ``repeat``. Each
    exchange goes through its checks once, timed as a whole (the views are made on the way), then
    through each check again, timed alone (the views are kept): the difference is the views'."""
    profile = get_profile("openai")
    judged = whole = views = float("inf")
    own: dict[str, float] = {}
    for _ in range(repeat):
        # loaded afresh each time: a value a check keeps per exchange must be made again
        exchanges = [ex for recording in recordings(paths) for ex in recording]
        started = time.perf_counter()
        for ex in exchanges:
            judge(ex, profile)
        judged = min(judged, time.perf_counter() - started)
        exchanges = [ex for recording in recordings(paths) for ex in recording]
        first = again = 0.0
        round_own: dict[str, float] = {}
        for ex in exchanges:
            ctx = CheckContext(profile=profile)
            chosen = [c for c in relevant_checks(ex.endpoint, ex.events is not None, status_class(ex.status))
                      if c.func is not None]
            started = time.perf_counter()
            for c in chosen:
                for _ in c.func(ex, ctx):
                    pass
            first += time.perf_counter() - started
            for c in chosen:
                started = time.perf_counter()
                for _ in c.func(ex, ctx):
                    pass
                spent = time.perf_counter() - started
                again += spent
                round_own[c.id] = round_own.get(c.id, 0.0) + spent
        whole, views = min(whole, first), min(views, max(0.0, first - again))
        for check_id, spent in round_own.items():
            own[check_id] = min(own.get(check_id, float("inf")), spent)
    return judged, whole, views, own


def timed(func, *args) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--by-check", type=int, default=0, metavar="N",
                        help="then show the N costliest checks and the views they share")
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
    if args.by_check:
        judged, whole, views, own = cost_by_check(args.paths, min(args.repeat, 5))
        print(f"\njudge() over the loaded corpus: {judged * 1000:.1f} ms; its checks {whole * 1000:.1f} ms, "
              f"of which the views they share {views * 1000:.1f} ms ({views / whole:.0%}); the rest choosing "
              f"checks, making and folding findings. The {args.by_check} costliest checks, each alone:")
        for check_id, spent in sorted(own.items(), key=lambda kv: -kv[1])[: args.by_check]:
            print(f"  {check_id:<42} {spent * 1000:6.2f} ms  {spent / judged:4.0%}")


if __name__ == "__main__":
    main()
