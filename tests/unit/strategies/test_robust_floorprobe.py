"""Guard 1's probe opened where following an undercutter down does not pay its cancels
(strategies/robust_floorprobe.py, ``follow_cut_factor``, robust item 76): the pure rule, and in
robust the floor posture probed on a market of undercutters where item 73's reckoning finds the
base's cut unpaid, and main's war elsewhere."""

from __future__ import annotations

from typing import Any

import strategies
from strategies.robust_floorprobe import gas_judged, steps_seen
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_cutgas import decided as cutgas_scene

# item 71's decayed counts (half-life 7,200 s): 12 steps ~ one every 866 s, 4 ~ every 2,597 s
CUTS = [12.0, 12.0, NOW - 60]  # the rivals' recent reprices all stepped under us (undercutters)
SLOW = [4.0, 4.0, NOW - 60]  # undercutters too, but a step every 43 minutes
WALK = [12.0, 3.0, NOW - 60]  # one in four stepped under us (a walker)
MAIN = 9_799_999  # main: under the rival, just past the planner's deadband (war)


def test_gas_judged() -> None:
    assert gas_judged(True, 0.0, False)  # item 49's key: everywhere
    assert gas_judged(False, 1.0, True)  # item 76's: on a market of undercutters
    assert not gas_judged(False, 1.0, False)
    assert not gas_judged(False, 0.0, True)  # key off: main


def test_steps_seen() -> None:
    assert steps_seen(1_200.0, 2_400.0)  # two steps in a 40-minute probe
    assert not steps_seen(1_201.0, 2_400.0)
    assert not steps_seen(0.0, 2_400.0)


def decided(params: dict[str, Any], **kw: Any) -> tuple[int, str, dict[str, Any]]:
    """Item 73's scene (one-task orders at 10 M, a rival stepping to 9.9 M) with this file's
    counts: ``steps`` defaults to CUTS, a step every 866 s."""
    return cutgas_scene(params, **{"steps": CUTS, **kw})


ON = {"follow_cut_factor": 1.0}
# main before item 76, item 92 (on by default since session 28) off too: it keeps the gas book
OFF = {"follow_passed_share": 0.0}


def probed(params: dict[str, Any], **kw: Any) -> bool:
    """Guard 1's probe opened by this decision: its first posture, floor, quoted."""
    _, why, after = decided(params, **kw)
    opened = after["posture"] == "floor" and bool(after["probing"])
    assert opened == ("posture floor, 1 nRLC under the lowest rival 9900000" in why), why
    return opened


def test_an_unpaid_cut_opens_the_floor_probe() -> None:
    price, why, after = decided({})
    assert price == MAIN and "posture war" in why  # main: war follows the step
    assert after["posture"] == "war" and not after["probing"]
    assert probed(ON)
    # the floor's price (9,899,999) is then moved out of the planner's deadband like war's
    assert decided(ON)[0] == MAIN


def test_the_probe_stays_shut_where_the_cut_pays_or_is_not_judged() -> None:
    assert not probed({})
    # one order of four and four buyers an hour: one cancel, which the cut pays (with four
    # one-task orders it does not)
    assert not probed(ON, orders=1, sold=4)
    assert probed(ON, sold=4)
    # nothing sold in the horizon: no evidence to price the cut by
    assert not probed(ON, sold=0)
    # a smaller factor: with four buyers an hour the cut pays 0.3 x its gas (not 1 x)
    assert not probed({"follow_cut_factor": 0.3}, sold=4)
    # rivals whose reprices are not mostly steps under us, or none counted
    assert not probed(ON, steps=WALK)
    assert not probed(ON, steps=[])
    # undercutters too slow for a probe to see two of their steps
    assert not probed(ON, steps=SLOW)


def test_a_perch_or_its_trial_listed_is_not_a_cut() -> None:
    # guard 5 lists a perch or a trial over the market-led price: leaving it is not a follow
    assert not probed(ON, mem={"p_mode": "trial"})
    assert not probed(ON, mem={"perched": True})


def test_item_71_off_uses_the_rules_own_share() -> None:
    off71 = {**ON, "tier_undercut_share": 0.0}
    assert probed(off71)
    assert not probed(off71, steps=WALK)


def test_a_war_the_last_round_chose_is_kept_its_commit_time() -> None:
    war = {"posture": "war", "probing": False, "committed_at": NOW - 600}
    assert not probed(ON, mem=war)
    assert probed(ON, mem={**war, "committed_at": NOW - 6 * 3600})  # commit_seconds passed


def test_a_probe_under_way_or_another_posture_is_left_alone() -> None:
    # a committed floor posture, inside its commit time: the key does not re-open a probe
    floor = {"posture": "floor", "probing": False, "committed_at": NOW - 600, "low": 9_900_000}
    _, _, after = decided(ON, mem=floor)
    assert after["posture"] == "floor" and not after["probing"]


def test_the_gas_book_is_kept_with_the_key_on_only() -> None:
    # our listed price moved since the last decision (u_listed): a re-sign charged to war's
    # stretch with the key on (the probe does not open: one order, the cut pays)
    before = {"u_listed": 10_100_000}
    after = decided(ON, orders=1, mem=before)[2]
    assert after["u_listed"] == 10_000_000
    assert after["u_stretch"]["war"][1] == 5_000_000.0  # one cancel_cost
    off = decided(OFF, orders=1, mem=before)[2]
    assert off["u_listed"] == 10_100_000 and not off.get("u_stretch")


def test_the_key_is_off_by_default() -> None:
    assert strategies.create("robust", {}).params.follow_cut_factor == 0.0
