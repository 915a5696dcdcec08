"""How fast generated requests go: the strategies alone, and through ``respcheck run`` on the wire.

    python bench/generate.py [--examples N] [--repeat R] [--wire-only | --no-wire]

Generation: each strategy runs under the same harness: a hypothesis ``@given`` test with generation only (no
shrinking, no database), counting examples per second; best of R interleaved rounds. The baseline is
``st.fixed_dictionaries`` of two fields, i.e. hypothesis' own per-example cost, measured in the
same run so the ratio holds on a busy machine; the runs are interleaved (every strategy once per
round) so a burst of load elsewhere does not hit one strategy only. Also prints the one-off compile
time of the schema.

On the wire: ``respcheck run --suite generated --hypothesis-profile nightly --concurrency 1``
against a ``respcheck serve`` child, then a bare httpx loop sending the very bodies that run
recorded to the same server, in the same run (best of R each, interleaved). The ratio compares
requests per second in the tests (respcheck's test durations; the interpreter start and collection
are shown apart). ``--concurrency 1``: one request at a time, as the bare loop sends them (a remote
target's default runs up to 16 tests at once, whose durations then overlap and their sum overstates
the time).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from runs import KEY, load_average, respcheck_run, served, write_targets

from respcheck.generate.invalid_requests import invalid_create_requests
from respcheck.generate.requests import create_request_schema, valid_create_requests
from respcheck.generate.strategies import SchemaCompiler

MODELS = ["gpt-bench-mini", "gpt-bench"]


def examples_per_second(strategy: st.SearchStrategy, examples: int) -> float:
    seen = 0

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(example: object) -> None:
        nonlocal seen
        seen += 1

    start = time.perf_counter()
    run()
    return seen / (time.perf_counter() - start)


def generation(examples: int, repeat: int) -> None:
    schema = create_request_schema()
    start = time.perf_counter()
    SchemaCompiler(schema).strategy()
    compile_s = time.perf_counter() - start

    candidates = {
        "baseline: fixed_dictionaries(model, input)": st.fixed_dictionaries(
            {"model": st.sampled_from(MODELS), "input": st.text(max_size=24)}
        ),
        "valid_create_requests(models)": valid_create_requests(MODELS),
        "valid_create_requests(stream=True, store=True)": valid_create_requests(
            MODELS, stream=True, store=True
        ),
        "invalid_create_requests(models)": invalid_create_requests(MODELS),
        "from_schema(create_request) (no overrides)": SchemaCompiler(schema).strategy(),
    }
    print(f"create_request schema compiled in {compile_s * 1000:.0f} ms; load average {load_average():.1f}")
    best = dict.fromkeys(candidates, 0.0)
    for _ in range(repeat):
        for name, strategy in candidates.items():
            best[name] = max(best[name], examples_per_second(strategy, examples))
    baseline = next(iter(best.values()))
    for name, rate in best.items():
        print(f"{name:<50} {rate:8.0f} examples/s  ({rate / baseline:.2f}x baseline)")


def bare_loop(url: str, records: list[dict]) -> float:
    """Seconds a plain httpx loop takes to send the recorded create bodies, reading every answer."""
    import httpx

    bodies = [r["request"]["body"] for r in records if r.get("endpoint") == "create"]
    headers = {"authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        started = time.perf_counter()
        for body in bodies:
            with http.stream("POST", "/responses", json=body) as response:
                for _ in response.iter_bytes():
                    pass
        return time.perf_counter() - started


def on_the_wire(repeat: int, profile: str) -> None:
    options = ["--suite", "generated", "--hypothesis-profile", profile, "--concurrency", "1"]
    with served() as url, tempfile.TemporaryDirectory() as tmp:
        targets = write_targets(Path(tmp), url)
        runs, bare = [], []
        for attempt in range(repeat):
            run = respcheck_run(targets, Path(tmp) / f"run-{attempt}", *options)
            runs.append(run)
            bare.append(bare_loop(url, run.exchanges()))
        best_run = min(runs, key=lambda r: r.tests_s / max(r.requests, 1))
        bare_s = min(bare)
    run_rate = best_run.requests / best_run.tests_s
    bare_rate = best_run.requests / bare_s
    print(f"on the wire ({profile}), best of {repeat}; load average {load_average():.1f}")
    print(
        f"respcheck run --suite generated : {best_run.requests} requests in {best_run.tests_s:6.2f} s of "
        f"tests = {run_rate:6.0f} req/s  (wall {best_run.wall_s:.2f} s, exit {best_run.exit_code})"
    )
    print(
        f"bare httpx loop, same bodies    : {best_run.requests} requests in {bare_s:6.2f} s = "
        f"{bare_rate:6.0f} req/s"
    )
    print(f"ratio respcheck / bare          : {run_rate / bare_rate:.2f}x; target >= 0.5x: "
          f"{'met' if run_rate / bare_rate >= 0.5 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hypothesis-profile", default="nightly", help="the profile of the run on the wire")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--wire-only", action="store_true", help="only the run on the wire")
    which.add_argument("--no-wire", action="store_true", help="only the strategies")
    args = parser.parse_args()
    if not args.wire_only:
        generation(args.examples, args.repeat)
    if not args.no_wire:
        on_the_wire(args.repeat, args.hypothesis_profile)


if __name__ == "__main__":
    main()
