"""Surges and guard 5's perch (issue #14, session 7): a perch's slots, and a queue as evidence.

**A perch's slots**: what a long category must pay for the slot a perch's buyer would have used.

Guard 5 (strategies/robust.py) perches an offer far above the rivals where buyers with high caps
pay it; the pool's other categories keep their market-led prices. The pool's slots serve every
category, so in a surge the two compete for them. Train ``surge`` 1035 (issue #14, session 7):
XS perched at 374 M nRLC (tasks of 198 s: 1.9 M nRLC per slot-second) while category 3 (tasks of
4,841 s) sold one nRLC under its rival at 143 M (0.03 M nRLC per slot-second, 64 x less). In
each surge category 3's buyers filled all six slots for hours (the pool's utilization, backlog
included, at 2-6), and the XS perch sold nothing from hour 36 to 48: in the surge of hours 33-39
the reference (XS at 384 M, category 3 at the ceiling) earned 132 RLC, robust 16.

So while the pool is saturated (its smoothed utilization, backlog included, at least
``perch_slot_busy``: a task accepted now waits for a slot or takes the last one, so a perch buyer
arriving meanwhile finds no order of ours listed; on a pool with free slots a long task displaces
nothing), an offer at its market-led price sells a task for no less than ``perch_slot_share`` x
what a committed perch of another category earns per second (its evidence: decayed sales over
time at the perch) x the task's run time: what the slot's time is worth at the perch, if each
perch buyer arriving meanwhile is turned away (an upper bound of the sales it displaces). A
committed perch (or a trial whose price sold) is the evidence that buyers pay that price. Not
the perch's price per slot-second of its own tasks: that assumes perch buyers enough to keep a
slot busy, 15 x what the XS perch of train ``churn`` 1007 earned, and held its long categories
far above their buyers whenever the 4-slot pool queued. And a slot is charged only for as long
as the queue is expected to last (``perch_slot_floor``'s ``queue``): the smoothed utilization lags
the queue, and the whole run time held train ``churn`` 1007's long categories above their rivals
for 32 minutes at hour 31. Nor the pool's realized yield of the last hour (``slot_yield_share``, session 5, left off): it moved with every burst of short sales
and held long categories above their buyers on markets without a perch.

**A queue opens the perch's gate** (``perch_busy_open``): see ``queued``; so does a surge's
start (``perch_surge_out``, item 53): see ``surged``, and ``campaign`` for the bursts it must not
read as one (item 56).

Pure functions over plain numbers: robust.py owns the state and calls them. Figures, and what
was tried and not kept: docs/strategies.md, robust items 17 and 20.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from strategies.base import MAX_PRICE
from strategies.robust_caps import Buyer, tasks_by_cap

__all__ = ["campaign", "perch_slot_floor", "queued", "surged"]


def perch_slot_floor(
    *,
    perches: Sequence[tuple[int, float]],
    own: int,
    run: float,
    share: float,
    queue: float | None = None,
) -> int:
    """The lowest price an offer's task may sell at, given the perches of the pool's offers.

    ``perches``: (offer index, the perch's revenue in nRLC per second) for each offer of the pool
    at a committed perch; ``own``: this offer's index (its own perch sets no floor on it);
    ``run``: this offer's task run time in seconds; ``share`` 0: off (0 returned); ``queue``:
    the pool's utilization now, backlog included (None: the whole run time counts, item 17).

    With ``queue`` the slot is charged only for as long as the queue is expected to last
    (``perch_slot_drain``, item 20): a task accepted now turns perch buyers away only until the
    tasks ahead of it drain, about (``queue`` - 1) x its run time over the pool (the backlog's
    tasks taken as this category's). A pool with a free slot (``queue`` <= 1) displaces nothing.
    """
    if share <= 0 or run <= 0:
        return 0
    rates = [rate for i, rate in perches if i != own and rate > 0]
    if not rates:
        return 0
    held = run if queue is None else run * min(1.0, max(0.0, queue - 1.0))
    return min(MAX_PRICE, math.ceil(share * max(rates) * held))


def queued(*, u_avg: float | None, threshold: float) -> bool:
    """The pool's queue says buyers arrive faster than it serves them (``perch_busy_open``).

    ``u_avg``: the pool's smoothed utilization, backlog included (the markup's reading);
    ``threshold`` 0: off. Guard 5 opens a perch trial only while rivals are out of stock most of
    the time, and our own undercut hides that: the buyers take our order first and the rivals
    keep their stock (train ``surge`` 1022: the count stayed near 0 until hour 49, inside the
    surge, with the pool's queue at 20 x its slots). A smoothed utilization of ``threshold``
    (5: every slot busy and four times as many tasks waiting) is the same evidence seen from our
    side: more buyers at our price than the rivals' stock and our slots serve. The perch's count
    of rivals out of stock is then raised to its gate (``perch_out_share``); the gate's other
    conditions (the wait after a lost trial, the markup under ``perch_low``) and the trial
    itself are unchanged, and at the perch the book shows again whether the rivals sell out.
    Lower thresholds also opened trials on the queues that chance makes on small busy pools
    (train ``rival_leaves`` 1128, 2 slots: x 0.72 at 3) or a capacity drop makes (``capacity_drop``
    1025: x 0.93 at 2).
    """
    return threshold > 0 and u_avg is not None and u_avg >= threshold


def surged(*, rivals_out: float, u_avg: float | None, share: float, busy: float) -> bool:
    """Every slot busy and the rivals sold out now: a surge guard 5's slow count sees late
    (``perch_surge_out``, item 53).

    ``rivals_out``: the markup's fast count of rivals out of stock (``util_smoothing`` a
    decision, minutes); ``u_avg``: the pool's smoothed utilization, backlog included;
    ``share`` 0: off; ``busy``: the saturation threshold (``perch_slot_busy``). Guard 5's own
    count (``perch_out_seconds``, 2 h) is slow on purpose: a restock is not a regime. At a
    surge's start the rivals sell out within minutes and our slots fill at the market-led
    price, but the slow count takes an hour or two to reach the gate (train ``surge`` 1347, 2
    slots: the first surge at 33.3 h, the fast count at 0.8 by 33.7 h, the gate at 35.0 h; the
    reference sold 44 tasks at 758 M in hours 33-35, robust 40 at 22-47 M). Both at once are
    the evidence: a queue alone is common on a small pool (``queued``'s chance queues), and
    rivals out alone is a slow restock the slow count already reads. The gate's other
    conditions (the wait after a lost trial, the markup under ``perch_low``) are unchanged.
    A campaign's burst (one requester, tens of tasks at one cap) also sells the rivals out and
    queues the pool at once, and its buyers pay no more (shipped ``demand_surge`` seed 1: trials
    from the rails' top at 40 h and 67 h, lost; x 0.97): ``campaign`` tells it apart (on by
    default with items 56 and 60 since session 17).
    """
    return share > 0 and u_avg is not None and u_avg >= busy and rivals_out >= share


def campaign(buyers: Iterable[Buyer], share: float, min_tasks: int = 0) -> bool:
    """Our buyers of the window are mostly one campaign's: one cap holds at least ``share`` of
    their tasks (``perch_surge_campaign``, item 56; ``share`` 0: off, never a campaign).

    ``buyers``: our deals of the window with their buyers' caps (``robust_caps.buyers_of``),
    tallied by ``robust_caps.tasks_by_cap``. A campaign is one request of tens to hundreds of
    tasks at one cap: it sells the rivals out and queues the pool at once, as a surge's start
    does (``surged``), but its buyer pays no more than it did before (shipped ``demand_surge``
    seed 1: one cap held 44-94 % of our window's tasks at each of item 53's six firings, the
    trials they opened from the rails' top were lost; ``mixed_lengths`` seed 2, category 2: 73
    and 100 %). A surge multiplies every requester's rate: many buyers, each with its own cap
    (takers' caps are continuous), the capped requesters' tiers spread over three caps (train
    ``surge`` 1347 at its first surge's start: the most-bought cap held 5 of 19 tasks, 26 %).
    A window with no buyer of known cap is no campaign. A window of a few buyers holds one cap
    by chance (train ``surge`` 1048: one buyer at a surge's start, read as a campaign,
    lost item 53's trial there). So ``min_tasks`` (``perch_surge_campaign_tasks``, item 60; 0:
    no floor, item 56 as measured) asks the most-bought cap to hold that many tasks too: the
    campaigns above held 9-77 tasks at their cap, the chance windows 1 (1048) or 2 (1048's
    category 2, 1425).
    """
    if share <= 0:
        return False
    tasks = tasks_by_cap(buyers)
    total = sum(tasks.values())
    top = max(tasks.values(), default=0)
    return total > 0 and top >= share * total and top >= min_tasks
