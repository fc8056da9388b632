"""``robust``'s perch ladder (strategies/robust_ladder.py): the upward refine above a perch that
sells, the check that ends once decided and the perch quote held over its own deals; the pure
helpers, and each rule through ``robust.decide`` against the rule switched off."""

from __future__ import annotations

import dataclasses

import pytest

from strategies.robust_ladder import Probe, check_decided, probe_step
from tests.support.factories import NOW, deal, own, request, snap, util
from tests.unit.strategies.test_strategy_robust import (
    KEY,
    PERCH,
    XS,
    decide,
    memory,
    perch_state,
)

REFINE = {**PERCH, "perch_refine": 1.1}


def test_a_probe_starts_at_the_geometric_mean_of_sold_and_unsold() -> None:
    p = probe_step(Probe(100, 0, 400), now=5.0, sold_at_price=False, wait=60.0, ratio=1.1)
    assert p == Probe(200, 100, 400, 5.0)


def test_a_probe_that_sells_becomes_the_perch_and_one_unsold_becomes_the_upper_bound() -> None:
    probe = Probe(200, 100, 400, 5.0)
    assert probe_step(probe, now=6.0, sold_at_price=True, wait=60.0, ratio=1.1) == Probe(
        200, 0, 400, 6.0
    )
    assert probe_step(probe, now=64.0, sold_at_price=False, wait=60.0, ratio=1.1) == Probe(
        200, 100, 400, 5.0
    )
    assert probe_step(probe, now=65.0, sold_at_price=False, wait=60.0, ratio=1.1) == Probe(
        100, 0, 200, 65.0
    )


@pytest.mark.parametrize("hi", [0, 109, 101])
def test_no_probe_without_an_unsold_bound_far_enough_above(hi: int) -> None:
    probe = Probe(100, 0, hi)
    assert probe_step(probe, now=1.0, sold_at_price=False, wait=60.0, ratio=1.1) == probe


def test_the_bisection_converges_under_a_cap_tier() -> None:
    """Buyers pay up to 336 (a cap tier); the perch sold at 290 with 580 unsold: the probes end
    within 10 % under the tier, never above it."""
    probe, now = Probe(290, 0, 580), 0.0
    for _ in range(20):
        now += 100.0
        probe = probe_step(probe, now=now, sold_at_price=probe.price <= 336, wait=60.0, ratio=1.1)
    assert not probe.lo and probe.price <= 336 < probe.hi <= probe.price * 1.1


def test_a_check_is_decided_only_when_the_bounds_are_apart() -> None:
    perch = [9 * 1_000.0, 9.0, 3600.0]  # lower bound (9 - 3) x 1,000 per hour
    assert check_decided(perch, [5 * 99.0, 5.0, 3600.0], 99, 1.0)
    assert not check_decided(perch, [60 * 99.0, 60.0, 3600.0], 99, 1.0)
    # no market-led sale yet: z**2 tasks at the market-led price, not a rate of zero
    assert check_decided(perch, [0.0, 0.0, 3600.0], 99, 1.0)
    assert not check_decided(perch, [0.0, 0.0, 3600.0], 6_000, 1.0)
    assert not check_decided([0.0, 0.0, 3600.0], [0.0, 0.0, 3600.0], 99, 1.0)


def test_robust_probes_above_a_settled_trial_and_keeps_a_probe_that_sold() -> None:
    """A settled trial at 1,584 (3,168 unsold before it) with 3 sales: the refine quotes the
    geometric mean 2,240 in one jump; a sale there makes it the perch."""
    state = perch_state(
        p_mode="trial",
        p_since=NOW - 600,
        p_price=1_584,
        p_settled=True,
        perched=True,
        perch_ev=[3 * 1_584.0, 3.0, 1800.0],
        r_hi=3_168,
    )
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 4)], utilization=util(10, 0))
    quotes, new = decide(s, state, REFINE)
    m = memory(new)
    assert (m.p_price, m.r_lo, m.r_hi) == (2_240, 1_584, 3_168)
    assert quotes[0].price == 2_240 and quotes[0].jump
    _, off = decide(s, state, {**PERCH, "perch_refine": 0.0})
    assert memory(off).p_price == 1_584
    sold = snap(
        offers=[XS],
        book=[],
        own_orders=[own("o", 2_240, 4)],
        deals=[deal("d", 2_240, 1, ago=10, now=NOW + 60)],
        utilization=util(10, 1),
        at=NOW + 60,
    )
    _, new = decide(sold, new, REFINE)
    m = memory(new)
    assert (m.p_price, m.r_lo, m.r_hi) == (2_240, 0, 3_168)


def test_robust_remembers_the_last_unsold_level_of_a_descent() -> None:
    state = perch_state(p_mode="trial", p_since=NOW - 3600, p_price=3_168, perched=True)
    s = snap(offers=[XS], book=[], own_orders=[own("o", 3_168, 5)], utilization=util(10, 0))
    _, new = decide(s, state, REFINE)
    assert (memory(new).p_price, memory(new).r_hi) == (1_584, 3_168)


def test_a_check_ends_early_once_the_perch_clearly_pays_more() -> None:
    state = perch_state(
        p_mode="check",
        p_since=NOW - 3600,
        p_hold=3600.0,
        p_price=1_584,
        perch_ev=[9 * 1_584.0, 9.0, 3600.0],
    )
    mem = memory(state)
    state["offers"][KEY] = dataclasses.replace(mem, market_ev=[2 * 99.0, 2.0, 3600.0]).to_json()
    s = snap(offers=[XS], book=[], own_orders=[own("o", 99, 5)], utilization=util(10, 0))
    params = {**PERCH, "perch_trial_seconds": 36_000.0}
    quotes, new = decide(s, state, {**params, "check_early_seconds": 0.0})
    assert memory(new).p_mode == "check" and quotes[0].price == 99
    quotes, new = decide(s, state, {**params, "check_early_seconds": 1800.0})
    assert (memory(new).p_mode, memory(new).p_hold) == ("perch", 7200.0)
    assert quotes[0].price == 1_584 and quotes[0].jump


def test_the_perch_is_quoted_over_a_book_price_read_from_its_own_deals() -> None:
    """The perch's own sales and a request waiting at 5,000 pull the base's book price above the
    perch at 1,584: off, that price is quoted; with ``perch_hold_quote`` the perch is."""
    state = perch_state(
        p_mode="perch", p_since=NOW - 60, p_hold=3600.0, p_price=1_584, perched=True
    )
    state["base"]["modes"] = {}
    s = snap(
        offers=[XS],
        book=[],
        requests=[request("r", 5_000)],
        own_orders=[own("o", 1_584, 5)],
        deals=[deal("d", 1_584, 2, ago=600)],
        utilization=util(10, 0),
    )
    quotes, _ = decide(s, state, {**PERCH, "perch_hold_quote": False})
    assert quotes[0].price > 1_584
    quotes, _ = decide(s, state, {**PERCH, "perch_hold_quote": True})
    assert quotes[0].price == 1_584
