"""A guard-5 level judged at what a thin tier of our buyers is worth there (strategies/
robust_worth.py, ``tier_worth_tasks``, robust item 70): the pure rule, and in robust an unsold
level waiting past its pace and through the rivals' return, a settled level or a perch kept
through the return, each with the key on and judged as before with it off, no tier, a tier worth
less than the market-led rate or its tasks due."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_caps import Buyer
from strategies.robust_worth import market_rate, worth_holds, worth_rate
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_tierends import before, tier, unsold
from tests.unit.strategies.test_robust_tieropen import ON, decides


def test_market_rate() -> None:
    assert market_rate([3_600.0, 10.0, 36.0]) == 100.0
    assert market_rate([0.0, 0.0, 0.0]) is None  # no market-led time: nothing to compare with


@pytest.mark.parametrize(
    ("buyers", "level", "out", "worth"),
    [
        # 10 tier tasks over 10 h, the rivals out half the time, at 5,000: 1.389 nRLC a second
        (tier(10), 5_000, 0.5, 10 / 36_000 * 0.5 * 5_000),
        (tier(10), 5_000, 0.0, 0.0),  # the rivals never out: the tier never buys above them
        (tier(10), 5_001, 0.5, None),  # none of them would pay the level (150s are no tier)
        (tier(10, cap=9_000), 5_000, 0.5, 10 / 36_000 * 0.5 * 5_000),  # a cap above pays it
        (tier(1), 5_000, 0.5, None),  # one buyer's cap is that buyer, not a rate
        (tier(10), 0, 0.5, None),  # no level
        ([], 5_000, 0.5, None),  # no buyer before the level
    ],
)
def test_worth_rate(buyers: list[Buyer], level: int, out: float, worth: float | None) -> None:
    got = worth_rate(buyers, level, NOW - 3_600, out)
    assert got == pytest.approx(worth) if worth is not None else got is None


@pytest.mark.parametrize(
    ("buyers", "out", "market", "least", "holds"),
    [
        (tier(10), 0.5, 0.5, 2.0, True),  # worth 0.69 a second > 0.5; 0.5 due in the hour
        (tier(10), 0.5, 0.7, 2.0, False),  # the market-led price earns more: judged as before
        (tier(10), 0.5, None, 2.0, False),  # no market-led rate to compare with
        (tier(39), 0.5, 0.5, 2.0, True),  # 1.95 due: under 2, it waits
        (tier(40), 0.5, 0.5, 2.0, False),  # 2 due while the rivals were out, none came
        (tier(40), 0.25, 0.5, 2.0, True),  # rivals out a quarter of the time: 1 due
        (tier(1), 0.5, 0.0, 2.0, False),  # no tier
        (tier(10), 0.5, 0.5, 0.0, False),  # off
    ],
)
def test_worth_holds(
    buyers: list[Buyer], out: float, market: float | None, least: float, holds: bool
) -> None:
    assert (
        worth_holds(buyers, 5_000, NOW - 3_600, NOW, out=out, market=market, least=least) is holds
    )


def test_worth_holds_counts_only_the_buyers_before_the_level() -> None:
    """Buyers after the level was listed are the level's own evidence, not the tier's rate."""
    late = [Buyer(NOW - 60, 5_000, 50, False)]
    assert not worth_holds(tier(1) + late, 5_000, NOW - 3_600, NOW, out=0.5, market=0.0, least=2)


ON70 = {**ON, "tier_worth_tasks": 2.0}
SLOW = [300.0, 30.0, 36_000.0]  # the market-led mode: 30 tasks at 10 in 10 h, 0.0083 a second
RICH = [1.0e9, 30.0, 36_000.0]  # the market-led mode earning more than any tier here


def held(**fields: Any) -> dict[str, Any]:
    """An unsold trial at 5,000 for 2 h, its market-led pace long over, not opened by the tier
    (item 57 does not end it), the rivals out 0.9 of the time, the market-led mode earning
    little."""
    return unsold(**{"t_open": False, "market_ev": SLOW, **fields})


def test_robust_holds_a_level_its_tier_makes_worth_more() -> None:
    """Four tier buyers in the 400 minutes before the level, the rivals out 0.89 of the time:
    worth 4 / 24,000 x 0.89 x 5,000 = 0.74 a second against the market-led 0.0083, 1.07 of
    the tier's tasks due in the 2 h unsold: it waits with the key on; with it off (main) it is
    halved at its market-led pace."""
    m = decides(ON70, before(4), **held())
    assert (m.p_mode, m.p_price) == ("trial", 5_000)
    m = decides(ON, before(4), **held())
    assert (m.p_mode, m.p_price) == ("trial", 2_500)
    # eight tier buyers: 2.14 due while the rivals were out, none came: halved as before
    m = decides(ON70, before(8), **held())
    assert (m.p_mode, m.p_price) == ("trial", 2_500)
    # no buyer stated the level: its market-led pace, as before
    m = decides(ON70, before(0), **held())
    assert (m.p_mode, m.p_price) == ("trial", 2_500)
    # the market-led mode earns more a second than the tier would: as before
    m = decides(ON70, before(4), **held(market_ev=RICH))
    assert (m.p_mode, m.p_price) == ("trial", 2_500)


def test_robust_holds_the_level_through_the_rivals_return() -> None:
    """The rivals back in stock (the count 0.2, under half the gate): the level still waits
    (worth 0.17 a second, 0.24 due), its buyers come whenever the rivals are out; off, the
    unsold trial is lost as before, and so it is with no tier."""
    m = decides(ON70, before(4), **held(p_out=0.2))
    assert (m.p_mode, m.p_price) == ("trial", 5_000)
    m = decides(ON, before(4), **held(p_out=0.2))
    assert m.p_mode == "market"
    m = decides(ON70, before(0), **held(p_out=0.2))
    assert m.p_mode == "market"


def settled(**fields: Any) -> dict[str, Any]:
    """A trial settled (sold) at 5,000 half an hour ago (its 1 h trial still running), the
    rivals back in stock (the count 0.2, under half the gate), the market-led mode earning
    little."""
    return held(**{"p_settled": True, "p_since": NOW - 1_800, "p_out": 0.2, **fields})


def test_robust_keeps_a_settled_level_or_a_perch_through_the_rivals_return() -> None:
    """Four tier buyers before it (worth 0.13 a second at the count 0.2, 0.05 due in the 30
    min since it settled): kept with the key on, settled trial and committed perch alike; with
    it off (main) the rivals' return ends both (it sold: the usual wait, no back-off)."""
    m = decides(ON70, before(4), **settled())
    assert (m.p_mode, m.p_price, m.p_settled) == ("trial", 5_000, True)
    m = decides(ON, before(4), **settled())
    assert m.p_mode == "market" and m.p_next == NOW + 600.0
    perch = settled(p_mode="perch", p_hold=86_400.0)
    m = decides(ON70, before(4), **perch)
    assert (m.p_mode, m.p_price) == ("perch", 5_000)
    m = decides(ON, before(4), **perch)
    assert m.p_mode == "market"


def test_robust_ends_a_settled_level_whose_tier_is_due_or_worth_less() -> None:
    """The rivals' return ends the settled level as before where the market-led mode earns
    more, where no buyer stated the level, and once the tier's tasks are due: 40 tier buyers
    over 400 minutes, settled 2 h ago with no sale since, 2.4 due at the count 0.2."""
    m = decides(ON70, before(4), **settled(market_ev=RICH))
    assert m.p_mode == "market"
    m = decides(ON70, before(0), **settled())
    assert m.p_mode == "market"
    m = decides(ON70, before(40), **settled(p_since=NOW - 7_200))
    assert m.p_mode == "market" and m.p_next == NOW + 600.0
    # the same with the settling half an hour ago: 0.5 due, kept
    m = decides(ON70, before(40), **settled())
    assert (m.p_mode, m.p_settled) == ("trial", True)
