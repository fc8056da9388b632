"""robust's perch gate counting the rival stock we took ourselves (strategies/robust_drained.py)."""

from __future__ import annotations

import random
from typing import Any

import strategies
from bot.domain.model import Quote
from bot.pricing.snapshot import MarketSnapshot
from strategies import run_fenced
from strategies.robust import OfferMemory
from strategies.robust_drained import drained
from tests.support.factories import NOW, deal, offer, rival, snap, util

XS = offer(category=0, task_seconds=300, max_volume=1000)
KEY = "0:0:0"
PERCH = {"perch_trial_seconds": 3600.0, "perch_wait_seconds": 600.0, "cancel_cost": 7}


def decide(s: MarketSnapshot, **params: float) -> tuple[Quote, OfferMemory]:
    """Rivals in stock so far (the perch's count of them out: 0.45, under its 0.5 gate), the
    market-led price 99 sold 30 tasks in 10 h, the perch's own wait over; the last decision an
    hour ago (the slow count moves by about 40 % of the way)."""
    m = OfferMemory(
        last_at=NOW - 3600,
        p_out=0.45,
        p_next=NOW - 1,
        p_wait=600.0,
        market_ev=[30 * 99.0, 30.0, 36_000.0],
    )
    base = {"rivals": {KEY: [100, NOW - 60, NOW - 7200]}, "modes": {KEY: "contested"}}
    state: dict[str, Any] = {"base": base, "offers": {KEY: m.to_json()}}
    strat = strategies.create("robust", {"floor": 0, **PERCH, **params})
    d = run_fenced(strat, s, [XS], state, random.Random(1))
    assert not d.abstain, d.reason
    return d.quotes[0], OfferMemory.from_json(d.state["offers"][KEY])


def test_our_sales_reaching_the_rivals_whole_stock_drained_them() -> None:
    small = [rival("a", 100, remaining=1), rival("b", 120, remaining=2)]
    assert drained([deal("d", 99, volume=3)], small)
    assert drained([deal("d", 99), deal("e", 99, volume=2)], small)
    # fewer than their stock: they could have served these buyers themselves
    assert not drained([deal("d", 99, volume=2)], small)
    # no sale is no evidence, even against rivals with nothing listed
    assert not drained([], [])
    assert drained([deal("d", 99)], [])


def market(sold: int) -> MarketSnapshot:
    return snap(
        offers=[XS],
        book=[rival("a", 100, remaining=1, age=600.0), rival("b", 120, remaining=2, age=600.0)],
        deals=[deal("d", 99, volume=sold, ago=600.0)] if sold else [],
        utilization=util(10, 0),
    )


def test_rivals_we_out_sold_open_the_perch_trial() -> None:
    """3 tasks sold in the window against 3 listed: the rivals count as out and the slow count
    crosses the 0.5 gate; the trial starts from the top (perch_multiple x 99) in one jump."""
    q, m = decide(market(3), perch_drained_seconds=3600.0)
    assert m.p_mode == "trial" and m.p_out >= 0.5
    assert q.price == 99_000 and q.jump


def test_off_or_too_few_sales_the_book_alone_keeps_the_gate_shut() -> None:
    q, m = decide(market(3))  # the default: off
    assert m.p_mode == "market" and m.p_out < 0.45 and q.price == 99
    q, m = decide(market(2), perch_drained_seconds=3600.0)
    assert m.p_mode == "market" and q.price == 99
    # the sale fell out of a shorter window
    q, m = decide(market(3), perch_drained_seconds=300.0)
    assert m.p_mode == "market" and q.price == 99
