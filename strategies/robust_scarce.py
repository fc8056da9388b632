"""Scarcity: a price that clears the pool's capacity (issue #14, session 8, robust item 23).

On a pool that sells more than it can compute, its own queue is the evidence of demand above
capacity that no rival shows. Train ``capacity_drop`` 1012 (2 slots): every category sat one
nRLC under its rival for 72 h while the pool's utilization (backlog included) averaged 1-2.7,
with up to 16 tasks queued; the XS tasks of buyers capped at 641 M nRLC sold at 13 M (157 of
them), and 10 tasks sold into the queue missed their deadline. Guard 2's markup never rose there:
it needs rivals out of stock (they were in stock), and guard 5's gate needs a queue of 5 x the
slots (``perch_busy_open``). On ``scarcity`` 1003 the first six hours sold at the rivals' level
into a queue of up to 30 tasks.

A revenue-best price is never under the price that clears capacity: below it, the pool sells
every slot it has at any price, so a higher one earns more per slot. So while the pool's smoothed
utilization (backlog included) is at least ``clear_busy``, every offer at its market-led price
raises a clearing markup by guard 2's step (``markup_up``, once per ``markup_interval_seconds``),
without a trial: a queue that persists is the judge, and a raise that sells less only drains it.
On a pool under ``clear_idle`` it falls by ``markup_down``. The quote uses the larger of the
scarcity markup and this one. It is part of the markup's state, so a perch freezes it as it
freezes guard 2's (the perch's hours are not the market-led price's evidence).

Pure functions over plain numbers: robust.py owns the state and calls them. Figures, and what
was tried and not kept: docs/strategies.md, robust item 23.
"""

from __future__ import annotations

import math

__all__ = ["clear_step"]


def clear_step(
    log_c: float,
    busy: float,
    *,
    full: float,
    idle: float,
    up: float,
    down: float,
    most: float,
) -> float:
    """The clearing markup's log after one interval at the pool's smoothed utilization ``busy``.

    ``full`` (> 0) and over: raised by ``up`` (a relative step); under ``idle``: lowered by
    ``down``; between them: held. Kept within [0, log ``most``].
    """
    if busy >= full:
        log_c += math.log1p(up)
    elif busy < idle:
        log_c += math.log1p(-down)
    return min(max(log_c, 0.0), math.log(most))
