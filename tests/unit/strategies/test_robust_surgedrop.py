"""``robust``'s surge start held while the pool's registered slots fell lately
(strategies/robust_surgewait.py, ``surge_drop_seconds``, robust item 81): the pure rules, and in
robust no wait cut after a capacity drop, the cut after none, and nothing of it off."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_surgewait import drop_queued, slots_fell
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_surgewait import surge


@pytest.mark.parametrize(
    ("slots", "last", "drop_at", "at"),
    [
        (6, 10, 0.0, NOW),  # fell from 10 to 6: now
        (10, 10, 0.0, 0.0),  # unchanged, never fell
        (10, 10, NOW - 500, NOW - 500),  # unchanged: the earlier drop kept
        (12, 10, NOW - 500, NOW - 500),  # grew: the earlier drop kept
        (6, 0, 0.0, 0.0),  # the first reading: no drop
        (0, 4, 0.0, NOW),  # every worker left
    ],
)
def test_the_slots_fall_when_under_the_last_reading(
    slots: int, last: int, drop_at: float, at: float
) -> None:
    assert slots_fell(slots=slots, last=last, drop_at=drop_at, now=NOW) == at


@pytest.mark.parametrize(
    ("drop_at", "window", "held"),
    [
        (NOW - 16_344, 21_600.0, True),  # 1064: the drop 4.54 h before the reading
        (NOW - 21_600, 21_600.0, False),  # the boundary: the window over
        (NOW - 30_000, 21_600.0, False),  # an old drop
        (0.0, 21_600.0, False),  # never fell
        (NOW - 600, 0.0, False),  # off
    ],
)
def test_a_queue_is_a_drop_s_within_the_window(drop_at: float, window: float, held: bool) -> None:
    assert drop_queued(drop_at=drop_at, now=NOW, window=window) is held


ON = {"surge_wait_seconds": 7_200.0, "surge_drop_seconds": 21_600.0}


def test_a_drop_s_queue_starts_no_surge() -> None:
    # the slots fell from 10 to 4 at this decision: the reading is kept, the wait holds
    m = surge(ON, 4, g_slots=10)
    assert (m.p_mode, m.p_next, m.g_at, m.g_slots, m.g_drop_at) == (
        "market",
        NOW + 40_000,
        NOW,
        4,
        NOW,
    )
    # fell 4.54 h ago (1064's gap), steady since: still held
    m = surge(ON, 4, g_slots=4, g_drop_at=NOW - 16_344)
    assert (m.p_mode, m.p_next, m.g_drop_at) == ("market", NOW + 40_000, NOW - 16_344)


@pytest.mark.parametrize(
    ("registered", "fields"),
    [
        (10, {"g_slots": 10}),  # steady slots, never fell
        (4, {"g_slots": 4, "g_drop_at": NOW - 30_000}),  # fell 8.3 h ago: past the window
        (10, {}),  # the first reading of the slots: no drop
        (12, {"g_slots": 10}),  # the pool grew
    ],
)
def test_no_drop_or_an_old_one_the_surge_starts_as_item_77s(
    registered: int, fields: dict[str, Any]
) -> None:
    m = surge(ON, registered, **fields)
    assert (m.p_mode, m.p_price, m.g_at, m.g_slots) == ("trial", 99_000, NOW, registered)


def test_off_by_default_is_item_77_exactly() -> None:
    """Off (0): a drop's queue starts a surge as item 77's does, and the slots are not kept."""
    m = surge({"surge_wait_seconds": 7_200.0}, 4, g_slots=10)
    assert (m.p_mode, m.p_price, m.g_at, m.g_slots, m.g_drop_at) == (
        "trial",
        99_000,
        NOW,
        10,
        0.0,
    )
    # and without item 77 the key does nothing either (it acts only with it)
    m = surge({"surge_wait_seconds": 0.0, "surge_drop_seconds": 21_600.0}, 4, g_slots=10)
    assert (m.p_mode, m.p_next, m.g_slots, m.g_drop_at) == ("market", NOW + 40_000, 10, 0.0)
