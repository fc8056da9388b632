"""``robust``'s top-tier trial on a market whose rivals keep repricing
(strategies/robust_moving.py, ``tier_moving_extend_seconds``, robust item 63): the pure rule, and
in robust the tier's trial opened over a repricing rival and judged on more evidence."""

from __future__ import annotations

from typing import Any

import pytest

from strategies.robust_moving import tier_extend, tier_gate_open
from tests.support.factories import NOW, RIVAL
from tests.unit.strategies.test_robust_tieropen import OFF, ON, decides, rows


@pytest.mark.parametrize(
    ("steady", "seen", "extend", "opens"),
    [
        (True, True, 0.0, True),  # guard 7's steady market: as item 51
        (False, True, 0.0, False),  # a rival repriced, the key off: shut, as item 51
        (False, True, 21_600.0, True),  # a rival repriced, the key on: the replay judges
        (False, False, 21_600.0, False),  # no rival pool seen: nothing to say it is masked
        (True, False, 21_600.0, True),
    ],
)
def test_the_tier_s_market(steady: bool, seen: bool, extend: float, opens: bool) -> None:
    assert tier_gate_open(steady=steady, seen=seen, extend=extend) is opens


@pytest.mark.parametrize(
    ("opened", "extend", "usual", "out"),
    [
        (True, 21_600.0, 0.0, 21_600.0),  # a tier trial runs on
        (False, 21_600.0, 0.0, 0.0),  # another trial: item 30's own extension (off)
        (True, 0.0, 0.0, 0.0),  # off
        (True, 3_600.0, 7_200.0, 7_200.0),  # item 30's longer extension is kept
        (False, 3_600.0, 7_200.0, 7_200.0),
    ],
)
def test_a_tier_trial_s_extension(opened: bool, extend: float, usual: float, out: float) -> None:
    assert tier_extend(tier_opened=opened, extend=extend, usual=usual) == out


ITEM51 = {**ON, "tier_moving_extend_seconds": 0.0}  # item 51 without item 63 (on by default)
MOVING = {**ON, "tier_moving_extend_seconds": 21_600.0, "tier_undercut_share": 0.0}  # item 63 alone
REPRICED = {"a_pools": {RIVAL: [100.0, NOW - 600, NOW - 60, 1.0]}}  # repriced 10 min ago


def test_robust_opens_the_tier_over_a_rival_that_reprices() -> None:
    # item 51 alone: guard 7 does not call the market steady, the gate stays shut
    m = decides(ITEM51, rows(), **REPRICED)
    assert (m.p_mode, m.t_open) == ("market", False)
    # with the key: the tier's trial opens as on a steady market
    m = decides(MOVING, rows(), **REPRICED)
    assert (m.p_mode, m.p_price, m.v_price, m.t_open) == ("trial", 5_000, 5_000, True)
    # the key acts only with item 51
    m = decides({**MOVING, **OFF}, rows(), **REPRICED)
    assert (m.p_mode, m.t_open) == ("market", False)


def settled(**fields: Any) -> dict[str, Any]:
    """A trial settled at 5,000 a whole ``perch_trial_seconds`` (3,600 s) ago with one sale: its
    mean (1.4 nRLC/s) far above the market-led mode's (0.08), its lower bound (z = 1) zero."""
    return {
        "p_mode": "trial",
        "p_settled": True,
        "p_since": NOW - 3_660,
        "p_price": 5_000,
        "v_price": 5_000,
        "p_out": 0.6,
        "perch_ev": [5_000.0, 1.0, 3_600.0],
        **fields,
    }


def test_an_inconclusive_tier_trial_runs_on() -> None:
    m = decides(MOVING, rows(), **settled(t_open=True))
    assert (m.p_mode, m.t_open, m.t_lost) == ("trial", True, False)
    # the key off: lost at the trial's end, and the tier will not open again (item 51)
    m = decides(ITEM51, rows(), **settled(t_open=True))
    assert (m.p_mode, m.t_open, m.t_lost) == ("market", False, True)
    # a trial the tier did not open is judged as before
    m = decides(MOVING, rows(), **settled())
    assert m.p_mode == "market"
    # past the extension: lost
    m = decides(MOVING, rows(), **settled(t_open=True, p_since=NOW - 3_600 - 21_660))
    assert (m.p_mode, m.t_lost) == ("market", True)
