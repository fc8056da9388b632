"""``robust``'s inconclusive trial runs on (strategies/robust_gate.py, ``trial_extend_seconds``)."""

from __future__ import annotations

import pytest

from strategies.robust_gate import trial_floor, trial_runs_on

HOUR = 3600.0
# the market-led mode: 100 tasks at 40 M in 8 h (0.5 RLC/h)
MARKET = [100 * 40e6, 100.0, 8 * HOUR]


def perch(tasks: float, price: float = 800e6, hours: float = 5.2) -> list[float]:
    return [tasks * price, tasks, hours * HOUR]


def test_a_trial_whose_mean_leads_runs_on_within_the_extension() -> None:
    """Train 1004 nudged: 7.7 sales at ~0.47 G in 5.2 h (0.70 RLC/h) against 0.5 RLC/h: the
    mean leads, so at 6 h and at 11.9 h it runs on; at 12 h (6 + 6) the extension is over."""
    ev = perch(7.7, 0.47e9)
    assert trial_runs_on(ev, MARKET, elapsed=6 * HOUR, trial=6 * HOUR, extend=6 * HOUR)
    assert trial_runs_on(ev, MARKET, elapsed=11.9 * HOUR, trial=6 * HOUR, extend=6 * HOUR)
    assert not trial_runs_on(ev, MARKET, elapsed=12 * HOUR, trial=6 * HOUR, extend=6 * HOUR)


@pytest.mark.parametrize(
    "ev",
    [
        perch(2.0, 0.47e9),  # 0.18 RLC/h: the mean trails
        perch(0.0),  # nothing sold
        [0.0, 0.0, 0.0],  # no evidence
    ],
)
def test_a_trial_whose_mean_trails_is_judged_at_its_end(ev: list[float]) -> None:
    assert not trial_runs_on(ev, MARKET, elapsed=6 * HOUR, trial=6 * HOUR, extend=6 * HOUR)


def test_off_is_the_verdict_at_the_trials_end() -> None:
    assert not trial_runs_on(perch(7.7), MARKET, elapsed=6 * HOUR, trial=6 * HOUR, extend=0.0)


def test_no_market_led_evidence_reads_as_a_zero_rate() -> None:
    assert trial_runs_on(perch(1.0), [0.0, 0.0, 0.0], elapsed=6 * HOUR, trial=6 * HOUR, extend=HOUR)


def test_the_descents_floor_is_the_lowest_it_saw() -> None:
    """Train 1035 nudged: the floor was 218 M early in the descent and 486 M when the step to
    334 M came (the markup's market-led price had jumped): the lowest, 218 M, judges it."""
    assert trial_floor(0, 218) == 218
    assert trial_floor(218, 486) == 218
    assert trial_floor(486, 218) == 218
