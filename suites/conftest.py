"""Suites run with the respcheck pytest plugin (loaded from its entry point).

Without ``--hypothesis-profile``, the generated-request tests use the ``ci`` profile (a
fixed-seed handful of examples) rather than hypothesis' default hundred per test.
"""

from __future__ import annotations

from hypothesis import settings


def pytest_configure(config):
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci")
