"""``robust`` after the market's price setter leaves: item 24's window opens for the cheapest pool.

Item 24 (strategies/robust_leaves.py) opens its window after a rival pool's exit only when that
pool listed at least ``leaves_stock_share`` (half) of all the rivals' stock: the market's big
supplier, not one small order among several. Generated ``rival_leaves`` draws the cheap pool's
volume (5-20 tasks every 5 min) and the other fixed pools' (1-3 tasks each, up to three pools)
independently, so on some markets the pool that leaves lists under half of the stock while it
is still the one that sets the price: every other pool lists above it, and we sit one nRLC under
it. Its exit raises the market-led price to the next pool's and leaves demand the remaining
pools cannot serve, as on the markets item 24 sees, but the window never opens.

Traced on TRAIN ``rival_leaves`` 1154 (robust item 106; XS, the cheap pool 28.9 M x 5 tasks
against 45.9 M x 3, 64.8 M x 2 and 89.7 M x 1: 5 of 11 tasks, 0.45 of the stock): the pool
leaves at 44.76 h, the base follows the next pool to 45.9 M and sells at capacity (25-35 tasks
an hour, 1.0-1.6 RLC); guard 5's count of rivals out of stock stays under its gate while we
undercut them, and the first trial (1,930 M) opens in hour 57, 12.2 h after the exit; that hour
earns 5.7 RLC. With item 24's window opened at the exit (46.83 h) the trial opens at once.

So a pool that left (unseen for ``leaves_gone_seconds``, in stock at least ``leaves_share`` of
the time when last seen, as item 24 reads it) whose last listed price was under every pool
listed now (its exit raised the market's lowest price) opens the same window when its largest
stock was at least ``leaves_setter_share`` of the followed pools' largest stocks together
(``setter_exits``). Each followed pool's lowest price when last seen is kept for it
(``setter_prices``). On at 0.3 by default since session 30; off (0), nothing is kept and item 24
is as it was.

Pure functions over plain numbers: robust.py owns the state and calls them. Figures and what was
tried: docs/strategies.md, robust item 106.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["setter_exits", "setter_prices"]


def setter_prices(
    prices: Mapping[str, float], listed: Mapping[str, int], followed: Iterable[str]
) -> dict[str, float]:
    """Each followed pool's lowest listed price when last seen: a pool listed now
    (``listed``: pool -> its lowest price in the book) at its price now, the others as kept;
    pools no longer followed are dropped."""
    out: dict[str, float] = {}
    for pool in followed:
        if pool in listed:
            out[pool] = float(listed[pool])
        elif pool in prices:
            out[pool] = prices[pool]
    return out


def setter_exits(
    pools: Mapping[str, Sequence[float]],
    prices: Mapping[str, float],
    listed: Mapping[str, int],
    now: float,
    *,
    share: float,
    setter_share: float,
    after: float,
) -> list[str]:
    """The pools that left as the market's price setter at this decision.

    ``pools`` are item 24's rows before this decision (pool -> [in-stock share when last seen,
    last seen, largest stock]), ``prices`` each one's lowest price when last seen and ``listed``
    the pools in the book now with their lowest price. A pool unseen for ``after`` (item 24
    drops it at this decision), in stock at least ``share`` of the time when last seen, whose
    last price was under every pool listed now and whose largest stock was at least
    ``setter_share`` of the followed pools' largest stocks together has left; none with
    ``setter_share`` 0 (off).
    """
    if setter_share <= 0:
        return []
    total = sum(float(x[2]) for x in pools.values())
    lowest = min(listed.values(), default=None)
    out: list[str] = []
    for pool, row in pools.items():
        held, seen, stock = float(row[0]), float(row[1]), float(row[2])
        if pool in listed or now - seen < after or pool not in prices:
            continue
        under = lowest is None or prices[pool] < lowest
        if held >= share and total > 0 and stock >= setter_share * total and under:
            out.append(pool)
    return out
