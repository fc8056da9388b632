"""Items 73 and 76 together on the undercutter markets (strategies/robust_warfloor.py, robust item
78): the pure rules, and in robust a committed floor that falls under its first price sent back
to war (``follow_floor_share``), and the hold given up where the undercutter keeps stock under
our price (``hold_stock_share``)."""

from __future__ import annotations

from typing import Any

import pytest

import strategies
from strategies.robust_warfloor import STOCK_MIN_HELD, floor_near, hold_starved, stock_watch
from tests.support.factories import NOW, RIVAL
from tests.unit.strategies.test_robust_floorprobe import decided as floorprobe_scene

ON76 = {"follow_cut_factor": 1.0}
DRAG = {**ON76, "follow_floor_share": 0.8}
# a committed floor posture (the round chose it 10 minutes ago), the rival's low at 9.9 M
FLOOR = {"posture": "floor", "probing": False, "committed_at": NOW - 600, "low": 9_900_000}


def test_floor_near() -> None:
    assert floor_near(8_000_000, 10_000_000, 0.8)
    assert not floor_near(7_999_999, 10_000_000, 0.8)
    assert floor_near(1, 0, 0.8)  # no first price: nothing to compare with


def test_stock_watch_counts_the_decisions_after_a_hold() -> None:
    kept = stock_watch([], True, True, NOW, 7_200.0)
    assert kept == [1.0, 1.0, NOW]
    kept = stock_watch(kept, True, False, NOW, 7_200.0)
    assert kept == [2.0, 1.0, NOW]
    # a decision that follows no hold only decays the counts (one half-life later: halved)
    later = stock_watch(kept, False, True, NOW + 7_200.0, 7_200.0)
    assert later == pytest.approx([1.0, 0.5, NOW + 7_200.0])


def test_hold_starved() -> None:
    few = [STOCK_MIN_HELD - 0.5, STOCK_MIN_HELD - 0.5, NOW]
    assert not hold_starved(few, 0.5)  # too few decisions after a hold to read
    stocked = [10.0, 6.0, NOW]
    assert hold_starved(stocked, 0.5)  # the undercutter still under us 60 % of the time
    assert not hold_starved(stocked, 0.7)
    assert not hold_starved([10.0, 2.0, NOW], 0.5)  # its stock ran out: the hold pays
    assert not hold_starved(stocked, 0.0)  # off
    assert not hold_starved([], 0.5)


def floored(params: dict[str, Any], **mem: Any) -> tuple[int, str, dict[str, Any]]:
    """Item 76's scene (one-task orders at 10 M, a rival stepping to 9.9 M, undercutters) with
    a committed floor posture and ``mem`` on top."""
    return floorprobe_scene(params, mem={**FLOOR, **mem})


def test_a_committed_floor_remembers_its_first_price() -> None:
    _, why, after = floored(DRAG)
    assert "posture floor" in why and after["w_floor"] > 0
    # off (main, or item 76 alone): nothing kept
    assert floored(ON76)[2]["w_floor"] == 0


def test_a_floor_dragged_under_its_first_price_goes_back_to_war() -> None:
    # first at 13 M: 9,899,999 is under 0.8 x 13 M, the floor left as a committed war
    _, why, after = floored(DRAG, w_floor=13_000_000)
    assert "posture war" in why, why
    assert after["posture"] == "war" and not after["probing"]
    assert after["committed_at"] == NOW and after["w_floor"] == 0
    # first at 12 M: 9,899,999 is above 0.8 x 12 M, the floor kept
    _, why, after = floored(DRAG, w_floor=12_000_000)
    assert "posture floor" in why and after["posture"] == "floor"
    # key off, or item 76 off: the floor is kept however far it fell
    assert "posture floor" in floored(ON76, w_floor=13_000_000)[1]
    assert "posture floor" in floored({"follow_floor_share": 0.8}, w_floor=13_000_000)[1]


def test_a_probe_of_the_floor_is_not_cut_short() -> None:
    _, why, after = floored(DRAG, probing=True, posture_since=NOW - 60, w_floor=13_000_000)
    assert "posture floor" in why and after["probing"] and after["w_floor"] == 0


# a committed hold posture: under the 11 M pool, above the follower (RIVAL, at 9.9 M)
HOLD = {"posture": "hold", "probing": False, "committed_at": NOW - 600, "follower": RIVAL}
STOCKED = [10.0, 9.0, NOW - 60]  # nine in ten decisions after a hold left stock under us


def test_item_73_makes_the_cut_where_the_undercutter_keeps_its_stock() -> None:
    on73 = {"cut_gas_factor": 1.0}
    assert floorprobe_scene(on73)[0] == 10_000_000  # item 73 holds the cut
    # a restocking undercutter: the cut is made (main's price)
    both = {**on73, "hold_stock_share": 0.5}
    assert floorprobe_scene(both, mem={"w_stock": STOCKED})[0] == 9_799_999
    # its stock ran out after the holds: held, and the hold is noted for the next decision
    price, _, after = floorprobe_scene(both, mem={"w_stock": [10.0, 2.0, NOW - 60]})
    assert price == 10_000_000 and after["w_held"]


def test_a_committed_hold_posture_over_a_restocking_undercutter_goes_back_to_war() -> None:
    both = {**ON76, "hold_stock_share": 0.5}
    _, why, after = floorprobe_scene(both, mem={**HOLD, "w_stock": STOCKED})
    assert "posture war" in why and after["posture"] == "war", why
    ran_out = {**HOLD, "w_stock": [10.0, 2.0, NOW - 60], "w_held": True}
    price, why, after = floorprobe_scene(both, mem=ran_out)
    assert price == 10_999_999 and "posture hold" in why and after["posture"] == "hold"
    # the decision after a hold is counted (the rival at 9.9 M under our listed 10 M), and this
    # one, above the follower, is a hold too
    assert after["w_stock"][:2] == pytest.approx([11.0, 3.0], rel=0.01) and after["w_held"]
    # off: nothing counted
    assert floorprobe_scene(ON76, mem=ran_out)[2]["w_stock"] == [10.0, 2.0, NOW - 60]


def test_the_keys_are_off_by_default() -> None:
    p = strategies.create("robust", {}).params
    assert p.follow_floor_share == 0.0 and p.hold_stock_share == 0.0
