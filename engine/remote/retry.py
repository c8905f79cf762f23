"""Bounded retries with exponential back-off and full jitter, honouring a provider's Retry-After."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from engine.remote.errors import RemoteError

T = TypeVar("T")


def backoff(attempt: int, error: RemoteError, *, base: float = 1.0, cap: float = 60.0) -> float:
    """Seconds to wait before try `attempt + 1`: Retry-After when given (plus a little jitter so many waiting
    tasks do not return at once), else a random delay up to base·2^attempt (full jitter)."""
    if error.retry_after is not None:
        return error.retry_after + random.uniform(0, 0.1 * max(error.retry_after, base))
    return random.uniform(0, min(cap, base * 2 ** attempt))


def with_retries(call: Callable[[], T], *, attempts: int = 6, base: float = 1.0, cap: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep,
                 on_retry: Callable[[RemoteError, float], None] | None = None) -> T:
    """`call()`, tried again after retryable RemoteErrors up to `attempts` times in all; the last error is raised."""
    for attempt in range(attempts):
        try:
            return call()
        except RemoteError as error:
            if not error.retryable or attempt == attempts - 1:
                raise
            delay = backoff(attempt, error, base=base, cap=cap)
            if on_retry is not None:
                on_retry(error, delay)
            sleep(delay)
    raise AssertionError("unreachable")
