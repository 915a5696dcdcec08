"""How long ``respcheck selftest`` takes for the full fault catalogue, and the score it reports.

    python bench/selftest.py [--repeat N] [--against SECONDS]

Runs the shipped command (``respcheck selftest --json``) in a subprocess, prints the wall time
of each run, the mutation score from its JSON, and the best time's ratio to ``--against`` (a
recorded figure for another harness; 17 s is the figure issue 9 records for the selftest's old
copy of pytest, which the real suites under pytest replaced: ``respcheck.faults.harness``).
Target: under 30 s for the full catalogue on this project's 2-core VM.
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
RECORDED_SECONDS = 17.0
TARGET_SECONDS = 30.0


def one_run() -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "selftest.json"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", "from respcheck.cli import main; main()", "selftest", "--json", str(out)],
            capture_output=True, text=True, cwd=tmp, timeout=600, check=False,
        )
        elapsed = time.perf_counter() - started
        if not out.is_file():
            raise SystemExit(f"selftest wrote no JSON (exit {done.returncode}): {done.stderr[-2000:]}")
        return elapsed, json.loads(out.read_text())["score"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--against", type=float, default=RECORDED_SECONDS,
                        help="seconds of the harness to compare with (default: the recorded figure)")
    args = parser.parse_args()
    times = []
    for _ in range(args.repeat):
        elapsed, score = one_run()
        times.append(elapsed)
        c, t, b = score["contract"], score["transport"], score["benign"]
        baseline = "clean" if score["baseline_clean"] else "NOT CLEAN"
        print(f"selftest: {elapsed:.1f} s; contract {c['killed']}/{c['total']}, "
              f"transport {t['ok']}/{t['total']}, benign {b['clean']}/{b['total']}, baseline {baseline}")
    best = min(times)
    verdict = "within" if best < TARGET_SECONDS else "OVER"
    print(f"best {best:.1f} s: {best / args.against:.2f}x the {args.against:g} s compared with; "
          f"{verdict} the {TARGET_SECONDS:g} s target")


if __name__ == "__main__":
    main()
