"""``robust``'s committed perch: when it is measured against the market-led price again.

Guard 5 (strategies/robust.py) holds a committed perch for ``p_hold`` (12 h, doubling after each
check it passes), then quotes the market-led price for a whole trial's length (a *check*, 6 h)
and compares the two modes again. The check is there to notice a market-led mode that now earns
more than the perch (rivals repriced upward; the markup, frozen while perched, climbs during a
check). Where nothing shifted it only costs a trial's length of market-led prices: train
``collapse`` 1023 (checks at 24 h and 54 h, the perch earning 2.4 x the market-led mode) and
``churn`` 1007 (at 56.6 h, 6 x; the check's own undercut then kept the rivals in stock, which
read as "rivals back" and ended the perch for good). So a perch whose hold ran out is held on
without a check while nothing points to a shift: its own evidence's lower revenue bound (the
decayed sales at the perch, guard 5's bound) still beats ``check_margin`` x the market-led
mode's last measured rate, and the market-led price has not risen by that factor since the
commit. Either sign, and the check runs as before. Within the margin a check still runs: it is
where the markup finds a price above a perch that settled low (train ``stationary`` 1027: the
perch at 270 M, the markup at 785 M after two checks; x 0.89 without them).

**A steady rival leaves** (``shift_window_seconds``; 0: off). While we undercut the rivals, the
buyers take our orders first and the rivals keep their stock: the perch's count of rivals out of
stock reads the market we make, not the one a perch would face. After a cheap rival that was in
stock most of the time leaves (train ``rival_leaves`` 1037: the next rival, at 109 M, never runs
out while we sit one nRLC under it, and the reference sells at 1.74 RLC), that count keeps the
perch shut for good. So each rival pool's share of the time in stock is kept per offer; a pool
in stock at least ``shift_share`` of the time and gone from the book for ``shift_gone_seconds``
is a shift, and for ``shift_window_seconds`` after it the perch (a) reads the demand the
remaining rivals could not have served (guard 5's ``perch_demand_seconds`` reading, with
``shift_demand_seconds``) and (b) holds every trial level at the break-even pace (as guard 6's
``trial_pace_unknown``), not only a rejoined one: after a shift the buyers above the market are
the ones the departed rival served, and a level 16 x the market's sells a task an hour or two.
Off the window, both stay as guard 5 sets them: on the whole train set either one on its own
loses on busy markets (docs/strategies.md, robust items 5 and 6).

Pure functions over plain numbers: robust.py owns the state and calls them. Figures, and what
was tried and not kept: docs/strategies.md, robust item 8.
"""

from __future__ import annotations

import math

__all__ = ["check_due", "track_exits"]


def check_due(*, leads: bool, base: int, base_at_commit: int, margin: float) -> bool:
    """A committed perch whose hold ran out is measured against the market-led mode again.

    ``leads``: the perch's lower revenue bound still beats ``margin`` x the market-led mode's
    last measured rate. ``base`` / ``base_at_commit``: the market-led price now and when the
    perch was committed (0: unknown). ``margin`` 0: off (every hold ends in a check).
    """
    if margin <= 0 or not leads or base_at_commit <= 0:
        return True
    return base > margin * base_at_commit


def track_exits(
    pools: dict[str, list[float]],
    listed: set[str],
    now: float,
    dt: float,
    *,
    share: float,
    gone: float,
) -> tuple[dict[str, list[float]], bool]:
    """Each rival pool's [share of the time in stock as of when last seen, last seen]; and
    whether one left.

    The share is an average over time (time constant ``gone``) of being listed at our decisions
    (``dt`` since the last one); a new pool starts at 0, so only hours of presence make it
    steady. A pool unseen for ``gone`` is dropped; it *left* (a shift) if it was in stock at
    least ``share`` of the time when last seen: a steady seller, not one that restocks now and
    then.
    """
    a = 1.0 - math.exp(-max(0.0, dt) / gone)
    out: dict[str, list[float]] = {}
    left = False
    for pool, (held, seen) in pools.items():
        if pool in listed:
            out[pool] = [held * math.exp(-max(0.0, now - dt - seen) / gone) * (1 - a) + a, now]
        elif now - seen >= gone:
            left = left or held >= share
        else:
            out[pool] = [held, seen]
    for pool in listed - set(pools):
        out[pool] = [a, now]
    return out, left
