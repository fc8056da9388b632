"""The shared request budget: a token bucket driven by a fake clock (no real waiting)."""

from __future__ import annotations

import threading
from collections import deque

import pytest

from bot.adapters.rate_budget import RateBudget
from bot.domain.errors import BudgetExhausted, DeadlineExceeded, InputError, TryNextCycle
from tests.support.market_fakes import FakeTime


def make(t: FakeTime, **kw: float) -> RateBudget:
    return RateBudget(clock=t.clock, sleep=t.sleep, **kw)  # type: ignore[arg-type]


def test_burst_is_free_then_requests_are_spaced_at_the_rate() -> None:
    t = FakeTime()
    budget = make(t, per_minute=90, burst=10)
    for _ in range(10):
        assert budget.acquire() == 0.0
    assert t.sleeps == []
    waited = budget.acquire()
    assert waited == pytest.approx(60 / 90)
    assert budget.spent == 11


def test_no_sixty_second_window_ever_holds_more_than_the_server_limit() -> None:
    t = FakeTime()
    budget = make(t, per_minute=90, burst=10)
    stamps: deque[float] = deque()
    worst = 0
    for _ in range(600):
        budget.acquire()
        stamps.append(t.now)
        while stamps[0] <= t.now - 60:
            stamps.popleft()
        worst = max(worst, len(stamps))
    assert worst <= 100  # iexec-market-api's default RATE_LIMIT_MAX per 60 s


def test_refill_never_exceeds_the_burst() -> None:
    t = FakeTime()
    budget = make(t, per_minute=60, burst=5)
    t.now += 3600
    assert budget.available() == 5


def test_hold_stops_callers_until_retry_after_has_passed() -> None:
    t = FakeTime()
    budget = make(t, per_minute=90, burst=10)
    budget.hold(7.5)
    assert budget.available() == 0
    budget.acquire()
    assert sum(t.sleeps) >= 7.5


def test_a_wait_longer_than_max_wait_raises_at_once_without_sleeping() -> None:
    t = FakeTime()
    budget = make(t, per_minute=90, burst=10, max_wait=5)
    budget.hold(60)
    with pytest.raises(BudgetExhausted) as info:
        budget.acquire()
    assert isinstance(info.value, TryNextCycle)  # typed as not worth retrying at once
    assert info.value.retry_after == pytest.approx(60)
    assert t.sleeps == []


def test_a_wait_past_the_callers_deadline_raises_deadline_exceeded_without_sleeping() -> None:
    t = FakeTime()
    budget = make(t, per_minute=90, burst=10, max_wait=30)
    budget.hold(20)
    with pytest.raises(DeadlineExceeded, match="past the deadline"):
        budget.acquire(max_wait=5)
    assert t.sleeps == []
    budget.acquire(max_wait=25)  # the deadline leaves room: wait out the hold
    assert 20 <= sum(t.sleeps) <= 21  # the hold, then one token at 90/min


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"per_minute": 0}, "per_minute"),
        ({"per_minute": -5}, "per_minute"),
        ({"per_minute": "fast"}, "per_minute"),
        ({"burst": 0}, "burst"),
        ({"burst": 2.5}, "burst"),
        ({"max_wait": -1}, "max_wait"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        RateBudget(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_threads_share_one_bucket_without_overspending() -> None:
    t = FakeTime()
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            t.now += seconds

    budget = RateBudget(per_minute=60, burst=40, clock=t.clock, sleep=sleep)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                budget.acquire()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert budget.spent == 40
    assert budget.available() < 1
