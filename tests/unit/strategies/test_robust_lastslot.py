"""robust item 102 (strategies/robust_lastslot.py, ``perch_slot_last``): a long task that would
take the last slot the perches' tasks have pays item 17's slot floor for its whole run, whatever
the pool's smoothed utilization."""

from __future__ import annotations

import pytest

from strategies.robust_lastslot import KEEP_BAND, kept_floor, last_slots
from tests.support.factories import own, rival, snap, util
from tests.unit.strategies.test_robust_surge import BIG, two_offers
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide


@pytest.mark.parametrize(
    ("slots", "tasks", "perched", "on", "last"),
    [
        ([1, 1], [], {0}, True, [False, True]),  # one slot: every long task is on the last
        ([3, 3], [3, 3], {0}, True, [False, True]),  # 3 slots, 2 held by long tasks: the last
        ([3, 3], [3], {0}, True, [False, False]),  # one held: the perch keeps one after the next
        ([3, 3], [3, 0, 0], {0}, True, [False, False]),  # the perch's own tasks hold no slot
        ([3, 3], [], {0}, True, [False, False]),  # room beside the next long task
        ([1, 1], [], set(), True, [True, True]),  # no perch: the caller has no floor to set
        ([0, 0], [], {0}, True, [False, False]),  # no slots read
        ([1, 1], [3], {0}, False, [False, False]),  # off (main)
    ],
)
def test_last_slots(
    slots: list[int], tasks: list[int], perched: set[int], on: bool, last: list[bool]
) -> None:
    assert last_slots([0, 3], slots, tasks, perched, on) == last


@pytest.mark.parametrize(
    ("floor", "listed", "quoted"),
    [
        (100, 150, 150),  # listed inside the band: kept (no re-sign while the rate drifts)
        (100, 100, 100),
        (100, 400, 400),  # KEEP_BAND x the floor
        (100, 401, 100),  # above the band: the floor
        (100, 99, 100),  # under the floor: raised to it
        (100, None, 100),  # nothing listed
    ],
)
def test_kept_floor(floor: int, listed: int | None, quoted: int) -> None:
    assert KEEP_BAND == 4.0
    assert kept_floor(floor, listed) == quoted


@pytest.mark.parametrize(
    ("key", "slots", "price"),
    [
        (True, 1, 116_851),  # one slot, idle pool: 30,000 s x 3.96 nRLC/s, the whole run (aged)
        (False, 1, 99),  # off (main f7e4559): an idle pool displaces nothing
        (True, 10, 99),  # ten slots, none held: the long task leaves the perch nine
    ],
)
def test_a_long_task_on_the_last_slot_pays_for_the_perch_on_an_idle_pool(
    key: bool, slots: int, price: int
) -> None:
    """test_robust_surge's pool (XS perched at 1,584, 3.96 nRLC/s; category 3 one under its
    rival at 100), idle (smoothed utilization 0, nothing computing): item 17's gate is shut."""
    s = snap(
        offers=[XS, BIG],
        book=[rival("r", 100, category=3)],
        own_orders=[own("o", 1_584, 5)],
        utilization=util(slots, 0, 0),
    )
    params = {**PERCH, "perch_slot_share": 1.0, "perch_slot_last": key}
    quotes, _ = decide(s, two_offers(0.0), params, offers=[XS, BIG])
    assert quotes[0].price == 1_584  # the perch itself is not floored
    assert quotes[1].price == price
    assert ("at a perch" in quotes[1].reason) is (price > 99)
    assert quotes[1].jump is (price > 99)
