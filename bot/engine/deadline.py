"""Overall deadlines for a cycle and for each action, seen by every adapter retry inside them.

Retries are bounded per call (attempts x backoff), but a call can hold a cycle far longer: a
timeout per attempt, a Retry-After, several calls per action. So the shell opens a deadline
(``within``) around a tick, each executor action and a withdraw, and the one retry layer
(``bot.adapters.retrying``) reads it: it stops retrying, with ``DeadlineExceeded``, before a wait
that would end past it. Nested deadlines keep the earliest, so an action inside a cycle gets
whichever ends first.

The deadline travels in a ``contextvars`` variable rather than through every port's signature:
ports stay what the marketplace and the chain offer, and a thread (the scheduler runs each job
in one) starts with no deadline. Its clock is ``time.monotonic`` unless a test injects one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from bot.domain.errors import DeadlineExceeded

__all__ = ["Deadline", "check", "current", "lifted", "remaining", "within"]


@dataclass(frozen=True, slots=True)
class Deadline:
    """``at`` on ``clock``; ``what`` names the scope in the error a caller gets."""

    at: float
    what: str
    clock: Callable[[], float] = time.monotonic

    def remaining(self) -> float:
        return self.at - self.clock()


_current: ContextVar[Deadline | None] = ContextVar("pricebot_deadline", default=None)


def current() -> Deadline | None:
    return _current.get()


def remaining() -> float:
    """Seconds left before the innermost deadline (infinite without one)."""
    deadline = _current.get()
    return float("inf") if deadline is None else deadline.remaining()


def check(doing: str) -> None:
    """Raise ``DeadlineExceeded`` if the current deadline has passed before ``doing``."""
    deadline = _current.get()
    if deadline is not None and deadline.remaining() <= 0:
        raise DeadlineExceeded(f"{doing}: the {deadline.what} deadline has passed")


@contextmanager
def within(
    seconds: float | None, what: str, *, clock: Callable[[], float] = time.monotonic
) -> Iterator[Deadline | None]:
    """Run the block under a deadline ``seconds`` from now (``None``: no new deadline).

    An enclosing deadline that ends earlier stays in force.
    """
    if seconds is None:
        yield _current.get()
        return
    mine = Deadline(clock() + seconds, what, clock)
    outer = _current.get()
    if outer is not None and outer.remaining() <= mine.remaining():
        yield outer
        return
    token = _current.set(mine)
    try:
        yield mine
    finally:
        _current.reset(token)


@contextmanager
def lifted() -> Iterator[None]:
    """Run the block with no deadline: for work that must not be abandoned halfway (waiting for
    a sent transaction, bounded by the gas wallet's own receipt timeout)."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)
