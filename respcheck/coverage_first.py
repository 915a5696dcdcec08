"""Coverage before depth: every area's scenarios run before any generated test, and the generated
tests share what budget remains.

A generated (hypothesis) test can spend any number of requests; run first, they left areas untested
when the budget ran out (issue 10: 67 tests never ran). So the run's order puts every scenario first
(``coverage_order``); each generated test then runs at most its fair share of the requests left
(``capped_examples``: the remaining requests over the generated tests still to run), so the last one
is not starved by the first. Hypothesis' shrink and explain phases are off against a live target
(``LIVE_PHASES``): each would send requests beyond ``max_examples``; a failing example is reported whole,
with its curl repro, instead of shrunk.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from hypothesis import Phase, settings

# the phases a live target sees: no shrinking and no explaining (both send more requests)
LIVE_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)
_SHARE_PROFILE = "respcheck-budget-share"


def is_generated(item: Any) -> bool:
    """A hypothesis-driven test (``@given``, or the drawn-ahead generated suite marked ``hypothesis``)."""
    marked = item.get_closest_marker("hypothesis") is not None
    return marked or bool(getattr(getattr(item, "obj", None), "is_hypothesis_test", False))


def coverage_order(items: list[Any]) -> list[Any]:
    """``items`` with every generated test after every other one (a stable sort: each keeps its order)."""
    return sorted(items, key=is_generated)


def fair_share(remaining: int | None, generated_left: int) -> int | None:
    """The requests one generated test may use: what is left over the generated tests still to run
    (at least 1); None when the budget has no request limit."""
    if remaining is None:
        return None
    return max(1, remaining // max(1, generated_left))


def generated_left(items: Sequence[Any], item: Any) -> int:
    """How many generated tests, ``item`` included, are still to run in this process's order."""
    start = next((i for i, other in enumerate(items) if other is item), 0)
    return sum(1 for other in items[start:] if is_generated(other))


@contextlib.contextmanager
def capped_examples(item: Any, share: int | None) -> Iterator[str | None]:
    """While ``item`` runs, hypothesis draws at most ``share`` examples for it (each one request): its
    ``@given`` settings and the active profile (which the drawn-ahead suite reads) are capped, then
    restored. Yields what was capped, as a note for the report (None when the test's own count fits)."""
    active = settings()
    if share is None or share >= active.max_examples:
        yield None
        return
    obj: Any = getattr(item, "obj", None)
    # @given fixes its settings when the test is defined: the capped copy replaces them for this call
    given_settings = getattr(obj, "_hypothesis_internal_use_settings", None)
    previous_profile = settings._current_profile
    settings.register_profile(_SHARE_PROFILE, parent=active, max_examples=share)
    settings.load_profile(_SHARE_PROFILE)
    if given_settings is not None:
        obj._hypothesis_internal_use_settings = settings(given_settings, max_examples=share)
    try:
        yield (f"at most {share} of the profile's {active.max_examples} examples: this test's share of the "
               "requests the budget had left")
    finally:
        if given_settings is not None:
            obj._hypothesis_internal_use_settings = given_settings
        settings.load_profile(previous_profile or "default")
