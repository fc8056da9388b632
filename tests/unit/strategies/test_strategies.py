"""Table-driven: snapshot in, quotes out, for each built-in strategy."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

import strategies
from bot.domain.errors import InputError
from bot.domain.model import Quote
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies import run_fenced
from strategies.bandit import BanditStrategy, solve_lp
from strategies.utilization import UtilizationParams, step_controller
from tests.support.factories import (
    NOW,
    POOL,
    RIVAL2,
    deal,
    offer,
    own,
    request,
    rival,
    snap,
    util,
)

XS = offer(category=0, task_seconds=300, max_volume=1000)  # 7 tasks per slot
S = offer(category=1, task_seconds=1200, max_volume=1000)


def decide(
    name: str,
    params: dict[str, Any],
    s: MarketSnapshot,
    offers: list[Offer],
    state: dict[str, Any] | None = None,
    seed: int = 0,
) -> tuple[tuple[Quote, ...], dict[str, Any]]:
    d = run_fenced(strategies.create(name, params), s, offers, state, random.Random(seed))
    assert not d.abstain, d.reason
    for q in d.quotes:
        assert q.reason
    return d.quotes, d.state


# -- fixed -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "u", "expected"),
    [
        ({"price": 5}, util(2), [(5, 14), (5, 14)]),
        ({"price": 5, "prices": {"1": 8}}, util(2), [(5, 14), (8, 14)]),
        ({"price": 5, "volume": 3}, util(2), [(5, 3), (5, 3)]),
        ({"price": 5, "volume": 30}, util(2), [(5, 14), (5, 14)]),  # capacity caps it
        ({"price": 5, "volumes": {"0": 1}}, util(2, 2, 10), [(5, 1), (5, 2)]),
    ],
)
def test_fixed(params: dict[str, Any], u: Any, expected: list[tuple[int, int]]) -> None:
    quotes, _ = decide("fixed", params, snap(utilization=u, offers=[XS, S]), [XS, S])
    assert [(q.price, q.volume) for q in quotes] == expected
    assert [q.category for q in quotes] == [0, 1]


# -- competitive ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "book", "price", "why"),
    [
        ({"step": 10, "floor": 0}, [rival("a", 100), rival("b", 80)], 70, "undercut cheapest 80"),
        ({"step": 10, "floor": 75}, [rival("a", 100), rival("b", 80)], 75, "floor"),
        ({"step": 1, "step_ratio": 0.1, "floor": 0}, [rival("a", 100)], 90, "by 10"),
        ({"mode": "kth", "k": 2, "floor": 0}, [rival("a", 100), rival("b", 80)], 100, "#2"),
        ({"mode": "kth", "k": 5, "floor": 0}, [rival("a", 100), rival("b", 80)], 100, "#2"),
        ({"default_price": 42, "floor": 0}, [], 42, "no competitor"),
        ({"default_price": 42}, [], 1_000_000, "raised to floor"),
        # ignored: free, restricted, our own, outlier below 20% of the median
        (
            {"step": 1, "floor": 0},
            [
                rival("free", 0),
                rival("restricted", 5, requesterrestrict="0x" + "9" * 40),
                rival("ours", 3, workerpool=POOL),
                rival("dump", 10),
                rival("x", 100),
                rival("y", 120, workerpool=RIVAL2),
            ],
            99,
            "ignored",
        ),
        ({"step": 1, "ignore_free": False, "floor": 0}, [rival("free", 0)], 0, "cheapest 0"),
    ],
)
def test_competitive(params: dict[str, Any], book: list[Any], price: int, why: str) -> None:
    quotes, _ = decide("competitive", params, snap(offers=[XS], book=book), [XS])
    assert quotes[0].price == price
    assert why in quotes[0].reason
    assert quotes[0].volume == 70


def test_the_raise_gate_factors_of_the_built_ins() -> None:
    """The rails gate each built-in's raises with its own factor (bot.pricing.rails.gate_raise);
    a plug-in that declares none gets 1 (the raise pays back its cancels)."""
    factors = {name: strategies.get(name).raise_gain_factor for name in strategies.BUILTINS}
    assert factors == {
        "fixed": 0.0,  # the owner's price is an instruction: listed at once
        "competitive": 0.0,  # following the cheapest rival up at once is the point
        "utilization": 3.0,
        "demand": 1.0,
        "bandit": 1.0,
        "portfolio": 1.0,
        "robust": 1.0,
    }


@pytest.mark.parametrize("key", ["cancel_cost", "raise_gain_factor"])
def test_a_0_1_gate_param_is_refused_naming_its_rails_key(key: str) -> None:
    with pytest.raises(InputError) as err:
        strategies.get("competitive").params_from_mapping({key: 1})
    assert err.value.field == f"strategy.params.{key}"
    assert f"moved to rails.{'cancel_gas_cost' if key == 'cancel_cost' else key}" in str(err.value)


# -- utilization ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("u", "state", "direction", "why"),
    [
        (util(10, 8), {}, 0, "within"),  # at target
        (util(100, 71), {}, 0, "within"),  # inside the 10% deadband
        (util(100, 69), {}, -1, "vs target"),  # just outside the 10% deadband
        (util(10, 10), {}, +1, "near saturation"),
        (util(10, 2), {}, -1, "vs target"),
        (util(10, 10, 5), {}, +1, "near saturation"),  # backlog counts: 150%
    ],
)
def test_utilization_direction(u: Any, state: dict[str, Any], direction: int, why: str) -> None:
    quotes, new = decide("utilization", {"price": 1000}, snap(utilization=u, offers=[XS]), [XS])
    price = quotes[0].price
    assert (price > 1000) - (price < 1000) == direction
    assert why in quotes[0].reason
    assert set(new) == {"log_m", "integral", "u_avg", "stepped_at"}


def test_utilization_rates_are_asymmetric_and_bounded() -> None:
    p = UtilizationParams(rate_up=0.1, rate_down=0.05, kp=50.0)
    up, _, _ = step_controller(p, 1.0, 0.0, 0.0)
    down, _, _ = step_controller(p, 0.0, 0.0, 0.0)
    assert math.isclose(math.exp(up), 1.1)
    assert math.isclose(math.exp(down), 0.95)


def test_utilization_anti_windup_at_ceiling() -> None:
    p = UtilizationParams(max_multiplier=1.2, rate_up=1.0, ki=1.0)
    log_m, integral = 0.0, 0.0
    for _ in range(20):
        log_m, integral, why = step_controller(p, 1.0, log_m, integral)
    assert math.isclose(math.exp(log_m), 1.2)
    assert integral < 1.0  # held at the bound instead of growing 20 x 0.2
    assert "integral held" in why
    # as soon as utilization falls, the price leaves the ceiling
    log_m2, _, _ = step_controller(p, 0.3, log_m, integral)
    assert log_m2 < log_m


def test_utilization_abstains_without_utilization() -> None:
    s = snap(offers=[XS], sampled_at={"utilization": NOW - 10_000})
    d = run_fenced(strategies.create("utilization"), s, [XS], None, random.Random(0))
    assert d.abstain and d.quotes == ()


def test_utilization_is_a_pure_function_of_inputs() -> None:
    s = snap(utilization=util(10, 10), offers=[XS])
    a = decide("utilization", {}, s, [XS], {"log_m": 0.1, "integral": 0.5})
    b = decide("utilization", {}, s, [XS], {"log_m": 0.1, "integral": 0.5})
    assert a == b


# -- demand -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "book", "requests", "deals", "price", "why"),
    [
        # empty request book: one nRLC under the cheapest paid competitor (free one ignored)
        ({}, [rival("a", 100), rival("b", 80), rival("f", 0)], [], [], 79, "under the cheapest"),
        # ... kept within [min_price, max_price]
        ({"min_price": 90}, [rival("b", 80)], [], [], 90, "under the cheapest"),
        # restricted competitors are not in the race
        (
            {},
            [rival("r", 50, requesterrestrict="0x" + "9" * 40), rival("a", 100)],
            [],
            [],
            99,
            "competitor 100",
        ),
        # no paid competitor: the old path (default price)
        ({"default_price": 42}, [rival("f", 0)], [], [], 42, "no demand seen"),
        # empty_book = "deals": our own deals only, as before
        ({"empty_book": "deals"}, [rival("a", 100)], [], [deal("d", 30)], 30, "best revenue"),
        # a visible request: the book path, not the fallback
        ({}, [rival("a", 100)], [request("r", 500, 7, workerpool=POOL)], [], 500, "filling"),
    ],
)
def test_demand_empty_book(
    params: dict[str, Any],
    book: list[Any],
    requests: list[Any],
    deals: list[Any],
    price: int,
    why: str,
) -> None:
    s = snap(offers=[XS], book=book, requests=requests, deals=deals, utilization=util(1))
    quotes, _ = decide("demand", params, s, [XS])
    assert quotes[0].price == price
    assert why in quotes[0].reason


@pytest.mark.parametrize(
    ("params", "u", "requests", "book", "deals", "price", "why"),
    [
        # capacity 7; requests 5@100 + 3@60 -> 60 fills (8 >= 7)
        ({}, util(1), [request("a", 100, 5), request("b", 60, 3)], [], [], 60, "filling"),
        # only 5 demanded at any price: revenue-best price
        ({}, util(1), [request("a", 100, 5)], [], [], 100, "no price fills"),
        ({"fill_target": 0.5}, util(1), [request("a", 100, 4)], [], [], 100, "filling"),
        # addressed to us (not contested), vs open requests eaten by a cheaper competitor
        (
            {},
            util(1),
            [request("a", 100, 7, workerpool=POOL), request("b", 200, 7)],
            [rival("r", 50, 100)],
            [],
            100,
            "filling",
        ),
        # with competition ignored, the open 200 request counts
        (
            {"account_competition": False, "fill_target": 0.5},
            util(1),
            [request("a", 100, 7, workerpool=POOL), request("b", 200, 7)],
            [rival("r", 50, 100)],
            [],
            200,
            "filling",
        ),
        # undercutting the competitor just below its price wins the open demand
        ({}, util(1), [request("b", 200, 9)], [rival("r", 150, 5)], [], 149, "filling"),
        # a small competitor only absorbs part of the open demand
        ({}, util(1), [request("b", 200, 9)], [rival("r", 150, 2)], [], 200, "filling"),
        # deal flow: 12 tasks at 80 in the last 6 h, horizon 6 h -> 12 >= 7
        (
            {"horizon_seconds": 21600.0},
            util(1),
            [],
            [],
            [deal("d", 80, 12, ago=600)],
            80,
            "filling",
        ),
        ({"default_price": 33}, util(1), [], [], [], 33, "no demand"),
        # revenue objective: 4 x 100 beats 7 x 50 even though 100 leaves capacity idle
        (
            {"objective": "revenue"},
            util(1),
            [request("a", 100, 4), request("b", 50, 3)],
            [],
            [],
            100,
            "best expected revenue",
        ),
        ({}, util(1), [request("a", 100, 4), request("b", 50, 3)], [], [], 50, "filling"),
    ],
)
def test_demand(
    params: dict[str, Any],
    u: Any,
    requests: list[Any],
    book: list[Any],
    deals: list[Any],
    price: int,
    why: str,
) -> None:
    s = snap(utilization=u, offers=[XS], requests=requests, book=book, deals=deals)
    quotes, _ = decide("demand", params, s, [XS])
    assert quotes[0].price == price, quotes[0].reason
    assert why in quotes[0].reason
    assert quotes[0].volume == 7


# -- bandit -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prices", "theta", "c", "expected"),
    [
        ([1, 2, 3], [3.0, 2.0, 0.5], 10.0, [0.0, 1.0, 0.0]),  # capacity slack: best revenue
        ([1, 2, 3], [3.0, 2.0, 0.5], 1.0, None),  # binding: mix of two arms using c exactly
        ([10], [4.0], 1.0, [0.25]),  # one arm scaled down to capacity
    ],
)
def test_solve_lp(
    prices: list[int], theta: list[float], c: float, expected: list[float] | None
) -> None:
    x = solve_lp(prices, theta, c)
    assert sum(x) <= 1 + 1e-9
    assert sum(t * xi for t, xi in zip(theta, x, strict=True)) <= c + 1e-9
    if expected is not None:
        assert x == pytest.approx(expected)
    else:
        assert sum(1 for xi in x if xi > 0) == 2
        assert sum(t * xi for t, xi in zip(theta, x, strict=True)) == pytest.approx(c)


def test_bandit_is_seeded_and_learns_from_own_deals() -> None:
    grid = [10, 20, 40]
    params = {"grid": grid, "prior_rate": 1.0, "prior_strength": 1.0, "period_seconds": 60.0}
    s0 = snap(offers=[XS], utilization=util(10), at=NOW - 600)
    q1, st1 = decide("bandit", params, s0, [XS], seed=7)
    q1b, _ = decide("bandit", params, s0, [XS], seed=7)
    assert q1 == q1b  # same seed, same choice
    assert q1[0].price in grid and q1[0].volume == 70
    # 10 minutes later, listed at 40 and sold 30 tasks there: arm 40 gets the credit
    s1 = snap(
        offers=[XS],
        utilization=util(10),
        own_orders=[own("o", 40, 5)],
        deals=[deal("d", 40, 30, ago=60), deal("old", 40, 99, ago=3600)],
    )
    _, st2 = decide("bandit", params, s1, [XS], st1)
    key = "0:0:0"
    assert st2[key]["alpha"][2] == pytest.approx(st1[key]["alpha"][2] + 30)
    assert st2[key]["beta"][2] == pytest.approx(st1[key]["beta"][2] + 10)
    assert st2[key]["alpha"][:2] == st1[key]["alpha"][:2]
    assert st2[key]["since"] == NOW


def test_bandit_learns_nothing_while_nothing_is_listed() -> None:
    params = {"grid": [10, 20], "prior_strength": 1.0}
    s0 = snap(offers=[XS], at=NOW - 600)
    _, st1 = decide("bandit", params, s0, [XS])
    _, st2 = decide("bandit", params, snap(offers=[XS], deals=[deal("d", 10, 5)]), [XS], st1)
    assert st2["0:0:0"]["alpha"] == st1["0:0:0"]["alpha"]


def test_bandit_converges_to_the_revenue_best_arm() -> None:
    """Simulated demand: Poisson rate 2/period at 10, 1.5 at 20, 0.2 at 40 -> 20 is best."""
    grid = [10, 20, 40]
    rates = {10: 2.0, 20: 1.5, 40: 0.2}
    strat = BanditStrategy(
        BanditStrategy.params_from_mapping(
            {"grid": grid, "period_seconds": 60.0, "prior_rate": 0.2}
        )
    )
    rng = random.Random(3)
    demand_rng = random.Random(4)
    state: dict[str, Any] = {}
    listed: int | None = None
    picks: list[int] = []
    at = NOW
    for i in range(400):
        sold = 0
        if listed is not None:
            # Poisson via exponential gaps
            t = demand_rng.expovariate(rates[listed])
            while t < 1.0:
                sold += 1
                t += demand_rng.expovariate(rates[listed])
        s = snap(
            at=at,
            offers=[XS],
            utilization=util(100),
            own_orders=[own(f"o{i}", listed, 5)] if listed is not None else [],
            deals=[deal(f"d{i}", listed or 0, sold, ago=1, now=at)] if sold else [],
        )
        d = strat.decide(s, [XS], state, rng)
        state = d.state
        listed = d.quotes[0].price
        picks.append(listed)
        at += 60
    tail = picks[-100:]
    assert tail.count(20) > 60, {g: tail.count(g) for g in grid}


def test_utilization_smooths_and_steps_at_its_own_pace() -> None:
    params = {"price": 1000, "interval_seconds": 600.0, "smoothing": 0.5}
    busy = snap(utilization=util(10, 10), offers=[XS])
    q1, st1 = decide("utilization", params, busy, [XS])
    assert q1[0].price > 1000 and st1["stepped_at"] == NOW
    # a minute later: the average moves, the price holds until the next step
    idle = snap(utilization=util(10, 0), offers=[XS], at=NOW + 60)
    q2, st2 = decide("utilization", params, idle, [XS], st1)
    assert q2[0].price == q1[0].price and "holding" in q2[0].reason
    assert st2["u_avg"] == pytest.approx(0.5)
    later = snap(utilization=util(10, 0), offers=[XS], at=NOW + 600)
    q3, _ = decide("utilization", params, later, [XS], st2)
    assert q3[0].price < q2[0].price


def test_bandit_holds_its_arm_for_a_period() -> None:
    params = {"grid": [10, 20, 40, 80], "period_seconds": 3600.0}
    q1, st1 = decide("bandit", params, snap(offers=[XS]), [XS], seed=1)
    prices = {q1[0].price}
    state = st1
    for i in range(1, 30):
        q, state = decide("bandit", params, snap(offers=[XS], at=NOW + 60 * i), [XS], state, seed=i)
        prices.add(q[0].price)
        assert "holding" in q[0].reason
    assert len(prices) == 1
    q, _ = decide("bandit", params, snap(offers=[XS], at=NOW + 3600), [XS], state, seed=99)
    assert "Thompson arm" in q[0].reason and "holding" not in q[0].reason


@pytest.mark.parametrize(
    "name", ["fixed", "competitive", "utilization", "demand", "bandit", "portfolio", "robust"]
)
def test_same_inputs_same_decision_and_inputs_untouched(name: str) -> None:
    """Pure: no clock, no global randomness, no mutation of what it is given."""
    s = snap(
        offers=[XS, S],
        book=[rival("a", 100), rival("b", 80, category=1)],
        requests=[request("q", 120, 3)],
        deals=[deal("d", 90, 2, ago=100)],
        own_orders=[own("o", 95, 3)],
        utilization=util(4, 3, 1),
    )
    state: dict[str, Any] = {}
    first = run_fenced(strategies.create(name), s, [XS, S], state, random.Random(5))
    random.seed(12345)  # global randomness must not matter
    again = run_fenced(
        strategies.create(name), s, [XS, S], state, random.Random(5), copy_state=False
    )
    assert first == again
    assert state == {}
    assert {q.category for q in first.quotes} == {0, 1}


def test_demand_curve_matches_the_plain_sums() -> None:
    from strategies.demand import DemandParams, expected_volume

    rng = random.Random(2)
    pairs = [[(rng.randrange(0, 50), rng.randrange(1, 5)) for _ in range(20)] for _ in range(4)]
    p = DemandParams(horizon_seconds=3600.0, lookback_seconds=7200.0)
    for price in range(0, 55):
        mine = sum(v for mp, v in pairs[0] if mp >= price)
        anyone = max(
            0,
            sum(v for mp, v in pairs[1] if mp >= price)
            - sum(v for cp, v in pairs[2] if cp <= price),
        )
        flow = sum(v for dp, v in pairs[3] if dp >= price) * 0.5
        assert expected_volume(price, *pairs, p) == pytest.approx(mine + anyone + flow)


def test_bandit_max_arm_move_keeps_the_next_arm_near_the_last() -> None:
    """Each new arm is a re-signed order and, on the rails' max step, a staircase of them."""
    grid = [10, 20, 40, 80, 160, 320, 640]
    later = snap(offers=[XS], at=NOW + 7200)
    state = {
        "0:0:0": {"alpha": [1.0] * 7, "beta": [1.0] * 7, "since": NOW, "arm": 3, "chosen_at": NOW}
    }
    near, anywhere = set(), set()
    for seed in range(40):
        params: dict[str, Any] = {"grid": grid, "period_seconds": 3600.0}
        q, _ = decide("bandit", {**params, "max_arm_move": 1}, later, [XS], state, seed)
        near.add(q[0].price)
        q, _ = decide("bandit", params, later, [XS], state, seed)
        anywhere.add(q[0].price)
    assert near <= {40, 80, 160}
    assert anywhere - {40, 80, 160}
