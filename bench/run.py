"""How long ``respcheck run`` takes against the embedded reference server (the README's main command).

    python bench/run.py [--repeat N] [-n WORKERS]

Prints the wall time of a whole run with the ``ci`` hypothesis profile, the number of test
items, and the ratio against a baseline measured in the same run: the same pytest
invocation with ``--collect-only`` (interpreter start, imports, collection), i.e. what the
tests themselves cost on top of starting up. Target: a full run within 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, cwd=REPO, timeout=600)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("-n", dest="workers", default="0")
    args = parser.parse_args()

    collect = [sys.executable, "-m", "pytest", "suites", "--collect-only", "-q", "-p", "no:cacheprovider"]
    base_s = min(timed(collect)[0] for _ in range(args.repeat))
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            seconds, result = timed(
                [sys.executable, "-m", "respcheck.cli", "run", "-n", args.workers, "--report-dir", tmp]
            )
            summary = json.loads((Path(tmp) / "summary.json").read_text())
        runs.append((seconds, result.returncode, len(summary["tests"]), summary["spend"]["requests"]))
    seconds, code, items, requests = min(runs)
    print(f"baseline (collect only) : {base_s:6.2f} s")
    print(
        f"respcheck run -n {args.workers:<6} : {seconds:6.2f} s  exit {code}, {items} test items, "
        f"{requests} requests, best of {args.repeat}"
    )
    print(
        f"ratio run / baseline    : {seconds / base_s:6.2f}x; {seconds / items * 1000:.0f} ms per item; "
        f"target <= 60 s: {'met' if seconds <= 60 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
