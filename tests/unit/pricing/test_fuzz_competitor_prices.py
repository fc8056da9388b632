"""Hostile competitor prices never move our price outside the rails.

A competitor's order reaches the bot only through the marketplace's JSON, so each price goes the
real way: a wire record (``WireWorkerpoolOrderRecord``) with the hostile ``workerpoolprice`` (0,
2^53 - 1, negative, huge, a float, a numeric or non-numeric string), kept or dropped by the model,
then ``to_book_entry``, a snapshot, every built-in strategy behind the fence, and the rails. Every
quote the rails let through is inside [floor, ceiling] and moved by at most ``max_step`` from our
current price. Example counts: tests/support/fuzz.py.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import strategies
from bot.adapters.market_models import WireWorkerpoolOrderRecord, to_book_entry
from bot.domain.errors import BotError, StrategyError
from bot.domain.model import MAX_SAFE_INTEGER, BookEntry
from bot.pricing.ledger import Ledger
from bot.pricing.rails import RailsConfig, apply_rails
from strategies import run_fenced
from tests.support.factories import offer, own, snap, util
from tests.support.fuzz import fuzz_settings
from tests.support.market_fakes import OTHER_POOL, make_order, record

KIND = "prices"
M = 1_000_000
RAILS = RailsConfig(floor=5 * M, ceiling=100 * M, max_step=0.25, max_volume=50)
CURRENT = 30 * M

HOSTILE = st.one_of(
    st.sampled_from(
        [
            0,
            1,
            MAX_SAFE_INTEGER,
            MAX_SAFE_INTEGER + 1,
            -1,
            -(2**63),
            2**256,
            1.5,
            float("nan"),
            "0",
            "100",
            "-5",
            "1e9",
            "abc",
            "",
            None,
            True,
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=12),
)

STRATEGY_PARAMS: dict[str, dict[str, Any]] = {
    "fixed": {"prices": {"0": CURRENT}},
    "competitive": {"mode": "undercut", "step": M, "floor": M, "default_price": CURRENT},
}


def _entry(price: object) -> BookEntry | None:
    rec = record(make_order(price=7, pool=OTHER_POOL))
    rec["order"]["workerpoolprice"] = price
    try:
        wire = WireWorkerpoolOrderRecord.model_validate(rec)
        return to_book_entry(wire)
    except (ValidationError, BotError):
        return None  # the client drops the record (logged), the book does not see it


def _strategy(name: str) -> strategies.Strategy[object]:
    return strategies.create(name, STRATEGY_PARAMS.get(name))


@pytest.mark.parametrize("name", sorted(strategies.BUILTINS))
@fuzz_settings(KIND)
@given(prices=st.lists(HOSTILE, min_size=1, max_size=6))
def test_hostile_competitor_prices_stay_inside_the_rails(name: str, prices: list[object]) -> None:
    book = [e for e in (_entry(p) for p in prices) if e is not None]
    for e in book:
        assert 0 <= e.price <= MAX_SAFE_INTEGER
    offers = [offer(max_volume=6, task_seconds=300.0)]
    s = snap(
        offers=offers,
        book=book,
        utilization=util(registered=6),
        own_orders=[own("current", CURRENT, 3)],
    )
    try:
        decision = run_fenced(_strategy(name), s, offers, None, random.Random(1))
    except StrategyError:
        return  # the cycle keeps the current orders: nothing moves
    result = apply_rails(decision.quotes, s, Ledger.of(s, offers, RAILS), RAILS)
    for q in result.quotes:
        if q.volume == 0:
            continue
        assert RAILS.floor <= q.price <= RAILS.ceiling, (name, prices, q)
        assert abs(q.price - CURRENT) <= RAILS.max_step * CURRENT + 1, (name, prices, q)


def test_valid_extremes_reach_the_book_and_invalid_ones_do_not() -> None:
    assert _entry(0) is not None and _entry(MAX_SAFE_INTEGER) is not None
    for bad in (-1, MAX_SAFE_INTEGER + 1, "100", "abc", 1.5, None, True):
        assert _entry(bad) is None, bad


@pytest.mark.parametrize(("price", "expected"), [(0, CURRENT), (MAX_SAFE_INTEGER, 37_500_000)])
def test_the_extremes_produce_a_quote_inside_the_rails(price: int, expected: int) -> None:
    """The property above is not vacuous: both extremes reach the strategy and yield a quote.

    A free (price 0) competitor is below the strategy's own floor (1 mRLC): it is not followed,
    our price stays; a 2^53 - 1 one would be undercut to 2^53 - 2, the rails allow one max step up.
    """
    offers = [offer(max_volume=6, task_seconds=300.0)]
    entry = _entry(price)
    assert entry is not None
    s = snap(
        offers=offers,
        book=[entry],
        utilization=util(registered=6),
        own_orders=[own("current", CURRENT, 3)],
    )
    decision = run_fenced(_strategy("competitive"), s, offers, None, random.Random(1))
    result = apply_rails(decision.quotes, s, Ledger.of(s, offers, RAILS), RAILS)
    assert [q.price for q in result.quotes if q.volume] == [expected]
