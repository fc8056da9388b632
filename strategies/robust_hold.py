"""``robust``'s trial level held at the pace of the tier our own buyers stated at it
(guard 5, ``tier_hold_tasks``; issue #14, robust item 66).

A trial level waits unsold for its pace: as long as the market-led price took to sell
``perch_step_tasks`` tasks (``RobustStrategy._step_seconds``), then it is halved. That pace is the
*market-led* mode's, tasks a few minutes apart. The stationary group's weak markets (train
``publishers`` 1000, ``ample`` 1301/1327/1340/1366, robust items 51 and 61) are rare high tiers:
1000's best fixed price, 400 M (the rails' ceiling), sells 9 tasks in 72 h (3.60 RLC) to the 18
buyers who state 600 M, one every 4 h, whenever they come while the rivals are out; robust sells
145 tasks at its 20.7 M undercut (2.81 RLC, x 0.78). Its trial at 400 M waits 40 minutes, the
market-led pace, where a buyer of the tier comes every 4 h: the level is abandoned before one
of its buyers could have come.

Our buyers' deals say how often the tier comes: each deal carries its buyer's cap
(``request_maxprice``). **The rule** (``tier_hold_tasks`` = k > 0): a trial level unsold for its
pace still waits while the buyers of our deals of the last ``perch_half_life_seconds`` who stated
a cap at or above it (before it was listed; at least ``HOLD_LEAST_TASKS`` tasks of them) came at
a rate that brings fewer than k tasks in the time it has waited: ``tier x unsold < k x span``
(span: from the first kept buyer to the level's listing; the reading of item 57's
``robust_tieropen.tier_ends``, turned round). A level no buyer of ours stated waits its pace as
before. k = 0 is off (main exactly).

**Item 67** (``tier_settled_tasks`` = k > 0): a trial that *sold* at a level the hold above
kept waiting (settled there) was ended at the rivals' first return (1000 at 17.57 h, 1031 at
4.52 h, item 66's *left*): its buyers come whenever the rivals are out, one every few hours. With
the key the rivals' return does not end such a settled trial while the tier of our buyers who
stated its level (the same reading, ``tier_pace``) came at a rate that brings fewer than k tasks
since the level's last sale (or its settling); once k were due and none came it ends as before
(it sold: the next trial waits ``perch_wait_seconds``, no lost trial's back-off: that back-off
cost train ``surge`` 1009 x 0.88). A level that sold within its market-led pace is not a tier's
and is ended as before (train ``undercut_slow`` 1005's 1,070 M trial, kept too in a first
version: x 0.78). ``settled_holds``.

Pure: buyers and times in, a verdict out; robust.py owns the state and calls it.
"""

from __future__ import annotations

from collections.abc import Sequence

from strategies.robust_caps import Buyer, tier_pace

__all__ = ["HOLD_LEAST_TASKS", "last_sale", "settled_holds", "tier_holds"]

HOLD_LEAST_TASKS = 2
"""The fewest tasks of buyers stating a cap at or above a level that make it a tier whose rate
holds the level: one buyer's cap is that buyer, not a rate."""


def tier_holds(buyers: Sequence[Buyer], level: int, since: float, now: float, least: float) -> bool:
    """Whether a trial level ``level``, unsold since ``since``, still waits at ``now``: the
    tier of ``buyers`` (caps at or above the level, bought before ``since``, at least
    ``HOLD_LEAST_TASKS`` tasks) came at a rate that brings fewer than ``least`` tasks in the time
    it went unsold (``least`` <= 0: off)."""
    if least <= 0 or level <= 0 or now < since:
        return False
    pace = tier_pace(buyers, level, since)
    if pace is None:
        return False
    tier, span = pace
    return tier >= HOLD_LEAST_TASKS and span > 0 and tier * (now - since) < least * span


def last_sale(buyers: Sequence[Buyer], level: int, settled: float) -> float:
    """When the settled trial at ``level`` last sold: the latest of ``buyers`` at or after
    ``settled`` (the time it settled) whose cap pays the level, else ``settled``. A settled
    trial lists only its level (or a refine probe above it), so our buyers since are its own."""
    return max((b.at for b in buyers if b.at >= settled and b.cap >= level), default=settled)


def settled_holds(
    buyers: Sequence[Buyer], level: int, settled: float, now: float, least: float
) -> bool:
    """Whether a trial settled at ``level`` (sold there at ``settled``) is still kept at ``now``
    through the rivals' return (item 67): the tier at the level came at a rate that brings fewer
    than ``least`` tasks since its last sale (``tier_holds``'s reading from that sale)."""
    if least <= 0:
        return False
    return tier_holds(buyers, level, last_sale(buyers, level, settled), now, least)
