from __future__ import annotations

import pytest

from bot.capacity import free_slots, load, offer_capacity, starts_per_slot, window_capacity
from bot.model import PoolUtilization
from tests.core.factories import offer, util

GPU = 1 << 8


@pytest.mark.parametrize(
    ("registered", "computing", "backlog", "category", "task_seconds", "expected"),
    [
        # XS window = 7 x 300 s = 2100 s; 300 s tasks -> 7 per slot
        (10, 0, 0, 0, 300, 70),
        (10, 4, 2, 0, 300, 64),  # busy slots give up one start each
        (1, 1, 0, 0, 300, 6),  # a sale shrinks capacity by one, like our remaining volume
        (2, 0, 0, 0, 2100, 2),  # exactly one task fits the window
        (2, 0, 0, 0, 2101, 0),  # a task longer than the window can never be contributed
        (10, 10, 5, 0, 300, 55),
        (3, 3, 30, 0, 300, 0),  # backlog larger than the window can absorb
        (4, 0, 0, 2, 3600, 28),  # M: 7 h window, 1 h tasks
    ],
)
def test_window_capacity(
    registered: int,
    computing: int,
    backlog: int,
    category: int,
    task_seconds: float,
    expected: int,
) -> None:
    o = offer(category=category, task_seconds=task_seconds)
    assert window_capacity(util(registered, computing, backlog), o) == expected


def test_offer_capacity_is_capped_by_max_volume_and_zero_when_unknown() -> None:
    o = offer(max_volume=5)
    assert offer_capacity(util(10), o) == 5
    assert offer_capacity(None, o) == 0
    assert free_slots(None) == 0


def test_gpu_offers_use_gpu_slots() -> None:
    u = PoolUtilization(registered_cpu=16, computing_cpu=0, registered_gpu=2, computing_gpu=1)
    o = offer(tag=GPU, task_seconds=700)  # 3 per slot in the XS window
    assert starts_per_slot(o) == 3
    assert window_capacity(u, o) == 2 * 3 - 1
    assert free_slots(u, gpu=True) == 1
    assert free_slots(u) == 16


def test_load() -> None:
    assert load(0, 0) == 0
    assert load(5, 10) == 0.5
    assert load(1, 0) == float("inf")
