"""A full default run against a slow stand-in for a relay: sequential, and with ``--concurrency N``.

    python bench/latency.py [--ttfb 1.0] [--token-latency 0.01] [--concurrency 16] [--fault NAME]
                            [--sequential-only]

``respcheck serve --latency-ttfb T --latency L`` makes every foreground create wait T seconds
before it answers and paces streamed tokens L seconds apart, as a real model does (tokens that all
arrive in one burst after the wait are what ``stream.buffered`` warns about: a timing warning that
would then depend on how busy the machine was). The script runs the whole default suite against it
once one test at a time and once with ``--concurrency N``, and prints for each: the wall time, the
time in tests, and the sum of its requests' latencies (what a strictly sequential client must
wait). The target is a concurrent run within 1/8 of that sum, with the same verdict and the same
exchanges (as a set: the test, method, path and body of each request, and the status of its
answer, with the server's random ids masked); with ``--fault`` the two runs must also give the
same findings. How many times a scenario polls a background response until it ends depends on
timing, so the exchanges are compared as a set (the multiset's difference is printed too).
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


# Judged on when the events arrived, i.e. on how busy the client was: a fault re-sends the honest
# answer's events in one burst, and whether its read took under 10 ms is not the target's doing.
TIMING_CHECKS = frozenset({"stream.buffered"})


def finding_set(run: RunFigures) -> Counter[str]:
    """The run's findings as a multiset (the timing checks aside): test, check and location, server
    ids masked."""
    found: Counter[str] = Counter()
    for test in run.summary["tests"]:
        for f in test.get("findings") or ():
            if f.get("check_id") not in TIMING_CHECKS:
                found[masked([test["nodeid"], f.get("check_id"), f.get("location"), f.get("severity")])] += 1
    return found


def timing_findings(run: RunFigures) -> int:
    return sum(1 for test in run.summary["tests"] for f in test.get("findings") or ()
               if f.get("check_id") in TIMING_CHECKS)


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
    parser.add_argument("--token-latency", type=float, default=0.01, help="seconds between streamed tokens")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--fault", default=None, help="serve with this fault on (same findings expected)")
    parser.add_argument("--sequential-only", action="store_true", help="only the one-at-a-time run")
    args = parser.parse_args()

    serve_options = ["--latency-ttfb", str(args.ttfb), "--latency", str(args.token_latency)]
    serve_options += ["--fault", args.fault] if args.fault else []
    # A slow model must not trip the run's own timeouts (the reference target's are tight).
    timeouts = {"connect": 5, "first_byte": 10 + 2 * args.ttfb, "between_events": 10,
                "total": 60 + 4 * args.ttfb}
    print(f"respcheck serve {' '.join(serve_options)}; load average {load_average():.1f}")
    with served(*serve_options) as url, tempfile.TemporaryDirectory() as tmp:
        targets = write_targets(Path(tmp), url, timeouts)
        sequential = respcheck_run(targets, Path(tmp) / "sequential", "--concurrency", "1")
        print(describe("sequential", sequential))
        if args.sequential_only:
            return
        concurrent = respcheck_run(targets, Path(tmp) / "concurrent", "--concurrency", str(args.concurrency))
        print(describe(f"--concurrency {args.concurrency}", concurrent))
        compare(sequential, concurrent)


def compare(sequential: RunFigures, concurrent: RunFigures) -> None:
    same_verdict = concurrent.summary["verdict"] == sequential.summary["verdict"]
    exchanges = exchange_set(sequential), exchange_set(concurrent)
    findings = finding_set(sequential), finding_set(concurrent)
    same_set = set(exchanges[0]) == set(exchanges[1])
    print(f"same verdict: {same_verdict}; same exchanges (as a set): {same_set} "
          f"(as a multiset: {exchanges[0] == exchanges[1]}); same findings: {findings[0] == findings[1]}")
    for label, (seq, conc) in (("exchange", exchanges), ("finding", findings)):
        for key in sorted((seq - conc) + (conc - seq))[:10]:  # what differs, if anything
            print(f"  {label} only {'sequentially' if seq[key] > conc[key] else 'concurrently'}: {key[:300]}")
    print(f"timing warnings ({', '.join(sorted(TIMING_CHECKS))}), not compared: "
          f"{timing_findings(sequential)} sequentially, {timing_findings(concurrent)} concurrently")
    within = concurrent.wall_s <= latency_sum(concurrent) / 8
    print(f"target: wall <= 1/8 of the sum of latencies: {'met' if within else 'NOT met'}")


if __name__ == "__main__":
    main()
