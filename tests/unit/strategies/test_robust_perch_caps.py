"""Where a perch sits, read from its buyers' caps (strategies/robust_caps.py's
``perch_at_caps``, robust item 43, ``perch_caps_tasks``): the pure rule, and robust with it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.model import Deal
from strategies.robust_caps import Buyer, perch_at_caps
from tests.support.factories import NOW, deal, own, snap, util
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state

T0 = 1_000.0


def tier(n: int, cap: int, volume: int = 1) -> list[Buyer]:
    """``n`` buyers of ``cap``, one a minute from T0."""
    return [Buyer(T0 + 60.0 * i, cap, volume) for i in range(n)]


def test_a_tier_above_the_perch_raises_it_and_bounds_the_refine_just_above() -> None:
    """Train 1404: every buyer above the rivals stated 272 (M nRLC); the perch held 253.1 under
    an unsold bound of 280: the perch moves to 272 and the bound to 273 (nobody stated more)."""
    assert perch_at_caps(tier(5, 272), 253, 280, 3) == (272, 273)
    # the buyers under the perch (the market-led price's) are no evidence either way
    assert perch_at_caps(tier(9, 27) + tier(5, 272), 253, 280, 3) == (272, 273)


def test_an_unsold_bound_under_the_tier_gives_way_to_the_caps() -> None:
    """Train 1404: 264.3 went unsold for 51 minutes (no tier buyer came), under the 272 tier."""
    assert perch_at_caps(tier(5, 272), 253, 264, 3) == (272, 273)
    # with one buyer stating more, no bound above the tier is known: the refine rests
    assert perch_at_caps([*tier(5, 272), Buyer(T0, 5_000, 1)], 253, 264, 3) == (272, 0)


def test_a_buyer_above_the_tier_leaves_the_refine_s_bound_above_it() -> None:
    got = perch_at_caps([*tier(5, 272), Buyer(T0, 5_000, 1)], 253, 300, 3)
    assert got == (272, 300)


def test_fewer_tasks_than_a_tier_move_nothing() -> None:
    assert perch_at_caps(tier(2, 272), 253, 280, 3) == (253, 280)
    assert perch_at_caps(tier(1, 272, volume=2), 253, 280, 3) == (253, 280)
    assert perch_at_caps(tier(1, 272, volume=3), 253, 280, 3) == (272, 273)


def test_caps_each_a_single_buyer_never_ratchet_the_perch() -> None:
    """A spread of caps (takers) above the perch: no cap is a tier, the perch stays, and the
    refine's bound too (buyers stated more than the perch)."""
    spread = [Buyer(T0 + i, 254 + 3 * i, 1) for i in range(10)]
    assert perch_at_caps(spread, 253, 300, 3) == (253, 300)


def test_a_tier_that_would_earn_less_than_the_perch_is_not_taken() -> None:
    """10 buyers at the perch's own cap (253) and 3 at 300: 3 x 300 < 13 x 253. They all buy at
    the perch, and some stated more: nothing moves."""
    assert perch_at_caps(tier(10, 253) + tier(3, 300), 253, 400, 3) == (253, 400)


def test_a_perch_already_at_the_tier_gets_the_bound_just_above_it() -> None:
    """Train 1352 (the rails' ceiling aside): the perch is the tier, the refine probed above it
    for hours; the caps say nobody above: the bound is the tier + 1, the refine stops."""
    assert perch_at_caps(tier(4, 649), 649, 1_298, 3) == (649, 650)
    assert perch_at_caps(tier(4, 649), 649, 650, 3) == (649, 650)


@pytest.mark.parametrize(("price", "k"), [(253, 0), (0, 3)])
def test_off_or_no_perch_moves_nothing(price: int, k: int) -> None:
    assert perch_at_caps(tier(5, 272), price, 280, k) == (price, 280)


# --- in robust -------------------------------------------------------------------------------


def capped(label: str, price: int, cap: int, ago: float) -> Deal:
    return replace(deal(label, price, ago=ago), request_maxprice=cap)


def committed(**fields: object) -> dict[str, object]:
    """A committed perch at 1,584 (20 sales in 10 h), held for another hour, bound 2,000
    unsold for 2 h (strong: 4 of its sales)."""
    base: dict[str, object] = {
        "p_mode": "perch",
        "p_since": NOW - 600,
        "p_hold": 7200.0,
        "p_price": 1_584,
        "perched": True,
        "shift_base": 99,
        "perch_ev": [20 * 1_584.0, 20.0, 36_000.0],
        "r_hi": 2_000,
        "r_w": 7200.0,
    }
    return perch_state(**{**base, **fields})


def test_robust_moves_a_committed_perch_to_its_buyers_tier() -> None:
    sold = [capped(f"d{i}", 1_584, 1_700, 600.0 * (i + 1)) for i in range(4)]
    s = snap(
        offers=[XS], book=[], own_orders=[own("o", 1_584, 4)], deals=sold, utilization=util(10, 0)
    )
    on = {**PERCH, "perch_caps_tasks": 3}
    quotes, new = decide(s, committed(), on)
    m = memory(new)
    assert (m.p_mode, m.p_price, m.r_lo, m.r_hi) == ("perch", 1_700, 0, 1_701)
    assert quotes[0].price == 1_700
    assert m.r_w == pytest.approx(36_000.0, rel=1e-3)  # the perch's evidence: a strong bound
    # off (main d46ad4a): the refine probes the bisection's midpoint under the 2,000 bound instead
    quotes, new = decide(s, committed(), {**PERCH, "perch_caps_tasks": 0})
    m = memory(new)
    assert (m.p_price, m.r_lo, m.r_hi, quotes[0].price) == (1_779, 1_584, 2_000, 1_779)
    # buyers older than the window (the perch's half-life) are not read: the same probe
    old = {"perch_half_life_seconds": 600.0}
    m = memory(decide(s, committed(), {**on, **old})[1])
    assert (m.p_price, m.r_lo, m.r_hi) == (1_779, 1_584, 2_000)


def test_robust_leaves_a_running_probe_to_the_refine() -> None:
    sold = [capped(f"d{i}", 1_584, 1_700, 600.0 * (i + 1)) for i in range(4)]
    s = snap(
        offers=[XS], book=[], own_orders=[own("o", 1_780, 4)], deals=sold, utilization=util(10, 0)
    )
    probing = committed(p_price=1_780, r_lo=1_584, r_at=NOW - 60)
    m = memory(decide(s, probing, {**PERCH, "perch_caps_tasks": 3})[1])
    assert (m.p_price, m.r_lo, m.r_hi) == (1_780, 1_584, 2_000)
