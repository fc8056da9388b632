"""A client-side request budget: one token bucket shared by every marketplace call.

The marketplace limits each client address to ``RATE_LIMIT_MAX`` requests per minute (100 by
default, every route counted, ``GET /challenge`` included), in a fixed window. A bucket that refills
at 90/minute with a burst of 10 can never put more than 100 requests into any 60-second window, so
the bot stays under the server's limit instead of discovering it with 429s. When the server does
answer 429, ``hold`` stops everyone sharing the bucket until its ``Retry-After`` has passed.

The clock and the sleep are injected, so tests drive time by hand and never wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bot.domain.errors import BudgetExhausted, DeadlineExceeded, InputError

__all__ = [
    "DEFAULT_BURST",
    "DEFAULT_MAX_WAIT",
    "DEFAULT_PER_MINUTE",
    "RateBudget",
]

DEFAULT_PER_MINUTE = 90.0
DEFAULT_BURST = 10
DEFAULT_MAX_WAIT = 30.0
_EPSILON = 1e-9


class RateBudget:
    """Token bucket: ``per_minute`` tokens a minute, at most ``burst`` saved up.

    ``acquire`` blocks (through the injected sleep) until a token is free; it raises
    ``BudgetExhausted`` instead when that would take more than ``max_wait`` seconds, so one slow
    market cannot stall a pricing cycle for minutes.
    """

    def __init__(
        self,
        per_minute: float = DEFAULT_PER_MINUTE,
        burst: int = DEFAULT_BURST,
        *,
        max_wait: float = DEFAULT_MAX_WAIT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if isinstance(per_minute, bool) or not isinstance(per_minute, int | float):
            raise InputError("per_minute", "must be a number", per_minute)
        if not per_minute > 0:
            raise InputError("per_minute", "must be greater than 0", per_minute)
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise InputError("burst", "must be an integer >= 1", burst)
        if not max_wait >= 0:
            raise InputError("max_wait", "must be >= 0 seconds", max_wait)
        self._rate = float(per_minute) / 60.0
        self._burst = burst
        self._max_wait = float(max_wait)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._stamp = clock()
        self._held_until = float("-inf")
        self.spent = 0
        self.waited = 0.0

    @property
    def per_minute(self) -> float:
        return self._rate * 60.0

    @property
    def burst(self) -> int:
        return self._burst

    def available(self) -> float:
        """Tokens available right now (0 while held)."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            return 0.0 if now < self._held_until else self._tokens

    def _refill(self, now: float) -> None:
        elapsed = now - self._stamp
        if elapsed > 0:
            self._tokens = min(float(self._burst), self._tokens + elapsed * self._rate)
            self._stamp = now

    def _wait_needed(self, now: float) -> float:
        hold = self._held_until - now
        # The epsilon absorbs float rounding: a deficit of 1e-16 token must not become a loop of
        # sleeps too short to move the clock.
        short = (1.0 - self._tokens) / self._rate if self._tokens < 1.0 - _EPSILON else 0.0
        return max(hold, short, 0.0)

    def acquire(self, max_wait: float = float("inf")) -> float:
        """Take one token, waiting if needed; returns the seconds waited.

        ``max_wait`` lowers the bucket's own limit for this call (the time left before the
        caller's deadline): past it, ``DeadlineExceeded`` instead of ``BudgetExhausted``.
        """
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._refill(now)
                wait = self._wait_needed(now)
                if wait <= 0.0:
                    self._tokens = max(0.0, self._tokens - 1.0)
                    self.spent += 1
                    self.waited += waited
                    return waited
                if waited + wait > max_wait and max_wait < self._max_wait:
                    raise DeadlineExceeded(
                        f"request budget: next slot in {wait:.1f}s, past the deadline "
                        f"({max(0.0, max_wait - waited):.1f}s left)"
                    )
                if waited + wait > self._max_wait:
                    raise BudgetExhausted(
                        f"request budget: next slot in {wait:.1f}s exceeds max_wait "
                        f"{self._max_wait:.1f}s ({self.per_minute:g}/min)",
                        retry_after=wait,
                    )
            self._sleep(wait)
            waited += wait

    def hold(self, seconds: float) -> None:
        """Stop every caller for ``seconds`` (the server's Retry-After) and empty the bucket."""
        if not seconds > 0:
            return
        with self._lock:
            now = self._clock()
            self._refill(now)
            self._held_until = max(self._held_until, now + seconds)
            self._tokens = 0.0
            self._stamp = max(self._stamp, self._held_until)
