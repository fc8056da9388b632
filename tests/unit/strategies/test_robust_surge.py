"""robust's perch slots (strategies/robust_surge.py): on a saturated pool, a category at its
market-led price pays for the slot a perch's buyer of another category would have used."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust import OfferMemory
from strategies.robust_surge import first_rung_bound, perch_slot_floor, queue_short, queued
from tests.support.factories import NOW, deal, own, rival, snap, util
from tests.unit.strategies.test_strategy_robust import (
    PERCH,
    XS,
    decide,
    memory,
    offer,
    perch_state,
)

BIG = offer(category=3, task_seconds=30_000, max_volume=1000)


def test_the_floor_is_the_best_other_perch_per_slot_second() -> None:
    perches = [(0, 2.0), (2, 5.0)]
    assert perch_slot_floor(perches=perches, own=1, run=100.0, share=1.0) == 500
    assert perch_slot_floor(perches=perches, own=2, run=100.0, share=0.5) == 100  # not its own
    assert perch_slot_floor(perches=perches, own=1, run=100.0, share=0.0) == 0  # off
    assert perch_slot_floor(perches=[(1, 5.0)], own=1, run=100.0, share=1.0) == 0


def two_offers(u_avg: float, big_mode: str = "market") -> dict[str, Any]:
    """XS committed at a perch of 1,584 that sold 9 tasks in an hour (3.96 nRLC/s; rivals out
    of stock); category 3 (tasks of 30,000 s) contested, one under its rival at 100; the pool's
    smoothed utilization ``u_avg``."""
    state = perch_state(
        p_mode="perch",
        p_since=NOW - 60,
        p_hold=36_000.0,
        p_price=1_584,
        perch_ev=[9 * 1_584.0, 9.0, 3600.0],
    )
    state["offers"]["0:0:0"]["perched"] = True
    big = OfferMemory(last_at=NOW - 60, u_avg=u_avg, p_mode=big_mode, p_next=NOW + 3600)  # type: ignore[arg-type]
    state["offers"]["3:0:0"] = big.to_json()
    state["base"]["modes"]["3:0:0"] = "contested"
    return state


@pytest.mark.parametrize(
    ("share", "drain", "u_avg", "backlog", "price"),
    [
        (1.0, False, 1.5, 5, 116_851),  # 30,000 s x 3.96 nRLC/s, aged by the minute's decision
        (0.0, False, 1.5, 5, 99),  # off
        (1.0, False, 0.5, 0, 99),  # free slots: a long task displaces no perch sale
        (1.0, True, 1.5, 10, 116_851),  # a queue as long as the pool: the whole run time
        (1.0, True, 1.5, 5, 58_426),  # half the pool queued: a slot frees in half a run
        (1.0, True, 1.5, 0, 99),  # the queue has gone (the smoothed reading lags): no floor
    ],
)
def test_a_long_category_pays_for_a_perch_slot_on_a_saturated_pool(
    share: float, drain: bool, u_avg: float, backlog: int, price: int
) -> None:
    s = snap(
        offers=[XS, BIG],
        book=[rival("r", 100, category=3)],
        own_orders=[own("o", 1_584, 5)],
        utilization=util(10, 10 if backlog or u_avg > 1 else 5, backlog),
    )
    params = {**PERCH, "perch_slot_share": share, "perch_slot_drain": drain}
    quotes, _ = decide(s, two_offers(u_avg), params, offers=[XS, BIG])
    assert quotes[0].price == 1_584  # the perch itself is not floored
    assert quotes[1].price == price
    assert quotes[1].jump == (price > 99)
    assert ("at a perch" in quotes[1].reason) == (price > 99)


def test_the_floor_lasts_as_long_as_the_queue() -> None:
    perches = [(0, 2.0)]
    assert perch_slot_floor(perches=perches, own=1, run=100.0, share=1.0, queue=1.25) == 50
    assert perch_slot_floor(perches=perches, own=1, run=100.0, share=1.0, queue=4.0) == 200
    assert perch_slot_floor(perches=perches, own=1, run=100.0, share=1.0, queue=1.0) == 0
    assert perch_slot_floor(perches=perches, own=1, run=100.0, share=1.0, queue=None) == 200


def test_a_queue_is_read_as_rivals_out_of_stock() -> None:
    assert queued(u_avg=3.0, threshold=2.0)
    assert not queued(u_avg=1.5, threshold=2.0)
    assert not queued(u_avg=None, threshold=2.0)
    assert not queued(u_avg=3.0, threshold=0.0)  # off


@pytest.mark.parametrize(
    ("busy_open", "backlog", "mode"), [(5.0, 40, "trial"), (0.0, 40, "market"), (5.0, 0, "market")]
)
def test_a_queued_pool_opens_a_perch_trial_the_rivals_stock_hides(
    busy_open: float, backlog: int, mode: str
) -> None:
    """Rivals in stock 90 % of the time (we undercut them), but every slot is busy and four times
    as many tasks wait: the perch's gate opens (``perch_busy_open``; 0: off); without a queue it
    stays shut."""
    state = perch_state(rivals_out=0.1)
    state["offers"]["0:0:0"]["u_avg"] = 5.0 if backlog else 0.5
    s = snap(
        offers=[XS],
        book=[rival("a", 100)],
        own_orders=[own("o", 99, 5)],
        utilization=util(10, 10, backlog),
    )
    _, new = decide(s, state, {**PERCH, "perch_busy_open": busy_open})
    assert memory(new).p_mode == mode


def test_a_queue_now_is_a_short_market() -> None:
    assert queue_short(util(2, 2, 2), 2.0)  # 4 tasks on 2 slots
    assert not queue_short(util(2, 2, 1), 2.0)
    assert not queue_short(None, 2.0)
    assert not queue_short(util(2, 2, 20), 0.0)  # off


@pytest.mark.parametrize(
    ("queue", "keep", "raised"), [(2.0, True, True), (2.0, False, False), (0.0, True, False)]
)
def test_a_queued_pool_raises_the_markup_over_rivals_in_stock(
    queue: float, keep: bool, raised: bool
) -> None:
    """Rivals always in stock (no scarcity), but 30 tasks on 10 slots: with ``markup_queue`` and
    ``markup_queue_keep`` the markup rises although nothing sold in the interval; as a trial
    (keep off) it needs a sale first; off (0): no raise."""
    state = perch_state(rivals_out=0.0)
    state["offers"]["0:0:0"]["markup_at"] = NOW - 3600
    s = snap(
        offers=[XS],
        book=[rival("a", 100)],
        own_orders=[own("o", 99, 5)],
        utilization=util(10, 10, 20),
    )
    params = {"perch_trial_seconds": 0.0, "markup_queue": queue, "markup_queue_keep": keep}
    _, new = decide(s, state, params)
    assert (memory(new).log_m > 0) is raised


def test_the_first_rung_bound() -> None:
    assert first_rung_bound(1_584, 2.0) == 3_168
    assert first_rung_bound(1_584, 0.0) == 0  # off


@pytest.mark.parametrize(("above", "bound"), [(2.0, 3_168), (0.0, 0)])
def test_a_trial_whose_first_rung_sold_refines_above_it(above: float, bound: int) -> None:
    """A trial at 1,584 (the rails' cap: no level above it seen unsold) sells at once: with
    ``perch_first_above`` 2 the refine gets 3,168 as its upper bound; off, none."""
    state = perch_state(p_mode="trial", p_since=NOW - 600, p_price=1_584, perched=True)
    s = snap(
        offers=[XS],
        book=[],
        own_orders=[own("o", 1_584, 4)],
        deals=[deal("d", 1_584, 1, ago=30)],
        utilization=util(10, 1),
    )
    _, new = decide(s, state, {**PERCH, "perch_refine": 1.1, "perch_first_above": above})
    m = memory(new)
    assert m.p_settled and m.r_hi == bound
