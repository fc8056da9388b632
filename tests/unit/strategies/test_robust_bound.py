"""``robust``'s perch refine whose unsold bound carries its evidence (strategies/robust_bound.py,
``perch_bound_sales``): the pure step, against the plain bisection it extends."""

from __future__ import annotations

import pytest

from strategies.robust_bound import bound_step, weak_bound
from strategies.robust_ladder import Probe, probe_step

RATE = 1 / 600  # the perch sells one task per 10 minutes
STEP = {"wait": 1200.0, "ratio": 1.1, "rate": RATE, "sales": 3.0, "step_down": 0.5}


def test_an_unsold_window_is_weak_under_the_perch_s_sales_in_it() -> None:
    assert weak_bound(900.0, RATE, 3.0)  # 1.5 sales' time
    assert not weak_bound(1800.0, RATE, 3.0)  # 3 sales' time
    assert not weak_bound(1.0, RATE, 0.0)  # off


def test_a_committed_perch_re_probes_a_weak_bound_at_its_own_price() -> None:
    """Converged (316 against 345 within 10 %), 345 went unsold for 15 min (1.5 sales)."""
    probe, unsold = bound_step(
        Probe(316, 0, 345), 900.0, now=10.0, sold_at_price=False, committed=True, fresh=True, **STEP
    )
    assert probe == Probe(345, 316, 345, 10.0) and unsold == 900.0


@pytest.mark.parametrize(
    ("committed", "fresh", "unsold"),
    [(False, True, 900.0), (True, False, 900.0), (True, True, 1800.0)],
)
def test_no_re_probe_in_a_trial_between_judgements_or_of_a_strong_bound(
    committed: bool, fresh: bool, unsold: float
) -> None:
    probe = Probe(316, 0, 345)
    assert bound_step(
        probe, unsold, now=10.0, sold_at_price=False, committed=committed, fresh=fresh, **STEP
    ) == (probe, unsold)


def test_a_re_probe_that_sells_becomes_the_perch_and_reopens_the_level_above() -> None:
    probe, unsold = bound_step(
        Probe(345, 316, 345, 10.0),
        900.0,
        now=70.0,
        sold_at_price=True,
        committed=True,
        fresh=False,
        **STEP,
    )
    assert probe == Probe(345, 0, 690, 70.0) and unsold == 0.0
    # the bisection goes on upward at once
    nxt, _ = bound_step(
        probe, unsold, now=71.0, sold_at_price=False, committed=True, fresh=False, **STEP
    )
    assert nxt.lo == 345 and 345 < nxt.price < 690


def test_an_unsold_re_probe_runs_until_the_evidence_is_in_then_the_bound_stands() -> None:
    probe = Probe(345, 316, 345, 10.0)
    # 900 s before, 600 s now: 2.5 sales' time, under 3: still probing
    assert bound_step(
        probe, 900.0, now=610.0, sold_at_price=False, committed=True, fresh=False, **STEP
    ) == (probe, 900.0)
    back, unsold = bound_step(
        probe, 900.0, now=910.0, sold_at_price=False, committed=True, fresh=False, **STEP
    )
    assert back == Probe(316, 0, 345, 910.0) and unsold == 1800.0
    # judged again (a later commit) at the same rate, it is strong now
    assert bound_step(
        back, unsold, now=2000.0, sold_at_price=False, committed=True, fresh=True, **STEP
    ) == (back, unsold)


def test_a_re_probe_is_capped_by_the_refine_s_wait_and_trusted_after_it() -> None:
    slow = {**STEP, "rate": 1 / 3600}  # 3 sales take 3 h, the wait is 20 min
    back, unsold = bound_step(
        Probe(345, 316, 345, 0.0),
        900.0,
        now=1200.0,
        sold_at_price=False,
        committed=True,
        fresh=False,
        **slow,
    )
    assert back == Probe(316, 0, 345, 1200.0) and not weak_bound(unsold, 1 / 3600, 3.0)


def test_off_is_the_plain_bisection() -> None:
    off = {**STEP, "sales": 0.0}
    for probe in (Probe(316, 0, 345), Probe(100, 0, 400), Probe(345, 316, 345, 10.0)):
        got, _ = bound_step(
            probe, 900.0, now=2000.0, sold_at_price=False, committed=True, fresh=True, **off
        )
        assert got == probe_step(probe, now=2000.0, sold_at_price=False, wait=1200.0, ratio=1.1)


def test_a_probe_that_goes_unsold_records_its_wait_as_the_bound_s_evidence() -> None:
    probe, unsold = bound_step(
        Probe(200, 100, 400, 5.0),
        0.0,
        now=1205.0,
        sold_at_price=False,
        committed=False,
        fresh=False,
        **STEP,
    )
    assert probe == Probe(100, 0, 200, 1205.0) and unsold == 1200.0
