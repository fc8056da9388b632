"""The one retry layer (bot.adapters.retrying): what is retried, how long it waits, the deadline."""

from __future__ import annotations

import pytest

from bot import deadline
from bot.adapters.retrying import RetryPolicy, call
from bot.domain.errors import (
    BudgetExhausted,
    DeadlineExceeded,
    MalformedResponse,
    RateLimited,
    TransientError,
)
from tests.support.market_fakes import FakeTime


class Failing:
    """An operation that raises ``error`` every time and counts its attempts."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.attempts = 0

    def __call__(self) -> None:
        self.attempts += 1
        raise self.error


def test_a_retry_after_of_an_hour_is_waited_only_up_to_the_cap() -> None:
    t = FakeTime()
    op = Failing(RateLimited("HTTP 429", retry_after=3600))
    with pytest.raises(RateLimited):
        call(op, RetryPolicy(attempts=4, max_retry_after=20), what="GET /x", sleep=t.sleep)
    assert op.attempts == 4
    assert t.sleeps == [20, 20, 20]


@pytest.mark.parametrize(
    "error",
    [
        MalformedResponse("GET /x", "not an order"),
        BudgetExhausted("request budget: next slot in 40s", retry_after=40),
        DeadlineExceeded("GET /x: the cycle deadline has passed"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_try_next_cycle_errors_are_attempted_once(error: Exception) -> None:
    t = FakeTime()
    op = Failing(error)
    with pytest.raises(type(error)):
        call(op, RetryPolicy(), what="GET /x", sleep=t.sleep)
    assert op.attempts == 1 and t.sleeps == []


def test_no_wait_may_end_past_the_deadline() -> None:
    t = FakeTime()
    op = Failing(RateLimited("HTTP 429", retry_after=0.6))
    with (
        deadline.within(1.0, "cycle", clock=t.clock),
        pytest.raises(DeadlineExceeded, match="after 2 attempt") as info,
    ):
        call(op, RetryPolicy(attempts=4), what="GET /x", sleep=t.sleep)
    # Tried at 0 and 0.6 s; a third try would start at 1.2 s, past the 1 s deadline.
    assert op.attempts == 2 and t.sleeps == [0.6]
    assert isinstance(info.value.__cause__, RateLimited)


def test_nothing_is_sent_once_the_deadline_has_passed() -> None:
    t = FakeTime()
    op = Failing(TransientError("HTTP 503"))
    with deadline.within(1.0, "withdraw", clock=t.clock):
        t.sleep(1.5)
        with pytest.raises(DeadlineExceeded, match="withdraw deadline has passed"):
            call(op, RetryPolicy(), what="PUT /workerpoolorders", sleep=t.sleep)
    assert op.attempts == 0


def test_an_inner_deadline_cannot_outlive_the_outer_one() -> None:
    t = FakeTime()
    with deadline.within(5.0, "cycle", clock=t.clock):
        with deadline.within(60.0, "publish action", clock=t.clock) as inner:
            assert inner is not None and inner.what == "cycle"
            assert deadline.remaining() == pytest.approx(5.0)
        with deadline.within(2.0, "publish action", clock=t.clock):
            assert deadline.remaining() == pytest.approx(2.0)
        with deadline.lifted():
            assert deadline.current() is None
        assert deadline.remaining() == pytest.approx(5.0)
    assert deadline.current() is None
