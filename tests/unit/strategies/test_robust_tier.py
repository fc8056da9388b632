"""``robust``'s refine ratio read from the perch's sales (strategies/robust_tier.py,
``tier_horizon_seconds``): the pure ratio, and the bisection it lets go on past ``perch_refine``."""

from __future__ import annotations

import pytest

from strategies.robust_ladder import Probe, probe_step
from strategies.robust_tier import strict_first, tier_ratio

HOUR = 3600.0


def test_a_busy_perch_refines_finer_over_a_longer_horizon() -> None:
    # 5 sales an hour, 2 sales a failed probe: (1 + 2 / 120) ** 2 over 24 h, (1 + 2 / 60) ** 2 over 12 h
    day = tier_ratio(1.1, rate=5 / HOUR, horizon=24 * HOUR, cost=2.0)
    half = tier_ratio(1.1, rate=5 / HOUR, horizon=12 * HOUR, cost=2.0)
    assert day == pytest.approx((1 + 2 / 120) ** 2)
    assert half == pytest.approx((1 + 2 / 60) ** 2)
    assert 1.0 < day < half < 1.1


@pytest.mark.parametrize(
    ("rate", "horizon", "cost"),
    [
        (0.2 / HOUR, 24 * HOUR, 2.0),
        (5 / HOUR, 0.0, 2.0),
        (0.0, 24 * HOUR, 2.0),
        (5 / HOUR, HOUR, 0.0),
    ],
)
def test_a_thin_perch_or_off_keeps_perch_refine(rate: float, horizon: float, cost: float) -> None:
    """One sale in 5 hours pays no finer probe over a day; off (0 horizon), no rate, no cost."""
    assert tier_ratio(1.1, rate=rate, horizon=horizon, cost=cost) == 1.1


def test_the_finer_ratio_takes_the_bisection_closer_to_a_tier() -> None:
    """Train 1027: perch 588 M, 641.6 M unsold, tier 639 M; the 1.1 ratio stops, the finer goes on."""
    converged = Probe(588_400_000, 0, 641_600_000)
    assert probe_step(converged, now=1.0, sold_at_price=False, wait=900.0, ratio=1.1) == converged
    ratio = tier_ratio(1.1, rate=5 / HOUR, horizon=24 * HOUR, cost=2.0)
    nxt = probe_step(converged, now=1.0, sold_at_price=False, wait=900.0, ratio=ratio)
    assert nxt.lo == 588_400_000 and 588_400_000 < nxt.price < 639_000_000


def test_an_early_first_trial_due_with_the_rivals_in_stock_waits_the_usual_first_wait() -> None:
    """Item 28: due at 2 h (first seen at 0), the out-of-stock share 0.45 under its 0.5 gate:
    the first trial is due at 6 h instead; at 0.6 (or not due yet) nothing moves."""
    late = strict_first(2 * HOUR, 2 * HOUR, share=0.45, gate=0.5, first=2 * HOUR, wait=6 * HOUR)
    assert late == 6 * HOUR
    assert (
        strict_first(2 * HOUR, 2 * HOUR, share=0.6, gate=0.5, first=2 * HOUR, wait=6 * HOUR) is None
    )
    assert strict_first(2 * HOUR, HOUR, share=0.0, gate=0.5, first=2 * HOUR, wait=6 * HOUR) is None
