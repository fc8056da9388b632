"""What a fixed price would have earned from our buyers' caps (strategies/robust_caps.py, item 40)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import strategies
from bot.domain.model import BookEntry, Deal
from strategies import run_fenced
from strategies.robust import OfferMemory
from strategies.robust_caps import (
    Buyer,
    Rival,
    best_price,
    buyers_of,
    caps_trial,
    earned,
    remember,
    remember_rivals,
)
from tests.support.factories import NOW, POOL, RIVAL, RIVAL2, deal, offer, rival, snap, util

T0 = 1_000.0


def every(minutes: float, n: int, cap: int, volume: int = 1) -> list[Buyer]:
    """``n`` buyers of cap ``cap``, one each ``minutes`` from T0 + 1 s."""
    return [Buyer(T0 + 1 + 60 * minutes * i, cap, volume) for i in range(n)]


def book(pool: str, price: int, volume: int, remaining: int | None = None) -> BookEntry:
    left = volume if remaining is None else remaining
    return BookEntry("0x" + pool[2:6] * 16, pool, pool, price, volume, left, 0, 0, 0, 0.0)


def test_alone_a_price_earns_what_the_buyers_at_or_above_it_pay() -> None:
    buyers = every(1, 4, 100) + every(1, 2, 500, volume=3)
    assert earned(100, buyers, (), T0) == 100 * (4 + 6)
    assert earned(500, buyers, (), T0) == 500 * 6
    assert earned(501, buyers, (), T0) == 0


def test_a_cheaper_rival_serves_the_first_buyers_of_each_period() -> None:
    # one buyer a minute, the rival lists 3 tasks every 10 minutes: 7 of every 10 are ours
    buyers = every(1, 30, 1_000)
    rival = Rival(price=50, volume=3, period_s=600.0)
    assert earned(900, buyers, [rival], T0) == 900 * 21
    # a rival at or above the price takes nobody: buyers take the price first
    assert earned(900, buyers, [replace(rival, price=900)], T0) == 900 * 30
    # nor does it take a buyer whose cap is under its own price
    assert earned(40, every(1, 30, 45), [rival], T0) == 40 * 30
    # a rival restocking every minute serves everyone
    assert earned(900, buyers, [replace(rival, period_s=60.0)], T0) == 0


def test_a_buyer_who_named_our_pool_passes_every_rival_over() -> None:
    named = [replace(b, captive=True) for b in every(1, 10, 1_000)]
    assert earned(900, named, [Rival(50, 100, 600.0)], T0) == 900 * 10


def test_the_best_price_is_the_top_tier_when_the_rival_sells_out() -> None:
    # the market-led price (60) sells to everyone; above the rival (70), 9 buyers of 10 in each
    # 10 minutes, of which the 3 capped at 2,000 are worth more than all 10 at 60
    buyers = sorted(every(10 / 7, 70, 100) + every(10 / 3, 30, 2_000), key=lambda b: b.at)
    rival = Rival(70, 1, 600.0)
    price, got = best_price(buyers, [rival], T0, 60)
    assert price == 2_000
    assert got == earned(2_000, buyers, [rival], T0) > earned(60, buyers, [rival], T0)
    # a rival that restocks every minute keeps the market-led price best
    fast = Rival(70, 5, 60.0)
    assert best_price(buyers, [fast], T0, 60) == (60, earned(60, buyers, [fast], T0))


def test_a_cap_stated_by_fewer_tasks_than_a_tier_is_no_candidate() -> None:
    buyers = [*every(1, 20, 100), Buyer(T0 + 5, 10_000, 1)]
    assert best_price(buyers, (), T0, 100, tier=1)[0] == 10_000
    assert best_price(buyers, (), T0, 100, tier=2) == (100, 100 * 21)


def capped(d: Deal, cap: int | None, named: str | None = None) -> Deal:
    return replace(d, request_maxprice=cap, request_workerpool=named)


def test_our_deals_become_buyers_when_their_cap_is_known() -> None:
    deals = [
        capped(deal("a", 90, ago=50), 400, POOL),
        capped(deal("b", 90, ago=40), None),  # not known
        capped(deal("c", 90, ago=30, category=1), 400),  # another category
        capped(deal("d", 90, ago=20, workerpool=RIVAL), 400),  # another pool's
        capped(deal("e", 90, 2, ago=10), 120),
        capped(deal("f", 90, ago=500), 400),  # before ``since``
    ]
    got = buyers_of(deals, POOL, 0, 0, NOW - 100)
    assert got == (Buyer(NOW - 50, 400, 1, True), Buyer(NOW - 10, 120, 2, False))


def test_the_remembered_buyers_are_the_window_s() -> None:
    old = [[NOW - 7_200.0, 400.0, 1.0, 0.0], [NOW - 600.0, 300.0, 1.0, 1.0]]
    new = [capped(deal("n", 90, ago=30), 800)]
    rows = remember(old, new, POOL, 0, 0, NOW, 3_600.0)
    assert rows == [[NOW - 600.0, 300.0, 1.0, 1.0], [NOW - 30, 800.0, 1.0, 0.0]]


def test_a_rival_that_sold_out_is_remembered_until_the_window_passes() -> None:
    kept = remember_rivals({}, [book(RIVAL, 50, 3), book(RIVAL2, 70, 1)], NOW - 600, 3_600.0)
    assert kept == {RIVAL: [50.0, 3.0, NOW - 600], RIVAL2: [70.0, 1.0, NOW - 600]}
    # RIVAL2 sold out (off the book), RIVAL repriced: the rival's new price, RIVAL2 still there
    kept = remember_rivals(kept, [book(RIVAL, 55, 2)], NOW, 3_600.0)
    assert kept == {RIVAL: [55.0, 2.0, NOW], RIVAL2: [70.0, 1.0, NOW - 600]}
    assert remember_rivals(kept, [], NOW + 3_300, 3_600.0) == {RIVAL: [55.0, 2.0, NOW]}


def test_a_trial_is_asked_for_only_past_the_margin() -> None:
    buyers = sorted(every(1, 60, 1_000) + every(1, 60, 80), key=lambda b: b.at)
    rows = [[b.at, float(b.cap), 1.0, 0.0] for b in buyers]
    kept = {RIVAL: [70.0, 1.0, T0]}

    def trial(price: int, margin: float) -> int | None:
        return caps_trial(rows, kept, price, start=T0, period_s=600.0, margin=margin, tier=3)

    # at 60, 120 tasks (7,200); at 1,000 the rival takes one buyer in 10 minutes: 54,000
    assert trial(60, 1.5) == 1_000
    assert trial(60, 8.0) is None
    # a price already at the best cap asks for nothing
    assert trial(1_000, 1.0) is None


# --- the rule in robust (caps_window_seconds) ----------------------------------------------------

XS = offer(category=0, task_seconds=300, max_volume=1000)
KEY = "0:0:0"
PERCH = {"floor": 0, "perch_trial_seconds": 3600.0, "perch_wait_seconds": 600.0}


def robust_state(buyers: list[list[float]]) -> dict[str, Any]:
    """One rival (100, one task, steady for 3 h) in stock: the perch's gate shut (0.1), its wait
    over; ``buyers`` remembered, the rival too."""
    m = OfferMemory(
        last_at=NOW - 60,
        p_out=0.1,
        p_next=NOW - 1,
        p_wait=600.0,
        market_ev=[30 * 99.0, 30.0, 36_000.0],
        a_pools={RIVAL: [100.0, NOW - 10_800, NOW - 60, 1.0]},
        c_buyers=buyers,
        c_rivals={RIVAL: [100.0, 1.0, NOW - 60]},
    )
    base = {"rivals": {KEY: [100, NOW - 60, NOW - 7200]}, "modes": {KEY: "contested"}}
    return {"base": base, "offers": {KEY: m.to_json()}}


def robust_decides(params: dict[str, Any], buyers: list[list[float]]) -> OfferMemory:
    s = snap(offers=[XS], book=[rival("a", 100, remaining=1, age=600.0)], utilization=util(10, 0))
    d = run_fenced(
        strategies.create("robust", {**PERCH, **params}),
        s,
        [XS],
        robust_state(buyers),
        random.Random(1),
    )
    assert not d.abstain, d.reason
    return OfferMemory.from_json(d.state["offers"][KEY])


def test_robust_opens_a_trial_when_our_buyers_caps_would_pay_above_the_rival() -> None:
    # a buyer every 2 minutes for 10 h, one in four capped at 5,000: at 99 about 300 tasks
    # (~30 k nRLC), at 5,000 the 75 top buyers less one per rival restock (~150 k)
    rows = [
        [NOW - 36_000 + 120.0 * i, 5_000.0 if i % 4 == 0 else 150.0, 1.0, 0.0] for i in range(300)
    ]
    on = {"caps_window_seconds": 43_200.0, "caps_period_seconds": 900.0}
    m = robust_decides(on, rows)
    assert m.p_mode == "trial" and m.p_price > 99 and m.c_next == NOW + 1_800.0
    # off (main): the gate stays shut, the memory is left as it was
    m = robust_decides({}, rows)
    assert m.p_mode == "market" and m.c_buyers == rows
    # a rival restocking every minute would have served the top buyers first: no trial
    m = robust_decides({**on, "caps_period_seconds": 60.0}, rows)
    assert m.p_mode == "market"
    # nor on a market guard 7 does not call steady (guard 7 off)
    m = robust_decides({**on, "anchor_steady_seconds": 0.0}, rows)
    assert m.p_mode == "market"
