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

**Running tasks** (``[rails] running_charge``; "floor" by default). The admission test charges a
running task its remaining slot time. By default ("floor") that is the estimate minus its age,
floored at ``RESIDUAL_SHARE`` of the estimate (``floor_remainder``). Otherwise the board carries a
:class:`RunTimeTail` per category and a running task is charged the *conditional* upper-quantile
remainder given its age: the ``r`` with ``P(T > age + r | T > age) = 1 - q`` ("conditional": at
every age; "tail": only once the task has run past the estimate, replacing the floor). A task past
the quantile is in the tail, and a lognormal tail's remainder grows with the age (lognormal(3,005
s, 0.58) at 4,011 s: 4,865 s still to go at q0.9, where the floor charged 990 s). It is read from
the samples above the age when at least ``TAIL_MIN_ABOVE`` are (nearest rank, as
:func:`quantile`); with fewer, from a lognormal fitted to the category's samples (at least
``FIT_MIN_SAMPLES``, logs not all equal); with fewer samples still, the default's charge (the
tail's shape is unknown). Never below the estimate minus the age. See :func:`tail_remainder` for
the numbers behind the thresholds.

Pure: the samplers keep a :class:`RunTimeSamples` between ticks and call :func:`learn` and
:func:`task_board`; nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist, fmean, stdev
from typing import Literal

from bot.domain.errors import InputError
from bot.domain.model import PoolTask

__all__ = [
    "DEFAULT_MIN_SAMPLES",
    "DEFAULT_QUANTILE",
    "DEFAULT_WINDOW",
    "FIT_MIN_SAMPLES",
    "RESIDUAL_SHARE",
    "TAIL_MIN_ABOVE",
    "RunTimeEstimate",
    "RunTimeSamples",
    "RunTimeTail",
    "TailMode",
    "TaskBoard",
    "estimate",
    "floor_remainder",
    "learn",
    "quantile",
    "tail_remainder",
    "task_board",
]

DEFAULT_QUANTILE = 0.9
DEFAULT_MIN_SAMPLES = 20
DEFAULT_WINDOW = 200
# Conditional remainders (module doc, ``tail_remainder``).
TAIL_MIN_ABOVE = 10
FIT_MIN_SAMPLES = 5
_NORMAL = NormalDist()
# The default's floor on a running task's charge (``floor_remainder``): a task past its estimate
# is in the tail, not about to end. Admission charges it; "tail" keeps it before the run time.
RESIDUAL_SHARE = 0.25

# "conditional": the conditional remainder at every age; "tail": only past the board's estimate
# (before it, the default's charge). ``[rails] running_charge``.
TailMode = Literal["tail", "conditional"]


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


def floor_remainder(seconds: float, age: float) -> float:
    """The default charge of a task that has run ``age`` of its estimated ``seconds``: what is
    left, but never below ``RESIDUAL_SHARE`` of it (past its estimate a task is in the tail)."""
    return max(seconds - age, RESIDUAL_SHARE * seconds)


def _lognormal_remainder(mu: float, sigma: float, age: float, q: float) -> float:
    """``r`` with ``P(T > age + r | T > age) = 1 - q`` for ``ln T ~ N(mu, sigma)``."""
    if q >= 1.0:
        return math.inf  # the conditional maximum of an unbounded tail
    if age <= 0.0:
        return math.exp(mu + sigma * _NORMAL.inv_cdf(q))
    z_age = (math.log(age) - mu) / sigma
    p = (1.0 - q) * _NORMAL.cdf(-z_age)  # P(T > age + r), unconditionally
    # When P(T > age) underflowed (age ~38 sigmas out), the normal tail beyond z_age falls as
    # exp(-z_age x dz), so the conditional quantile is z_age - ln(1 - q) / z_age.
    z = -_NORMAL.inv_cdf(p) if p > 0.0 else z_age - math.log(1.0 - q) / z_age
    return max(0.0, math.exp(mu + sigma * z) - age)


@dataclass(frozen=True, slots=True)
class RunTimeTail:
    """One category's observed run times as the admission test reads a running task's remainder.

    ``ordered``: the samples ascending; ``seconds``: the board's estimate at ``q`` (the prior
    mixed in, :func:`estimate`); ``fit``: ``(mu, sigma)`` of the lognormal fitted on ``ordered``
    (the mean and sample deviation of the logs), None with fewer than ``FIT_MIN_SAMPLES``
    samples or no spread; ``mode``: "tail" or "conditional" (module doc).
    """

    ordered: tuple[float, ...]
    seconds: float
    q: float
    fit: tuple[float, float] | None
    mode: TailMode = "conditional"

    @classmethod
    def of(
        cls, samples: Sequence[float], seconds: float, q: float, mode: TailMode = "conditional"
    ) -> RunTimeTail:
        if not seconds > 0 or math.isinf(seconds):
            raise InputError("seconds", "must be > 0 seconds", seconds)
        if not 0.0 < q <= 1.0:
            raise InputError("quantile", "must be in (0, 1]", q)
        ordered = tuple(sorted(float(x) for x in samples))
        logs = [math.log(x) for x in ordered if x > 0]
        if len(logs) >= FIT_MIN_SAMPLES and (sigma := stdev(logs)) > 0:
            return cls(ordered, seconds, q, (fmean(logs), sigma), mode)
        return cls(ordered, seconds, q, None, mode)

    def remainder(self, age: float) -> float:
        """Slot seconds a task that has run ``age`` seconds still takes, at quantile ``q``.

        The samples above ``age`` decide when at least ``TAIL_MIN_ABOVE`` are (nearest rank of
        the conditional quantile), else the fitted lognormal; never below ``seconds - age``.
        Without either (too few samples: the tail's shape unknown), and in "tail" mode for a
        task younger than ``seconds``, the default's charge: ``seconds - age``, at least
        ``RESIDUAL_SHARE`` of ``seconds``.
        """
        default = floor_remainder(self.seconds, age)
        if self.mode == "tail" and age < self.seconds:
            return default
        ordered = self.ordered
        first = bisect.bisect_right(ordered, age)
        above = len(ordered) - first
        if above >= TAIL_MIN_ABOVE:
            rank = max(1, math.ceil(self.q * above))
            tail = ordered[first + rank - 1] - age
        elif self.fit is not None:
            tail = _lognormal_remainder(self.fit[0], self.fit[1], age, self.q)
        else:
            return default
        return max(tail, self.seconds - age)


def tail_remainder(
    samples: Sequence[float],
    seconds: float,
    age: float,
    q: float,
    mode: TailMode = "conditional",
) -> float:
    """The conditional ``q`` remainder of a task that ran ``age`` (``RunTimeTail.remainder``).

    Why these thresholds (issue #14): a category has at most ``DEFAULT_WINDOW`` samples, so at
    q0.9 about 20 lie above the quantile; ``TAIL_MIN_ABOVE`` = 10 reads the empirical
    conditional quantile up to about the q0.95 age (its nearest rank is then the 9th of ten,
    already a crude estimate) and a fitted lognormal beyond, where the samples say little.
    ``FIT_MIN_SAMPLES`` = 5: the spread of the logs is then known to about +-35 %
    (1 / sqrt(2 (n - 1))); on 1012's L category (9 samples, lognormal(3,005 s, 0.58)) the fit
    charges the task past its quantile (4,011 s run) about 4,865 s where the floor charged 990 s
    (it ran 6,836 s more). With fewer samples the default's charge stays: a lognormal of an
    assumed spread (0.5) anchored at the owner's prior was tried and not kept, as on 1005 (L on
    its 3,391 s prior, no sample yet) it charged 2,326 s at 3,391 s of age to a task that ran
    1,228 s more, cut the XS offer robust's perch trial was selling at 1.07 RLC, and XS earned
    6.27 RLC instead of 17.98.
    """
    return RunTimeTail.of(samples, seconds, q, mode).remainder(age)


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
    # Likewise the tails ``task_board(..., tails=MODE)`` built (each sorts the samples once).
    tail_memo: dict[tuple[object, ...], RunTimeTail] = field(
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
    # Per category, the samples a running task's conditional remainder is read from; empty
    # unless ``[rails] running_charge`` is "tail" or "conditional" (module doc): then the ledger
    # charges running tasks by them.
    tails: Mapping[int, RunTimeTail] = field(default_factory=dict)
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
    tails: TailMode | None = None,
) -> TaskBoard:
    """Build the board from the feed's tasks and the learned samples.

    ``priors`` are the owners' ``task_seconds`` per category; ``time_refs`` the categories'
    workClockTimeRef. A category with open tasks but no prior takes its workClockTimeRef as
    prior: the longest its app may run. ``tails``: also carry each category's
    :class:`RunTimeTail` in that mode (``[rails] running_charge``).
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
    tail_of: dict[int, RunTimeTail] = {}
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
        if tails is not None:
            tail_key = (*key, tails)
            tail = samples.tail_memo.get(tail_key)
            if tail is None:
                tail = samples.tail_memo[tail_key] = RunTimeTail.of(observed, seconds, q, tails)
            tail_of[category] = tail
    return TaskBoard(at, tuple(open_tasks), run_times, q, tail_of)
