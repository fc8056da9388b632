"""Robust item 101 (strategies/robust_gate.py ``trial_runs_on``, ``trial_few_tasks``): a settled trial whose
mean leads the market-led mode but whose lower bound does not, on fewer than that many decayed
sales, runs on instead of being lost. The pure rule, the scene in robust where the key keeps the
trial's quote, and nothing of it off."""

from __future__ import annotations

import pytest

from strategies.robust import RobustParams
from strategies.robust_gate import trial_runs_on
from tests.unit.strategies.test_strategy_robust import memory, settled_trial

HOUR = 3600.0
# train 1512's market-led mode at 60.97 h: 0.0843 RLC/h (as 185 tasks at ~5.5 M in 12 h)
MARKET = [185 * 5.47e6, 185.0, 12 * HOUR]
# its trial at 103 M: 6.32 decayed sales, 0.644 RLC over 5.24 h (0.123 RLC/h)
SOLD = [0.644e9, 6.32, 18_857.0]


def few_runs_on(ev: list[float], market: list[float], *, elapsed: float, tasks: float) -> bool:
    """Item 101's call in robust: another 6-h trial, more than z**2 (1) sales, fewer than
    ``tasks``."""
    extend = 6 * HOUR if tasks > 0 else 0.0
    return trial_runs_on(
        ev, market, elapsed=elapsed, trial=6 * HOUR, extend=extend, more_than=1.0, fewer_than=tasks
    )


@pytest.mark.parametrize(
    ("ev", "elapsed", "tasks", "runs"),
    [
        (SOLD, 6 * HOUR, 12.0, True),  # 1512: the mean leads x 1.46, 6.3 sales under 12
        (SOLD, 11.9 * HOUR, 12.0, True),  # within another trial's length
        (SOLD, 12 * HOUR, 12.0, False),  # the extension is over
        (SOLD, 6 * HOUR, 6.0, False),  # enough sales: the bound's verdict stands
        (SOLD, 6 * HOUR, 0.0, False),  # off
        ([0.2e9, 6.32, 18_857.0], 6 * HOUR, 12.0, False),  # the mean trails (0.038 RLC/h)
        ([0.0, 0.0, 18_857.0], 6 * HOUR, 12.0, False),  # nothing sold
        ([49e6, 0.71, 170.0], 6 * HOUR, 12.0, False),  # 1021: under one sale, the bound is 0
        ([0.0, 0.0, 0.0], 6 * HOUR, 12.0, False),  # no evidence
    ],
)
def test_a_trial_on_few_sales_whose_mean_leads_runs_on(
    ev: list[float], elapsed: float, tasks: float, runs: bool
) -> None:
    assert few_runs_on(ev, MARKET, elapsed=elapsed, tasks=tasks) is runs


def test_no_market_led_evidence_reads_as_a_zero_rate() -> None:
    assert few_runs_on(SOLD, [0.0, 0.0, 0.0], elapsed=6 * HOUR, tasks=12.0)


@pytest.mark.parametrize(
    ("ev", "since", "few", "mode"),
    [
        ([2 * 400.0, 2.0, 3600.0], 3600.0, 4.0, "trial"),  # two sales: runs on
        ([2 * 400.0, 2.0, 3600.0], 3600.0, 0.0, "market"),  # off: lost, as main
        ([2 * 400.0, 2.0, 3600.0], 7200.0, 4.0, "market"),  # another trial's length: over
        ([4 * 140.0, 4.0, 3600.0], 3600.0, 3.5, "market"),  # 4 sales: judged, bound fails
        ([4 * 140.0, 4.0, 3600.0], 3600.0, 5.0, "trial"),  # under 5: runs on
        ([2 * 400.0, 2.0, 36_000.0], 3600.0, 4.0, "market"),  # the mean trails (80 an hour)
        ([1_584.0, 1.0, 3600.0], 3600.0, 4.0, "market"),  # one sale: its bound is 0 (1021)
    ],
)
def test_the_key_keeps_a_sold_trial_listed_on_few_sales(
    ev: list[float], since: float, few: float, mode: str
) -> None:
    """Market-led: 297 an hour (``perch_state``). Two sales at 400 in the trial's hour: the
    mean (800 an hour) leads, the z = 1 bound (234) does not: lost at the trial's end without
    the key, listed on with it; four sales at 140 (560 an hour, bound 280) are judged as before
    at 3.5 (the evidence decays a minute's worth before the verdict: 4 reads as 3.996); one
    sale's bound is 0, no evidence to wait on."""
    quotes, new = settled_trial(ev, since, {"trial_few_tasks": few})
    assert memory(new).p_mode == mode
    assert quotes[0].price == (1_584 if mode == "trial" else 99)


def test_off_by_default() -> None:
    assert RobustParams().trial_few_tasks == 0.0
    default, _ = settled_trial([2 * 400.0, 2.0, 3600.0], 3600.0, {})
    zero, _ = settled_trial([2 * 400.0, 2.0, 3600.0], 3600.0, {"trial_few_tasks": 0.0})
    assert default == zero and default[0].price == 99
