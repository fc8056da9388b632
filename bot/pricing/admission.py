"""Admission: the volume the pool can still sell and deliver, by an EDF test in slot time.

A task sold now must be *run and contributed* before its contribution deadline, deal start +
7 x workClockTimeRef (PoCo's ``contribute`` requires ``contributionDeadline > block.timestamp``).
The iExec Core hands tasks out RUNNING first, then by contribution deadline ascending (earliest
deadline first, core-and-sdk.md A9.3), and never preempts a running task. So counting tasks, as
``bot.pricing.ledger`` does, is not enough: six slots busy with one-hour tasks cannot deliver one XS task
(35-minute window) however many "starts per slot" the XS offer has.

The test works in slot seconds, from now. A *batch* is volume that may still be matched: one of
our orders still valid on chain (published or not: anyone holding it can match it) or the volume
an offer wants to list; matched now, its tasks' deadlines are ``window`` seconds away. At every
horizon ``h`` (each batch's window and each queued task's deadline), the slot time needed before
``h`` must fit in ``slots x h``:

- **due work**: every queued task with its deadline within ``h`` and every batch whose window is
  within ``h``, each at its run time;
- **occupancy** in front of it: running tasks for ``min(remaining, h)``; and, when a batch is
  due by ``h`` (matched later, it finds whatever started before it), also queued tasks with a
  *later* deadline for ``min(run, h)`` each: already matched, they take the slots that free up
  before the batch comes and keep them (no preemption). Already queued work cannot be overtaken
  by later-deadline work, so a horizon with only queued tasks due counts only the running ones
  in front. Once earlier work waits, EDF starts nothing later, so each slot holds at most one
  such task: the occupancy is the sum of the ``slots`` longest candidates.

A batch with a later deadline is not charged in front of another batch: it would hold slots only
if matched and started before the other is matched, and then it is running work at the next
tick, where the test sees it and cuts the other offer's volume (the planner cancels what is over
it). What a sale can still break is bounded by one tick: the short volume matched between a long
sale that took the free slots and the bot's next tick. Charging every long order of ours in
front of every short one would price that rare sequence as certain: in a backtest with demand
above capacity and mixed lengths it idled the pool (12 % utilization, a fifth of the revenue)
to save a failure rate already below 1 %.

The reserve (``reserve_short``, ``rails.admission_reserve``; off by default) closes most of that
tick without the idling. A later-deadline batch is charged in front of a shorter one, but as
occupancy, not as due work: at most one task per slot (a slot holds one task at a time, EDF
starts nothing later once earlier work waits), each ``min(run, h)``, in place of the smallest
candidates, and on every slot but one, less one per queued task (a queued task takes the first
slot that frees, before any new sale); and only when the long batch earns no more per
slot-second than the best short batch due (``Batch.price / run_seconds``): holding a slot free
for cheaper work loses more than the stake a rare miss forfeits. Batches are still sized
shortest window first, so it is the *long* batch whose volume is capped, to leave the short
volume admitted before it its room: the short offer cannot wait, the long one can, and its cap
lifts as soon as the short volume sells or a slot frees that the short volume does not need.
Why this and not the alternatives (train markets, issue #14, session 19; docs/strategies.md,
"The admission reserve"): only the slots free or freeing within one tick (60 s) flipped
volumes each time a short task neared its end, a cancel each time (1498: 1,256 -> 2,051
cancels); on a one-slot pool any reserve makes the two offers exclusive (1381's L offer, nine
tenths of its revenue, never listed again), hence one slot is never reserved; charging only
volume not yet on chain changed nothing (the misses come from orders already valid); without
the price condition, 1498's XL offer (most of its revenue) waited behind XS volume worth some
twentieth as much per slot-second (x 0.80).

And no batch may sell tasks longer than its own window. A queued task's horizon matters too:
short work sold now and every tick after is served before a long task already queued, which
fails once the short work leaves it too little time before its deadline. With many distinct
deadlines, only ``MAX_QUEUED_HORIZONS`` of them are tested and the tasks between two tested ones
are charged at the earlier (stricter).

Run times are the board's learned quantile (bot.pricing.runtimes). A running task's remainder is that run
time minus what it already ran, but never below ``RESIDUAL_SHARE`` of it (a task past its
quantile is in the tail, not about to end); a task whose start is unknown is charged in full.
With ``remainders`` (``[rails] running_charge`` "tail" or "conditional"; off by default) a running
task is instead charged its category's conditional upper-quantile remainder given its age
(bot.pricing.runtimes: ``RunTimeTail``), capped at its contribution deadline (past it the task
fails and frees the slot). The test is the classic necessary condition of EDF feasibility on identical machines, with the
non-preemptive blocking charged as occupancy: a bound, not an exact schedule.

Pure: values in, volumes out. ``admit`` sizes several batches at once (the rails call it with
every quote), keeping volume already valid on chain first so a sale elsewhere does not force
cancels, then shortest windows first.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.errors import InputError
from bot.domain.model import PoolTask
from bot.pricing.runtimes import RESIDUAL_SHARE, floor_remainder

__all__ = [
    "MAX_QUEUED_HORIZONS",
    "RESIDUAL_SHARE",
    "Batch",
    "Committed",
    "admissible_volume",
    "admit",
    "committed_work",
    "feasible",
]

MAX_QUEUED_HORIZONS = 32
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Batch:
    """Volume that may still be matched: seconds from a match to its deadline, run seconds, and
    the price of a task in nRLC (only the reserve reads it; 0: unknown, counted as the lowest)."""

    window: float
    run_seconds: float
    volume: int
    price: int = 0

    def __post_init__(self) -> None:
        if not self.window > 0:
            raise InputError("batch.window", "must be > 0 seconds", self.window)
        if not self.run_seconds > 0:
            raise InputError("batch.run_seconds", "must be > 0 seconds", self.run_seconds)
        if self.volume < 0:
            raise InputError("batch.volume", "must be >= 0", self.volume)


@dataclass(frozen=True, slots=True)
class Committed:
    """Work already matched on the pool, relative to now.

    ``running``: remaining seconds of each running task. ``queued``: (seconds to its deadline,
    run seconds) of each task waiting for a slot.
    """

    running: tuple[float, ...] = ()
    queued: tuple[tuple[float, float], ...] = ()


def committed_work(
    now: float,
    open_tasks: Sequence[PoolTask],
    run_seconds: dict[int, float],
    computing: int,
    remainders: Mapping[int, Callable[[float], float]] | None = None,
) -> Committed:
    """The committed work of ``open_tasks`` (not contributed, deadline ahead) at ``now``.

    Tasks with a known start are running. When the source knows no start at all (the chain does
    not say when a worker took a task), the ``computing`` count of the core's /metrics marks the
    earliest-deadline open tasks as running (the core assigns in that order), each charged its
    full run time.

    A running task is charged ``run - age`` floored at ``RESIDUAL_SHARE x run``; or, when
    ``remainders`` has its category, ``remainders[category](age)`` capped at its deadline.
    """
    known = any(t.started_at is not None for t in open_tasks)
    running: list[float] = []
    queued: list[tuple[float, float]] = []
    ordered = sorted(open_tasks, key=lambda t: (t.contribution_deadline, t.task_id))
    for t in ordered:
        run = run_seconds[t.category]
        if known:
            started = t.started_at
            if started is not None:
                tail = None if remainders is None else remainders.get(t.category)
                if tail is None:
                    running.append(floor_remainder(run, now - started))
                else:
                    left = t.contribution_deadline - now
                    running.append(min(tail(now - started), left))
                continue
        elif len(running) < computing:
            running.append(run)
            continue
        queued.append((t.contribution_deadline - now, run))
    return Committed(tuple(running), tuple(queued))


@dataclass(frozen=True, slots=True)
class _Horizon:
    """Committed work at one horizon: queued work due by it, and the occupancy in front of
    queued work (the running tasks) and in front of a batch (running and later queued tasks),
    each the sum of the ``slots`` longest candidates."""

    h: float
    due: float
    running: float
    ahead: float
    top: Sequence[float] = ()  # the raw candidates ``ahead`` sums, ascending (the reserve's)


def _horizons(slots: int, committed: Committed, windows: Sequence[float]) -> list[_Horizon]:
    """The horizons to test: each window and (up to ``MAX_QUEUED_HORIZONS``) queued deadline.

    On the simulator's hot path (every tick sizes every offer), hence not the plain quadratic
    loop: ``running``/``ahead`` are the sums of the ``slots`` largest ``min(x, h)``, and since
    ``min(., h)`` keeps the order, those are the ``slots`` largest raw values with the ones
    above ``h`` counted as ``h``; the queued tasks charged ahead only grow as the horizons are
    swept from the last, so their top ``slots`` are kept sorted along the sweep. ``due`` is a
    prefix sum when ``queued`` is in deadline order (as ``committed_work`` builds it). Every sum
    adds the same floats in the same order as the plain loop, so the result is bit-identical
    (tests/unit/pricing/test_admission.py checks it against the plain loop).
    """
    queued = committed.queued
    n = max(0, slots)
    if not queued:
        # The common tick (nothing waits for a slot): no queued deadline, nothing due, and the
        # occupancy ahead of a batch is the running tasks' (the general sweep gives the same
        # floats: ``due`` = 0.0 and ``top_ahead`` = ``top_running`` at every point).
        top = sorted(committed.running)[-n:] if n > 0 else []
        plain: list[_Horizon] = []
        for h in sorted(set(windows)):
            occupied = _capped_sum(top, h)
            plain.append(_Horizon(h, 0.0, occupied, occupied, top))
        return plain
    deadlines = sorted({d for d, _ in queued if d > 0})
    if len(deadlines) > MAX_QUEUED_HORIZONS:
        step = len(deadlines) / MAX_QUEUED_HORIZONS
        deadlines = [deadlines[int(i * step)] for i in range(MAX_QUEUED_HORIZONS)]
    points = sorted(set(windows) | set(deadlines))
    keys = [d for d, _ in queued]
    in_order = all(map(operator.le, keys, keys[1:]))
    by_deadline = queued if in_order else tuple(sorted(queued, key=_deadline))
    if not in_order:
        keys = [d for d, _ in by_deadline]
    runs = [r for _, r in by_deadline]
    prefix = list(itertools.accumulate(runs, initial=0.0)) if in_order else []
    top_running = sorted(committed.running)[-n:] if n > 0 else []  # ascending
    top_ahead = top_running  # the n largest raw values charged ahead, ascending
    taken = len(runs)
    out: list[_Horizon] = []
    for k in range(len(points) - 1, -1, -1):
        h = points[k]
        # a queued task is due at the last tested point at or before its deadline (exact when
        # every deadline is a point; stricter when some were skipped); before the first, at it
        nxt = points[k + 1] if k + 1 < len(points) else math.inf
        cut = bisect.bisect_left(keys, nxt)  # by_deadline[cut:] is charged ahead, not due
        if cut < taken and n > 0:
            top_ahead = sorted(top_ahead + runs[cut:taken])[-n:]
        taken = min(taken, cut)
        if in_order:
            due = prefix[cut]
        else:
            due = 0.0
            for deadline, run in queued:
                if deadline < nxt:
                    due += run
        out.append(
            _Horizon(h, due, _capped_sum(top_running, h), _capped_sum(top_ahead, h), top_ahead)
        )
    out.reverse()
    return out


def _deadline(q: tuple[float, float]) -> float:
    return q[0]


def _capped_sum(ascending: list[float], h: float) -> float:
    """``sum`` of ``min(x, h)`` over ``ascending`` taken in descending order (the plain loop's
    order, so the same float result)."""
    below = bisect.bisect_left(ascending, h)
    return sum([h] * (len(ascending) - below) + ascending[:below][::-1])


def _batch_due(hz: _Horizon, batches: Sequence[Batch]) -> float:
    """Slot time of the batches due by ``hz`` (each matched now, at the latest)."""
    return sum(b.volume * b.run_seconds for b in batches if b.volume > 0 and b.window <= hz.h)


def _room(slots: int, h: float) -> float:
    return slots * h * (1 + _EPS) + _EPS


@dataclass(frozen=True, slots=True)
class _Reserve:
    """The reserve (module doc): ``at_risk`` of our later-deadline tasks at most may be charged
    in front of a shorter batch, one per slot; ``slots`` keeps the top candidates."""

    slots: int
    at_risk: int


def _reserve(slots: int, committed: Committed, on: bool) -> _Reserve | None:
    """The reserve for ``committed``, or None when off: every slot but one, less one per queued
    task (already matched, a queued task takes the first slot that frees, before any new sale)."""
    if not on:
        return None
    return _Reserve(max(0, slots), max(0, slots - 1 - len(committed.queued)))


def _due_rate(hz: _Horizon, batches: Sequence[Batch]) -> float:
    """The best price per slot-second among the batches due by ``hz`` (-1: none)."""
    rates = [b.price / b.run_seconds for b in batches if b.volume > 0 and b.window <= hz.h]
    return max(rates) if rates else -1.0


def _longer(
    hz: _Horizon, batches: Sequence[Batch], cap: int, rate: float | None = None
) -> list[float]:
    """Up to ``cap`` tasks of the batches not due by ``hz`` that earn no more per slot-second
    than ``rate``, by default the best batch due there (the reserve holds a slot only for work
    worth as much), each charged ``min(run, h)``, the longest first."""
    if cap <= 0:
        return []
    out: list[float] = []
    top = _due_rate(hz, batches) if rate is None else rate
    for b in batches:
        if b.volume > 0 and b.window > hz.h and b.price / b.run_seconds <= top:
            out.extend([min(b.run_seconds, hz.h)] * min(b.volume, cap))
    out.sort(reverse=True)
    return out[:cap]


def _ahead(hz: _Horizon, reserve: _Reserve | None, longer: Sequence[float]) -> float:
    """The occupancy in front of a batch due by ``hz``: ``hz.ahead``, or with the reserve each
    of ``longer`` (at most ``at_risk``, one per slot) in place of the smallest candidates,
    again the sum of the ``slots`` largest."""
    if reserve is None or not longer:
        return hz.ahead
    h = hz.h
    cands = [min(x, h) for x in hz.top]
    cands.extend(longer[: reserve.at_risk])
    cands.sort(reverse=True)
    return sum(cands[: reserve.slots])


def _fits(slots: int, hz: _Horizon, batches: Sequence[Batch], reserve: _Reserve | None) -> bool:
    due = _batch_due(hz, batches)
    if due > 0:
        ahead = _ahead(hz, reserve, _longer(hz, batches, reserve.at_risk if reserve else 0))
    else:
        ahead = hz.running
    need = hz.due + due + ahead
    return need <= _room(slots, hz.h)


def feasible(
    slots: int,
    committed: Committed,
    batches: Sequence[Batch],
    reserve_short: bool = False,
) -> bool:
    """Whether every batch can be delivered on top of the committed work (module doc).

    Horizons before every batch's window are not tested: the batches cannot change them.
    ``reserve_short``: charge our later-deadline batches in front of shorter ones as the
    reserve does (module doc); off, as ``admit``'s default.
    """
    live = [b for b in batches if b.volume > 0]
    if not live:
        return True
    if slots <= 0 or any(b.run_seconds > b.window for b in live):
        return False
    first = min(b.window for b in live)
    horizons = _horizons(slots, committed, [b.window for b in live])
    reserve = _reserve(slots, committed, reserve_short)
    return all(_fits(slots, hz, live, reserve) for hz in horizons if hz.h >= first)


def _long_cap(
    slots: int,
    hz: _Horizon,
    others: Sequence[Batch],
    batch: Batch,
    reserve: _Reserve,
    held: Sequence[Batch],
) -> int | None:
    """Most tasks of ``batch`` (its volume unused; NOT due by ``hz``) that may be charged in
    front of the ``others`` due there and leave them room; None when nothing is capped here
    (nothing due, the batch earns more per slot-second than the best due, or even one task per
    slot at risk fits). A horizon the untouchable ``held`` batches already overfill is not made
    worse: tasks that only replace candidates as long count."""
    due = _batch_due(hz, others)
    if due <= 0 or reserve.at_risk <= 0:
        return None
    rate = _due_rate(hz, others)
    if batch.price / batch.run_seconds > rate:
        return None  # it earns more per slot-second than the short work: not held back for it
    base = hz.due + due
    room = _room(slots, hz.h)
    limit = max(room, base + _ahead(hz, reserve, _longer(hz, held, reserve.at_risk, rate)))
    longer = _longer(hz, others, reserve.at_risk, rate)
    own = min(batch.run_seconds, hz.h)
    for v in range(1, reserve.at_risk + 1):
        mine = sorted([*longer, *([own] * v)], reverse=True)[: reserve.at_risk]
        if base + _ahead(hz, reserve, mine) > limit:
            return v - 1
    return None


def _max_volume(
    slots: int,
    horizons: Sequence[_Horizon],
    others: Sequence[Batch],
    window: float,
    run: float,
    reserve: _Reserve | None = None,
    price: int = 0,
    held: Sequence[Batch] = (),
) -> int:
    """Largest volume of a (window, run) batch that fits with ``others`` at every horizon.

    With the reserve, the batch is capped where it could take a shorter batch's slot, and
    charged, where it is due, only the longer batches of ``held`` (untouchable: the longer
    batches being sized are capped for it instead)."""
    if slots <= 0 or run > window:
        return 0
    best = math.inf
    for hz in horizons:
        if window > hz.h:
            # not due here; a later batch is charged in front of others only with the
            # reserve on (module doc)
            if reserve is not None and others:
                cap = _long_cap(slots, hz, others, Batch(window, run, 0, price), reserve, held)
                if cap is not None:
                    best = min(best, cap)
            continue
        # without others their due work is the empty sum, 0: subtracting it changes no float
        due = _batch_due(hz, others) if others else 0
        ahead = hz.ahead
        if reserve is not None and others:
            rate = max(_due_rate(hz, others), price / run)
            ahead = _ahead(hz, reserve, _longer(hz, held, reserve.at_risk, rate))
        left = _room(slots, hz.h) - hz.due - due - ahead
        if left < 0:
            return 0
        best = min(best, math.floor(left / run + _EPS))
    return 0 if math.isinf(best) else int(best)


def admissible_volume(
    slots: int, committed: Committed, others: Sequence[Batch], window: float, run_seconds: float
) -> int:
    """Most tasks of one more batch (``window``, ``run_seconds``) the pool can still deliver
    on top of ``committed`` and ``others`` (their horizons are tested too)."""
    live = [b for b in others if b.volume > 0]
    windows = [b.window for b in live] + [window]
    return _max_volume(slots, _horizons(slots, committed, windows), live, window, run_seconds)


def admit(
    slots: int,
    committed: Committed,
    fixed: Sequence[Batch],
    wanted: Sequence[Batch],
    existing: Sequence[int],
    reserve_short: bool = False,
) -> list[int]:
    """Volumes <= ``wanted`` that, with ``fixed`` (untouchable), pass the test together.

    ``existing[i]`` is the volume of ``wanted[i]`` already valid on chain: it is admitted first
    (capped by the want), then the extra volume, both by window ascending (short tasks cannot
    wait; long ones can). Each admitted volume is kept when the next is sized, so the result is
    feasible as a whole (the load only grows with volume). ``reserve_short``
    (``rails.admission_reserve``): the reserve of the module doc, which caps a longer batch so
    the shorter ones sized before it keep their slots (a short batch is charged only the
    untouchable ``fixed`` ones), so the second pass sizes again every batch after one that
    grew; off, a
    later-deadline batch is never charged in front of a shorter one.
    """
    if len(existing) != len(wanted):
        raise InputError("existing", "one entry per wanted batch", len(existing))
    fixed_live = [b for b in fixed if b.volume > 0]
    windows = [b.window for b in fixed_live] + [b.window for b in wanted]
    horizons = _horizons(slots, committed, windows)
    reserve = _reserve(slots, committed, reserve_short)
    order = sorted(range(len(wanted)), key=lambda i: (wanted[i].window, i))
    got = [0] * len(wanted)

    def size(i: int, cap: int) -> int:
        if cap <= 0:
            return 0
        others = fixed_live + [
            Batch(wanted[j].window, wanted[j].run_seconds, got[j], wanted[j].price)
            for j in range(len(wanted))
            if j != i and got[j] > 0
        ]
        w = wanted[i]
        got_i = _max_volume(
            slots, horizons, others, w.window, w.run_seconds, reserve, w.price, fixed_live
        )
        return min(cap, got_i)

    for i in order:
        got[i] = size(i, min(existing[i], wanted[i].volume))
    grown = False
    for i in order:
        # with the reserve, a longer batch admitted whole is sized again once a shorter one grew
        # (without being charged for it)
        if got[i] < wanted[i].volume or grown:
            before = got[i]
            got[i] = size(i, wanted[i].volume)
            grown = grown or (reserve is not None and got[i] > before)
    return got
