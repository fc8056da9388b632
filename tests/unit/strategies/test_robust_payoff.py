"""Guard 7's anchor under a cheaper rival whose restocks pay for the price given up
(strategies/robust_payoff.py, ``anchor_pay_factor``, robust item 93): the pure readings and test,
and on guard 7's steady scene (item 90's, tests/unit/strategies/test_robust_near.py) a pool at
90 in stock 20 % of the time setting the anchor with the key where its restocks pay, not where
our last hour sold at a perch or its restocks do not pay, and never with the key off (main
74e06d6)."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_payoff import (
    LEVEL_TASKS,
    hour_sold,
    level_reading,
    pay_setters,
    restock_rate,
)
from tests.support.factories import RIVAL, RIVAL2, deal, own, rival, snap, util
from tests.unit.strategies.test_robust_near import _state as near_state
from tests.unit.strategies.test_strategy_robust import KEY, NOW, XS, decide


@pytest.mark.parametrize(
    ("volume", "period", "since", "out"),
    [
        (3, 1800.0, 600.0, 6.0),
        (2, 300.0, 600.0, 24.0),  # restocked two periods ago: still a reading
        (2, 300.0, 601.0, None),  # longer: withdrawn, not sold
        (3, None, 0.0, None),
        (3, 0.0, 0.0, None),
        (0, 600.0, 0.0, None),
    ],
)
def test_restock_rate(volume: float, period: float | None, since: float, out: float | None) -> None:
    assert restock_rate(volume, period, since) == out


@pytest.mark.parametrize(
    ("deals", "out"),
    [
        ([(99, 2), (99, 3)], 5.0),  # sold under the setter: the level's reading
        ([(99, 2), (100, 1)], None),  # one at the setter or above: a perch's hour
        ([], None),  # nothing sold: no reading
    ],
)
def test_hour_sold(deals: list[tuple[int, int]], out: float | None) -> None:
    assert hour_sold(deals, 100) == out


@pytest.mark.parametrize(
    ("listed", "out"),
    [
        (99, (4.8, 10.0)),  # between the pool and the setter: rate x (1 - share), ours
        (89, (6.0, 4.0)),  # under the pool: its rate, ours less it
        (100, None),  # at the setter (a perch above it too): no reading
        (None, None),  # unlisted
    ],
)
def test_level_reading(listed: int | None, out: tuple[float, float] | None) -> None:
    got = level_reading(10.0, listed, 90, 100, 6.0, 0.2)
    assert got == out if out is None or got is None else got == pytest.approx(out)


@pytest.mark.parametrize(
    ("sold", "listed", "out"),
    [
        # item 95: a single task in the hour above the pool reads no level (held-out 10045)
        (1.0, 99, None),
        (float(LEVEL_TASKS), 99, (4.8, 2.0)),
        (1.0, 89, (6.0, 0.0)),  # under the pool: read as before
    ],
)
def test_level_reading_wants_two_tasks_above_the_pool(
    sold: float, listed: int, out: tuple[float, float] | None
) -> None:
    got = level_reading(sold, listed, 90, 100, 6.0, 0.2)
    assert got == out if out is None or got is None else got == pytest.approx(out)


@pytest.mark.parametrize(
    ("pools", "setter", "factor", "out"),
    [
        # 1634's shape: 37 under 41, 4.5 tasks an hour more against our 10: pays
        ([(37, 4.5, 10.0)], 41, 1.0, [37]),
        # 1018's shape: 33 under 89, 1 task an hour more against our 2: does not pay
        ([(33, 1.0, 2.0)], 89, 1.0, []),
        # nothing sold at the setter's level: any restock taken pays
        ([(30, 1.0, 0.0)], 41, 1.0, [30]),
        # a margin asked: 37 x 14.5 = 536.5 against 1.4 x 41 x 10 = 574
        ([(37, 4.5, 10.0)], 41, 1.4, []),
        ([(37, 4.5, 10.0)], 41, 0.0, []),  # off
        ([(41, 4.5, 10.0)], 41, 1.0, []),  # not under the setter (the setter itself)
    ],
)
def test_pay_setters(
    pools: list[tuple[int, float, float]], setter: int, factor: float, out: list[int]
) -> None:
    assert pay_setters(pools, setter, 0, factor) == out


def _state(perched_ago: float = 86400.0) -> dict[str, Any]:
    """Item 90's steady scene (a pool at 90 in stock 20 % of the time, out now; one at 100 in
    stock 90 %), with item 40's and item 44's readings of the 90 pool: 3 tasks restocked every
    600 s (18 an hour); our last perch quote ``perched_ago`` s ago."""
    state = near_state(90)
    mem = state["offers"][KEY]
    mem["c_rivals"] = {RIVAL: [90.0, 3.0, NOW - 600.0]}
    # [price, remaining, last restock, shortest interval, intervals, seen, sold, wait, waits]
    mem["c_restock"] = {RIVAL: [90.0, 0.0, NOW - 600.0, 600.0, 2.0, NOW - 600.0, 0.0, 0.0, 0.0]}
    mem["y_perched_at"] = NOW - perched_ago
    return state


def _snap(price: int = 99, sold: int = 5) -> Any:
    """The 100 pool listed, our order at 99, ``sold`` tasks at ``price`` in the last hour."""
    return snap(
        offers=[XS],
        book=[rival("b", 100, workerpool=RIVAL2)],
        own_orders=[own("o", 99, 2)],
        deals=[deal(f"d{i}", price, ago=300.0 + 60 * i) for i in range(sold)],
        utilization=util(10, 2),
    )


def test_a_rival_whose_restocks_pay_sets_the_anchor_with_the_key() -> None:
    params: dict[str, Any] = {"perch_trial_seconds": 0.0}
    on = {**params, "anchor_pay_factor": 1.0}
    # off (main): the 90 pool's share is under anchor_in_share: under the 100 pool
    assert decide(_snap(), _state(), params)[0][0].price == 99
    # 89 x (5 + 18 x 0.8) >= 99 x 5: under the 90 pool
    quotes, _ = decide(_snap(), _state(), on)
    assert quotes[0].price == 89 and "steady market" in quotes[0].reason
    # a margin the restocks do not pay: 89 x 19.4 < 20 x 99 x 5
    assert decide(_snap(), _state(), {**params, "anchor_pay_factor": 20.0})[0][0].price == 99
    # our last hour held a perch: no reading, the share's test stands
    assert decide(_snap(), _state(perched_ago=1800.0), on)[0][0].price == 99
    # a sale at the setter's price or above (a perch's): no reading either
    assert decide(_snap(price=150), _state(), on)[0][0].price == 99
    # item 95: a single task sold in the hour at the setter's level is no reading of it
    # (89 x (1 + 14.4) >= 99 x 1 would pay)
    assert decide(_snap(sold=1), _state(), on)[0][0].price == 99
    assert decide(_snap(sold=2), _state(), on)[0][0].price == 89
