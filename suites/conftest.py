"""Suites run with the respcheck pytest plugin (loaded from its entry point).

Without ``--hypothesis-profile``, the generated-request tests use the ``ci`` profile (a
fixed-seed handful of examples) rather than hypothesis' default hundred per test.

A scenario reads fields of the target's answers (``body["id"]``, ``events[0]``). When an answer
lacks one and no check already failed the test (an error body where a Response was due, a
stream with no events), the lookup error becomes one failure line naming what was missing and
where, never a bare traceback.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
from hypothesis import settings

from respcheck.redact import redact_quoted

SUITES = Path(__file__).resolve().parent


def pytest_configure(config):
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    try:
        return (yield)
    except (KeyError, IndexError, TypeError) as exc:
        pytest.fail(unexpected_answer(exc), pytrace=False)


def unexpected_answer(exc: BaseException) -> str:
    """One line: what the scenario looked for, at which line of which suite, and the answer's fault."""
    suite_frames = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in suite_frames if Path(f.filename).resolve().parent == SUITES]
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno} ({frames[-1].line})" if frames else ""
    missing = {KeyError: "no field", IndexError: "no item", TypeError: "a value of another type for"}
    what = next(v for k, v in missing.items() if isinstance(exc, k))
    return redact_quoted(
        f"the target's answer had {what} {exc}{where}, which the scenario reads: it is not the answer "
        "the API gives here (the exchange is in the report with its findings)"
    )
