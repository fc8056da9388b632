"""robust item 88: a quiet committed floor (item 84) raised to one nRLC under the follower's own
lowest price of the round (``follow_quiet_back``); strategies/robust_quietfloor.py; issue #14."""

from __future__ import annotations

from bot.pricing.snapshot import Offer
from strategies.robust_quietfloor import follower_low, quiet_back
from tests.support.factories import offer
from tests.unit.strategies.test_robust_quietfloor import parked_run

XS: Offer = offer(category=0, task_seconds=300, max_volume=1000)


def test_the_follower_lowest_price_is_kept() -> None:
    assert follower_low(0, []) == 0
    assert follower_low(0, [50, 40]) == 40
    assert follower_low(30, [50, 40]) == 30  # kept over the round, not expired
    assert follower_low(45, [50, 40]) == 40
    assert follower_low(45, []) == 45  # sold out or gone: kept


def test_a_quiet_floor_is_given_back_under_the_follower_lowest() -> None:
    assert quiet_back(14_245, 15_830, None, 0) == 15_829
    assert quiet_back(14_245, 15_830, 31_200, 0) == 15_829
    assert quiet_back(14_245, 15_830, 15_000, 0) == 14_999  # under the cheapest rival or low
    assert quiet_back(14_245, 15_830, 14_000, 0) == 14_245  # never under the posture's price
    assert quiet_back(14_245, 0, None, 0) == 14_245  # nothing kept: the posture's price
    assert quiet_back(14_245, 15_830, None, 16_000) == 16_000  # our own floor


def _parked(params: dict[str, object], hours: float) -> list[int]:
    """1888's shape: a fast undercutter lists one step (1 M) under whatever we listed, down to
    its floor (40 M); once we list under its floor plus its step it parks at 250 M. A fixed
    rival sits at 200 M, the lowest rival seen is remembered for an hour (then reads the fixed
    rival, as 1888's ``low`` expired). We sell a task a minute while cheapest and under 45 M.
    The second round's stride lists 10 % under the follower (38.8 M) and it parks: the floor is
    quiet and (item 84) kept there."""
    return [
        q.price
        for q in parked_run(
            {"memory_seconds": 3600.0, "follow_still_quiet": True, **params},
            hours,
            lambda listed: 250_000_000 if listed < 41_000_000 else listed - 1_000_000,
        )
    ]


def test_a_quiet_floor_is_raised_to_the_follower_lowest() -> None:
    off = _parked({}, 16.0)
    on = _parked({"follow_quiet_back": True}, 16.0)
    assert off[-1] < 39_000_000  # the stride's landing, 10 % under the follower
    # on: one nRLC under the follower's lowest price (its floor here), where it does not follow
    assert off[-1] < on[-1] < 41_000_000
    assert set(on[-4 * 60 :]) == {on[-1]}  # kept there: the follower stays parked
    assert on[:120] == off[:120]  # the same until the floor is quiet


def test_off_by_default() -> None:
    assert _parked({}, 8.0) == _parked({"follow_quiet_back": False}, 8.0)
