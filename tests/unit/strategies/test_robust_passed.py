"""Guard 1's probe opened where the base passes over a small undercutter listed under our price
(strategies/robust_passed.py, ``follow_passed_share``, robust item 92): the pure rule, and in
robust the floor posture probed once the share of such decisions reaches the key, and main's
war elsewhere."""

from __future__ import annotations

import math
from typing import Any

import pytest

import strategies
from strategies.robust import OfferMemory
from strategies.robust_passed import (
    decayed_tasks,
    moved_within,
    passed_share,
    passes_small,
    probe_sells,
)
from tests.support.factories import NOW, RIVAL, RIVAL2, own, rival, snap, util
from tests.unit.strategies.test_robust_cutgas import XS, robust_on


@pytest.mark.parametrize(
    ("rivals", "listed", "quote", "passed"),
    [
        ([(9_900_000, 1, True), (11_000_000, 5, True)], 10_000_000, 10_999_999, True),
        ([(9_900_000, 2, True)], 10_000_000, 10_999_999, False),  # 2 left: the base follows it
        ([(9_900_000, 1, False)], 10_000_000, 10_999_999, False),  # a fixed price's last task
        ([(10_000_000, 1, True)], 10_000_000, 10_999_999, False),  # not under our listed price
        ([(9_900_000, 1, True)], 10_000_000, 9_899_999, False),  # the quote goes under it
        ([(9_900_000, 1, True)], None, 10_999_999, False),  # nothing listed
        ([], 10_000_000, 10_999_999, False),
    ],
)
def test_passed_over(
    rivals: list[tuple[int, int, bool]], listed: int | None, quote: int, passed: bool
) -> None:
    assert passes_small(rivals, listed, quote) is passed


def test_moved_within_and_the_share() -> None:
    assert moved_within([9.9e6, NOW - 60, NOW], NOW, 600.0)
    assert not moved_within([9.9e6, NOW - 601, NOW], NOW, 600.0)  # stopped moving
    assert not moved_within([9.9e6, 0.0, NOW], NOW, 600.0)  # never seen to move
    assert passed_share(0.5, True, 0.05) == pytest.approx(0.525)
    assert passed_share(0.5, False, 0.05) == pytest.approx(0.475)


def test_a_probe_must_expect_a_sale() -> None:
    assert decayed_tasks(10.0, 2.0, 0.0, 21_600.0) == 12.0
    assert decayed_tasks(10.0, 0.0, 21_600.0, 21_600.0) == pytest.approx(10.0 / math.e)
    assert decayed_tasks(10.0, 1.0, 60.0, 0.0) == 1.0  # no memory: this decision's only
    assert probe_sells(9.0, 21_600.0, 2_400.0)  # one task a 40-minute probe
    assert not probe_sells(8.9, 21_600.0, 2_400.0)
    assert not probe_sells(9.0, 0.0, 2_400.0)


MOVED = {RIVAL: [9_900_000.0, NOW - 120, NOW - 60]}  # the small pool repriced 2 minutes ago
FIXED = {RIVAL: [9_900_000.0, 0.0, NOW - 60]}  # never seen to reprice
ON = {"follow_passed_share": 0.5}
OFF = {"follow_passed_share": 0.0}  # main 74e06d6 (the default until session 28)
SELLS = 10.0  # tasks decayed over memory_seconds (6 h): 1.1 a 40-minute probe


def decided(
    params: dict[str, Any], left: int = 1, mem: dict[str, Any] | None = None
) -> tuple[int, str, dict[str, Any]]:
    """Our orders at 10 M; a rival pool lists ``left`` task(s) at 9.9 M and another 5 at 11 M;
    prices are moving (the base's first sight of the cheapest), so the base undercuts the
    cheapest with 2+ left and passes over a single task. ``mem``: more of the offer's memory
    (default: the share just under the key, the small pool seen to reprice, SELLS)."""
    s = snap(
        offers=[XS],
        book=[rival("a", 9_900_000, left), rival("b", 11_000_000, 5, workerpool=RIVAL2)],
        own_orders=[own("o", 10_000_000, 4)],
        utilization=util(10, 0),
    )
    kept = {"o_passed": 0.48, "u_moves": MOVED, "o_tasks": SELLS, **(mem or {})}
    return robust_on(s, OfferMemory(last_at=NOW - 60, **kept), params)


def probed(params: dict[str, Any], **kw: Any) -> bool:
    """Guard 1's probe opened by this decision: its first posture, floor, quoted."""
    _, why, after = decided(params, **kw)
    opened = after["posture"] == "floor" and bool(after["probing"])
    assert opened == ("posture floor, 1 nRLC under the lowest rival 9900000" in why), why
    return opened


def test_a_passed_small_undercutter_opens_the_floor_probe() -> None:
    price, why, after = decided(OFF)
    # main: the base quotes under 11 M, over the one task (the churn hold keeps our 10 M), war
    assert "2+ left" in why and price == 10_000_000
    assert after["posture"] == "war" and not after["probing"]
    assert probed(ON)
    # the floor's price (9,899,999) moved out of the planner's deadband, as item 76's
    price, _, after = decided(ON)
    assert price == 9_799_999 and after["o_passed"] == pytest.approx(0.506)
    assert after["o_opened"]  # the round is judged net of gas


def test_the_probe_stays_shut_elsewhere() -> None:
    assert not probed(ON, mem={"o_passed": 0.40})  # the share under the key
    assert not probed(ON, left=2)  # two left: the base follows it (war)
    assert not probed(ON, mem={"u_moves": FIXED})  # a fixed-price pool's last task
    assert not probed(ON, mem={"u_moves": {}})  # first seen: not a move
    assert not probed({"follow_passed_share": 0.6})
    # too few sales for a probe to see one at our recent rate (train 1018's category 3)
    assert not probed(ON, mem={"o_tasks": 8.0})
    assert not probed(ON, mem={"o_tasks": 0.0})
    # a war the last round committed to is kept its commit time (item 76's exception)
    war = {"posture": "war", "probing": False, "committed_at": NOW - 600}
    assert not probed(ON, mem=war)
    assert probed(ON, mem={**war, "committed_at": NOW - 6 * 3600})


def test_outside_war_the_round_and_the_war_level_are_kept() -> None:
    # a floor the trigger's round committed: its flag and war's listed price stay for the check
    floor = {"posture": "floor", "probing": False, "committed_at": NOW - 600, "low": 9_900_000}
    mine = {**floor, "o_opened": True, "w_opened": True, "o_war": 14_000_000}
    _, _, after = decided(ON, mem=mine)
    assert after["o_opened"] and after["o_war"] == 14_000_000
    # guard 1's own share at follow_share: main's round, not this trigger's (not gas-judged)
    _, _, after = decided(ON, mem={"lost": 0.6, "aimed": False})
    assert after["probing"] and not after["o_opened"]


def test_a_committed_floor_far_under_the_war_goes_back_to_war() -> None:
    """Item 78's check against war's listed price when the round opened (PASSED_DRAG x it)."""
    floor = {"posture": "floor", "probing": False, "committed_at": NOW - 600, "low": 9_900_000}
    mine = {**floor, "o_opened": True, "w_opened": True}
    # the stretch's first decision keeps war's level (not the floor's own price) to check against
    _, why, after = decided(ON, mem={**mine, "o_war": 14_000_000})
    assert after["w_floor"] == 14_000_000 and "posture floor" in why
    # 9,899,999 under 0.75 x 14 M: back to war; over 0.75 x 12 M: kept
    _, _, after = decided(ON, mem={**mine, "o_war": 14_000_000, "w_floor": 14_000_000})
    assert after["posture"] == "war" and not after["probing"]
    _, _, after = decided(ON, mem={**mine, "o_war": 12_000_000, "w_floor": 12_000_000})
    assert after["posture"] == "floor"
    # the key off: no check at all
    _, _, after = decided(OFF, mem={**mine, "o_war": 14_000_000, "w_floor": 14_000_000})
    assert after["posture"] == "floor"


def test_the_key_is_on_at_half_by_default_and_zero_is_main() -> None:
    """On at 0.5 since session 28 (item 92: TRAIN 1590 x 1.83, design and old validation
    byte-identical, three held-out blocks 2 up, 1 down by 0.1 RLC); 0 is main 74e06d6."""
    assert strategies.create("robust", {}).params.follow_passed_share == 0.5
    assert decided({}) == decided(ON)
    _, _, after = decided(OFF)
    assert after["o_passed"] == 0.48 and not after["o_opened"]  # not counted
