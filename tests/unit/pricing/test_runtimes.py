"""The run-time estimator: prior until enough tasks are seen, an upper quantile, a moving window."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import InputError
from bot.domain.model import PoolTask
from bot.pricing import runtimes
from bot.pricing.admission import RESIDUAL_SHARE
from bot.pricing.runtimes import (
    FIT_MIN_SAMPLES,
    TAIL_MIN_ABOVE,
    RunTimeSamples,
    RunTimeTail,
    estimate,
    learn,
    quantile,
    tail_remainder,
    task_board,
)

NOW = 1_000_000.0


def task(
    n: int,
    *,
    category: int = 0,
    start: float = NOW - 600,
    started: float | None = None,
    contributed: float | None = None,
    initialized: float | None = None,
    window: float = 2100.0,
) -> PoolTask:
    return PoolTask(
        task_id=f"t{n}",
        category=category,
        deal_start=start,
        contribution_deadline=start + window,
        initialized_at=initialized,
        started_at=started,
        contributed_at=contributed,
    )


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 0.9, 5.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9, 9.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.5, 5.0),
        ([3.0, 1.0, 2.0], 1.0, 3.0),
        ([1.0, 2.0], 0.9, 2.0),  # nearest rank rounds up: few samples err long
    ],
)
def test_quantile_nearest_rank(values: list[float], q: float, expected: float) -> None:
    assert quantile(values, q) == expected


def test_quantile_refuses_nonsense() -> None:
    with pytest.raises(InputError):
        quantile([], 0.5)
    with pytest.raises(InputError):
        quantile([1.0], 0.0)


@pytest.mark.parametrize(
    ("samples", "prior", "min_samples", "expected"),
    [
        ([], 300.0, 20, 300.0),  # nothing seen: the owner's figure
        ([100.0] * 5, 300.0, 20, 300.0),  # 5 fast tasks do not outvote 15 pseudo-samples
        ([100.0] * 19, 300.0, 20, 100.0),  # q0.9 of 19 x 100 + 1 x 300: the prior fades out
        ([100.0] * 20, 300.0, 20, 100.0),  # enough seen: the data alone
        ([1000.0], 300.0, 20, 300.0),  # one slow task is within the 10 % tail
        ([1000.0] * 3, 300.0, 20, 1000.0),  # three of twenty are not: slow shows up fast
        ([50.0] * 3, 300.0, 3, 50.0),
    ],
)
def test_estimate_moves_from_prior_to_data(
    samples: list[float], prior: float, min_samples: int, expected: float
) -> None:
    assert estimate(samples, prior, q=0.9, min_samples=min_samples) == expected


def test_estimate_can_be_capped() -> None:
    assert estimate([900.0] * 30, 300.0, cap=300.0) == 300.0


@given(
    st.lists(st.floats(min_value=1.0, max_value=1e5), max_size=40),
    st.floats(min_value=1.0, max_value=1e5),
)
def test_estimate_lies_between_data_and_prior(samples: list[float], prior: float) -> None:
    got = estimate(samples, prior, q=0.9, min_samples=20)
    low = min([*samples, prior])
    high = max([*samples, prior])
    assert low <= got <= high


def test_learn_takes_each_contributed_task_once_and_keeps_a_window() -> None:
    done = [task(i, started=NOW - 500, contributed=NOW - 500 + 10 * (i + 1)) for i in range(5)]
    open_ = [task(9, started=NOW - 50)]
    s1 = learn(RunTimeSamples(window=3), done + open_)
    assert s1.by_category[0] == (30.0, 40.0, 50.0)  # the last 3 of 10..50
    assert learn(s1, done + open_) is s1  # the same tasks again: nothing new
    more = task(7, started=NOW - 100, contributed=NOW)
    s2 = learn(s1, [*done, more])
    assert s2.by_category[0] == (40.0, 50.0, 100.0)


def test_run_time_without_a_known_start_counts_from_initialize() -> None:
    t = task(1, initialized=NOW - 400, contributed=NOW - 100)
    assert t.run_seconds == 300.0
    assert task(2, start=NOW - 900, contributed=NOW).run_seconds == 900.0
    assert task(3).run_seconds is None


def test_board_keeps_open_tasks_by_deadline_and_estimates_every_category() -> None:
    tasks = [
        task(1, start=NOW - 100, started=NOW - 100),  # deadline NOW + 2000
        task(2, start=NOW - 2000),  # deadline NOW + 100: earliest
        task(3, start=NOW - 3000),  # deadline passed: failed, holds nothing
        task(4, start=NOW - 50, contributed=NOW - 10, started=NOW - 40),  # done
        task(5, category=2, start=NOW - 60, window=7 * 3600),  # no offer in category 2
    ]
    board = task_board(NOW, tasks, learn(RunTimeSamples(), tasks), {0: 300.0}, {0: 300.0})
    assert [t.task_id for t in board.open_tasks] == ["t2", "t1", "t5"]
    assert board.run_times[0].seconds == 300.0 and board.run_times[0].samples == 1
    # a category without an offer: its workClockTimeRef, from the task's own deadline
    assert math.isclose(board.run_times[2].seconds, 3600.0)
    assert board.run_seconds(4, 123.0) == 123.0


def test_board_estimates_are_reused_only_for_the_same_samples_and_priors() -> None:
    done = [task(i, started=NOW - 900, contributed=NOW - 900 + 100 * (i + 1)) for i in range(3)]
    samples = learn(RunTimeSamples(), done)
    first = task_board(NOW, done, samples, {0: 50.0}, {0: 2100.0}, min_samples=2)
    # the next tick, same samples: the memo answers, with the value a fresh estimate gives
    again = task_board(NOW + 60, done, samples, {0: 50.0}, {0: 2100.0}, min_samples=2)
    fresh = estimate(samples.by_category[0], 50.0, min_samples=2)
    assert first.run_times[0].seconds == again.run_times[0].seconds == fresh == 300.0
    # another prior is another estimate, not the memo's
    other = task_board(NOW + 60, done, samples, {0: 900.0}, {0: 2100.0}, min_samples=5)
    assert other.run_times[0].seconds == 900.0
    # new samples (a long task contributed) are estimated afresh, not taken from the memo
    grown = learn(samples, [*done, task(8, started=NOW - 1000, contributed=NOW)])
    board = task_board(NOW, done, grown, {0: 50.0}, {0: 2100.0}, min_samples=2)
    assert board.run_times[0].seconds == 1000.0


# -- conditional remainders (``[rails] running_charge``) -----------------------------------------

HUNDREDS = [100.0 * k for k in range(1, 41)]  # 100 .. 4,000 s


def _lognormal_conditional(mu: float, sigma: float, age: float, q: float) -> float:
    """The remainder by bisection on the survival function (independent of the inverse)."""
    from statistics import NormalDist

    n = NormalDist(mu, sigma)
    target = (1 - q) * (1 - n.cdf(math.log(age)))
    lo, hi = age, age * 1e6
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if 1 - n.cdf(math.log(mid)) > target:
            lo = mid
        else:
            hi = mid
    return lo - age


def test_remainder_reads_the_samples_above_the_age_when_there_are_enough() -> None:
    # above 2,000 s: 2,100 .. 4,000 (20 samples, the 2,000 itself is not above: T > age);
    # nearest rank ceil(0.9 x 20) = 18th = 3,800 s
    assert tail_remainder(HUNDREDS, 3600.0, 2000.0, 0.9) == 1800.0
    # just under a sample, that sample is above: 21 samples, rank 19 = 3,800 s again
    assert tail_remainder(HUNDREDS, 3600.0, 1999.5, 0.9) == pytest.approx(1800.5)
    # 100 s in: 200 .. 4,000 above (39), rank 36 = 3,700 s: 3,600 s to go
    assert tail_remainder(HUNDREDS, 3600.0, 100.0, 0.9) == 3600.0
    # never below the estimate minus the age (the default's charge before the quantile): an
    # estimate above the samples (the owner's prior mixed in) keeps its own remainder
    assert tail_remainder(HUNDREDS, 5000.0, 100.0, 0.9) == 4900.0


def test_a_task_past_every_sample_is_charged_the_fitted_lognormal_tail() -> None:
    tail = RunTimeTail.of(HUNDREDS, 3600.0, 0.9)
    assert tail.fit is not None
    mu, sigma = tail.fit
    logs = [math.log(x) for x in HUNDREDS]
    assert mu == pytest.approx(sum(logs) / len(logs))
    for age in (4000.0, 6000.0, 20_000.0):
        expected = _lognormal_conditional(mu, sigma, age, 0.9)
        assert tail.remainder(age) == pytest.approx(expected, rel=1e-6)
    # past the samples the tail's remainder grows with the age (no floor of a quarter run)
    ages = [4000.0, 8000.0, 16_000.0, 64_000.0, 1e6, 1e30]
    charges = [tail.remainder(a) for a in ages]
    assert all(x < y for x, y in itertools.pairwise(charges))
    assert all(math.isfinite(c) for c in charges)
    assert charges[0] > RESIDUAL_SHARE * 3600.0


def test_1012s_task_past_its_quantile() -> None:
    """Issue #14's case: lognormal(3,005 s, 0.58), a task 4,011 s in: 4,865 s at q0.9."""
    tail = RunTimeTail(ordered=(), seconds=3959.0, q=0.9, fit=(math.log(3005.0), 0.58))
    assert tail.remainder(4011.0) == pytest.approx(4865.0, abs=1.0)


def test_few_samples_keep_the_default_charge() -> None:
    """Under FIT_MIN_SAMPLES samples (or no spread) the tail's shape is unknown: the default's
    charge, the estimate minus the age, at least RESIDUAL_SHARE of it (1005's lesson)."""
    samples = [3000.0, 3100.0, 3200.0, 3300.0][: FIT_MIN_SAMPLES - 1]
    tail = RunTimeTail.of(samples, 3391.0, 0.9)
    assert tail.fit is None
    for age in (0.0, 1000.0, 3000.0, 3391.0, 5000.0, 50_000.0):
        assert tail.remainder(age) == max(3391.0 - age, RESIDUAL_SHARE * 3391.0)
    assert tail_remainder([], 3391.0, 3391.0, 0.9) == RESIDUAL_SHARE * 3391.0
    # equal samples have no spread to fit; with TAIL_MIN_ABOVE of them above, they decide
    flat = RunTimeTail.of([3000.0] * 30, 3000.0, 0.9)
    assert flat.fit is None
    assert flat.remainder(1000.0) == 2000.0
    assert flat.remainder(3000.0) == RESIDUAL_SHARE * 3000.0
    # fewer than TAIL_MIN_ABOVE samples above the age: the fitted lognormal, not the rank
    few_above = HUNDREDS[: 40 - TAIL_MIN_ABOVE + 1]  # 100 .. 3,100 s
    t = RunTimeTail.of(few_above, 3000.0, 0.9)
    assert t.fit is not None
    assert t.remainder(2200.0) == pytest.approx(
        max(_lognormal_conditional(*t.fit, 2200.0, 0.9), 800.0), rel=1e-6
    )


def test_q1_has_no_finite_lognormal_tail() -> None:
    assert tail_remainder(HUNDREDS, 4000.0, 5000.0, 1.0) == math.inf
    assert tail_remainder(HUNDREDS, 4000.0, 1000.0, 1.0) == 3000.0  # the maximum above


def test_tail_refuses_nonsense() -> None:
    with pytest.raises(InputError):
        RunTimeTail.of(HUNDREDS, 0.0, 0.9)
    with pytest.raises(InputError):
        RunTimeTail.of(HUNDREDS, 100.0, 0.0)


@given(
    st.lists(st.floats(1.0, 1e5), max_size=60),
    st.floats(1.0, 1e5),
    st.floats(0.0, 1e6),
    st.floats(0.05, 0.99),
    st.floats(0.05, 0.99),
)
def test_remainder_is_monotone_in_q(
    samples: list[float], seconds: float, age: float, q1: float, q2: float
) -> None:
    lo, hi = sorted((q1, q2))
    r_lo = tail_remainder(samples, seconds, age, lo)
    r_hi = tail_remainder(samples, seconds, age, hi)
    assert r_lo <= r_hi * (1 + 1e-9) + 1e-9
    assert r_lo >= seconds - age  # never below the default's charge before the quantile


def test_board_carries_tails_only_when_asked() -> None:
    done = [
        task(n, contributed=NOW - 10 * n, initialized=NOW - 10 * n - 100.0 * n) for n in range(1, 8)
    ]
    samples = learn(RunTimeSamples(), done)
    plain = task_board(NOW, done, samples, {0: 300.0}, {0: 300.0})
    assert plain.tails == {}
    board = task_board(NOW, done, samples, {0: 300.0}, {0: 300.0}, tails="conditional")
    tail = board.tails[0]
    assert tail.ordered == tuple(sorted(samples.by_category[0]))
    assert tail.seconds == board.run_seconds(0, 0.0)
    again = task_board(NOW + 60, done, samples, {0: 300.0}, {0: 300.0}, tails="conditional")
    assert again.tails[0] is tail  # sorted once per samples
    other = task_board(NOW + 60, done, samples, {0: 300.0}, {0: 300.0}, tails="tail")
    assert other.tails[0].mode == "tail" and other.tails[0].ordered == tail.ordered


def test_tail_mode_keeps_the_default_charge_before_the_run_time() -> None:
    """Mode "tail": the remainder replaces only the quarter-run floor, past the estimate."""
    assert runtimes.RESIDUAL_SHARE == RESIDUAL_SHARE
    tail = RunTimeTail.of(HUNDREDS, 3600.0, 0.9, "tail")
    conditional = RunTimeTail.of(HUNDREDS, 3600.0, 0.9)
    assert tail.remainder(0.0) == 3600.0
    assert tail.remainder(1000.0) == 2600.0  # the conditional one says 2,700 s
    assert conditional.remainder(1000.0) == 2700.0  # rank 27 of the 30 above: 3,700 s
    assert tail.remainder(3500.0) == RESIDUAL_SHARE * 3600.0  # the floor, before the estimate
    for age in (3600.0, 3700.0, 5000.0, 50_000.0):
        assert tail.remainder(age) == conditional.remainder(age)
