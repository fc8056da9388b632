"""robust's descending probe under a follower (strategies/robust_undercut.py, issue #14)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import strategies
from bot.domain.model import BookEntry
from bot.pricing.snapshot import Offer
from strategies import run_fenced
from strategies.robust import OfferMemory
from strategies.robust_undercut import (
    cross_band,
    rung_pays,
    steady_market,
    steady_pools,
    stride_under,
)
from tests.support.factories import NOW, RIVAL2, deal, offer, own, request, rival, snap, util

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


# -- the undercut probe: guard 5's gate shut by our own undercut (robust item 31) -------------


def test_a_rung_pays_when_its_lower_revenue_bound_beats_the_market_led_mean() -> None:
    market = [30 * 99.0, 30.0, 36_000.0]  # 0.0825 nRLC/s
    # 4 sales at 396 in an hour: (4 - 2) / 4 of 0.44 nRLC/s = 0.22 > 0.0825
    assert rung_pays([4 * 396.0, 4.0, 3600.0], market, 1.0)
    # one sale: its lower bound is 0; none: no rate; no market-led evidence: nothing to beat
    assert not rung_pays([396.0, 1.0, 3600.0], market, 1.0)
    assert not rung_pays([0.0, 0.0, 3600.0], market, 1.0)
    assert not rung_pays([4 * 396.0, 4.0, 3600.0], [0.0, 0.0, 0.0], 1.0)
    # the same four sales over ten hours: 0.022 nRLC/s, under the market-led mean
    assert not rung_pays([4 * 396.0, 4.0, 36_000.0], market, 1.0)


def test_a_steady_market_is_every_rival_seen_lately_at_one_price_for_the_span() -> None:
    steady = {"a": [100.0, NOW - 3 * 3600, NOW - 60, 1.0]}
    assert steady_market(steady, NOW, 7200.0, 7200.0)
    moved = {**steady, "b": [90.0, NOW - 600, NOW - 60, 1.0]}  # repriced 10 min ago
    assert not steady_market(moved, NOW, 7200.0, 7200.0)
    gone = {**steady, "b": [90.0, NOW - 600, NOW - 9000, 1.0]}  # not seen for 2.5 h
    assert steady_market(gone, NOW, 7200.0, 7200.0)
    assert not steady_market({}, NOW, 7200.0, 7200.0)


PROBE = {
    "perch_trial_seconds": 3600.0,
    "perch_wait_seconds": 600.0,
    "cancel_cost": 7,
    "undercut_probe_seconds": 3600.0,
    "floor": 0,
}
A = rival("a", 100)


def probe_state(**fields: Any) -> dict[str, Any]:
    """The rival ``a`` at 100, steady for 3 h and in stock; the perch's count of rivals out 0
    (its gate shut), its trial due; the market-led price sold 30 tasks at 99 in 10 h."""
    m = OfferMemory(
        **{
            "last_at": NOW - 60,
            "p_next": NOW - 1,
            "p_wait": 600.0,
            "market_ev": [30 * 99.0, 30.0, 36_000.0],
            "a_pools": {A.workerpool: [100.0, NOW - 3 * 3600, NOW - 60, 1.0]},
            **fields,
        }
    )
    base = {"rivals": {"0:0:0": [100, NOW - 3600, NOW - 7200]}, "modes": {"0:0:0": "contested"}}
    return {"base": base, "offers": {"0:0:0": m.to_json()}, "inert": []}


def probe_decide(s: Any, state: dict[str, Any], params: dict[str, Any]) -> tuple[int, OfferMemory]:
    d = run_fenced(strategies.create("robust", params), s, [XS], state, random.Random(1))
    assert not d.abstain, d.reason
    return d.quotes[0].price, OfferMemory.from_json(d.state["offers"]["0:0:0"])


def test_a_due_trial_with_its_gate_shut_first_probes_the_lowest_rung_on_a_steady_market() -> None:
    """max(perch_low x 99, 2 x 99) = 396 for an hour; off, or a rival that moves, the 99."""
    s = snap(offers=[XS], book=[A], utilization=util(10, 0))
    price, m = probe_decide(s, probe_state(), PROBE)
    assert (price, m.p_mode, m.rung_probe) == (396, "trial", True)
    price, m = probe_decide(s, probe_state(), {**PROBE, "undercut_probe_seconds": 0.0})
    assert (price, m.p_mode, m.rung_probe) == (99, "market", False)
    moving = {A.workerpool: [100.0, NOW - 600, NOW - 60, 1.0]}  # repriced 10 min ago
    price, m = probe_decide(s, probe_state(a_pools=moving), PROBE)
    assert (price, m.p_mode) == (99, "market")


def test_a_rung_that_paid_is_the_trials_price_and_one_that_did_not_backs_off() -> None:
    probing = {"p_mode": "trial", "p_since": NOW - 3600, "p_price": 396, "perched": True}
    sold = [deal(f"d{i}", 396, ago=600.0 * (i + 1)) for i in range(4)]
    s = snap(offers=[XS], book=[A], deals=sold, utilization=util(10, 0))
    _, m = probe_decide(s, probe_state(rung_probe=True, **probing), PROBE)
    assert (m.p_mode, m.p_settled, m.rung_open, m.rung_probe) == ("trial", True, True, False)
    assert m.perch_ev[1] == 4.0 and m.r_hi > 396  # refined upward from here
    s = snap(offers=[XS], book=[A], deals=sold[:1], utilization=util(10, 0))
    price, m = probe_decide(s, probe_state(rung_probe=True, **probing), PROBE)
    # the next probe waits twice the probe's length, then twice the last wait
    assert (price, m.p_mode, m.rung_next, m.rung_wait) == (99, "market", NOW + 7200, 7200.0)


def test_rivals_in_stock_do_not_end_a_trial_the_rung_opened() -> None:
    """A settled trial with the perch's count of rivals out at 0: ended (guard 5's exit), unless
    the rung probe opened it (its evidence was made with the rivals in stock)."""
    trial = {"p_mode": "trial", "p_since": NOW - 600, "p_price": 396, "p_settled": True}
    trial |= {"perched": True, "perch_ev": [3 * 396.0, 3.0, 3600.0]}
    s = snap(offers=[XS], book=[A], own_orders=[own("o", 396, 5)], utilization=util(10, 0))
    price, m = probe_decide(s, probe_state(rung_open=True, **trial), PROBE)
    assert (price, m.p_mode) == (396, "trial")
    price, m = probe_decide(s, probe_state(**trial), PROBE)
    assert m.p_mode == "market" and price < 396
