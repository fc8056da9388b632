"""Each rival's restock period, read from the book where it shows (issue #14, robust item 44).

Item 40 (``strategies/robust_caps.py``) replays our buyers' caps against the rivals cheaper than a
price, each rival's listed volume topped back up every period. Which period is the crux: item 40
assumed one for every rival (``caps_period_seconds``, 900 s), and on train ``collapse`` 1010 the
9.57 M nRLC rival restocks 2 tasks every 300 s: the assumption made it a third of what it is, the
estimate opened trials that did not sell, x 0.89 (docs/strategies.md item 40).

What the book shows. A pool that lists a fixed price tops its order back up to its volume each
time it reprices (the order-publisher container; the generator's fixed competitors do so every
``period_s``, from 300 s to 3600 s): a rival that sold some of its order, or all of it (its order
is then off the book), shows a restock as its remaining at that price rising again. Restocks fall
on its repricing times, so the interval between two that the book showed is a whole number of
periods, and the shortest such interval is the period once the rival has sold in two periods in
a row (train XS, 24 h of robust's own snapshots: 1313's 15.7 M rival 600 s, 1456's three 3600,
3600 and 900 s, 1010's 9.57 M 300 s, each the simulator's own period). A rival that never sells
(the one our undercut keeps in stock) shows nothing: its period is not known, and the caller
decides (``UNSEEN``). A rival that sells rarely shows only multiples (validation ``churn`` 1072,
category 3: 1,620 s for a 300 s pool); the wait from a sale to the next restock bounds the period
from below instead (``restock_periods(wait=True)``; tried, not kept: docs/strategies.md item 44).

Pure: state rows and book entries in, state rows out; no clock of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.domain.model import BookEntry

__all__ = ["ROW", "UNSEEN", "pool_stock", "restock_periods", "restocked_at", "watch_restocks"]

# What a rival whose period the book has not shown is taken to do in the replay:
# "assumed": restock every caps_period_seconds (item 40); "stocked": never run out (no evidence
# that a buyer above it is ours: the replay cannot open a trial over it); "fastest": the shortest
# period the book showed for any rival of the offer ("stocked" if none).
UNSEEN = ("assumed", "stocked", "fastest")

# state row per pool: [price, remaining at it, last restock seen (0: none), shortest interval
# between two restocks (0: none yet), intervals seen, last seen, first sale seen since the last
# restock (0: none), longest wait from such a sale to the restock after it, waits seen]
_PRICE, _LEFT, _AT, _SHORTEST, _COUNT, _SEEN, _SOLD, _WAIT, _WAITS = range(9)
ROW = 9


def pool_stock(book: Iterable[BookEntry]) -> dict[str, tuple[int, int]]:
    """Per rival pool (lower-cased address): its cheapest price in ``book`` and the remaining
    listed at that price. What a buyer of the cheapest order drains, so what a restock refills
    (this module) and what the rivals under our held price sell (robust item 78)."""
    cheapest: dict[str, tuple[int, int]] = {}
    for e in book:
        pool = e.workerpool.lower()
        got = cheapest.get(pool)
        if got is None or e.price < got[0]:
            cheapest[pool] = (e.price, e.remaining)
        elif e.price == got[0]:
            cheapest[pool] = (e.price, got[1] + e.remaining)
    return cheapest


def watch_restocks(
    kept: Mapping[str, Sequence[float]], book: Iterable[BookEntry], now: float, window: float
) -> dict[str, list[float]]:
    """The restock watch kept in robust's state, updated with the offer's competitors now
    (``book``): per pool, its cheapest price and the remaining listed at it. A pool kept but off
    the book now has sold out (or withdrawn): its remaining is 0, so its return at the same price
    is a restock. Two readings of the period, one from each side:

    * a restock's interval from the last one seen is a whole number of periods: the shortest is
      kept, an upper bound of the period (the period itself once the rival sold in two periods
      in a row);
    * the wait from the first sale seen after a restock to the next restock is shorter than one
      period (the pool reprices once per period, and did not between the restock and the sale):
      the longest is kept, a lower bound of the period (within a decision's interval).

    A new price starts a new count of remaining but keeps both readings (the pool's cadence, not
    its price's). Pools unseen for ``window`` are forgotten."""
    cheapest = pool_stock(book)
    out: dict[str, list[float]] = {}
    for pool, row in kept.items():
        if pool not in cheapest and now - row[_SEEN] <= window:
            gone = list(row)
            if row[_LEFT] > 0 and row[_SOLD] <= 0:
                gone[_SOLD] = now  # sold out since the last decision
            gone[_LEFT] = 0.0
            out[pool] = gone
    for pool, (price, left) in cheapest.items():
        old = kept.get(pool)
        if old is None or now - old[_SEEN] > window:
            out[pool] = [float(price), float(left), 0.0, 0.0, 0.0, now, 0.0, 0.0, 0.0]
            continue
        row = list(old)
        row[_SEEN] = now
        if float(price) != old[_PRICE]:
            row[_PRICE], row[_LEFT], row[_AT], row[_SOLD] = float(price), float(left), 0.0, 0.0
        elif left > old[_LEFT]:  # a restock
            if old[_AT] > 0:
                step = now - old[_AT]
                row[_SHORTEST] = step if old[_SHORTEST] <= 0 else min(old[_SHORTEST], step)
                row[_COUNT] = old[_COUNT] + 1
            if old[_SOLD] > 0:
                row[_WAIT] = max(old[_WAIT], now - old[_SOLD])
                row[_WAITS] = old[_WAITS] + 1
            row[_LEFT], row[_AT], row[_SOLD] = float(left), now, 0.0
        else:
            if left < old[_LEFT] and old[_SOLD] <= 0:
                row[_SOLD] = now  # the first sale since the last restock
            row[_LEFT] = float(left)
        out[pool] = row
    return out


def restock_periods(
    kept: Mapping[str, Sequence[float]],
    pools: Iterable[str],
    *,
    least: int,
    unseen: str,
    assumed: float,
    wait: bool = False,
) -> dict[str, float | None]:
    """Each pool's restock period for the replay: the shortest interval the book showed, once
    ``least`` intervals were seen (``wait``: the longest wait from a sale to the restock after
    it, once ``least`` waits were seen: a lower bound, so more rival stock in the replay); otherwise by ``unseen`` (``UNSEEN``): ``assumed``, the
    fastest period seen for any pool of ``kept``, or None, never out of stock ("fastest" with no
    period seen is None as well)."""
    if wait:
        seen = {p: r[_WAIT] for p, r in kept.items() if r[_WAITS] >= max(1, least) and r[_WAIT] > 0}
    else:
        seen = {
            p: r[_SHORTEST]
            for p, r in kept.items()
            if r[_COUNT] >= max(1, least) and r[_SHORTEST] > 0
        }
    if unseen == "assumed":
        other: float | None = assumed
    elif unseen == "fastest" and seen:
        other = min(seen.values())
    else:
        other = None
    return {p: seen.get(p, other) for p in pools}


def restocked_at(kept: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Each kept pool's last restock the book showed (0: none yet): a pool off the book with no
    restock for several periods withdrew its order rather than sold it (robust item 93)."""
    return {p: r[_AT] for p, r in kept.items()}
