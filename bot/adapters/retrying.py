"""The one retry layer: how every adapter retries a transient failure (tenacity).

Retrying lives here and nowhere else. The marketplace client, the RPC pool and the core
``/metrics`` client wrap each call in :func:`call`; the executor and the cycle above them never
retry, so a failure is tried ``attempts`` times in all, not ``attempts`` squared. What is
retried: ``TransientError`` except ``TryNextCycle`` (a malformed answer, our own budget, a passed
deadline: asking again at once cannot help). Each wait is jittered exponential; a server's
``Retry-After`` is honoured up to ``max_retry_after`` (a hostile or buggy one cannot park the bot
for an hour); and no wait may end past the current deadline (``bot.engine.deadline``): the call gives up
with ``DeadlineExceeded`` instead.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception
from tenacity.wait import wait_random_exponential

from bot.domain.errors import (
    DeadlineExceeded,
    InputError,
    RateLimited,
    TransientError,
    TryNextCycle,
)
from bot.engine import deadline

__all__ = ["DEFAULT_MAX_RETRY_AFTER", "RetryPolicy", "call", "retryable"]

log = logging.getLogger("pricebot.retry")

T = TypeVar("T")

DEFAULT_MAX_RETRY_AFTER = 20.0
"""Below the market budget's ``max_wait`` (30 s) with room for the token after a hold: a caller
held for a capped Retry-After waits it out (a withdraw goes through) instead of giving up."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard an adapter retries: ``attempts`` in all (the first included), jittered
    exponential waits from ``initial_wait`` up to ``max_wait``, and the longest Retry-After
    honoured. ``RetryPolicy(attempts=1)`` tries once."""

    attempts: int = 4
    initial_wait: float = 0.5
    max_wait: float = 8.0
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int):
            raise InputError("retry.attempts", "must be an integer", self.attempts)
        if self.attempts < 1:
            raise InputError("retry.attempts", "must be >= 1", self.attempts)
        if not self.initial_wait >= 0 or not self.max_wait >= self.initial_wait:
            raise InputError(
                "retry.max_wait",
                "must be >= retry.initial_wait >= 0",
                (self.initial_wait, self.max_wait),
            )
        if not 0 <= self.max_retry_after < float("inf"):
            raise InputError(
                "retry.max_retry_after", "must be a finite number >= 0", self.max_retry_after
            )

    def retry_after(self, asked: float) -> float:
        """The wait granted for a server's Retry-After of ``asked`` seconds."""
        return min(max(asked, 0.0), self.max_retry_after)


def retryable(exc: BaseException) -> bool:
    """Whether the retry layer tries ``exc`` again: transient, and retrying now can help."""
    return isinstance(exc, TransientError) and not isinstance(exc, TryNextCycle)


def call(
    op: Callable[[], T],
    policy: RetryPolicy,
    *,
    what: str,
    retry_if: Callable[[BaseException], bool] = retryable,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, BaseException], None] | None = None,
    waits_for_retry_after: bool = True,
) -> T:
    """``op()`` retried under ``policy`` and the current deadline; the last failure is raised.

    ``retry_if`` narrows what is retried (writes that must not run twice retry only what surely
    never reached the server). ``waits_for_retry_after=False`` is for a caller whose own rate
    budget already holds every request for the (capped) Retry-After: it waits a short jitter.
    """
    backoff = wait_random_exponential(multiplier=policy.initial_wait, max=policy.max_wait)
    past_deadline = False

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            if waits_for_retry_after:
                return policy.retry_after(exc.retry_after)
            return random.uniform(0.0, policy.initial_wait)
        return float(backoff(state))

    def stop(state: RetryCallState) -> bool:
        nonlocal past_deadline
        if state.attempt_number >= policy.attempts:
            return True
        past_deadline = deadline.remaining() < state.upcoming_sleep
        return past_deadline

    def give_up(state: RetryCallState) -> NoReturn:
        exc = state.outcome.exception() if state.outcome is not None else None
        assert exc is not None  # only failures are retried
        if past_deadline:
            scope = deadline.current()
            raise DeadlineExceeded(
                f"{what}: gave up after {state.attempt_number} attempt(s), the "
                f"{scope.what if scope else ''} deadline is near: {exc}"
            ) from exc
        raise exc

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        assert exc is not None
        log.info(
            "%s: retry %d in %.2fs after %s", what, state.attempt_number, state.upcoming_sleep, exc
        )
        if on_retry is not None:
            on_retry(state.attempt_number, exc)

    def attempt() -> T:
        deadline.check(what)
        return op()

    retrying = Retrying(
        stop=stop,
        wait=wait,
        retry=retry_if_exception(retry_if),
        sleep=sleep,
        before_sleep=before_sleep,
        retry_error_callback=give_up,
    )
    return retrying(attempt)  # type: ignore[no-any-return]
