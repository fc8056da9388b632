"""A surge's start read from a burst of our own sales (robust item 72; issue #14, session 21).

Guard 5 (strategies/robust.py) opens a perch trial when its slow count of rivals out of stock
(``perch_out_seconds``, 2 h) reaches its gate: slow on purpose, since a restock is not a regime.
Item 53 (``perch_surge_out``, strategies/robust_surge.py ``surged``) lifts the count at a surge's
start, but only on a queued pool (smoothed utilization 2, backlog included). On a pool with free
slots a surge shows first in our own sales: train ``surge`` 1022's category 1 (6 slots, the pool
at utilization 0.2-1.0 throughout) sold 2-3 tasks an hour at 189 M before the surge of 48.77 h
and 22 in the next 15 minutes; the trial that listed the category at the rails' 4,150 M (what
its best fixed price of the surge hours is) opened only at 49.33 h, when the slow count reached
the gate: about 30 tasks went at 189 M meanwhile (robust 69.4 RLC in the surge's 5 h against
83.0 RLC for the fixed 4,150 M, ``bench/dev_piecewise.py``).

So in the market mode, when the tasks our buyers bought in this offer's slot in the last
``surge_sold_seconds`` are at least ``surge_sold_tasks`` and come at ``surge_sold_multiple`` x
the pace of our earlier buyers of the offer (those robust keeps, ``c_buyers``, at least an hour
of them), guard 5's count is lifted to its gate, as item 53 does. One campaign's burst is told
apart as item 56 does (robust calls ``campaign`` before it). A pace with no earlier buyer, or
less than an hour of them, is no baseline: nothing is read then (the run's first hour, an offer
that never sold).

Pure functions over plain numbers; robust.py owns the state and calls ``burst``. Figures and
what was tried: docs/strategies.md, robust item 72.
"""

from __future__ import annotations

from collections.abc import Sequence

from strategies.robust_caps import Buyer

__all__ = ["burst", "pace"]

BASE_LEAST_SECONDS = 3600.0  # an earlier pace needs at least this much history


def pace(buyers: Sequence[Buyer], until: float) -> tuple[int, float] | None:
    """The tasks of ``buyers`` bought at or before ``until`` and the span from the first of
    them to ``until`` (None: none, or a span under ``BASE_LEAST_SECONDS``). The span starts at
    the first buyer, not the window's start, so a young offer's pace is read high (the burst
    test is then the stricter)."""
    before = [b for b in buyers if b.at <= until]
    if not before:
        return None
    span = until - min(b.at for b in before)
    if span < BASE_LEAST_SECONDS:
        return None
    return sum(b.volume for b in before), span


def burst(
    *,
    recent: int,
    window: float,
    base: tuple[int, float] | None,
    tasks: int,
    multiple: float,
) -> bool:
    """Our sales of the last ``window`` seconds (``recent`` tasks) are a surge's start.

    ``base``: the earlier pace (tasks, seconds; :func:`pace`); ``tasks`` 0: off. True when
    ``recent`` is at least ``tasks`` and its rate at least ``multiple`` x the base's."""
    if tasks <= 0 or window <= 0 or recent < tasks or base is None:
        return False
    n, span = base
    return recent / window >= multiple * n / span
