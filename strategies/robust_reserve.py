"""``robust``'s long category kept from holding the pool a short one that earns more per slot
needs (issue #14, robust item 45).

A pool's slots serve every category. The planner lists an offer's volume up to what the pool can
still take on within the offer's deadline (``bot.pricing.ledger.window_capacity``: the EDF test),
and a long category's deadline is long. On train ``stationary`` 1443 (2 slots; XS tasks of about
220 s at 35.2 M nRLC, category-3 tasks of about 4,600 s at 230 M, one nRLC under a rival) a
campaign bought every category-3 task listed: both slots ran category 3 and up to four more
waited in the queue, so XS, whose short deadline no queued slot could meet, was unlisted 28-47 %
of hours 6-72 while its buyers went to the rival. A slot-second of category 3 earned about 50 k
nRLC, one of XS about 160 k; the yardstick (category 3 at 467 M) sold 157 XS tasks more.

The rule (``reserve_share``, ``reserve_slots``, ``reserve_shut``): an offer is capped while a
*shorter* offer earns more than 1 / ``share`` x its price per slot-second (a quote's price over its
task's run time), sold ``perch_step_tasks`` tasks in the last ``perch_half_life_seconds`` and was
**turned away**: the pool had no room for it (its window capacity 0) ``reserve_shut`` of the
recent time (a share halving every ``perch_out_seconds``), the cap held ``perch_half_life_seconds``
after the share last reached that. The capped offers together keep to ``slots - reserve_slots``
tasks in the pool (running or queued): they list that less what they hold. Their buyers over it
go to the rivals.

Why a trigger on the turned-away share, not the yields alone: capped from the start, wherever
a shorter category pays more per slot-second, the rule cost train ``undercut_fast`` 1004 x 0.54
(a perched XS at 809 M sells a few tasks a day; its long category sold at 0.7-3 G) and
``churn`` 1007 x 0.90: the yields say nothing of how often the short category's buyers come.

Pure functions over plain numbers: robust.py owns the state and calls them. Figures, and what was
tried and not kept: docs/strategies.md, robust item 45.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["reserve_volumes", "shut_share"]


def reserve_volumes(
    volumes: Sequence[int],
    yields: Sequence[float],
    runs: Sequence[float],
    selling: Sequence[bool],
    held: Sequence[int],
    slots: int,
    share: float,
    reserve: int,
) -> tuple[int, ...]:
    """Each offer's volume, capped where a *shorter* offer that is ``selling`` (its category sold
    recently) earns more per slot-second: where the offer's ``yields`` (a quote's price over its
    task's ``runs``, seconds) is under ``share`` x that offer's.

    The capped offers together keep to ``slots - reserve`` tasks in the pool: each lists at
    most that less the tasks they ``held`` already (their categories' open tasks, running or
    queued; never under 0). ``share`` <= 0 is off (the volumes as given). A volume is never
    raised."""
    if share <= 0 or len(volumes) < 2:
        return tuple(volumes)
    capped = [
        any(
            j != i and sells and runs[j] < runs[i] and yields[i] < share * other
            for j, (other, sells) in enumerate(zip(yields, selling, strict=True))
        )
        for i in range(len(volumes))
    ]
    room = max(0, slots - reserve - sum(h for h, c in zip(held, capped, strict=True) if c))
    return tuple(min(v, room) if c else v for v, c in zip(volumes, capped, strict=True))


def shut_share(share: float, dt: float, full: bool, half_life: float) -> float:
    """The decayed share of time the pool had no room for an offer: ``share`` aged by ``dt``
    seconds (halving every ``half_life``), the ``dt`` just past counted as ``full`` or not."""
    if dt <= 0:
        return share
    keep = math.exp(-math.log(2.0) * dt / half_life) if half_life > 0 else 0.0
    return keep * share + (1.0 - keep) * (1.0 if full else 0.0)
