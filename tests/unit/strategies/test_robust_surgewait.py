"""``robust`` at a surge's start (strategies/robust_surgewait.py, ``surge_wait_seconds``, robust
item 77): the pure rules, and in robust the wait after a lost trial cut at a surge's start only,
the trial starting at the last level that sold, and nothing of it off."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_surgewait import surge_start, surge_starts, wait_cut
from tests.support.factories import NOW, own, snap, util
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state


@pytest.mark.parametrize(
    ("reading", "last", "gap", "starts"),
    [
        (True, 0.0, 7_200.0, True),  # the first reading of the run
        (True, NOW - 8_000, 7_200.0, True),  # none for 2.2 h: a new surge
        (True, NOW - 7_200, 7_200.0, True),  # the boundary
        (True, NOW - 600, 7_200.0, False),  # inside a surge: read 10 minutes ago
        (False, 0.0, 7_200.0, False),  # no reading
        (True, 0.0, 0.0, False),  # off
    ],
)
def test_a_surge_starts_at_a_reading_after_none_for_the_gap(
    reading: bool, last: float, gap: float, starts: bool
) -> None:
    assert surge_starts(reading=reading, last=last, now=NOW, gap=gap) is starts


def test_the_wait_is_cut_to_now_never_lengthened() -> None:
    assert wait_cut(NOW + 40_000, NOW) == NOW
    assert wait_cut(NOW - 5, NOW) == NOW - 5
    assert wait_cut(None, NOW) is None


def test_a_surge_s_trial_starts_at_the_last_level_that_sold() -> None:
    assert surge_start(99_000, 538, 32) == 538  # under the top, above the market-led price
    assert surge_start(99_000, 0, 32) == 99_000  # none sold: the top
    assert surge_start(400, 538, 32) == 400  # the top (a vouched level) is lower
    assert surge_start(99_000, 30, 32) == 99_000  # under the market-led price: no perch


SURGING = {"perch_surge_out": 0.9, "perch_surge_busy": 2.0}


def surge(params: dict[str, Any], registered: int = 10, **fields: Any) -> Any:
    """Item 53's reading: the markup's fast count at 0.95, the pool of ``registered`` slots
    queued (3.0), guard 5's slow count at 0.1; the wait after a lost trial runs 11 h more
    (``p_next``). Item 81's tests vary the slots."""
    state = perch_state(
        rivals_out=0.95, **{"p_out": 0.1, "u_avg": 3.0, "p_next": NOW + 40_000, **fields}
    )
    pool = util(registered, registered, 2 * registered)
    s = snap(offers=[XS], book=[], own_orders=[own("o", 99, 5)], utilization=pool)
    return memory(decide(s, state, {**PERCH, **SURGING, **params})[1])


def test_a_surge_s_start_cuts_the_wait_after_a_lost_trial() -> None:
    # off (main b59ba91): item 53 lifts the slow count, the wait holds, the reading is not kept
    m = surge({"surge_wait_seconds": 0.0})
    assert (m.p_mode, m.p_next, m.g_at) == ("market", NOW + 40_000, 0.0)
    # on: the trial opens now, from the top (no level sold before)
    m = surge({"surge_wait_seconds": 7_200.0})
    assert (m.p_mode, m.p_price, m.g_at) == ("trial", 99_000, NOW)
    # on, a level sold before: the trial starts there
    m = surge({"surge_wait_seconds": 7_200.0}, g_sold=538)
    assert (m.p_mode, m.p_price, m.g_due) == ("trial", 538, False)
    # inside a surge already read (10 minutes ago): the wait holds, the reading is kept
    m = surge({"surge_wait_seconds": 7_200.0}, g_at=NOW - 600)
    assert (m.p_mode, m.p_next, m.g_at) == ("market", NOW + 40_000, NOW)


def test_no_surge_no_cut_and_a_sold_level_is_remembered() -> None:
    # the rivals in stock lately (the fast count at 0.5): no reading, the wait holds
    state = perch_state(rivals_out=0.5, p_out=0.1, u_avg=3.0, p_next=NOW + 40_000)
    s = snap(offers=[XS], book=[], own_orders=[own("o", 99, 5)], utilization=util(10, 10, 20))
    m = memory(decide(s, state, {**PERCH, **SURGING, "surge_wait_seconds": 7_200.0})[1])
    assert (m.p_mode, m.p_next, m.g_at) == ("market", NOW + 40_000, 0.0)
    # a trial that sold at 538: its level is kept for the next surge (with the key only)
    held = {"p_mode": "trial", "p_settled": True, "p_price": 538, "p_since": NOW - 600}
    on = memory(
        decide(s, perch_state(**held), {**PERCH, **SURGING, "surge_wait_seconds": 7_200.0})[1]
    )
    off = memory(decide(s, perch_state(**held), {**PERCH, **SURGING, "surge_wait_seconds": 0.0})[1])
    assert (on.g_sold, off.g_sold) == (538, 0)


def test_on_by_default() -> None:
    """On since session 24 at 7,200 s (design block, old validation, held-out 8000-8051)."""
    m = surge({})
    assert (m.p_mode, m.p_price, m.g_at) == ("trial", 99_000, NOW)
