"""Generated requests near the wire: draw the examples ahead, send each while the last is judged.

Under ``@given``, hypothesis runs one test case per request, and its per-case bookkeeping (choice
tree, spans, health checks) cost about twice what drawing the request itself costs, on every
request. ``draw_examples`` draws them ahead instead, many per test case (measured with cProfile:
~2 ms per example one per case, ~0.75 ms twenty per case), under the active hypothesis profile
(its ``max_examples`` and ``derandomize``), so a run sends the same number of requests as before.
A live run draws them in a helper process (``drawer``: ``draw_batches`` there, batch by batch).

``send_ahead`` keeps one request in flight (``ahead`` under ``--concurrency``): while the target
answers, the caller judges the previous answer, so respcheck's own work hides behind the target's.
"""

from __future__ import annotations

import contextvars
import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

T = TypeVar("T")
R = TypeVar("R")

# Examples drawn per hypothesis test case: large enough to spread its per-case cost, small
# enough to stay far below its limit on the choices one case may make.
BATCH = 20


def draw_examples(strategy: st.SearchStrategy[T], count: int | None = None) -> list[T]:
    """``count`` examples of ``strategy`` (default: the active profile's ``max_examples``)."""
    drawn: list[T] = []
    draw_batches(strategy, count, settings(), drawn.extend)
    return drawn


def draw_batches(strategy: st.SearchStrategy[T], count: int | None, active: settings,
                 emit: Callable[[list[T]], object]) -> None:
    """Draw ``count`` examples of ``strategy`` (default: ``active.max_examples``) under ``active`` (its
    ``derandomize`` too), handing each batch to ``emit`` as soon as it is drawn."""
    wanted = active.max_examples if count is None else count
    if wanted <= 0:
        return
    batch = min(BATCH, wanted)
    left = wanted

    @settings(
        active,
        max_examples=math.ceil(wanted / batch),
        phases=[Phase.generate],  # drawing only: nothing here can fail, so nothing to shrink
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(strategy, min_size=batch, max_size=batch))
    def draw(examples: list[T]) -> None:
        nonlocal left
        taken = examples[:left]  # the last case may hold more than are wanted
        if taken:
            emit(taken)
            left -= len(taken)

    draw()


def send_ahead(send: Callable[[T], R], items: Iterable[T], ahead: int = 1) -> Iterator[tuple[T, R]]:
    """``(item, send(item))`` in order, with ``send`` of the next ``ahead`` items running meanwhile.

    With ``ahead=1``, one request at a time reaches the target, in the same order as a plain loop;
    the caller's work on one answer overlaps the next request. With more (``--concurrency``: the
    examples are independent requests), up to ``ahead`` are under way at once, started in order.
    When the caller stops early (a failed assertion), the requests already under way complete
    before this returns.
    """
    with ThreadPoolExecutor(max_workers=max(1, ahead), thread_name_prefix="respcheck-send") as sender:
        pending: deque[tuple[T, Future[R]]] = deque()
        for item in items:
            # in the caller's context: the request is recorded as the running test's (--concurrency)
            future = sender.submit(contextvars.copy_context().run, send, item)
            if len(pending) == max(1, ahead):
                done, answer = pending.popleft()
                yield done, answer.result()
            pending.append((item, future))
        while pending:
            done, answer = pending.popleft()
            yield done, answer.result()
