"""robust's descending probe under a follower (strategies/robust_undercut.py, issue #14)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import strategies
from bot.domain.model import BookEntry
from bot.pricing.snapshot import Offer
from strategies import run_fenced
from strategies.robust_undercut import cross_band, steady_pools, stride_under
from tests.support.factories import NOW, RIVAL2, offer, own, request, rival, snap, util

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


def test_a_rival_far_under_the_others_is_still_undercut() -> None:
    """An undercutter that followed us under a fifth of the other rivals' median still sells
    first to every taker: robust sees it (``outlier_ratio`` 0), portfolio's filter (0.2) hid it."""
    book = [
        rival("u", 5_000_000, 3, workerpool=RIVAL2),
        rival("a", 26_600_000, 3),
        rival("b", 33_700_000, 3),
        rival("c", 40_100_000, 3),
    ]
    s = snap(offers=[XS], book=book, own_orders=[own("o", 5_600_000, 5)], utilization=util(10, 2))
    prices: dict[float, int] = {}
    for ratio in (0.0, 0.2):
        params: dict[str, object] = {"floor": 0, "outlier_ratio": ratio}
        d = run_fenced(strategies.create("robust", params), s, [XS], None, random.Random(1))
        prices[ratio] = d.quotes[0].price
    assert prices[0.0] < 5_000_000  # under the undercutter
    # the filter's view: 1 nRLC under the next rival, a raise held at our listed price
    assert prices[0.2] >= 5_600_000


def test_the_anchor_splits_rivals_that_kept_their_price_from_those_that_moved() -> None:
    pools = {
        "fixed": [6_820_000.0, 0.0, 9_000.0, 0.9],
        "walker": [21_600_000.0, 8_500.0, 9_000.0, 1.0],
    }
    steady, moving = steady_pools(pools, now=9_000.0, steady_seconds=7_200.0)
    assert list(steady) == ["fixed"] and list(moving) == ["walker"]


def test_robust_anchors_under_a_fixed_rival_while_a_walker_moves_above_it() -> None:
    """A fixed rival sells out and restocks; a random walk reprices far above it. The anchor
    holds one nRLC under the fixed rival through its stock-out unless the rule is off."""
    prices: dict[bool, tuple[int, str]] = {}
    for on in (True, False):
        params: dict[str, object] = {"floor": 0, "anchor_moving_above": on}
        state: dict[str, Any] | None = None
        for i in range(0, 200):  # 200 min: the fixed rival kept its price 2 h, then sells out
            at = NOW + 60 * i
            walker = rival("w", 20_000_000 + 10_000 * (i % 7), 3, workerpool=RIVAL2, age=30)
            book = [walker] if i == 199 else [rival("f", 6_820_000, 3), walker]
            s = snap(
                offers=[XS],
                at=at,
                book=book,
                own_orders=[own("o", 6_819_999, 3)],
                utilization=util(10, 2),
            )
            d = run_fenced(strategies.create("robust", params), s, [XS], state, random.Random(1))
            state = d.state
        prices[on] = (d.quotes[0].price, d.quotes[0].reason)
    assert prices[True][0] == 6_819_999  # held under the fixed rival through its stock-out
    assert prices[True][1].startswith("steady market")
    assert "steady market" not in prices[False][1]  # any repricing rival turned the anchor off


def test_a_request_in_the_book_does_not_wipe_the_follower_record() -> None:
    """Guard 1 found the follower (floor posture); one decision priced by the book logic (a
    request waiting) with the rivals still there keeps that record (off: back to war)."""
    postures = {}
    for keep in (True, False):
        params: dict[str, object] = {
            "floor": 0,
            "follow_smoothing": 0.5,
            "probe_seconds": 600.0,
            "follow_keep_book": keep,
            "follow_book_held": False,  # item 58 would hand the held book price to guard 1
        }
        state: dict[str, Any] | None = None
        ours = 200_000_000
        for i in range(9):
            at = NOW + 60 * i
            book = [rival("f", ours - 1, workerpool=RIVAL2, age=NOW - (at - 10))]
            waiting = [replace(request("r", 150_000_000), published_at=at - 10)] if i == 8 else []
            s = snap(
                offers=[XS],
                at=at,
                book=book,
                requests=waiting,
                own_orders=[own(f"o{i}", ours, 5)],
                utilization=util(10, 2),
            )
            d = run_fenced(strategies.create("robust", params), s, [XS], state, random.Random(1))
            state = d.state
            ours = d.quotes[0].price
        assert state is not None
        postures[keep] = state["offers"][next(iter(state["offers"]))]["posture"]
    assert postures == {True: "floor", False: "war"}
