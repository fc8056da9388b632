"""``robust``'s top-tier trial opened again after a loss (strategies/robust_rearm.py,
``tier_rearm_seconds``, robust item 75): the pure rules, and in robust the re-opening on buyers
seen since the loss, its doubling wait, and item 61's record not applied after it."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_rearm import rearm_due, rearm_since
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
