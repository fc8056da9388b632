"""``robust``'s top-tier trial opened again after a loss (strategies/robust_rearm.py,
``tier_rearm_seconds`` and ``tier_pace_cap_seconds``, robust item 75): the pure rules, and in
robust the re-opening on buyers seen since the loss, its doubling wait, and the tier's pace."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_rearm import rearm_due, rearm_since, tier_step_cap
from tests.support.factories import NOW
from tests.unit.strategies.test_robust_tieropen import ON, decides, rows


@pytest.mark.parametrize(
    ("lost", "lost_at", "rearms", "wait", "due"),
    [
        (False, 0.0, 0, 0.0, True),  # never lost: item 51 as before, key or not
        (True, NOW - 50_000, 0, 0.0, False),  # off: one chance
        (True, NOW - 50_000, 0, 43_200.0, True),  # lost 13.9 h ago, the wait 12 h
        (True, NOW - 40_000, 0, 43_200.0, False),  # lost 11.1 h ago
        (True, NOW - 50_000, 1, 43_200.0, False),  # re-opened once: 24 h now
        (True, NOW - 90_000, 1, 43_200.0, True),
        (True, NOW - 43_200, 0, 43_200.0, True),  # the boundary: due
    ],
)
def test_a_lost_tier_may_open_again_after_a_doubling_wait(
    lost: bool, lost_at: float, rearms: int, wait: float, due: bool
) -> None:
    assert rearm_due(lost=lost, lost_at=lost_at, rearms=rearms, now=NOW, wait=wait) is due


def test_after_a_loss_the_tier_is_read_from_the_buyers_since_it() -> None:
    assert rearm_since(lost=False, lost_at=NOW - 100, since=NOW - 3_600) == NOW - 3_600
    assert rearm_since(lost=True, lost_at=NOW - 100, since=NOW - 3_600) == NOW - 100
    assert rearm_since(lost=True, lost_at=NOW - 7_200, since=NOW - 3_600) == NOW - 3_600


@pytest.mark.parametrize(
    ("opened", "cap", "out"),
    [
        (True, 43_200.0, 43_200.0),  # a tier trial waits its pace up to 12 h
        (False, 43_200.0, 5_400.0),  # another trial: a quarter of the trial, as before
        (True, 0.0, 5_400.0),  # off
        (True, 3_600.0, 5_400.0),  # never shorter than the usual cap
    ],
)
def test_a_tier_trial_s_price_waits_its_pace(opened: bool, cap: float, out: float) -> None:
    assert tier_step_cap(usual=5_400.0, tier_cap=cap, tier_opened=opened) == out


REARM = {**ON, "tier_rearm_seconds": 3_600.0}


def lost(at: float, **fields: Any) -> dict[str, Any]:
    return {"t_lost": True, "t_lost_at": at, **fields}


def test_robust_opens_a_lost_tier_again_on_buyers_since_the_loss() -> None:
    """``rows()``: six buyers at 5,000 between 10 h and 8.75 h ago, 34 at 150 after them."""
    # off: a lost tier trial ends item 51 for the offer
    m = decides(ON, rows(), **lost(NOW - 40_000))
    assert (m.p_mode, m.t_open) == ("market", False)
    # on, lost 11.1 h ago (before the tier's buyers), the wait 1 h: the trial opens again
    m = decides(REARM, rows(), **lost(NOW - 40_000))
    assert (m.p_mode, m.p_price, m.t_open, m.t_lost, m.t_rearms) == (
        "trial",
        5_000,
        True,
        False,
        1,
    )
    # lost after the tier's buyers: no buyer since the loss stated the level
    m = decides(REARM, rows(), **lost(NOW - 30_000))
    assert (m.p_mode, m.t_open) == ("market", False)
    # re-opened four times already: the wait is 16 h, not over
    m = decides(REARM, rows(), **lost(NOW - 40_000, t_rearms=4))
    assert (m.p_mode, m.t_open) == ("market", False)


def test_the_lost_trial_s_unsold_record_is_not_applied_after_the_wait() -> None:
    """Item 61 (``tier_open_unsold``): a lost trial listed 400 unsold, under the 5,000 level."""
    unsold = {"tier_open_unsold": True}
    assert decides({**ON, **unsold}, rows(), t_unsold=400).t_open is False
    m = decides({**REARM, **unsold}, rows(), **lost(NOW - 40_000, t_unsold=400))
    assert (m.p_mode, m.t_open) == ("trial", True)


def test_a_lost_tier_trial_records_when_with_the_key_only() -> None:
    trial = {"p_mode": "trial", "p_since": NOW - 600, "p_price": 5_000, "v_price": 5_000}
    m = decides(REARM, rows(), t_open=True, **trial)
    assert (m.p_mode, m.t_lost, m.t_lost_at) == ("market", True, NOW)
    m = decides(ON, rows(), t_open=True, **trial)
    assert (m.p_mode, m.t_lost, m.t_lost_at) == ("market", True, 0.0)


def test_a_tier_trial_s_unsold_price_waits_its_pace_in_robust() -> None:
    """The tier's trial at 5,000 unsold for 2 h with the rival out (count 0.6): the usual cap
    (a quarter of ``perch_trial_seconds``, 15 min here) has halved it; with
    ``tier_pace_cap_seconds`` it waits its pace (5,000 / the market-led 0.0825 nRLC/s: about
    16.8 h, capped at 12 h)."""
    trial = {
        "p_mode": "trial",
        "p_since": NOW - 7_200,
        "p_price": 5_000,
        "v_price": 5_000,
        "p_out": 0.6,
        "t_open": True,
    }
    usual = decides(ON, rows(), **trial)
    paced = decides({**ON, "tier_pace_cap_seconds": 43_200.0}, rows(), **trial)
    assert usual.p_price < 5_000
    assert (paced.p_mode, paced.p_price) == ("trial", 5_000)
