"""How fast the schema compiler's strategies generate examples, against a trivial baseline.

    python bench/generate.py [--examples N] [--repeat R]

Each strategy runs under the same harness: a hypothesis ``@given`` test with generation only (no
shrinking, no database), counting examples per second; best of R interleaved rounds. The baseline is
``st.fixed_dictionaries`` of two fields, i.e. hypothesis' own per-example cost, measured in the
same run so the ratio holds on a busy machine; the runs are interleaved (every strategy once per
round) so a burst of load elsewhere does not hit one strategy only. Also prints the one-off compile
time of the schema.
"""

from __future__ import annotations

import argparse
import os
import time

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from respcheck.generate.requests import create_request_schema, invalid_create_requests, valid_create_requests
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

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
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"create_request schema compiled in {compile_s * 1000:.0f} ms; load average {load:.1f}")
    best = dict.fromkeys(candidates, 0.0)
    for _ in range(args.repeat):
        for name, strategy in candidates.items():
            best[name] = max(best[name], examples_per_second(strategy, args.examples))
    baseline = next(iter(best.values()))
    for name, rate in best.items():
        print(f"{name:<50} {rate:8.0f} examples/s  ({rate / baseline:.2f}x baseline)")


if __name__ == "__main__":
    main()
