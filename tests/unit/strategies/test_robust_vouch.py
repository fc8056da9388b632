"""``robust``'s perch trial started where its own buyers' caps vouch for a price
(strategies/robust_vouch.py, ``trial_caps_tasks``, robust item 48): the pure rule, and on crafted
snapshots a trial the gate opens starting at the vouched cap, paced there, and the key off
starting at the rails' top as in main."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot.domain.model import Deal
from strategies.robust_caps import Buyer
from strategies.robust_vouch import vouched_bound, vouched_price
from tests.support.factories import NOW, deal, own, snap, util
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state


def b(cap: int, tasks: int = 1) -> Buyer:
    return Buyer(NOW - 60, cap, tasks, False)


@pytest.mark.parametrize(
    ("buyers", "tier", "price"),
    [
        ([b(2_000), b(2_000), b(150)], 2, 2_000),
        ([b(2_000), b(150), b(150)], 2, 0),  # one buyer at 2,000; 150 is under the floor
        ([b(2_000, 2)], 2, 2_000),  # tasks, not buyers, are counted
        ([b(2_000), b(2_000), b(700), b(700)], 2, 2_000),  # the highest tier
        ([b(2_000), b(2_000), b(700), b(700), b(700)], 3, 0),  # the highest cap, or none
        ([b(2_000), b(700), b(700)], 2, 0),  # a tier under a cap one buyer stated: none
        ([b(99_000), b(99_000), b(700), b(700)], 2, 700),  # at the top: no better than it
        ([b(400), b(400)], 2, 400),  # at the floor counts
        ([b(2_000), b(2_000)], 0, 0),  # off
        ([], 2, 0),
    ],
)
def test_the_highest_cap_stated_by_tier_tasks_between_floor_and_top(
    buyers: list[Buyer], tier: int, price: int
) -> None:
    assert vouched_price(buyers, 400, 99_000, tier) == price


def capped(label: str, cap: int, ago: float = 600.0) -> Deal:
    """One task of ours sold at the market-led 99 to a buyer who stated ``cap``."""
    return dataclasses.replace(deal(label, 99, ago=ago), request_maxprice=cap)


# one buyer of the last hour stated 2,000: no tier, item 48 needs 2 tasks
ONE_BUYER = snap(
    offers=[XS],
    book=[],
    own_orders=[own("o", 99, 5)],
    deals=[capped("d1", 2_000)],
    utilization=util(10, 0),
)


VOUCH = {**PERCH, "trial_caps_tasks": 2}


def test_a_trial_the_gate_opens_starts_at_the_cap_our_buyers_vouch_for() -> None:
    """Rivals out 90 % of the time, the wait over (``perch_state``); two of our buyers of the
    last hour stated 2,000 (the floor is 4 x 99): the trial starts there, not at the top."""
    s = snap(
        offers=[XS],
        book=[],
        own_orders=[own("o", 99, 5)],
        deals=[capped("d1", 2_000), capped("d2", 2_000, 1200.0), capped("d3", 150)],
        utilization=util(10, 0),
    )
    quotes, new = decide(s, perch_state(), VOUCH)
    m = memory(new)
    # the book's own count is under the gate: a read trial (item 41), its two prices counted
    assert (m.p_mode, m.p_price, m.v_price, m.p_left) == ("trial", 2_000, 2_000, 2)
    assert quotes[0].price == 2_000 and quotes[0].jump
    # off (main 4bf24e6): the rails' top, the vouched price unset
    quotes, new = decide(s, perch_state(), {**PERCH, "trial_caps_tasks": 0})
    m = memory(new)
    assert (m.p_mode, m.p_price, m.v_price) == ("trial", 99_000, 0)
    # one buyer at 2,000 is no tier: the top, as off
    _, new = decide(ONE_BUYER, perch_state(), VOUCH)
    assert (memory(new).p_price, memory(new).v_price) == (99_000, 0)


def vouched_trial(**fields: Any) -> dict[str, Any]:
    return perch_state(p_mode="trial", p_since=NOW - 4000, p_price=2_000, perched=True, **fields)


def test_the_vouched_level_waits_as_long_as_a_known_perch() -> None:
    """Unsold for 4,000 s: an unknown level's step is the time the market-led price took to
    sell 3 tasks (3,600 s), so it is halved; the vouched level waits until the market-led mode
    would have earned one sale of it (2,000 x 36,000 / 2,970 s, capped at a quarter of the
    6 h trial: 5,400 s), so it is held."""
    s = snap(offers=[XS], book=[], own_orders=[own("o", 2_000, 5)], utilization=util(10, 0))
    params = {**VOUCH, "perch_trial_seconds": 21600.0}
    _, new = decide(s, vouched_trial(v_price=2_000), params)
    assert (memory(new).p_mode, memory(new).p_price) == ("trial", 2_000)
    _, new = decide(s, vouched_trial(), params)
    assert (memory(new).p_mode, memory(new).p_price) == ("trial", 1_000)


def test_a_read_trial_at_its_vouched_level_is_not_ended_by_the_read_budget() -> None:
    """A read trial (2 prices left) listed at its vouched level for longer than the read budget
    (1,800 s): it waits its pace; at a level nobody vouched for, the budget ends it (item 41)."""
    s = snap(offers=[XS], book=[], own_orders=[own("o", 2_000, 5)], utilization=util(10, 0))
    params = {**VOUCH, "perch_trial_seconds": 21600.0}
    late = {"p_left": 2, "p_read_at": NOW - 4000, "p_book": 0.0}
    _, new = decide(s, vouched_trial(v_price=2_000, **late), params)
    m = memory(new)
    assert (m.p_mode, m.p_price, m.p_left) == ("trial", 2_000, 2)
    assert m.p_read_at == NOW  # the budget starts at the level under it
    _, new = decide(s, vouched_trial(**late), params)
    assert memory(new).p_mode == "market" and memory(new).d_off


@pytest.mark.parametrize(
    ("buyers", "price", "vouched", "hi", "bound"),
    [
        ([b(2_000), b(2_000)], 2_000, 2_000, 4_000, 2_001),  # the vouched level: bounded at +1
        ([b(2_000)], 2_000, 2_000, 0, 2_001),  # no bound yet: one
        ([b(2_000), b(3_000)], 2_000, 2_000, 4_000, 4_000),  # a buyer stated more: as it was
        ([b(2_000), b(3_000)], 2_000, 2_000, 2_001, 0),  # ... and the rule's own bound lifts
        ([b(2_000)], 2_400, 2_000, 3_000, 3_000),  # the perch moved off its vouched level
        ([b(2_000)], 2_000, 0, 4_000, 4_000),  # nothing vouched
    ],
)
def test_a_vouched_level_bounds_the_refine_one_above_itself(
    buyers: list[Buyer], price: int, vouched: int, hi: int, bound: int
) -> None:
    assert vouched_bound(buyers, price, vouched, hi) == bound


def sold_at(price: int, cap: int, label: str = "s1") -> Deal:
    """One task of ours sold at ``price`` a minute ago to a buyer who stated ``cap``."""
    return dataclasses.replace(deal(label, price, ago=60.0), request_maxprice=cap)


def test_a_vouched_trial_that_sells_at_once_takes_itself_as_the_refines_bound() -> None:
    """A trial at its vouched 2,000 sells at once: with ``vouch_bound`` the refine's bound is
    2,001, carrying the perch's evidence (no probe above the tier); off (main 394dbe7), item
    29's level above it with no evidence (2,000 / 0.5); a buyer who stated 3,000 leaves it so."""
    s = snap(
        offers=[XS],
        book=[],
        own_orders=[own("o", 2_000, 5)],
        deals=[sold_at(2_000, 2_000)],
        utilization=util(10, 0),
    )
    state = perch_state(
        p_mode="trial", p_since=NOW - 600, p_price=2_000, perched=True, v_price=2_000
    )
    _, new = decide(s, state, {**VOUCH, "vouch_bound": True})
    m = memory(new)
    assert (m.p_mode, m.p_settled, m.p_price, m.r_hi) == ("trial", True, 2_000, 2_001)
    assert m.r_w == m.perch_ev[2] > 0
    _, new = decide(s, state, {**VOUCH, "vouch_bound": False})
    m = memory(new)
    assert (m.p_settled, m.r_hi, m.r_w) == (True, 4_000, 0.0)
    more = dataclasses.replace(s, deals=(sold_at(2_000, 2_000), sold_at(2_000, 3_000, "s2")))
    _, new = decide(more, state, {**VOUCH, "vouch_bound": True})
    assert memory(new).r_hi == 4_000
