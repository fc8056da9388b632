"""A trial level waits for the pace of the tier of our buyers who stated it (strategies/
robust_hold.py ``tier_holds``, ``tier_hold_tasks``, robust item 66): the pure rule, and in robust
the level held past its market-led pace with the key on and halved with it off or no tier."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_caps import Buyer
from strategies.robust_hold import HOLD_LEAST_TASKS, last_sale, settled_holds, tier_holds
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_tierends import before, tier, unsold
from tests.unit.strategies.test_robust_tieropen import ON, decides


@pytest.mark.parametrize(
    ("buyers", "level", "least", "holds"),
    [
        (tier(19), 5_000, 2.0, True),  # 1.9 expected in the hour unsold: under 2, it waits
        (tier(20), 5_000, 2.0, False),  # 2 expected and none came: judged as before
        (tier(3), 5_000, 2.0, True),  # a rare tier: 0.3 expected, it waits
        (tier(1), 5_000, 2.0, False),  # one buyer's cap is that buyer, not a rate
        (tier(19), 5_001, 2.0, False),  # none of them would pay the level
        (tier(19, cap=9_000), 5_000, 2.0, True),  # a cap above the level pays it too
        (tier(19), 5_000, 0.0, False),  # off
        (tier(19), 0, 2.0, False),  # no level
        ([], 5_000, 2.0, False),  # no buyer before the level: no rate
    ],
)
def test_tier_holds(buyers: list[Buyer], level: int, least: float, holds: bool) -> None:
    assert tier_holds(buyers, level, NOW - 3_600, NOW, least) is holds


def test_tier_holds_counts_only_the_buyers_before_the_level() -> None:
    """Buyers after the level was listed are the trial's own evidence, not the tier's rate."""
    late = [Buyer(NOW - 60, 5_000, 50, False)]
    assert not tier_holds(tier(1) + late, 5_000, NOW - 3_600, NOW, 2.0)
    assert HOLD_LEAST_TASKS == 2


def held(**fields: Any) -> dict[str, Any]:
    """An unsold trial at 5,000 for 2 h, its market-led pace long over (item 57's scene), not
    opened by the tier (item 57 does not end it)."""
    return unsold(**{"t_open": False, **fields})


def test_robust_holds_a_level_a_tier_of_our_buyers_stated() -> None:
    """Two tier buyers in the 400 minutes before the level, unsold 2 h: 0.6 expected, so the
    level waits with the key on; it is halved with the key off (main) as at its market-led pace."""
    on = {**ON, "tier_hold_tasks": 2.0}
    m = decides(on, before(2), **held())
    assert (m.p_mode, m.p_price) == ("trial", 5_000)
    m = decides({**ON, "tier_hold_tasks": 0.0}, before(2), **held())
    assert (m.p_mode, m.p_price) == ("trial", 2_500)
    # seven tier buyers: 2.1 expected in the 2 h, none came: it is halved as before
    m = decides(on, before(7), **held())
    assert (m.p_mode, m.p_price) == ("trial", 2_500)
    # no buyer stated the level: its market-led pace, as before
    m = decides(on, before(0), **held())
    assert (m.p_mode, m.p_price) == ("trial", 2_500)


def test_robust_holds_the_level_through_the_rivals_return() -> None:
    """The rivals back in stock (the count under half the gate): the held level still waits, its
    buyers come whenever the rivals are out; off, the unsold trial is lost as before."""
    on = {**ON, "tier_hold_tasks": 2.0}
    m = decides(on, before(2), **held(p_out=0.1))
    assert (m.p_mode, m.p_price) == ("trial", 5_000)
    m = decides({**ON, "tier_hold_tasks": 0.0}, before(2), **held(p_out=0.1))
    assert m.p_mode == "market"
    # the tier's pace over (seven tier buyers, 2.1 expected): lost at the rivals' return
    m = decides(on, before(7), **held(p_out=0.1))
    assert m.p_mode == "market"


def test_robust_leaves_item_51_s_trial_to_item_57() -> None:
    """A trial the tier opened (item 51) is judged at its level by item 57, not held: it descends
    under the tier as without the key (train ``undercut_slow`` 1005, whose descent paid)."""
    on = {**ON, "tier_hold_tasks": 2.0}
    m = decides(on, before(2), **held(t_open=True))
    assert (m.p_mode, m.p_price, m.t_open) == ("trial", 2_500, True)


# item 67: a trial settled at a tier's level, kept through the rivals' return


def test_last_sale_is_the_latest_tier_buyer_since_the_trial_settled() -> None:
    """Our buyers since the trial settled are its own sales; one under the level (a buyer of
    another price) and one before the settling do not count."""
    rows = [
        Buyer(NOW - 9_000, 5_000, 1, False),
        Buyer(NOW - 1_200, 5_000, 1, False),
        Buyer(NOW - 600, 150, 1, False),
    ]
    assert last_sale(rows, 5_000, NOW - 3_600) == NOW - 1_200
    assert last_sale(rows, 5_000, NOW - 1_000) == NOW - 1_000  # none since: the settling


@pytest.mark.parametrize(
    ("buyers", "least", "holds"),
    [
        (tier(19), 2.0, True),  # 1.9 due since it settled: kept
        (tier(20), 2.0, False),  # 2 due, none came: the rivals' return ends it
        (tier(1), 2.0, False),  # one buyer is not a rate
        (tier(19), 0.0, False),  # off
        # a sale 10 minutes ago restarts the count: 20 x 600 s over 10 h is far under 2
        ([*tier(20), Buyer(NOW - 600, 5_000, 1, False)], 2.0, True),
    ],
)
def test_settled_holds(buyers: list[Buyer], least: float, holds: bool) -> None:
    assert settled_holds(buyers, 5_000, NOW - 3_600, NOW, least) is holds


def settled(**fields: Any) -> dict[str, Any]:
    """A trial settled (sold) at 5,000 half an hour ago (its 1 h trial still running), the
    level held by item 66 before it sold, the rivals back in stock (the count under half the
    gate), not opened by the tier."""
    return unsold(
        **{
            "t_open": False,
            "p_settled": True,
            "p_since": NOW - 1_800,
            "p_out": 0.1,
            "h_held": True,
            **fields,
        }
    )


def test_robust_keeps_a_settled_tier_level_through_the_rivals_return() -> None:
    """Two tier buyers in the 400 minutes before it, settled 30 min ago: 0.1 due, so the trial is
    kept with the key on; with it off (main, item 66 alone) the rivals' return ends it."""
    on = {**ON, "tier_hold_tasks": 2.0, "tier_settled_tasks": 2.0}
    m = decides(on, before(2), **settled())
    assert (m.p_mode, m.p_price, m.p_settled) == ("trial", 5_000, True)
    m = decides({**on, "tier_settled_tasks": 0.0}, before(2), **settled())
    assert m.p_mode == "market" and m.p_next == NOW + 600.0  # perch_wait_seconds, no back-off
    # 40 tier buyers in 8.2 h: 2.4 due in the 30 min, none came: ended as before (it sold: no
    # lost trial's back-off)
    m = decides(on, before(40), **settled())
    assert m.p_mode == "market" and m.p_next == NOW + 600.0
    # no buyer of ours stated the level: ended as before
    m = decides(on, before(0), **settled())
    assert m.p_mode == "market"


def test_robust_keeps_only_a_settled_trial() -> None:
    """A committed perch is ended by the rivals' return as before (its rejoin brings it back),
    and the rivals still in stock leave a settled trial to its usual judgement."""
    on = {**ON, "tier_hold_tasks": 2.0, "tier_settled_tasks": 2.0}
    m = decides(on, before(2), **settled(p_mode="perch", p_hold=86_400.0))
    assert m.p_mode == "market"
    m = decides(on, before(2), **settled(p_out=0.9))
    assert (m.p_mode, m.p_price) == ("trial", 5_000)


def test_robust_keeps_only_a_level_item_66_held() -> None:
    """A level that sold within its market-led pace (never held for its tier) is ended by the
    rivals' return as before (train ``undercut_slow`` 1005: x 0.78 when such a trial was kept)."""
    on = {**ON, "tier_hold_tasks": 2.0, "tier_settled_tasks": 2.0}
    m = decides(on, before(2), **settled(h_held=False))
    assert m.p_mode == "market"


def test_robust_marks_the_level_item_66_holds() -> None:
    """The hold marks its level (``h_held``), through the rivals' return too; the level halved
    under it is not marked."""
    on = {**ON, "tier_hold_tasks": 2.0, "tier_settled_tasks": 2.0}
    m = decides(on, before(2), **held())
    assert (m.p_price, m.h_held) == (5_000, True)
    m = decides(on, before(2), **held(p_out=0.1))
    assert (m.p_price, m.h_held) == (5_000, True)
    m = decides(on, before(7), **held(h_held=True))
    assert (m.p_price, m.h_held) == (2_500, False)
