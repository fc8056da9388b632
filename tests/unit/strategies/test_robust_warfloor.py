"""Items 73 and 76 together on the undercutter markets (strategies/robust_warfloor.py, robust item
78): the pure rules, and in robust a committed floor that falls under its first price sent back
to war (``follow_floor_share``), and the hold given up where the undercutter keeps stock under
our price (``hold_stock_share``)."""

from __future__ import annotations

from typing import Any

import pytest

import strategies
from strategies.robust_warfloor import (
    STOCK_MIN_SECONDS,
    floor_near,
    hold_starved,
    stock_watch,
    taken_under,
)
from tests.support.factories import NOW, RIVAL
from tests.unit.strategies.test_robust_floorprobe import WALK
from tests.unit.strategies.test_robust_floorprobe import decided as floorprobe_scene

# item 92 (on by default since session 28) off: these are items 76 and 78 alone
ON76 = {"follow_cut_factor": 1.0, "follow_passed_share": 0.0}
DRAG = {**ON76, "follow_floor_share": 0.8}
# a committed floor posture (a round item 76's trigger opened chose it 10 minutes ago), the
# rival's low at 9.9 M
FLOOR = {
    "posture": "floor",
    "probing": False,
    "committed_at": NOW - 600,
    "low": 9_900_000,
    "w_opened": True,
}


def test_floor_near() -> None:
    assert floor_near(8_000_000, 10_000_000, 0.8)
    assert not floor_near(7_999_999, 10_000_000, 0.8)
    assert floor_near(1, 0, 0.8)  # no first price kept: nothing to compare with


def test_taken_under() -> None:
    before = {"a": [9_900_000.0, 3.0], "b": [9_800_000.0, 2.0], "c": [9_700_000.0, 1.0]}
    # a sold two at the same price; b repriced (nothing read); c sold out (gone from the book)
    now = {"a": (9_900_000, 1), "b": (9_600_000, 3)}
    assert taken_under(before, now) == 2 + 0 + 1
    assert taken_under({}, now) == 0
    assert taken_under(before, {"a": (9_900_000, 5), "b": (9_800_000, 2), "c": (1, 1)}) == 0


def test_stock_watch_counts_the_time_held_and_what_sold_under_it() -> None:
    kept = stock_watch([], 60.0, 1, NOW, 7_200.0)
    assert kept == [60.0, 1.0, NOW]
    kept = stock_watch(kept, 60.0, 0, NOW, 7_200.0)
    assert kept == [120.0, 1.0, NOW]
    # a decision that followed no hold only decays the counts (one half-life later: halved)
    later = stock_watch(kept, 0.0, 3, NOW + 7_200.0, 7_200.0)
    assert later == pytest.approx([60.0, 0.5, NOW + 7_200.0])


def test_hold_starved() -> None:
    short = [STOCK_MIN_SECONDS - 1, 10.0, NOW]
    assert not hold_starved(short, 2.0)  # too little holding to read
    hour = [3_600.0, 3.0, NOW]  # three tasks sold under us in an hour of holding
    assert hold_starved(hour, 2.0) and hold_starved(hour, 3.0)
    assert not hold_starved(hour, 3.5)
    assert not hold_starved(hour, 0.0)  # off
    assert not hold_starved([], 2.0)


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
    # key off: the floor is kept however far it fell; with item 76 off no first price is kept
    assert "posture floor" in floored(ON76, w_floor=13_000_000)[1]
    assert floored({"follow_floor_share": 0.8, "follow_passed_share": 0.0})[2]["w_floor"] == 0


def test_only_a_floor_item_76_opened_the_round_of_is_checked() -> None:
    # main's own round (its share of decisions with a rival under us): never checked (-1)
    assert floored(DRAG, w_opened=False)[2]["w_floor"] == -1
    assert "posture floor" in floored(DRAG, w_floor=-1)[1]
    assert floored(DRAG, w_floor=-1)[2]["w_floor"] == -1
    # item 76's round: checked after the rivals' steps stop counting as steps under us
    walk = floorprobe_scene(DRAG, steps=WALK, mem={**FLOOR, "w_floor": 13_000_000})
    assert "posture war" in walk[1]


def test_the_round_remembers_its_trigger() -> None:
    _, why, after = floorprobe_scene(DRAG)  # item 76's unpaid cut opens the probe
    assert after["probing"] and after["w_opened"]
    # main's share of decisions with a rival under us past follow_share opens it
    _, why, after = floorprobe_scene(DRAG, steps=WALK, mem={"lost": 0.9, "aimed": False})
    assert after["probing"] and not after["w_opened"], why
    # off: not kept
    assert not floorprobe_scene(ON76)[2]["w_opened"]


def test_a_probe_of_the_floor_is_not_cut_short() -> None:
    _, why, after = floored(DRAG, probing=True, posture_since=NOW - 60, w_floor=13_000_000)
    assert "posture floor" in why and after["probing"] and after["w_floor"] == 0


# a committed hold posture: under the 11 M pool, above the follower (RIVAL, at 9.9 M)
# a committed hold posture: under the 11 M pool, above the follower (RIVAL, at 9.9 M)
HOLD = {"posture": "hold", "probing": False, "committed_at": NOW - 600, "follower": RIVAL}
TAKEN = [3_600.0, 4.0, NOW - 60]  # four tasks sold under our held price in an hour of holding
DRY = [3_600.0, 1.0, NOW - 60]  # one


def test_item_73_makes_the_cut_where_the_undercutters_take_the_buyers() -> None:
    on73 = {"cut_gas_factor": 1.0}
    assert floorprobe_scene(on73)[0] == 10_000_000  # item 73 holds the cut
    both = {**on73, "hold_taken_tasks": 2.0}
    assert floorprobe_scene(both, mem={"w_stock": TAKEN})[0] == 9_799_999  # main's cut
    # few sold under the hold: held, and the pools under it kept for the next decision
    price, _, after = floorprobe_scene(both, mem={"w_stock": DRY})
    assert price == 10_000_000 and after["w_under"] == {RIVAL: [9_900_000.0, 2.0]}


def test_a_committed_hold_posture_over_a_restocking_undercutter_goes_back_to_war() -> None:
    both = {**ON76, "hold_taken_tasks": 2.0}
    _, why, after = floorprobe_scene(both, mem={**HOLD, "w_stock": TAKEN})
    assert "posture war" in why and after["posture"] == "war", why
    # the last decision held over the rival's 3 tasks at 9.9 M; 2 are left: one sold under us
    held = {**HOLD, "w_stock": DRY, "w_under": {RIVAL: [9_900_000.0, 3.0]}}
    price, why, after = floorprobe_scene(both, mem=held)
    assert price == 10_999_999 and "posture hold" in why and after["posture"] == "hold"
    assert after["w_stock"][:2] == pytest.approx([3_660.0, 2.0], rel=0.01)
    assert after["w_under"] == {RIVAL: [9_900_000.0, 2.0]}  # this decision holds too
    # off: nothing counted
    assert floorprobe_scene(ON76, mem=held)[2]["w_stock"] == DRY


def test_the_keys_are_off_by_default() -> None:
    p = strategies.create("robust", {}).params
    assert p.follow_floor_share == 0.0 and p.hold_taken_tasks == 0.0
