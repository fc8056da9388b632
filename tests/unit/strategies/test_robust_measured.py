"""Item 51's tier trial is not opened at a level a lost trial already listed unsold
(strategies/robust_measured.py, ``tier_open_unsold``, robust item 61): the pure rule, the level
remembered when a trial ends for want of a sale (not when the rivals come back), and the tier's
trial kept shut by it with the key on, opened as before with the key off."""

from __future__ import annotations

import pytest

from strategies.robust_measured import measured, unsold_level
from tests.unit.strategies.test_robust_tierends import before, unsold
from tests.unit.strategies.test_robust_tieropen import OFF, ON, decides, rows

UNSOLD = {**ON, "tier_open_unsold": True}


@pytest.mark.parametrize(
    ("kept", "price", "out"),
    [
        (0, 5_000, 5_000),  # the first lost trial
        (4_000, 5_000, 4_000),  # the lowest is kept
        (6_000, 5_000, 5_000),
        (4_000, 0, 4_000),  # no level: nothing new
    ],
)
def test_unsold_level(kept: int, price: int, out: int) -> None:
    assert unsold_level(kept, price) == out


@pytest.mark.parametrize(
    ("unsold_at", "level", "out"),
    [
        (4_000, 5_000, True),  # a tier buyer would have bought at 4,000
        (5_000, 5_000, True),
        (5_001, 5_000, False),  # above the tier: it says nothing of its buyers
        (0, 5_000, False),  # no lost trial
    ],
)
def test_measured(unsold_at: int, level: int, out: bool) -> None:
    assert measured(unsold_at, level) is out


def test_robust_keeps_the_tier_shut_at_a_level_measured_unsold() -> None:
    m = decides(UNSOLD, rows(), t_unsold=4_000)
    assert (m.p_mode, m.t_open) == ("market", False)
    # a lost trial's level above the tier's: the tier opens as with the key off
    m = decides(UNSOLD, rows(), t_unsold=6_000)
    assert (m.p_mode, m.p_price, m.t_open) == ("trial", 5_000, True)
    # off (main 14593de): the remembered level is not read
    m = decides(ON, rows(), t_unsold=4_000)
    assert (m.p_mode, m.p_price, m.t_open) == ("trial", 5_000, True)
    assert decides(OFF, rows(), t_unsold=4_000).p_mode == "market"


def test_robust_remembers_the_level_a_trial_ended_unsold_at() -> None:
    """Item 57's end (the level unsold 2 h while the tier's buyers came) is an end for want of a
    sale: its level is kept with the key on, not with it off."""
    on = {**UNSOLD, "tier_open_ends": 2.0}
    m = decides(on, before(8), **unsold())
    assert (m.p_mode, m.t_lost, m.t_unsold) == ("market", True, 5_000)
    m = decides(on, before(8), **unsold(t_unsold=3_000))
    assert m.t_unsold == 3_000  # the lowest kept
    m = decides({**ON, "tier_open_ends": 2.0}, before(8), **unsold())
    assert (m.p_mode, m.t_unsold) == ("market", 0)


def test_robust_does_not_count_a_descent_or_the_rivals_return() -> None:
    on = {**UNSOLD, "tier_open_ends": 2.0}
    # a thin tier: the trial descends (not lost), nothing remembered
    m = decides(on, before(6), **unsold())
    assert (m.p_mode, m.p_price, m.t_unsold) == ("trial", 2_500, 0)
    # rivals back in stock (the count under half the gate): lost, but not for want of a sale
    m = decides(on, before(8), **unsold(p_out=0.1))
    assert (m.p_mode, m.t_unsold) == ("market", 0)
