"""A perch trial's unsold level brought down to the top tier our buyers stated
(strategies/robust_tierstart.py, ``perch_tier_tasks``, robust item 50): the pure rule, and on
crafted snapshots a trial that opens at the tier with the key and at the rails' top without."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from strategies.robust_tierstart import tier_level
from tests.support.factories import NOW, deal, own, snap, util
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state

START = NOW - 43_200.0


def rows(*buyers: tuple[float, int, int]) -> list[list[float]]:
    """``[at, cap, tasks, named]`` rows as ``robust_caps.remember`` keeps them."""
    return [[at, float(cap), float(n), 0.0] for at, cap, n in buyers]


TIERS = rows((NOW - 100, 5_000, 2), (NOW - 90, 5_000, 1), (NOW - 80, 900, 4), (NOW - 70, 200, 9))


@pytest.mark.parametrize(
    ("buyers", "level", "rung", "tier", "want"),
    [
        (TIERS, 99_000, 400, 3, 5_000),  # the highest cap a tier stated, not the best-earning
        (TIERS, 99_000, 400, 4, 900),  # 5,000 stated by 3 tasks: not a tier of 4
        (TIERS, 99_000, 400, 10, 99_000),  # no tier: the descent as in main
        (TIERS, 4_000, 400, 3, 4_000),  # under the top tier: it still reaches its buyers
        (TIERS, 800, 400, 3, 800),  # every tier at or above the level: unchanged
        (TIERS, 99_000, 1_000, 4, 99_000),  # the only tier (900) under the lowest rung
        (TIERS, 99_000, 900, 4, 900),  # a tier at the rung itself is a perch
        (TIERS, 99_000, 400, 0, 99_000),  # off
        (rows((START - 1, 5_000, 3)), 99_000, 400, 3, 99_000),  # older than the window
        ([], 99_000, 400, 3, 99_000),
    ],
)
def test_the_level_comes_down_to_the_highest_tier_over_the_rung(
    buyers: list[list[float]], level: int, rung: int, tier: int, want: int
) -> None:
    assert tier_level(buyers, level, rung, tier=tier, start=START) == want


def tier_state(**fields: Any) -> dict[str, Any]:
    """Guard 5's gate open (rivals out 90 %), the wait over, and our buyers of the last hours:
    three tasks stated 5,000 (the top tier), nine 200 (the market's)."""
    return perch_state(c_buyers=rows((NOW - 900, 5_000, 3), (NOW - 800, 200, 9)), **fields)


SNAP = snap(offers=[XS], book=[], own_orders=[own("o", 99, 5)], utilization=util(10, 0))


def test_a_trial_opens_at_the_top_tier_with_the_key_and_at_the_top_without() -> None:
    quotes, new = decide(SNAP, tier_state(), {**PERCH, "perch_tier_tasks": 3})
    m = memory(new)
    assert (m.p_mode, m.p_price, m.p_settled) == ("trial", 5_000, False)
    assert quotes[0].price == 5_000 and quotes[0].jump
    # off (the default; main 4bf24e6): from the market-led 99 x perch_multiple
    quotes, new = decide(SNAP, tier_state(), PERCH)
    assert (memory(new).p_mode, memory(new).p_price) == ("trial", 99_000)


def test_the_buyers_are_remembered_only_with_the_key() -> None:
    """A deal of ours since the last decision (its buyer stated 7,000) joins the remembered rows
    with the key; off (item 40's ``caps_window_seconds`` and item 51's ``tier_open_multiple``,
    on by default since session 17, off too) nothing is read, as in main."""
    sold = replace(deal("d", 99, ago=30.0), request_maxprice=7_000)
    s = snap(
        offers=[XS], book=[], own_orders=[own("o", 99, 5)], deals=[sold], utilization=util(10, 0)
    )
    on = memory(decide(s, tier_state(), {**PERCH, "perch_tier_tasks": 3})[1])
    assert [r[1] for r in on.c_buyers] == [5_000.0, 200.0, 7_000.0]
    off = memory(decide(s, tier_state(), {**PERCH, "tier_open_multiple": 0.0})[1])
    assert [r[1] for r in off.c_buyers] == [5_000.0, 200.0]


def test_a_trial_that_sold_is_left_to_the_refine() -> None:
    """A settled trial's price is item 43's and the refine's to move, not this rule's."""
    state = tier_state(p_mode="trial", p_since=NOW - 60, p_price=20_000, p_settled=True)
    m = memory(decide(SNAP, state, {**PERCH, "perch_tier_tasks": 3})[1])
    assert m.p_price != 5_000
