"""Budgets and spend: how much a run may cost a target, and what it did cost.

A live relay bills real money, so every request is counted *before* it is sent
and the run stops cleanly (``BudgetExhausted``, exit code 3) once a limit is
reached. Token counts are the ones the target itself reported in ``usage``;
respcheck never estimates them.

Everything here is per process and thread-safe: pytest-xdist runs one process
per worker, so a run that splits a budget across workers uses ``Budget.split``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Budget:
    """Limits for one target; ``None`` means unlimited."""

    requests: int | None = None
    output_tokens: int | None = None
    requests_per_second: float | None = None
    # where a limit was set when not in the target's own budget, for messages:
    # {"requests": "--budget-requests"}; not part of the limits (equality and hash ignore it)
    set_by: Mapping[str, str] = field(default_factory=dict, compare=False)
    # how many processes share the run's budget, this being one's share (messages only)
    shared_by: int = field(default=1, compare=False)

    def split(self, workers: int) -> Budget:
        """This budget shared by ``workers`` processes (an equal, rounded-down share each, at least 1)."""
        if workers <= 1:
            return self

        def share(limit: int | None) -> int | None:
            return None if limit is None else max(1, limit // workers)

        rate = None if self.requests_per_second is None else self.requests_per_second / workers
        return Budget(share(self.requests), share(self.output_tokens), rate, self.set_by, workers)


class BudgetExhausted(RuntimeError):
    """Raised before sending a request that the budget no longer allows."""


@dataclass(slots=True)
class Spend:
    """What a run cost, as the target reported it."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    retries: int = 0

    def __str__(self) -> str:
        retried = f" ({self.retries} retried)" if self.retries else ""
        return (
            f"spend: {self.requests} requests{retried}, {self.input_tokens} input tokens, "
            f"{self.output_tokens} output tokens (as reported by the target)"
        )

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Spend:
        names = ("requests", "input_tokens", "output_tokens", "retries")
        return cls(**{k: int(data.get(k, 0) or 0) for k in names})

    def __add__(self, other: Spend) -> Spend:
        """Sum of two spends (e.g. the xdist workers of one run)."""
        return Spend(
            self.requests + other.requests,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.retries + other.retries,
        )


class BudgetTracker:
    """Counts requests and reported tokens against a Budget; thread-safe."""

    def __init__(self, budget: Budget | None = None, *, source: str = "budget") -> None:
        self.budget = budget or Budget()
        self.source = source  # where the limits came from, for messages ("targets.yaml: targets.x.budget")
        self._spend = Spend()
        self._counted_ids: set[str] = set()
        self._lock = threading.Lock()

    @property
    def spend(self) -> Spend:
        with self._lock:
            return Spend(**self._spend.to_dict())

    def remaining_requests(self) -> int | None:
        """Requests this budget still allows (None: no request limit)."""
        with self._lock:
            limit = self.budget.requests
            return None if limit is None else max(0, limit - self._spend.requests)

    def exhausted(self) -> str | None:
        """Why the next request may not be sent, or None."""
        with self._lock:
            return self._exhausted_locked()

    def _exhausted_locked(self) -> str | None:
        b, s = self.budget, self._spend
        if b.requests is not None and s.requests >= b.requests:
            return (
                f"budget exhausted: {s.requests} of {b.requests} requests used ({self._origin('requests')})"
            )
        if b.output_tokens is not None and s.output_tokens >= b.output_tokens:
            return (
                f"budget exhausted: {s.output_tokens} of {b.output_tokens} output tokens used "
                f"({self._origin('output_tokens')})"
            )
        return None

    def _origin(self, limit: str) -> str:
        """Where ``limit`` was set: a command-line option, else the target's budget (``source``); under
        xdist, that this process had its share of it (the run's spend is all workers' together)."""
        origin = self.budget.set_by.get(limit) or f"{self.source}.{limit}"
        workers = self.budget.shared_by
        return origin if workers <= 1 else f"this worker's share of {origin}, split over {workers} workers"

    def charge_request(self, *, retry: bool = False) -> None:
        """Count one request about to be sent, or raise BudgetExhausted if none is left."""
        with self._lock:
            reason = self._exhausted_locked()
            if reason:
                raise BudgetExhausted(reason)
            self._spend.requests += 1
            if retry:
                self._spend.retries += 1

    def charge_usage(self, response: Any) -> None:
        """Add the usage of a response object (counted once per response id)."""
        tokens = usage_tokens(response)
        if tokens is None:
            return
        response_id = response.get("id") if isinstance(response, dict) else None
        with self._lock:
            # a stored response retrieved again reports the same usage: count it once
            if isinstance(response_id, str):
                if response_id in self._counted_ids:
                    return
                self._counted_ids.add(response_id)
            self._spend.input_tokens += tokens[0]
            self._spend.output_tokens += tokens[1]


def usage_tokens(response: Any) -> tuple[int, int] | None:
    """(input, output) tokens from a response's ``usage``, in the Responses or Chat naming; None if absent."""
    if not isinstance(response, dict):
        return None
    usage = response.get("usage")
    if not isinstance(usage, dict):
        return None
    tokens_in = _first_int(usage, "input_tokens", "prompt_tokens")
    tokens_out = _first_int(usage, "output_tokens", "completion_tokens")
    if tokens_in is None and tokens_out is None:
        return None
    return tokens_in or 0, tokens_out or 0


def _first_int(data: dict[str, Any], *names: str) -> int | None:
    for name in names:
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


class RateLimiter:
    """Token bucket: at most ``rate`` requests a second on average, bursts of ``burst``; thread-safe.

    ``clock`` and ``sleep`` are injectable so tests need no real waiting.
    """

    def __init__(
        self,
        rate: float | None,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and (not math.isfinite(rate) or rate <= 0):
            raise ValueError(f"rate must be a positive number of requests per second, got {rate!r}")
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns the seconds waited."""
        if self.rate is None:
            return 0.0
        with self._lock:  # held while sleeping, so waiting threads queue in order
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
            if wait > 0:
                self._sleep(wait)
                self._tokens = 1.0
                self._updated = self._clock()
            self._tokens -= 1
            return wait
