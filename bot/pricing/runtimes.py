"""Run times learned from our pool's contributed tasks, and the task board a snapshot carries.

The owner's ``task_seconds`` is a guess; the pool's contributed tasks say what a task really takes.
Per category, the estimate is an upper quantile (``quantile``, 0.9 by default) of the last
``window`` observed run times, so a lognormal tail is charged, not its median. The owner's figure
is the *prior*: until ``min_samples`` tasks of a category were seen, the missing ones count as
pseudo-observations at the prior, so the estimate moves from the prior to the data one task at a
time instead of jumping when the count is reached. A bounded window lets the estimate follow
durations that drift. The data are not capped at the category's workClockTimeRef (the app
container's time limit, core-and-sdk.md A9.5): the contribution also takes the pre- and
post-compute and the upload, and an estimate below what was observed would oversell.

Pure: the samplers keep a :class:`RunTimeSamples` between ticks and call :func:`learn` and
:func:`task_board`; nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.errors import InputError
from bot.domain.model import PoolTask

__all__ = [
    "DEFAULT_MIN_SAMPLES",
    "DEFAULT_QUANTILE",
    "DEFAULT_WINDOW",
    "RunTimeEstimate",
    "RunTimeSamples",
    "TaskBoard",
    "estimate",
    "learn",
    "quantile",
    "task_board",
]

DEFAULT_QUANTILE = 0.9
DEFAULT_MIN_SAMPLES = 20
DEFAULT_WINDOW = 200


def quantile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (an observed value, never an interpolation below it).

    Nearest rank rounds up: with few samples it errs towards the longer run time.
    """
    if not values:
        raise InputError("values", "need at least one value")
    if not 0.0 < q <= 1.0:
        raise InputError("quantile", "must be in (0, 1]", q)
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return float(ordered[rank - 1])


def estimate(
    samples: Sequence[float],
    prior: float,
    *,
    q: float = DEFAULT_QUANTILE,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    cap: float = math.inf,
) -> float:
    """Run time at quantile ``q`` from ``samples``, the prior filling in for missing ones.

    With ``n < min_samples`` samples, ``min_samples - n`` pseudo-samples equal to ``prior`` join
    them; from ``min_samples`` on, the data alone decide. The result is capped at ``cap``.
    """
    if not prior > 0:
        raise InputError("prior", "must be > 0 seconds", prior)
    pseudo = max(0, min_samples - len(samples))
    values = list(samples) + [prior] * pseudo
    return min(cap, quantile(values, q) if values else prior)


@dataclass(frozen=True, slots=True)
class RunTimeSamples:
    """Observed run times per category (most recent last, at most ``window`` each).

    ``watermark`` is the (contribution time, task id) of the last task learned from: the feed
    returns the same contributed tasks tick after tick, and only later ones are new.
    """

    by_category: Mapping[int, tuple[float, ...]] = field(default_factory=dict)
    watermark: tuple[float, str] = (-math.inf, "")
    window: int = DEFAULT_WINDOW
    # The estimates ``task_board`` derived from these samples: ``learn`` returns the same object
    # until a task is contributed, so each tick in between reuses them instead of sorting up to
    # ``window`` run times per category again. A memo, not an input.
    memo: dict[tuple[object, ...], float] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )

    def count(self, category: int) -> int:
        return len(self.by_category.get(category, ()))


def learn(samples: RunTimeSamples, tasks: Iterable[PoolTask]) -> RunTimeSamples:
    """``samples`` plus the run times of tasks contributed after its watermark.

    Returns ``samples`` itself when nothing is new (the common tick).
    """
    mark_at, mark_id = samples.watermark
    # ``(at, id) > watermark`` spelled out: the feed repeats up to a thousand old tasks each tick,
    # and most fail the first comparison without building a tuple.
    new = sorted(
        (at, t.task_id, t)
        for t in tasks
        if (at := t.contributed_at) is not None
        and at >= mark_at
        and (at > mark_at or t.task_id > mark_id)
    )
    if not new:
        return samples
    grown: dict[int, list[float]] = {}
    for _, _, task in new:
        seconds = task.run_seconds
        assert seconds is not None  # contributed
        grown.setdefault(task.category, []).append(seconds)
    by_category = dict(samples.by_category)
    for category, values in grown.items():
        merged = by_category.get(category, ()) + tuple(values)
        by_category[category] = merged[-samples.window :]
    last = new[-1]
    return RunTimeSamples(by_category, (last[0], last[1]), samples.window)


@dataclass(frozen=True, slots=True)
class RunTimeEstimate:
    """What one category's tasks take at the board's quantile, and on how many samples."""

    category: int
    seconds: float
    samples: int
    prior: float


@dataclass(frozen=True, slots=True)
class TaskBoard:
    """Our pool's open tasks and learned run times at ``at``: the admission test's input.

    ``open_tasks`` are the tasks matched on our pool and not contributed yet whose contribution
    deadline is still ahead (a task past it has failed and holds no slot), earliest deadline
    first. ``run_times`` has an estimate for every category with an offer or an open task.
    """

    at: float
    open_tasks: tuple[PoolTask, ...] = ()
    run_times: Mapping[int, RunTimeEstimate] = field(default_factory=dict)
    quantile: float = DEFAULT_QUANTILE
    # What bot.pricing.ledger derived from this board, kept with it (one board per tick, read by the
    # rails, the planner and the executor's limits): a memo, not an input.
    memo: dict[tuple[object, ...], object] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )

    def run_seconds(self, category: int, default: float) -> float:
        """The learned run time of ``category``; ``default`` for a category never estimated."""
        got = self.run_times.get(category)
        return default if got is None else got.seconds


def task_board(
    at: float,
    tasks: Iterable[PoolTask],
    samples: RunTimeSamples,
    priors: Mapping[int, float],
    time_refs: Mapping[int, float],
    *,
    q: float = DEFAULT_QUANTILE,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> TaskBoard:
    """Build the board from the feed's tasks and the learned samples.

    ``priors`` are the owners' ``task_seconds`` per category; ``time_refs`` the categories'
    workClockTimeRef. A category with open tasks but no prior takes its workClockTimeRef as
    prior: the longest its app may run.
    """
    open_tasks = sorted(
        (t for t in tasks if t.contributed_at is None and t.contribution_deadline > at),
        key=lambda t: (t.contribution_deadline, t.task_id),
    )
    refs = dict(time_refs)
    for t in open_tasks:
        if t.category not in refs:
            refs[t.category] = (t.contribution_deadline - t.deal_start) / 7.0
    categories = set(priors) | {t.category for t in open_tasks}
    run_times: dict[int, RunTimeEstimate] = {}
    for category in sorted(categories):
        prior = priors.get(category, refs.get(category, math.inf))
        if not prior > 0 or math.isinf(prior):
            continue
        observed = samples.by_category.get(category, ())
        key = (category, prior, type(prior), q, min_samples)
        seconds = samples.memo.get(key)
        if seconds is None:
            seconds = samples.memo[key] = estimate(observed, prior, q=q, min_samples=min_samples)
        run_times[category] = RunTimeEstimate(category, seconds, len(observed), prior)
    return TaskBoard(at, tuple(open_tasks), run_times, q)
