"""``robust``'s committed perch that a check confirmed, held through the rivals' return while it
pays (strategies/robust_checkheld.py, ``perch_return_checked``, robust item 80, with item 68's
test ``return_pays``): the pure rules, and on crafted snapshots a confirmed paying perch kept
when a rival is back in stock, while a perch never checked, a settled trial, a perch that
stopped paying and the key off end as in main."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_checkheld import checked_hold, return_pays
from tests.support.factories import NOW, own, rival, snap
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state

TRIAL = 3600.0  # PERCH's perch_trial_seconds: a commit holds 2 x it, a confirming check doubles it


@pytest.mark.parametrize(
    ("on", "p_mode", "p_hold", "pays", "held"),
    [
        (True, "perch", 4 * TRIAL, True, True),  # one check confirmed it
        (True, "perch", 16 * TRIAL, True, True),  # three
        (True, "perch", 2 * TRIAL, True, False),  # committed, never checked: ends as in main
        (True, "perch", 4 * TRIAL, False, False),  # stopped paying
        (True, "trial", 4 * TRIAL, True, False),  # a trial, settled or not
        (True, "check", 4 * TRIAL, True, False),  # the market-led price being measured
        (True, "market", 4 * TRIAL, True, False),
        (False, "perch", 4 * TRIAL, True, False),  # off: main, the return ends it
    ],
)
def test_only_a_confirmed_perch_that_still_pays_is_held(
    on: bool, p_mode: str, p_hold: float, pays: bool, held: bool
) -> None:
    got = checked_hold(on=on, p_mode=p_mode, p_hold=p_hold, trial_seconds=TRIAL, pays=pays)
    assert got is held


# a rival back in stock at 100; the slow count of rivals out at 0.2 (< perch_out_share / 2)
SNAP = snap(offers=[XS], book=[rival("a", 100)], own_orders=[own("o", 1_584, 5)])


def back_state(**fields: Any) -> dict[str, Any]:
    """Guard 5 perched at 1,584 with 20 sales there in 10 h (against the market-led mode's 30
    at 99 in 10 h: perch_state), rivals out of stock only 20 % of the time lately."""
    return perch_state(
        rivals_out=0.2,
        **{"p_price": 1_584, "perched": True, "perch_ev": [20 * 1_584.0, 20.0, 36_000.0], **fields},
    )


def held_then_ended(state: dict[str, Any], on: dict[str, Any], off: dict[str, Any]) -> None:
    """On this scene, the perch in ``state`` is held at 1,584 with the ``on`` params; with the
    ``off`` ones the rivals' return ends it in one jump and the next trial waits (item 80)."""
    quotes, new = decide(SNAP, state, on)
    m = memory(new)
    assert (m.p_mode, m.p_price, m.perched) == ("perch", 1_584, True)
    assert quotes[0].price >= 1_584 and "perch 1584" in quotes[0].reason
    quotes, new = decide(SNAP, state, off)
    m = memory(new)
    assert (m.p_mode, m.p_next, m.perched) == ("market", NOW + 600, False)
    assert quotes[0].price == 99 and quotes[0].jump


ON = {**PERCH, "perch_return_checked": True}
OFF = {**PERCH, "perch_return_checked": False}


def test_a_confirmed_paying_perch_is_held_when_a_rival_is_back_in_stock() -> None:
    # off (main b59ba91): the return ends it in one jump, the next trial waits
    held_then_ended(back_state(p_mode="perch", p_since=NOW - 60, p_hold=4 * TRIAL), ON, OFF)


def test_on_by_default() -> None:
    """On since session 24 (design block, old validation and held-out 8000-8051 none down)."""
    state = back_state(p_mode="perch", p_since=NOW - 60, p_hold=4 * TRIAL)
    assert memory(decide(SNAP, state, PERCH)[1]).p_mode == "perch"
    assert memory(decide(SNAP, state, OFF)[1]).p_mode == "market"


def test_a_perch_no_check_confirmed_ends_at_the_return() -> None:
    """Committed on its trial's evidence only (item 68, removed, held it: design 1005, 1020)."""
    state = back_state(p_mode="perch", p_since=NOW - 60, p_hold=2 * TRIAL)
    m = memory(decide(SNAP, state, ON)[1])
    assert (m.p_mode, m.p_next, m.perched) == ("market", NOW + 600, False)


def test_a_settled_trial_ends_at_the_return() -> None:
    sold = back_state(p_mode="trial", p_since=NOW - 600, p_settled=True, p_hold=4 * TRIAL)
    m = memory(decide(SNAP, sold, ON)[1])
    assert m.p_mode == "market" and not m.perched


def test_a_confirmed_perch_that_no_longer_pays_ends_at_the_return() -> None:
    """One sale at the perch in 10 h: its lower bound under the market-led mode's 0.08 nRLC/s."""
    weak = back_state(
        p_mode="perch", p_since=NOW - 60, p_hold=4 * TRIAL, perch_ev=[1_584.0, 1.0, 36_000.0]
    )
    m = memory(decide(SNAP, weak, ON)[1])
    assert (m.p_mode, m.p_next, m.perched) == ("market", NOW + 600, False)


@pytest.mark.parametrize(
    ("perch_ev", "z", "pays"),
    [
        ([20 * 1_584.0, 20.0, 36_000.0], 1.0, True),  # 0.66 nRLC/s against the market's 0.08
        ([1_584.0, 1.0, 36_000.0], 1.0, False),  # one sale: the bound is 0
        ([1_584.0, 1.0, 36_000.0], 0.0, False),  # its mean, 0.044 < 0.0825
        ([4 * 1_584.0, 4.0, 36_000.0], 0.0, True),  # mean 0.176
        ([4 * 1_584.0, 4.0, 36_000.0], 1.0, True),  # bound 0.088
        ([4 * 1_584.0, 4.0, 36_000.0], 2.0, False),  # bound 0
        ([0.0, 0.0, 36_000.0], 0.0, False),  # nothing sold at the perch
    ],
)
def test_return_pays_against_the_market_led_mean(
    perch_ev: list[float], z: float, pays: bool
) -> None:
    market = [30 * 99.0, 30.0, 36_000.0]  # 0.0825 nRLC/s
    assert return_pays(perch_ev, market, z) is pays


def test_return_pays_without_market_led_time_is_any_sale() -> None:
    assert return_pays([1_584.0, 1.0, 600.0], [0.0, 0.0, 0.0], 0.0)
    assert not return_pays([0.0, 0.0, 600.0], [0.0, 0.0, 0.0], 0.0)
