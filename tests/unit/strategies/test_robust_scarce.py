"""robust's unsold bound (strategies/robust_scarce.py): a marked-up market-led price that nobody
bought for as long as the recent sales rate takes to sell a few tasks is an upper bound."""

from __future__ import annotations

import math
from typing import Any

from strategies.robust import OfferMemory
from strategies.robust_scarce import Unsold, unsold_step
from tests.support.factories import NOW, own, snap, util
from tests.unit.strategies.test_strategy_robust import XS, decide, memory, perch_state

# one task a minute lately (tasks/s): 6 tasks take 360 s, under the 1,200-s shortest window
RATE = 1 / 60


def step(
    s: Unsold,
    *,
    at: float,
    listed: int | None,
    sold: float = 0.0,
    top: int = 0,
    sales: float = 6.0,
) -> Unsold:
    return unsold_step(
        s,
        now=at,
        dt=60.0,
        listed=listed,
        sold=sold,
        top_sold=top,
        sales=sales,
        least=1200.0,
        forget=21600.0,
        smoothing=21600.0,
    )


def test_off_changes_nothing() -> None:
    s = Unsold(low=500, since=NOW - 9_999, rate=RATE)
    assert step(s, at=NOW, listed=400, sales=0.0) is s


def test_the_lowest_price_listed_unsold_for_a_window_is_the_bound() -> None:
    s = Unsold(low=0, since=NOW, rate=RATE)
    for i, listed in enumerate([900, 800, 850]):
        s = step(s, at=NOW + 60 * (i + 1), listed=listed)
    assert s.bound == 0 and s.low == 800  # 180 s: not a window yet
    s = step(s, at=NOW + 1200, listed=850)
    assert (s.bound, s.bound_at) == (800, NOW + 1200)
    assert (s.low, s.since) == (850, NOW + 1200)  # the next window starts from what is listed


def test_a_sale_restarts_the_window_and_one_at_the_bound_clears_it() -> None:
    s = Unsold(low=700, since=NOW - 1000, rate=RATE, bound=800, bound_at=NOW - 60)
    sold_under = step(s, at=NOW, listed=650, sold=1.0, top=700)
    assert (sold_under.low, sold_under.since, sold_under.bound) == (650, NOW, 800)
    assert step(s, at=NOW, listed=650, sold=1.0, top=800).bound == 0


def test_a_bound_is_forgotten_and_no_listing_stops_the_clock() -> None:
    s = Unsold(low=700, since=NOW - 1000, rate=RATE, bound=800, bound_at=NOW - 21_601)
    assert step(s, at=NOW, listed=700).bound == 0
    # the pool is full and lists nothing: that minute is no evidence
    held = step(Unsold(low=700, since=NOW - 1150, rate=RATE), at=NOW, listed=None)
    assert held.bound == 0 and held.since == NOW - 1090


def test_no_window_without_a_sales_rate() -> None:
    s = step(Unsold(low=700, since=NOW - 86_400, rate=0.0), at=NOW, listed=700)
    assert s.bound == 0 and math.isclose(s.rate, 0.0)


def bounded_state(**fields: Any) -> dict[str, Any]:
    """Contested at 99 (a rival last seen an hour ago), the markup at x4, and a bound of 300."""
    return perch_state(
        log_m=math.log(4.0),
        markup_at=NOW - 60,
        s_rate=RATE,
        s_bound=300,
        s_bound_at=NOW - 600,
        s_since=NOW - 60,
        s_low=300,
        **fields,
    )


def test_a_marked_up_quote_is_held_under_the_bound_and_not_raised() -> None:
    s = snap(offers=[XS], book=[], own_orders=[own("o", 290, 5)], utilization=util(10, 0))
    params = {"perch_trial_seconds": 0.0, "unsold_sales": 6.0}
    quotes, new = decide(s, bounded_state(), params)
    assert quotes[0].price == round(300 * 0.85)  # markup_down under it, not 99 x 4
    assert "held under 300" in quotes[0].reason
    m: OfferMemory = memory(new)
    assert m.s_capped and m.s_bound == 300
    # off: 99 x 4, as before
    quotes, _ = decide(s, bounded_state(), {"perch_trial_seconds": 0.0, "unsold_sales": 0.0})
    assert quotes[0].price == 396
