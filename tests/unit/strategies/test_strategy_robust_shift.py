"""robust's committed perch (strategies/robust_shift.py): when it is checked against the
market-led price again."""

from __future__ import annotations

from typing import Any

import pytest

from bot.pricing.snapshot import MarketSnapshot
from strategies.robust_shift import check_due
from tests.support.factories import NOW, own, snap, util
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state

# a perch at 1,584 that sold 9 tasks in an hour: far above the market-led 99's 30 tasks in 10 h
PAYS = [9 * 1_584.0, 9.0, 3600.0]


def held_perch(tasks: int = 5, **fields: Any) -> tuple[MarketSnapshot, dict[str, Any]]:
    """The scene a perch's renewal is read on (items 29, 86 reuse it): a perch at 1,584
    committed 2 h ago whose ``p_hold`` (1 h) ran out, on an idle pool, our order listing
    ``tasks``; ``fields`` override the state's."""
    state = perch_state(
        **{
            "p_mode": "perch",
            "p_since": NOW - 7200,
            "p_hold": 3600.0,
            "p_price": 1_584,
            "perched": True,
            "perch_ev": PAYS,
            "shift_base": 99,
            **fields,
        }
    )
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, tasks)], utilization=util(10, 0))
    return s, state


def test_a_check_is_due_only_on_a_sign_of_a_shift() -> None:
    assert not check_due(leads=True, base=99, base_at_commit=99, margin=2.0)
    assert check_due(leads=False, base=99, base_at_commit=99, margin=2.0)  # the perch fell
    assert check_due(leads=True, base=199, base_at_commit=99, margin=2.0)  # the market rose
    assert check_due(leads=True, base=99, base_at_commit=0, margin=2.0)  # unknown commit
    assert check_due(leads=True, base=99, base_at_commit=99, margin=0.0)  # off


@pytest.mark.parametrize(
    ("margin", "shift_base", "mode"),
    [(2.0, 99, "perch"), (0.0, 99, "check"), (40.0, 99, "check"), (2.0, 40, "check")],
)
def test_a_perch_that_still_pays_is_held_on_without_a_check(
    margin: float, shift_base: int, mode: str
) -> None:
    """Held ``p_hold``, a perch earning well over ``check_margin`` x the market-led mode (about
    30 x here) is held on; a check runs when it does not lead by the margin, when the market-led
    price (99) rose by it since the commit, or when the rule is off."""
    s, state = held_perch(shift_base=shift_base)
    quotes, new = decide(s, state, {**PERCH, "check_margin": margin})
    m = memory(new)
    assert m.p_mode == mode
    if mode == "perch":
        assert (m.p_since, quotes[0].price) == (NOW, 1_584)
