"""robust's perch read from buyers who pass over a cheaper rival (strategies/robust_captive.py)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import strategies
from bot.domain.model import ZERO_ADDRESS, Quote
from bot.pricing.snapshot import MarketSnapshot
from strategies import run_fenced
from strategies.robust import OfferMemory
from strategies.robust_captive import names_pool, passed_over
from tests.support.factories import NOW, POOL, deal, offer, own, request, rival, snap, util

XS = offer(category=0, task_seconds=300, max_volume=1000)
KEY = "0:0:0"
PERCH = {"perch_trial_seconds": 3600.0, "perch_wait_seconds": 600.0, "cancel_cost": 7}


def decide(s: MarketSnapshot, state: dict[str, Any]) -> tuple[Quote, OfferMemory]:
    d = run_fenced(
        strategies.create("robust", {"floor": 0, **PERCH}), s, [XS], state, random.Random(1)
    )
    assert not d.abstain, d.reason
    return d.quotes[0], OfferMemory.from_json(d.state["offers"][KEY])


def state_of(named: bool = True, **fields: Any) -> dict[str, Any]:
    """Rivals in stock (the perch's count of them out: 0.1), the market-led price 99 sold 30
    tasks in 10 h; the perch's own wait long over; requests named our pool before (``named``)."""
    m = OfferMemory(
        **{
            "last_at": NOW - 60,
            "p_out": 0.1,
            "p_next": NOW - 1,
            "p_wait": 600.0,
            "market_ev": [30 * 99.0, 30.0, 36_000.0],
            **fields,
        }
    )
    base = {"rivals": {KEY: [100, NOW - 60, NOW - 7200]}, "modes": {KEY: "contested"}}
    return {"base": base, "offers": {KEY: m.to_json()}, "named": named}


def test_a_sale_above_a_cheaper_rival_listed_before_it_and_still_in_stock_passed_it_over() -> None:
    sale = deal("d", 400, volume=2, ago=30.0)
    assert passed_over([sale, deal("e", 90)], [rival("a", 100, age=600.0)]) == 2
    # listed after the sale: it may not have been there for that buyer
    assert not passed_over([sale], [rival("a", 100, age=10.0)])
    # out of stock now: it may have been out at the sale
    assert not passed_over([sale], [rival("a", 100, remaining=0, age=600.0)])
    # dearer than our sale: a taker of the cheapest would have bought ours
    assert not passed_over([sale], [rival("a", 500, age=600.0)])
    assert not passed_over([], [rival("a", 100, age=600.0)])


def test_a_probe_quotes_the_perch_lowest_rung_once_its_wait_is_over() -> None:
    """Rivals in stock keep the perch's gate shut; after ``captive_probe_seconds`` a probe quotes
    ``perch_low`` (4) x the market-led 99 in one jump."""
    s = snap(offers=[XS], book=[rival("a", 100, age=600.0)], utilization=util(10, 0))
    q, m = decide(s, state_of(q_next=NOW - 1, q_wait=600.0))
    assert (m.p_mode, m.q_probe, m.p_price) == ("trial", True, 396)
    assert q.price == 396 and q.jump
    # before its time, the market-led price
    q, m = decide(s, state_of(q_next=NOW + 60, q_wait=600.0))
    assert q.price == 99 and m.p_mode == "market" and not m.q_probe
    # no request ever named our pool: no probe
    q, m = decide(s, state_of(named=False, q_next=NOW - 1, q_wait=600.0))
    assert q.price == 99 and m.p_mode == "market" and not m.q_probe


def test_a_request_naming_our_pool_in_any_category_marks_the_market() -> None:
    other = request("n", 50, category=3, workerpool=POOL)
    s = snap(offers=[XS], book=[rival("a", 100, age=600.0)], requests=[other])
    d = run_fenced(strategies.create("robust", {"floor": 0}), s, [XS], None, random.Random(1))
    assert d.state["named"] is True


def test_a_buyer_names_the_pool_in_a_waiting_request_or_in_the_request_a_deal_matched() -> None:
    named = replace(deal("d", 400), request_workerpool=POOL)
    assert names_pool(POOL, [], [named])
    assert names_pool(POOL, [request("n", 50, workerpool=POOL)], [])
    # any pool, another pool, or not known (None: a source that cannot read the match)
    for field in (ZERO_ADDRESS, "0x" + "9" * 40, None):
        assert not names_pool(POOL, [], [replace(named, request_workerpool=field)])
    assert not names_pool(POOL, [request("a", 50)], [])


def test_a_sale_to_a_buyer_naming_our_pool_marks_the_market_unless_off() -> None:
    """Captive buyers whose caps are above our price buy at once and never wait in the book
    (train captive_us 1021): the deal's request is the only sign. Only deals since the last
    decision are read, and the mark is kept."""
    sold = replace(deal("d", 99, ago=30.0), request_workerpool=POOL)
    last = {"tally_at": NOW - 60}
    for params, field, named in (
        ({}, POOL, True),
        ({"captive_deals": False}, POOL, False),
        ({}, None, False),
        ({}, ZERO_ADDRESS, False),
    ):
        s = snap(
            offers=[XS],
            book=[rival("a", 100, age=600.0)],
            deals=[replace(sold, request_workerpool=field)],
        )
        robust = strategies.create("robust", {"floor": 0, **params})
        d = run_fenced(robust, s, [XS], last, random.Random(1))
        assert d.state["named"] is named, (params, field)
    # a deal before the last decision was read then
    s = snap(offers=[XS], book=[rival("a", 100, age=600.0)], deals=[sold])
    d = run_fenced(
        strategies.create("robust", {"floor": 0}), s, [XS], {"tally_at": NOW}, random.Random(1)
    )
    assert d.state["named"] is False


def test_a_buyer_naming_our_pool_in_a_deal_is_a_captive_requester_for_guard_3() -> None:
    """Its purchase counts as a captive sale: the captive price starts one ``captive_step`` above
    the price it paid and is quoted; off, only requesters waiting in the book are captive."""
    buyer = "0x" + "b" * 40
    sold = replace(deal("d", 99, ago=30.0), request_workerpool=POOL, requester=buyer)
    s = snap(offers=[XS], book=[rival("a", 100, age=600.0)], deals=[sold])
    state = {"tally_at": NOW - 60, "offers": {KEY: OfferMemory(last_at=NOW - 60).to_json()}}
    for on, captive in ((True, [buyer]), (False, [])):
        robust = strategies.create("robust", {"floor": 0, "captive_deal_buyers": on})
        d = run_fenced(robust, s, [XS], state, random.Random(1))
        m = OfferMemory.from_json(d.state["offers"][KEY])
        assert m.captive == captive
        if on:
            assert m.captive_price is not None and m.captive_price > 99
            assert d.quotes[0].price == m.captive_price
        else:
            assert m.captive_price is None and d.quotes[0].price < 100


def test_two_tasks_sold_past_a_rival_at_the_probe_start_the_perch_trial_from_the_top() -> None:
    s = snap(
        offers=[XS],
        book=[rival("a", 100, age=3600.0)],
        deals=[deal("d", 396, ago=30.0)],
        own_orders=[own("o", 396, 5)],
        utilization=util(10, 1),
    )
    probing = {"p_mode": "trial", "p_since": NOW - 600, "p_price": 396, "q_probe": True}
    # one: the simulator tops a sold-out rival order up in place, so one is not yet enough
    q, m = decide(s, state_of(perched=True, q_wait=600.0, **probing))
    assert m.q_probe and m.q_count == 1 and q.price == 396
    s = snap(
        offers=[XS],
        book=[rival("a", 100, age=3600.0)],
        deals=[deal("d", 396, volume=2, ago=30.0)],
        own_orders=[own("o", 396, 5)],
        utilization=util(10, 1),
    )
    probing = {"p_mode": "trial", "p_since": NOW - 600, "p_price": 396, "q_probe": True}
    q, m = decide(s, state_of(perched=True, q_wait=600.0, **probing))
    assert m.p_mode == "trial" and not m.q_probe and not m.p_settled
    assert m.p_price == 99_000 and q.price == 99_000  # the trial's top (perch_multiple x 99)
    assert m.q_passed_at == NOW and m.p_out >= 0.5  # the gate reads the rival as out
    assert q.jump


def test_a_probe_nobody_buys_at_returns_and_doubles_the_next_wait() -> None:
    """Unsold for longer than the market-led price took to sell 3 tasks (1 h, capped at a
    quarter of the trial: 15 min)."""
    s = snap(
        offers=[XS],
        book=[rival("a", 100, age=3600.0)],
        own_orders=[own("o", 396, 5)],
        utilization=util(10, 0),
    )
    probing = {"p_mode": "trial", "p_since": NOW - 1000, "p_price": 396, "q_probe": True}
    q, m = decide(s, state_of(perched=True, q_wait=600.0, **probing))
    assert m.p_mode == "market" and not m.q_probe
    assert (m.q_wait, m.q_next) == (1200.0, NOW + 1200.0)
    assert q.price == 99


def test_off_no_probe_and_no_gate_from_passed_over_buyers() -> None:
    s = snap(
        offers=[XS],
        book=[rival("a", 100, age=3600.0)],
        deals=[deal("d", 396, ago=30.0)],
        utilization=util(10, 1),
    )
    d = run_fenced(
        strategies.create("robust", {"floor": 0, **PERCH, "captive_probe_seconds": 0.0}),
        s,
        [XS],
        state_of(q_next=NOW - 1, q_wait=600.0),
        random.Random(1),
    )
    m = OfferMemory.from_json(d.state["offers"][KEY])
    assert d.quotes[0].price == 99 and m.p_mode == "market" and m.q_passed_at is None


def test_captive_requests_waiting_under_a_perch_are_harvested_before_it_is_quoted_again() -> None:
    """A committed perch at 5,000 over a market-led 999; requests naming us wait under both
    (300 x 8 = 2,400 nRLC beats 600 x 3, and pays ``captive_harvest_cancels`` cancels): they are
    sold down first. With the rule off the perch hid them."""
    waiting = [request(f"a{i}", 600, workerpool=POOL) for i in range(3)]
    waiting += [request(f"b{i}", 300, workerpool=POOL) for i in range(5)]
    s = snap(
        offers=[XS],
        book=[rival("r", 1000, age=600.0)],
        requests=waiting,
        own_orders=[own("o", 5_000, 5)],
        utilization=util(10, 0),
    )
    perched = {"p_mode": "perch", "p_since": NOW - 600, "p_price": 5_000, "p_hold": 86_400.0}
    params = {"captive_harvest_cancels": 10.0, "cancel_cost": 200}
    for probe, price in ((21_600.0, 300), (0.0, 5_000)):
        d = run_fenced(
            strategies.create(
                "robust", {"floor": 0, **PERCH, **params, "captive_probe_seconds": probe}
            ),
            s,
            [XS],
            state_of(p_out=0.9, perched=True, **perched),
            random.Random(1),
        )
        assert d.quotes[0].price == price, d.quotes[0].reason
