"""Robust item 83 (strategies/robust_surgewait.py, ``surge_lost_free``): a trial item 77's cut
opened that sold and that the rivals' return ends keeps guard 5's schedule the cut found. The pure
rule, and in robust the replaced time kept on the cut's trial, the schedule kept after it sold,
the back-off after it did not, and nothing of it off."""

from __future__ import annotations

import pytest

from strategies.robust import RobustParams
from strategies.robust_surgewait import surge_sold_ends
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_surgewait import surge
from tests.unit.strategies.test_strategy_robust import PERCH

PERCH_WAIT = PERCH["perch_wait_seconds"]


@pytest.mark.parametrize(
    ("trial", "settled", "was", "ends"),
    [
        (True, True, NOW + 40_000, True),  # 1887 category 3: sold at 21,900 M, then the return
        (True, True, NOW - 3_000, True),  # the replaced time passed: due at once
        (True, False, NOW + 40_000, False),  # unsold (1425's trials from the top): back-off
        (True, True, 0.0, False),  # not a cut's trial
        (False, True, NOW + 40_000, False),  # a perch: item 68/80's rules
    ],
)
def test_a_surge_s_trial_that_sold_ends_with_the_surge(
    trial: bool, settled: bool, was: float, ends: bool
) -> None:
    assert surge_sold_ends(trial=trial, settled=settled, was=was) is ends


FREE = {"surge_wait_seconds": 7_200.0, "surge_lost_free": True}
ITEM77 = {"surge_wait_seconds": 7_200.0, "surge_lost_free": False}  # item 77 as measured
SOLD = {"p_mode": "trial", "p_settled": True, "p_price": 538, "p_since": NOW - 600}


def test_the_cut_s_trial_keeps_the_schedule_it_replaced() -> None:
    # the cut opens the trial and keeps the wait it cut (with the key only)
    on = surge(FREE)
    off = surge(ITEM77)
    assert (on.p_mode, on.g_was, off.p_mode, off.g_was) == ("trial", NOW + 40_000, "trial", 0.0)


def test_a_cut_s_trial_that_sold_ended_by_the_rivals_return_keeps_the_schedule() -> None:
    # guard 5's slow count at 0.1: the rivals are back. The cut's trial sold at 538: the next
    # trial at the time the cut replaced, not perch_wait_seconds from now
    m = surge(FREE, **SOLD, g_was=NOW + 40_000)
    assert (m.p_mode, m.p_next, m.g_was) == ("market", NOW + 40_000, 0.0)
    # that time passed: due at once (the gate opens it when the rivals are out again)
    m = surge(FREE, **SOLD, g_was=NOW - 3_000)
    assert (m.p_mode, m.p_next) == ("market", NOW)
    # off: item 77 as measured, perch_wait_seconds from now
    m = surge(ITEM77, **SOLD, g_was=NOW + 40_000)
    assert (m.p_mode, m.p_next) == ("market", NOW + PERCH_WAIT)
    # not a cut's trial: the same
    m = surge(FREE, **SOLD)
    assert (m.p_mode, m.p_next) == ("market", NOW + PERCH_WAIT)


def test_a_cut_s_trial_that_did_not_sell_is_lost_as_before() -> None:
    m = surge(FREE, **{**SOLD, "p_settled": False}, g_was=NOW + 40_000)
    # the back-off (twice the wait), not the replaced schedule
    assert (m.p_mode, m.p_next) == ("market", NOW + 2 * PERCH_WAIT)


def test_on_by_default() -> None:
    """On since session 25 (false: item 77 exactly, a cut's trial keeps no replaced time)."""
    assert RobustParams().surge_lost_free is True
    assert surge({}) == surge(FREE)
    assert surge({"surge_lost_free": False}).g_was == 0.0
