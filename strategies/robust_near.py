"""``robust``'s steady-market anchor (guard 7) under a near rival whose stock our price drains
(``anchor_near_ratio``; robust item 90).

Guard 7 anchors one nRLC under the cheapest rival pool in stock at least ``anchor_in_share`` of
the time, so that a pool selling its last task within minutes of each restock sets no price.
That share answers to our own price: one nRLC above a small pool we leave it the first buyers
after each restock and it sells out at once; one nRLC under it we take them and it stays in
stock. Where the next pool up is only a little dearer, staying above the cheap one cedes every
restock's tasks to save a small margin on ours (train ``collapse`` 1634: pools at 37.0 M, three
tasks every 30 min, and 41.1 M; the 37 M pool's share read 0.10-0.35 with us at 41.1 M, robust
sold 217 tasks before the collapse against the best fixed price's 346 at 37.0 M).

So where the rule is on, a steady pool priced at least ``anchor_near_ratio`` x the anchor's
setter (and under it) sets the anchor whatever its share: the margin given up is at most
``1 - ratio`` of the price. Pools further under the setter keep the share's test (train
``undercut_slow`` 1018, 33.3 M under 89.1 M, lost 6 % to an anchor under them).

Pure: prices in, prices out; robust.py owns the state. Figures: docs/strategies.md, item 90.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["near_setters"]


def near_setters(prices: Iterable[int], setter: int, ratio: float) -> list[int]:
    """The steady pools' ``prices`` at or above ``ratio`` x ``setter`` and under it: rivals
    close enough under the anchor's setter to anchor under whatever their in-stock share
    (module doc). None when ``ratio`` is 0 (off)."""
    if ratio <= 0:
        return []
    return [x for x in prices if ratio * setter <= x < setter]
