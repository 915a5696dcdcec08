"""A full default run against a slow stand-in for a relay: sequential, and with ``--concurrency N``.

    python bench/latency.py [--ttfb 1.0] [--concurrency 8] [--fault NAME] [--sequential-only]

(`respcheck run --concurrency` is not built yet: until it is, only --sequential-only runs.)

``respcheck serve --latency-ttfb T`` makes every foreground create wait T seconds before it
answers, as a real model does. The script runs the whole default suite against it once one test
at a time and once with ``--concurrency N``, and prints for each: the wall time, the time in
tests, and the sum of its requests' latencies (what a strictly sequential client must wait). The
target is a concurrent run within 1/8 of that sum, with the same verdict and the same exchanges
(as a set: the test, method, path and body of each request, and the status of its answer, with
the server's random ids masked); with ``--fault`` the two runs must also give the same findings.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from runs import RunFigures, load_average, respcheck_run, served, write_targets

# Ids the server makes up (resp_…, msg_…, call_…): they differ from run to run.
_SERVER_ID = re.compile(r"\b(resp|msg|fc|rs|call|req|item)_[0-9a-zA-Z]+")


def masked(value: Any) -> str:
    return _SERVER_ID.sub(r"\1_*", json.dumps(value, sort_keys=True))


def exchange_set(run: RunFigures) -> Counter[str]:
    """The run's exchanges as a multiset: test, request and answer status, server ids masked."""
    return Counter(
        masked([r.get("test"), r["request"].get("method"), r["request"].get("path"),
                r["request"].get("query"), r["request"].get("body"), r["response"].get("status")])
        for r in run.exchanges()
    )


def finding_set(run: RunFigures) -> Counter[str]:
    """The run's findings as a multiset: test, check and location, server ids masked."""
    found: Counter[str] = Counter()
    for test in run.summary["tests"]:
        for f in test.get("findings") or ():
            found[masked([test["nodeid"], f.get("check_id"), f.get("location"), f.get("severity")])] += 1
    return found


def latency_sum(run: RunFigures) -> float:
    return sum(r["response"].get("elapsed") or 0.0 for r in run.exchanges())


def describe(label: str, run: RunFigures) -> str:
    waited = latency_sum(run)
    return (
        f"{label:<22}: wall {run.wall_s:7.2f} s, tests {run.tests_s:7.2f} s, {run.requests} requests, "
        f"verdict {run.summary['verdict']}; sum of latencies {waited:7.2f} s "
        f"(wall / sum = 1/{waited / run.wall_s:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ttfb", type=float, default=1.0, help="the server's time to first byte (s)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--fault", default=None, help="serve with this fault on (same findings expected)")
    parser.add_argument("--sequential-only", action="store_true", help="only the one-at-a-time run")
    args = parser.parse_args()

    serve_options = ["--latency-ttfb", str(args.ttfb)] + (["--fault", args.fault] if args.fault else [])
    # A slow model must not trip the run's own timeouts (the reference target's are tight).
    timeouts = {"connect": 5, "first_byte": 10 + 2 * args.ttfb, "between_events": 10,
                "total": 60 + 4 * args.ttfb}
    print(f"respcheck serve {' '.join(serve_options)}; load average {load_average():.1f}")
    with served(*serve_options) as url, tempfile.TemporaryDirectory() as tmp:
        targets = write_targets(Path(tmp), url, timeouts)
        sequential = respcheck_run(targets, Path(tmp) / "sequential")
        print(describe("sequential", sequential))
        if args.sequential_only:
            return
        concurrent = respcheck_run(targets, Path(tmp) / "concurrent", "--concurrency", str(args.concurrency))
        print(describe(f"--concurrency {args.concurrency}", concurrent))
    same_verdict = concurrent.summary["verdict"] == sequential.summary["verdict"]
    same_exchanges = exchange_set(concurrent) == exchange_set(sequential)
    same_findings = finding_set(concurrent) == finding_set(sequential)
    within = concurrent.wall_s <= latency_sum(concurrent) / 8
    print(f"same verdict: {same_verdict}; same exchanges (as a set): {same_exchanges}; "
          f"same findings: {same_findings}")
    print(f"target: wall <= 1/8 of the sum of latencies: {'met' if within else 'NOT met'}")


if __name__ == "__main__":
    main()
