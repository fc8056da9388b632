"""``portfolio``: which logic each offer gets, and what each branch quotes (table-driven)."""

from __future__ import annotations

import random
from typing import Any

import pytest

import strategies
from bot.domain.errors import InputError
from bot.domain.model import Quote
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies import run_fenced
from strategies.portfolio import PortfolioParams
from tests.support.factories import NOW, POOL, deal, offer, own, request, rival, snap, util

XS = offer(category=0, task_seconds=300, max_volume=1000)  # 7 tasks per slot
S = offer(category=1, task_seconds=1200, max_volume=1000)
GRID = [10, 20, 40, 80]
RESTRICTED = "0x" + "9" * 40


def decide(
    params: dict[str, Any],
    s: MarketSnapshot,
    offers: list[Offer],
    state: dict[str, Any] | None = None,
    seed: int = 0,
) -> tuple[tuple[Quote, ...], dict[str, Any]]:
    params = {"floor": 0, **params}
    d = run_fenced(strategies.create("portfolio", params), s, offers, state, random.Random(seed))
    assert not d.abstain, d.reason
    return d.quotes, d.state


def remembered(price: int, ago: float, key: str = "0:0:0") -> dict[str, Any]:
    return {"rivals": {key: [price, NOW - ago]}, "modes": {key: "contested"}, "learner": {}}


@pytest.mark.parametrize(
    ("params", "book", "requests", "state", "price", "mode", "why"),
    [
        # a paid rival: undercut the cheapest by the step (free and restricted ones ignored)
        (
            {"step": 5},
            [rival("a", 100), rival("b", 80), rival("f", 0)],
            [],
            None,
            75,
            "contested",
            "under the cheapest rival at 80",
        ),
        (
            {},
            [rival("r", 50, requesterrestrict=RESTRICTED), rival("a", 100)],
            [],
            None,
            99,
            "contested",
            "rival at 100",
        ),
        # never below the floor
        ({"floor": 90, "step": 20}, [rival("a", 100)], [], None, 90, "contested", "floor 90"),
        # no rival visible now, but one was an hour ago: keep undercutting its last price
        ({}, [], [], remembered(60, 3600), 59, "contested", "last seen 3600s ago"),
        # ... not when it was seen longer ago than the memory: alone, the learner's grid
        ({"grid": GRID}, [], [], remembered(60, 7 * 3600), None, "alone", "Thompson arm"),
        (
            {"grid": GRID, "rival_memory_seconds": 0},
            [],
            [],
            remembered(60, 1),
            None,
            "alone",
            "Thompson arm",
        ),
        # only free and restricted orders around: nobody to follow
        (
            {"grid": GRID},
            [rival("f", 0), rival("r", 50, requesterrestrict=RESTRICTED)],
            [],
            None,
            None,
            "alone",
            "Thompson arm",
        ),
        # requests waiting in the book: the demand logic prices at what they pay
        (
            {},
            [rival("a", 100)],
            [request("q", 500, 7, workerpool=POOL)],
            None,
            500,
            "book",
            "filling",
        ),
        ({"grid": GRID}, [], [request("q", 300, 9)], None, 300, "book", "filling"),
        # ... but never under the contested price: a cap below every rival is one nobody serves
        ({}, [rival("a", 100)], [request("q", 50, 7)], None, 99, "book", "held at 99"),
    ],
)
def test_mode_and_price(
    params: dict[str, Any],
    book: list[Any],
    requests: list[Any],
    state: dict[str, Any] | None,
    price: int | None,
    mode: str,
    why: str,
) -> None:
    s = snap(offers=[XS], book=book, requests=requests, utilization=util(1))
    quotes, new = decide(params, s, [XS], state)
    q = quotes[0]
    assert new["modes"] == {"0:0:0": mode}
    assert q.reason.startswith(f"{mode}:"), q.reason
    assert why in q.reason, q.reason
    if price is None:
        assert q.price in GRID
    else:
        assert q.price == price
    assert q.volume == 7  # capacity of one free slot


def test_each_offer_gets_its_own_logic() -> None:
    """XS is contested, S has nobody else: one decision, two branches."""
    s = snap(offers=[XS, S], book=[rival("a", 100)], utilization=util(2))
    quotes, state = decide({"grid": GRID}, s, [XS, S])
    assert [q.category for q in quotes] == [0, 1]
    assert quotes[0].price == 99 and quotes[1].price in GRID
    assert state["modes"] == {"0:0:0": "contested", "1:0:0": "alone"}
    assert "1:0:0" in state["learner"] and "0:0:0" not in state["learner"]
    assert state["rivals"] == {"0:0:0": [100, NOW, NOW]}  # price, seen at, steady since


def test_learner_ignores_deals_made_while_following_a_rival() -> None:
    """Back to alone after contested: the tasks sold at the rival's price are not credited."""
    params = {"grid": GRID}
    _, state = decide(params, snap(offers=[XS]), [XS], seed=1)
    alpha = list(state["learner"]["0:0:0"]["alpha"])
    state = {**state, "modes": {"0:0:0": "contested"}}
    later = NOW + 9 * 3600
    s = snap(
        offers=[XS],
        at=later,
        own_orders=[own("o", 20, 5)],
        deals=[deal("d", 20, 30, ago=600, now=later)],
    )
    _, after = decide(params, s, [XS], state, seed=2)
    assert after["learner"]["0:0:0"]["alpha"] == alpha
    # staying alone, the same deals are credited to the listed arm
    state = {**state, "modes": {"0:0:0": "alone"}}
    _, credited = decide(params, s, [XS], state, seed=2)
    assert credited["learner"]["0:0:0"]["alpha"][1] == alpha[1] + 30


def test_alone_starts_from_the_dear_end_and_comes_down_without_sales() -> None:
    """The default prior is optimistic about high prices; empty periods bring the price down."""
    params = {"period_seconds": 3600.0}
    top = PortfolioParams().grid[-1]
    first = [decide(params, snap(offers=[XS]), [XS], seed=seed)[0][0].price for seed in range(40)]
    assert sum(p >= 500_000_000 for p in first) > 20  # bandit's default prior: ~1 in 30
    # 30 hours listed at the top arm, nothing sold: the top arm is rarely chosen any more
    _, state = decide(params, snap(offers=[XS]), [XS], seed=0)
    learnt = {**state["learner"]["0:0:0"], "arm": len(PortfolioParams().grid) - 1}
    state = {**state, "learner": {"0:0:0": learnt}}
    t = NOW
    for i in range(30):
        t += 3600
        s = snap(offers=[XS], at=t, own_orders=[own(f"o{i}", top, 5)])
        _, state = decide(params, s, [XS], state, seed=i)
    s = snap(offers=[XS], at=t + 3600, own_orders=[own("z", top, 5)])
    anywhere = {**params, "max_arm_move": 0}  # the posterior's choice, not the step limit
    late = [decide(anywhere, s, [XS], state, seed=100 + seed)[0][0].price for seed in range(40)]
    assert sum(p == top for p in late) < 10


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"grid": [30, 20]}, "strategy.params.grid"),
        ({"step": -1}, "strategy.params.step"),
        ({"rival_memory_seconds": -5}, "strategy.params.rival_memory_seconds"),
        ({"undercut": 3}, "strategy.params.undercut"),
    ],
)
def test_bad_params_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        strategies.create("portfolio", params)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("params", "last", "volume", "steady_since"),
    [
        # the rival price has held 20 minutes: list at most `exposure` (default 10) at once
        ({}, [100, NOW - 60, NOW - 1200], 10, NOW - 1200),
        ({"exposure": 3}, [100, NOW - 60, NOW - 1200], 3, NOW - 1200),
        ({"exposure": 0}, [100, NOW - 60, NOW - 1200], 28, NOW - 1200),
        # held only 5 minutes: still moving, the full capacity
        ({}, [100, NOW - 60, NOW - 300], 28, NOW - 300),
        # the rival just moved (was 120): a price war, the full capacity, a fresh steady clock
        ({}, [120, NOW - 60, NOW - 1200], 28, NOW),
        # first sight of a rival
        ({}, None, 28, NOW),
    ],
)
def test_exposure_once_the_rival_price_holds(
    params: dict[str, Any], last: list[float] | None, volume: int, steady_since: float
) -> None:
    state = {"rivals": {} if last is None else {"0:0:0": last}, "modes": {}, "learner": {}}
    s = snap(offers=[XS], book=[rival("a", 100)], utilization=util(4))  # capacity 28
    quotes, new = decide(params, s, [XS], state)
    assert quotes[0].price == 99
    assert quotes[0].volume == volume
    assert new["rivals"]["0:0:0"] == [100, NOW, steady_since]


@pytest.mark.parametrize(
    ("params", "book", "last", "price"),
    [
        # prices moving (first sight): a rival down to its last task is not followed
        ({}, [rival("a", 80, 1), rival("b", 100, 5)], None, 99),
        ({"war_min_volume": 1}, [rival("a", 80, 1), rival("b", 100, 5)], None, 79),
        ({"war_min_volume": 6}, [rival("a", 80, 1), rival("b", 100, 5)], None, 79),  # none big
        ({}, [rival("a", 80, 2), rival("b", 100, 5)], None, 79),
        # the cheapest price has held 20 minutes: no war, follow it whatever its volume
        ({}, [rival("a", 80, 1), rival("b", 100, 5)], [80, NOW - 60, NOW - 1200], 79),
    ],
)
def test_price_war_ignores_rivals_about_to_sell_out(
    params: dict[str, Any], book: list[Any], last: list[float] | None, price: int
) -> None:
    state = {"rivals": {} if last is None else {"0:0:0": last}, "modes": {}, "learner": {}}
    quotes, _ = decide(params, snap(offers=[XS], book=book, utilization=util(1)), [XS], state)
    assert quotes[0].price == price, quotes[0].reason
