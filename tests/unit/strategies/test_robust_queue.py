"""robust's queue surcharge (strategies/robust_queue.py, item 37, opt-in): while the pool's queue
lasts, the market-led quotes rise; once a slot is free they are back at the market-led price."""

from __future__ import annotations

import math

import pytest

from strategies.robust_queue import queue_step
from tests.support.factories import NOW, own, rival, snap, util
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state

UP = math.log1p(0.25)


def step(
    log_m: float, last_at: float | None, u: float | None, now: float = 1000.0
) -> tuple[float, float | None]:
    return queue_step(
        log_m, last_at, now=now, utilization=u, threshold=3.0, step=120.0, up=0.25, cap=50.0
    )


def test_a_queue_raises_the_surcharge_a_step_per_interval() -> None:
    assert step(0.0, None, 3.0) == (pytest.approx(UP), 1000.0)
    assert step(UP, 1000.0, 4.0, now=1060.0) == (UP, 1000.0)  # within the step: held
    assert step(UP, 1000.0, 4.0, now=1120.0) == (pytest.approx(2 * UP), 1120.0)


def test_held_while_every_slot_is_busy_dropped_once_one_is_free() -> None:
    assert step(2 * UP, 1000.0, 2.0, now=5000.0) == (2 * UP, 1000.0)  # under the threshold
    assert step(2 * UP, 1000.0, 1.0, now=5000.0) == (2 * UP, 1000.0)  # full, no queue: held
    assert step(2 * UP, 1000.0, 0.9) == (0.0, None)  # a free slot
    assert step(2 * UP, 1000.0, None) == (2 * UP, 1000.0)  # not known: unchanged


def test_capped_and_off() -> None:
    assert step(math.log(50.0), 0.0, 10.0)[0] == pytest.approx(math.log(50.0))
    assert queue_step(
        UP, 0.0, now=1000.0, utilization=10.0, threshold=0.0, step=1.0, up=0.25, cap=50.0
    ) == (0.0, None)


@pytest.mark.parametrize(("key", "backlog", "price"), [(3.0, 30, 124), (0.0, 30, 99), (3.0, 0, 99)])
def test_a_queued_pool_raises_the_market_led_quote(key: float, backlog: int, price: int) -> None:
    """The market-led 99 under a rival at 100; every slot busy and three times as many waiting
    (utilization 4): with ``queue_markup`` 3 the quote is 99 x 1.25; off, or no queue, 99."""
    s = snap(
        offers=[XS],
        book=[rival("a", 100)],
        own_orders=[own("o", 99, 5)],
        utilization=util(10, 10, backlog),
    )
    state = perch_state(rivals_out=0.0, p_next=NOW + 36_000)
    quotes, new = decide(s, state, {"queue_markup": key, "perch_busy_open": 0.0})
    assert quotes[0].price == price
    assert ("queue" in new) == (key > 0)


@pytest.mark.parametrize(
    ("gate", "backlog", "mode"), [(True, 40, "trial"), (False, 40, "market"), (True, 0, "market")]
)
def test_the_queue_now_opens_the_perch_gate(gate: bool, backlog: int, mode: str) -> None:
    """Rivals in stock 90 % of the time and the smoothed utilization low (0.5: item 17's
    ``perch_busy_open`` reading shut), but every slot busy and four times as many waiting now:
    with ``queue_gate`` the perch's gate opens (a trial); off, or no queue, it stays shut."""
    state = perch_state(rivals_out=0.1)
    state["offers"]["0:0:0"]["u_avg"] = 0.5
    s = snap(
        offers=[XS],
        book=[rival("a", 100)],
        own_orders=[own("o", 99, 5)],
        utilization=util(10, 10, backlog),
    )
    params = {**PERCH, "queue_markup": 5.0, "queue_gate": gate}
    _, new = decide(s, state, params)
    assert memory(new).p_mode == mode
