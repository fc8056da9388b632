"""robust's perch while the rivals are out (strategies/robust_tiers2.py, doc item 25): a high
price only while every rival is out of stock, found by a search whose clock is that exposure."""

from __future__ import annotations

from typing import Any

from strategies.robust import RobustParams
from strategies.robust_tiers2 import OutTier, out_tier

ARGS: dict[str, Any] = {
    "now": 10_000.0,
    "dt": 60.0,
    "sold_high": False,
    "listed": None,
    "open_": True,
    "out": True,
    "market": 100,
    "low": 400,
    "top": 3_200,
    "step_seconds": 3_600.0,
    "step_down": 0.5,
    "wait_seconds": 43_200.0,
}


def step(st: OutTier, **kw: Any) -> tuple[OutTier, int | None]:
    return out_tier(st, **{**ARGS, **kw})


def test_off_by_default() -> None:
    assert RobustParams().out_tier_seconds == 0.0


def test_quotes_the_top_only_while_every_rival_is_out() -> None:
    st, price = step(OutTier())
    assert (price, st.on, st.price) == (3_200, True, 3_200)
    st, price = step(st, out=False)
    assert price is None and not st.on and st.price == 3_200  # the level is kept for next time
    st, price = step(OutTier(), open_=False)  # guard 5's market, or not market-led
    assert price is None and st.price == 0


def test_only_time_with_every_rival_out_counts_as_exposure() -> None:
    st = OutTier(price=3_200, exposed=3_550.0, on=True, out=False)
    st, price = step(st, out=True)
    assert (price, st.exposed) == (3_200, 3_550.0)  # the rivals were in stock meanwhile
    st, price = step(st, out=True)
    assert (price, st.exposed) == (1_600, 0.0)  # an hour unsold with them out: one level down


def test_a_level_that_sold_is_held() -> None:
    st = OutTier(price=3_200, exposed=3_590.0, on=True, out=True)
    st, price = step(st, sold_high=True)
    assert (price, st.exposed) == (3_200, 0.0)


def test_the_rails_cap_is_where_the_search_goes_on() -> None:
    st = OutTier(price=3_200, exposed=0.0, on=True, out=True)
    st, price = step(st, listed=2_000)
    assert price == 2_000


def test_under_the_lowest_level_the_search_is_lost_and_waits() -> None:
    st = OutTier(price=700, exposed=3_590.0, on=True, out=True)
    st, price = step(st)
    assert price is None and st == OutTier(next_at=10_000.0 + 43_200.0)
    st, price = step(st, now=20_000.0)
    assert price is None  # still waiting
    st, price = step(st, now=60_000.0)
    assert price == 3_200  # a new search from the top
