"""The run-time estimator: prior until enough tasks are seen, an upper quantile, a moving window."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import InputError
from bot.domain.model import PoolTask
from bot.pricing.runtimes import RunTimeSamples, estimate, learn, quantile, task_board

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
