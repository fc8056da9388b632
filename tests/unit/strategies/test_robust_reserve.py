"""A long category kept from queueing in front of a short one that earns more per slot
(strategies/robust_reserve.py, robust item 45, ``reserve_share``): the pure rules, and robust
with them."""

from __future__ import annotations

import math

import pytest

from bot.pricing.ledger import offer_capacity
from strategies.robust_reserve import reserve_volumes, shut_share
from tests.support.factories import NOW, deal, offer, snap, util
from tests.unit.strategies.test_strategy_robust import decide

# train 1443: XS (about 220 s) at 35.2 M, category 3 (about 4,600 s) at 230 M, 2 slots
YIELDS = (35_200_000 / 221, 230_000_000 / 4_613)
RUNS = (221.0, 4_613.0)


def test_the_long_category_keeps_to_the_slots_less_the_reserve() -> None:
    # 2 slots, one kept for XS: category 3 lists at most 1, less what it holds already
    assert reserve_volumes((4, 4), YIELDS, RUNS, (True, True), (0, 0), 2, 1.0, 1) == (4, 1)
    assert reserve_volumes((4, 4), YIELDS, RUNS, (True, True), (0, 1), 2, 1.0, 1) == (4, 0)
    # with no slot reserved, it never queues: both slots, less the tasks it holds
    assert reserve_volumes((4, 4), YIELDS, RUNS, (True, True), (0, 1), 2, 1.0, 0) == (4, 1)
    assert reserve_volumes((4, 4), YIELDS, RUNS, (True, True), (0, 3), 2, 1.0, 0) == (4, 0)
    # a volume is never raised
    assert reserve_volumes((4, 0), YIELDS, RUNS, (True, True), (0, 0), 2, 1.0, 0) == (4, 0)


def test_nothing_is_capped_without_a_shorter_better_paying_category_turned_away() -> None:
    # the short category not turned away (or not selling)
    assert reserve_volumes((4, 4), YIELDS, RUNS, (False, True), (0, 0), 2, 1.0, 1) == (4, 4)
    # the long category pays more per slot-second (train 1430: category 2 over XS)
    rich = (YIELDS[0], 3 * YIELDS[0])
    assert reserve_volumes((4, 4), rich, RUNS, (True, True), (0, 0), 2, 1.0, 1) == (4, 4)
    # a shorter category is never capped for a longer one that pays more per slot-second
    assert reserve_volumes((4, 4), (1.0, 5.0), RUNS, (True, True), (0, 0), 2, 1.0, 1) == (4, 4)
    # a share under 1 asks for a wider gap: 50 k against 0.3 x 159 k is not under it
    assert reserve_volumes((4, 4), YIELDS, RUNS, (True, True), (0, 0), 2, 0.3, 1) == (4, 4)
    assert reserve_volumes((4, 4), YIELDS, RUNS, (True, True), (0, 0), 2, 0.4, 1) == (4, 1)


def test_off_and_a_single_category_leave_the_volumes() -> None:
    assert reserve_volumes((4, 4), YIELDS, RUNS, (True, True), (0, 0), 2, 0.0, 1) == (4, 4)
    assert reserve_volumes((4,), YIELDS[1:], RUNS[1:], (True,), (0,), 2, 1.0, 1) == (4,)


def test_the_shut_share_decays_by_its_half_life() -> None:
    assert shut_share(0.0, 7_200.0, True, 7_200.0) == pytest.approx(0.5)
    assert shut_share(0.5, 7_200.0, False, 7_200.0) == pytest.approx(0.25)
    assert shut_share(0.3, 0.0, True, 7_200.0) == 0.3
    assert shut_share(0.3, 600.0, True, 7_200.0) == pytest.approx(
        1 - 0.7 * math.exp(-math.log(2) * 600 / 7_200)
    )


LONG = offer(category=3, task_seconds=6_000, max_volume=4)
SHORT = offer(category=0, task_seconds=200, max_volume=4)
ON = {"reserve_share": 1.0, "reserve_slots": 1, "reserve_shut": 0.1}
# XS sold 5 tasks at 40 in the last hours; category 3 sold 1 at 300
DEALS = [deal(f"x{i}", 40, ago=3_600.0 + 60 * i) for i in range(5)] + [
    deal("l", 300, ago=5_000.0, category=3)
]


def _decisions(params: dict[str, float]) -> tuple[int, ...]:
    """Three decisions an hour apart: the pool free, then full (a queue XS cannot wait in),
    then free again; the listed volumes at the last."""
    full = util(registered=2, computing=2, backlog=60)
    assert offer_capacity(full, SHORT) == 0  # XS has no room
    state = None
    volumes = ()
    for i, u in enumerate((util(registered=2), full, util(registered=2))):
        at = NOW + 3_600.0 * i
        s = snap(offers=[SHORT, LONG], deals=DEALS, utilization=u, at=at)
        quotes, state = decide(s, state, {"perch_trial_seconds": 0.0, **params}, [SHORT, LONG])
        volumes = tuple(q.volume for q in quotes)
    return volumes


def test_robust_caps_the_long_category_once_the_short_one_was_turned_away() -> None:
    assert _decisions({})[1] == 4  # main: what the pool admits (a queue included)
    assert _decisions(ON)[1] == 1  # one slot kept for XS
    assert _decisions({**ON, "reserve_slots": 0})[1] == 2  # never queued: both slots
    # not turned away for long enough (a share under 0.9 after one full hour of two)
    assert _decisions({**ON, "reserve_shut": 0.9})[1] == 4
