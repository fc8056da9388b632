"""A queue-led surcharge: the pool as the bottleneck (issue #14, session 10, robust item 37).

Classes ``surge``, ``capacity_drop`` and ``scarcity`` move demand against our capacity. Robust's
market-led price (the rivals' level, guard 2's markup) does not read our own pool's queue: in the
first hour of a surge (train ``surge`` 1022, hour 48: 84 XS tasks sold one level above the
rivals at 63 M nRLC while 26 waited on 6 slots) or a scarcity market's first hours (``scarcity``
1003, hour 0: 129 tasks at 10-32 M with 31 waiting on 8 slots, against the best fixed price's
481 M) every slot is sold at the rivals' price until guard 5's trial opens (item 17's smoothed
queue) or the markup's 20-minute trials climb.

A queue is demand our slots do not serve: while the pool's utilization *now* (backlog included)
is at least ``threshold``, a task sold now only waits behind the others, so a higher price costs
no task the pool could have run meanwhile. The surcharge ``m`` (a log, pool-wide) rises by ``up``
every ``step`` seconds while the queue lasts, is held while every slot is busy, and is dropped
(back to 1) once a slot is free: the pool is no longer the bottleneck.

Pure functions over plain numbers; robust.py owns the state and applies the surcharge to offers
at their market-led price only (a perch or a trial prices itself). Opt-in (``queue_markup`` 0 by
default): on train it lost wherever it acted, since a price that drains the queue hides the
evidence guard 5's trial opens on (item 17's smoothed queue), and with ``queue_gate`` (the queue
now opens that gate) it lost on the validation block. Figures, the diagnosis and what was
tried: docs/strategies.md, robust item 37.
"""

from __future__ import annotations

import math

__all__ = ["queue_step"]


def queue_step(
    log_m: float,
    last_at: float | None,
    *,
    now: float,
    utilization: float | None,
    threshold: float,
    step: float,
    up: float,
    cap: float,
) -> tuple[float, float | None]:
    """The surcharge's next (log ``m``, time of its last raise).

    ``utilization``: the pool's utilization now, backlog included (None: not known, no change);
    ``threshold`` 0: off (0 returned); ``step``: seconds between raises; ``up``: a raise's size
    (0.25: x 1.25); ``cap``: the largest surcharge (a multiple, >= 1).

    A free slot (``utilization`` < 1) drops it at once: a price above the market-led one then
    sells less with nothing to gain. Between 1 and ``threshold`` it is held: the queue drains at
    the surcharged price, and dropping it at once would refill the queue at the rivals' level.
    """
    if threshold <= 0:
        return 0.0, None
    if utilization is None:
        return log_m, last_at
    if utilization < 1.0:
        return 0.0, None
    if utilization >= threshold and (last_at is None or now - last_at >= step):
        return min(log_m + math.log1p(up), math.log(max(1.0, cap))), now
    return log_m, last_at
