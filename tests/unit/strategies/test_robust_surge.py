"""robust's perch slots (strategies/robust_surge.py): on a saturated pool, a category at its
market-led price pays for the slot a perch's buyer of another category would have used."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from strategies.robust import OfferMemory
from strategies.robust_caps import Buyer
from strategies.robust_surge import campaign, perch_slot_floor, queued, surged
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


@pytest.mark.parametrize(
    ("ends", "backlog", "mode"), [(True, 40, "perch"), (False, 40, "check"), (True, 0, "check")]
)
def test_a_check_that_queues_the_pool_ends_back_at_the_perch(
    ends: bool, backlog: int, mode: str
) -> None:
    """Item 33 (opt-in, ``check_queue_ends``): a committed perch at 5,000 is being checked
    (the market-led 99 quoted afresh) and every slot is busy with four times as many tasks
    waiting (item 17's ``perch_busy_open``): the buyers pay more than the market-led price, so
    the check ends back at the perch; off, or without a queue, the check goes on."""
    state = perch_state(
        rivals_out=0.9,
        p_mode="check",
        p_since=NOW - 600,
        p_price=5_000,
        p_hold=7_200.0,
        perch_ev=[10 * 5_000.0, 10.0, 36_000.0],
        u_avg=5.0 if backlog else 0.5,
    )
    s = snap(offers=[XS], book=[], own_orders=[own("o", 99, 5)], utilization=util(10, 10, backlog))
    _, new = decide(s, state, {**PERCH, "check_queue_ends": ends, "perch_busy_open": 5.0})
    assert memory(new).p_mode == mode


def test_a_surge_is_a_busy_pool_and_rivals_sold_out_now() -> None:
    assert surged(rivals_out=0.95, u_avg=2.5, share=0.9, busy=2.0)
    assert not surged(rivals_out=0.85, u_avg=2.5, share=0.9, busy=2.0)  # rivals in stock lately
    assert not surged(rivals_out=0.95, u_avg=1.5, share=0.9, busy=2.0)  # no queue
    assert not surged(rivals_out=0.95, u_avg=None, share=0.9, busy=2.0)
    assert not surged(rivals_out=1.0, u_avg=9.0, share=0.0, busy=2.0)  # off


@pytest.mark.parametrize(
    ("share", "fast", "u_avg", "backlog", "mode"),
    [
        (0.9, 0.95, 3.0, 20, "trial"),
        (0.0, 0.95, 3.0, 20, "market"),  # off: main
        (0.9, 0.5, 3.0, 20, "market"),  # the rivals were in stock minutes ago
        (0.9, 0.95, 1.5, 5, "market"),  # slots busy, but no queue as long as the pool
    ],
)
def test_a_surge_opens_the_perch_gate_the_slow_count_has_not_reached(
    share: float, fast: float, u_avg: float, backlog: int, mode: str
) -> None:
    """Item 53 (``perch_surge_out``): guard 5's slow count at 0.1 (under its 0.5 gate), no rival
    in stock now, the markup's fast count at ``fast`` and the pool's smoothed utilization at
    ``u_avg`` (under ``perch_busy_open``'s 5): a busy pool whose rivals sold out within minutes
    opens the trial; off, with the rivals in stock lately, or without a queue, it stays shut."""
    state = perch_state(rivals_out=fast, p_out=0.1, u_avg=u_avg)
    s = snap(offers=[XS], book=[], own_orders=[own("o", 99, 5)], utilization=util(10, 10, backlog))
    _, new = decide(s, state, {**PERCH, "perch_surge_out": share})
    assert memory(new).p_mode == mode


def test_a_campaign_is_one_cap_holding_most_of_the_window_s_tasks() -> None:
    burst = [Buyer(NOW - 60.0 * i, 100, 2) for i in range(9)] + [Buyer(NOW - 30.0, 300, 1)]
    assert campaign(burst, 0.4)  # 18 of 19 tasks at one cap
    assert not campaign(burst, 0.0)  # off
    spread = [Buyer(NOW - 60.0 * i, 100 + i, 1) for i in range(14)] + [
        Buyer(NOW - 30.0 * i, 758, 1) for i in range(5)
    ]
    assert not campaign(spread, 0.4)  # a surge's many buyers: the top tier 5 of 19 tasks
    assert campaign(spread, 0.25)
    assert not campaign([], 0.4)  # no buyer of known cap: no campaign


def capped_deal(label: str, cap: int, volume: int = 1, ago: float = 600.0) -> Any:
    """``volume`` tasks of ours sold at the market-led 99 to a buyer who stated ``cap``."""
    return dataclasses.replace(deal(label, 99, volume, ago=ago), request_maxprice=cap)


CAMPAIGN = [capped_deal(f"c{i}", 5_000, 3, ago=60.0 * (i + 1)) for i in range(6)]
SURGE = [capped_deal(f"s{i}", 400 + 37 * i, ago=60.0 * (i + 1)) for i in range(12)]


ONE = [capped_deal("one", 5_000)]


@pytest.mark.parametrize(
    ("campaign_share", "floor", "deals", "mode"),
    [
        (0.4, 0, CAMPAIGN, "market"),  # one cap holds all 18 tasks: a campaign's burst
        (0.0, 0, CAMPAIGN, "trial"),  # off: item 53 alone
        (0.4, 0, SURGE, "trial"),  # twelve buyers, twelve caps: a surge
        (0.4, 0, SURGE + CAMPAIGN[:2], "trial"),  # 6 of 18 tasks at one cap
        (0.4, 0, SURGE + CAMPAIGN[:3], "market"),  # 9 of 21
        (0.4, 0, ONE, "market"),  # item 56 alone: one buyer is a campaign
        (0.4, 5, ONE, "trial"),  # item 60: one task is a surge's first buyer
        (0.4, 5, CAMPAIGN, "market"),  # 18 tasks at one cap: still a campaign
    ],
)
def test_a_campaign_s_burst_does_not_open_the_gate_a_surge_opens(
    campaign_share: float, floor: int, deals: list[Any], mode: str
) -> None:
    """Item 56 (``perch_surge_campaign``): item 53's busy pool with its rivals sold out now opens
    guard 5's trial unless one cap holds at least the share of our window's tasks, and (item 60,
    ``perch_surge_campaign_tasks``) at least ``floor`` tasks."""
    state = perch_state(rivals_out=0.95, p_out=0.1, u_avg=3.0)
    s = snap(
        offers=[XS],
        book=[],
        deals=deals,
        own_orders=[own("o", 99, 5)],
        utilization=util(10, 10, 20),
    )
    params = {
        **PERCH,
        "perch_surge_out": 0.9,
        "perch_surge_campaign": campaign_share,
        "perch_surge_campaign_tasks": floor,
    }
    _, new = decide(s, state, params)
    assert memory(new).p_mode == mode


def test_a_campaign_s_cap_must_hold_enough_tasks_not_one_buyer_by_chance() -> None:
    """Item 60 (``perch_surge_campaign_tasks``): one buyer of one task at a surge's start holds
    all the window's tasks at its cap (train ``surge`` 1048); a floor of tasks tells it from a
    campaign's tens of tasks at one cap."""
    one = [Buyer(NOW - 60.0, 146, 1)]
    burst = [Buyer(NOW - 60.0 * i, 100, 2) for i in range(9)]
    assert campaign(one, 0.4)  # item 56 alone: a share of 1.0
    assert not campaign(one, 0.4, 5)
    assert campaign(burst, 0.4, 5)  # 18 tasks at one cap
    assert campaign(burst, 0.4, 18)
    assert not campaign(burst, 0.4, 19)
    assert not campaign(burst, 0.0, 5)  # item 56 off: no floor makes a campaign
