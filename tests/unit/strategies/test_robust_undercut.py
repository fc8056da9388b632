"""robust's descending probe under a follower (strategies/robust_undercut.py, issue #14)."""

from __future__ import annotations

import random
from typing import Any

import strategies
from bot.domain.model import BookEntry
from bot.pricing.snapshot import Offer
from strategies import run_fenced
from strategies.robust_undercut import cross_band, stride_under
from tests.support.factories import NOW, RIVAL2, offer, own, rival, snap, util

STRIDE, FLOOR = 0.1, 1_000
XS: Offer = offer(category=0, task_seconds=300, max_volume=1000)


def order(pool: str, price: int, published_at: float) -> BookEntry:
    return rival(f"{pool}{price}", price, 1, workerpool=pool, age=NOW - published_at)


def test_a_follower_that_answered_our_step_under_us_is_stepped_under_by_the_stride() -> None:
    rivals = [order("u", 991_000, published_at=50.0), order("f", 2_000_000, published_at=0.0)]
    price, at, _ = stride_under(rivals, "u", 1_000_000, 990_999, 40.0, 0.0, STRIDE, FLOOR, now=60.0)
    assert (price, at) == (891_900, 60.0)  # 10 % under its 991,000: out of the deadband


def test_no_step_until_the_follower_has_repriced_since_the_last_one() -> None:
    rivals = [order("u", 991_000, published_at=30.0)]
    price, at, _ = stride_under(rivals, "u", 1_000_000, 990_999, 40.0, 0.0, STRIDE, FLOOR, now=60.0)
    assert (price, at) == (990_999, 40.0)


def test_a_follower_that_jumped_back_up_leaves_the_price_held() -> None:
    # its last follow was 800,000 (the lowest seen); it answered our step by jumping up
    rivals = [order("u", 3_000_000, published_at=50.0)]
    price, at, _ = stride_under(rivals, "u", 700_000, 799_999, 40.0, 0.0, STRIDE, FLOOR, now=60.0)
    assert (price, at) == (700_000, 40.0)


def test_a_follower_that_stays_at_its_floor_gets_one_nrlc_under_it() -> None:
    # it stays at the lowest price seen, above us (no new order), for twice its longest answer
    rivals = [order("u", 750_000, published_at=10.0)]
    args = (rivals, "u", 700_000, 749_999, 40.0, 30.0, STRIDE, FLOOR)
    assert stride_under(*args, now=90.0) == (700_000, 40.0, 30.0)  # give it time to answer
    assert stride_under(*args, now=101.0) == (749_999, 40.0, 30.0)


def test_the_descent_stops_at_the_strategy_floor_and_without_the_follower_holds() -> None:
    rivals = [order("u", 1_050, published_at=50.0)]
    assert stride_under(rivals, "u", 1_100, 1_049, 40.0, 0.0, STRIDE, FLOOR, now=60.0) == (
        FLOOR,
        60.0,
        10.0,
    )
    assert stride_under([], "u", 5_000, 4_000, 40.0, 0.0, STRIDE, FLOOR, now=60.0) == (
        4_000,
        40.0,
        0.0,
    )


def test_a_cut_across_a_rival_inside_the_deadband_goes_just_past_it() -> None:
    # listed 17,252,996 above a rival resting at 17,200,000: one nRLC under it is 0.3 % away
    assert cross_band(17_199_999, 17_252_996, 17_200_000, 0.02, FLOOR) == 16_907_935


def test_no_crossing_when_already_under_the_rival_or_outside_the_band() -> None:
    assert cross_band(17_199_999, 17_199_999, 17_200_000, 0.02, FLOOR) == 17_199_999
    assert cross_band(15_000_000, 17_252_996, 17_200_000, 0.02, FLOOR) == 15_000_000
    assert cross_band(18_000_000, 17_252_996, 17_200_000, 0.02, FLOOR) == 18_000_000


def test_robust_steps_out_of_the_deadband_under_a_rival_that_keeps_following() -> None:
    """The rival answers each decision one under our listed price: the floor posture strides."""
    params: dict[str, object] = {"floor": 0, "follow_smoothing": 0.5, "probe_seconds": 600.0}
    state: dict[str, Any] | None = None
    ours = 200_000_000
    answered = 0
    for i in range(8):
        at = NOW + 60 * i
        s = snap(
            offers=[XS],
            at=at,
            book=[rival("f", ours - 1, workerpool=RIVAL2, age=NOW - (at - 10))],
            own_orders=[own(f"o{i}", ours, 5)],
            utilization=util(10, 2),
        )
        d = run_fenced(strategies.create("robust", params), s, [XS], state, random.Random(1))
        state = d.state
        answered = ours - 1
        ours = d.quotes[0].price
    assert "posture floor" in d.quotes[0].reason
    assert ours <= 0.9 * answered + 1  # a real step: the planner's 2 % deadband cannot keep it
