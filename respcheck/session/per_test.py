"""State that belongs to the running test: one value per thread running a test.

Under ``--concurrency N`` several tests run at once in one process, each in its own thread; what
belongs to one test (its exchanges, records, findings) must not be seen by another. A
``contextvars`` variable rather than ``threading.local``: a thread a test starts to send for it
(``generate.ahead``) runs in a copy of the test's context, and so sees the same value.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Generic, TypeVar

T = TypeVar("T")


class PerTest(Generic[T]):
    """One ``T`` per running test (contextvars context), made by ``make`` on first use."""

    def __init__(self, name: str, make: Callable[[], T]) -> None:
        self._var: ContextVar[T | None] = ContextVar(name, default=None)
        self._make = make

    def get(self) -> T:
        value = self._var.get()
        if value is None:
            value = self._make()
            self._var.set(value)
        return value

    def set(self, value: T) -> None:
        """A new value for the test running in this context (a new test begins)."""
        self._var.set(value)
