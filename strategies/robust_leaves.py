"""``robust`` after the market's big supplier leaves: the perch reads the demand it left behind.

While we undercut the rivals, buyers take our orders first and the rivals keep their stock: the
perch's count of rivals out of stock (guard 5) reads the market we make, not the one a perch
would face. When a rival that listed most of the market's stock leaves for good (generated
``rival_leaves``: a cheap pool listing 5-20 tasks every 5 min), what it sold is demand the
remaining rivals (1-3 tasks per reprice) cannot serve; but we sit one nRLC under the next rival,
it never runs out, and the perch never opens (train ``rival_leaves`` 1037: 42 h at 109 M while the
best fixed price in hindsight is the rails' ceiling, 1.74 RLC, sold to the top capped tier).

So each rival pool is followed per offer: its share of the time in stock (time constant
``leaves_gone_seconds``, from 0 for a new pool: only hours of presence make it steady) and the
largest stock it listed. A pool in stock at least ``leaves_share`` of the time, listing at least
``leaves_stock_share`` of all the rivals' stock, and then gone from the book for
``leaves_gone_seconds`` has *left*; for ``leaves_window_seconds`` after it guard 5

(a) reads the demand the remaining rivals could not have served (its ``perch_demand_seconds``
    reading, with ``leaves_demand_seconds``; 0: no reading);
(b) probes whether they sell out once we are not under them (``leaves_probe_seconds``; 0: off):
    with rivals in stock and the price under the perch's lowest rung, that rung is quoted that long,
    and rivals out at least ``perch_out_share`` of it open a trial at once; otherwise the next
    probe waits twice as long (the reading is an estimate, the probe a direct test: each alone
    missed markets the other found);
(c) holds every trial level at the break-even pace (guard 6's ``trial_pace_unknown``), since a
    level far above the market sells a task an hour or two.

A pool that left and is listed again closes the window at once: it was a churner, not a
departure, and its stock is back. Off the window all three stay as guard 5 sets them: always on,
(a) and (c) lose on busy markets (docs/strategies.md, robust items 5, 6 and 8, where the same
window without the stock share and without the close on return lost on held-out ``churn``
markets).

Pure functions over plain numbers: robust.py owns the state and calls them. Figures, and what was
tried and not kept: docs/strategies.md, robust item 24.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Exits", "probe_step", "track_exits"]


@dataclass(frozen=True, slots=True)
class Exits:
    """The pools followed (pool -> [in-stock share when last seen, last seen, largest stock]),
    the pools that left, and whether one left or came back at this decision."""

    pools: dict[str, list[float]]
    gone: list[str]
    left: bool
    back: bool


def track_exits(
    pools: Mapping[str, list[float]],
    gone: list[str],
    listed: Mapping[str, int],
    now: float,
    dt: float,
    *,
    share: float,
    stock_share: float,
    after: float,
) -> Exits:
    """Follow each rival pool's presence (``listed``: pool -> its stock in the book now).

    The in-stock share is an average over time (time constant ``after``) of being listed at our
    decisions (``dt`` since the last one). A pool unseen for ``after`` is dropped; it *left* if
    it was in stock at least ``share`` of the time when last seen and its largest stock was at
    least ``stock_share`` of the followed pools' largest stocks together (the market's main
    supplier, not one small order among several). A pool that left and is listed again is
    *back*.
    """
    a = 1.0 - math.exp(-max(0.0, dt) / after)
    total = sum(x[2] for x in pools.values()) + sum(
        float(n) for pool, n in listed.items() if pool not in pools
    )
    out: dict[str, list[float]] = {}
    left_now: list[str] = []
    for pool, (held, seen, stock) in pools.items():
        if pool in listed:
            decayed = held * math.exp(-max(0.0, now - dt - seen) / after)
            out[pool] = [decayed * (1 - a) + a, now, max(stock, float(listed[pool]))]
        elif now - seen >= after:
            if held >= share and total > 0 and stock >= stock_share * total:
                left_now.append(pool)
        else:
            out[pool] = [held, seen, stock]
    for pool, n in listed.items():
        if pool not in pools:
            out[pool] = [a, now, float(n)]
    back = any(pool in listed for pool in gone)
    still = [pool for pool in gone if pool not in listed] + left_now
    return Exits(out, still[-8:], bool(left_now), back)


def probe_step(
    out: float, secs: float, dt: float, *, in_stock: bool, length: float, share: float
) -> tuple[float, float, bool | None]:
    """One decision of the unmasking probe: the seconds with no rival in stock and the probe's
    seconds so far, and its verdict once it lasted ``length`` (None before): the rivals were out
    at least ``share`` of the time (the perch's gate would open on that), or not."""
    out, secs = out + (0.0 if in_stock else dt), secs + dt
    if secs < length:
        return out, secs, None
    return out, secs, out >= share * secs
