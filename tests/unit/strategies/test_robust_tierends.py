"""An unsold trial our buyers' top tier opened ends at its level where the tier's own rate says
its buyers came (strategies/robust_tieropen.py ``tier_ends``, ``tier_open_ends``, robust item
57): the pure rule, and in robust the trial lost at its level with the key on and descending
under it with the key off or a tier too thin."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_caps import Buyer
from strategies.robust_tieropen import tier_ends
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_tieropen import ON, decides


def tier(n: int, cap: int = 5_000) -> list[Buyer]:
    """``n`` tier buyers of one task at ``cap`` and 10 buyers at 150, spread over the 10 h before
    NOW - 3,600 (the trial's level since then)."""
    start = NOW - 3_600 - 36_000
    top = [Buyer(start + 36_000 * i / n, cap, 1, False) for i in range(n)]
    low = [Buyer(start + 3_600 * i + 1, 150, 1, False) for i in range(10)]
    return sorted(top + low, key=lambda x: x.at)


@pytest.mark.parametrize(
    ("buyers", "level", "least", "ends"),
    [
        (tier(20), 5_000, 2.0, True),  # 20 in 10 h: 2 in the hour unsold
        (tier(19), 5_000, 2.0, False),  # 1.9: a thin tier's silence says little
        (tier(20), 5_001, 2.0, False),  # none of them would pay the level
        (tier(20, cap=9_000), 5_000, 2.0, True),  # a cap above the level pays it too
        (tier(20), 5_000, 0.0, False),  # off
        (tier(20), 0, 2.0, False),  # no level
        ([], 5_000, 2.0, False),  # no buyer before the level: no rate
    ],
)
def test_tier_ends(buyers: list[Buyer], level: int, least: float, ends: bool) -> None:
    assert tier_ends(buyers, level, NOW - 3_600, NOW, least) is ends


def test_tier_ends_counts_only_the_buyers_before_the_level() -> None:
    """Buyers after the level was listed are the trial's own evidence, not the tier's rate."""
    late = [Buyer(NOW - 60, 5_000, 50, False)]
    assert not tier_ends(tier(10) + late, 5_000, NOW - 3_600, NOW, 2.0)
    assert not tier_ends(tier(20), 5_000, NOW, NOW, 2.0)  # no time unsold yet


def unsold(**fields: Any) -> dict[str, Any]:
    """A trial the tier opened at 5,000, unsold for 2 h (its pace long over), the rivals' count
    still over the gate (no loss by their return)."""
    return {
        "p_mode": "trial",
        "p_since": NOW - 7_200,
        "p_price": 5_000,
        "v_price": 5_000,
        "t_open": True,
        "p_out": 0.9,
        **fields,
    }


def before(top: int) -> list[list[float]]:
    """40 buyers, one every 600 s in the 400 minutes before the trial's level, ``top`` of them
    at 5,000: ``top`` x 0.3 of them in its 2 h unsold."""
    return [[NOW - 31_200 + 600.0 * i, 5_000.0 if i < top else 150.0, 1.0, 0.0] for i in range(40)]


def test_robust_ends_the_tier_s_unsold_trial_at_its_level() -> None:
    """Eight tier buyers in the 400 minutes before it, the level unsold 2 h: 2.4 expected, none
    came."""
    on = {**ON, "tier_open_ends": 2.0}
    m = decides(on, before(8), **unsold())
    assert (m.p_mode, m.t_open, m.t_lost) == ("market", False, True)
    assert m.p_next is not None and m.p_next > NOW  # a lost trial's back-off
    # off (main): the trial descends under the tier, still the tier's
    m = decides({**ON, "tier_open_ends": 0.0}, before(8), **unsold())
    assert (m.p_mode, m.p_price, m.t_open, m.t_lost) == ("trial", 2_500, True, False)
    # a tier of six tasks: 1.8 expected, under the 2 asked; it descends
    m = decides(on, before(6), **unsold())
    assert (m.p_mode, m.p_price, m.t_lost) == ("trial", 2_500, False)


def test_robust_leaves_other_trials_to_their_descent() -> None:
    """Only the tier's own trial, and only at its level: a trial item 48 vouched for (not opened
    by the tier) and the tier's trial already under its level descend as without the key."""
    on = {**ON, "tier_open_ends": 2.0}
    m = decides(on, before(8), **unsold(t_open=False))
    assert (m.p_mode, m.p_price, m.t_lost) == ("trial", 2_500, False)
    m = decides(on, before(8), **unsold(p_price=4_000))
    assert (m.p_mode, m.p_price, m.t_lost) == ("trial", 2_000, False)
    # within its pace the level waits
    m = decides(on, before(8), **unsold(p_since=NOW - 60))
    assert (m.p_mode, m.p_price, m.t_open) == ("trial", 5_000, True)
