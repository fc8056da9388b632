"""``robust``'s steady-market anchor (guard 7) not taught by our own perch (``anchor_perch_held``;
robust item 59).

Guard 7 holds the market-led price one nRLC under the cheapest rival pool that is in stock at
least ``anchor_in_share`` of the time (an average over ``anchor_in_seconds``): a pool that sells
its last task within minutes of each restock sets no price, the next one does. That share is
read from the book, and the book answers to our own price: one nRLC under a rival, we take its
buyers first and it stays in stock; above it (a perch trial, guard 5), its buyers are its own and
a small pool sells out within minutes of each restock. So a perch trial of an hour or two above
the rivals lowers the cheapest pool's share under the bar, the anchor moves up to under the next
pool, and there, above the cheap pool, we keep it selling out: the share never recovers (train
``collapse`` 1010 under item 55: an 8.75 M pool restocking one task per 15 min fell from 0.96 to
0.27 in the 1.75 h its vouched trial waited at 522 M, then stayed at 0.07-0.19 for 27 h while the
anchor sat one nRLC under the 9.57 M pool: XS sold 470 tasks in hours 4-31 against 577).

So while the interval just ended was a perch's (our order quoted above the market-led price),
the shares are held (weight 0) where the rule is on: what the rivals' stock did then is the
market our perch made, not the one the anchor prices. Off the perch they are read as before.

Pure: numbers in, a weight out; robust.py owns the state. Figures and what was tried:
docs/strategies.md, robust item 59.
"""

from __future__ import annotations

import math

__all__ = ["in_share_weight"]


def in_share_weight(dt: float, seconds: float, *, perched: bool, held: bool) -> float:
    """The weight the last ``dt`` seconds take in guard 7's in-stock share of each rival pool
    (an exponential average over ``seconds``): 0 when they were a perch's (``perched``) and the
    rule is on (``held``; module doc), else ``1 - exp(-dt / seconds)`` as guard 7 reads it."""
    if held and perched:
        return 0.0
    return 1.0 - math.exp(-max(0.0, dt) / seconds)
