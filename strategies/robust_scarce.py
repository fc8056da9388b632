"""Scarcity: a market-led price that nobody bought is an upper bound (issue #14, session 8,
robust item 23).

Guard 2's markup multiplies the market-led price: the contested price, or the book logic's
(``markup_on_book``). On ``scarcity`` markets the book price is read from the few requests that
wait (publishers) and moves x 2-3 between decisions, while the buyers who pay the markup's price
are capped requesters who never wait, all with one cap. Train ``scarcity`` 1055 (train, held out
in earlier sessions; diagnosed here): XS buyers capped at 1,970 M nRLC arrive about 14 an hour;
the book price x the markup (x 4.8-7.5) swung between 0.99 and 2.7 G and sat above the cap for
most of hours 24-60 (median quote 2.3-2.6 G), selling 10-26 of those buyers a day against 120-145
in the first two days. The markup's trial judges one 20-minute interval against the last, and what
moves the quote there is the base, not the markup.

The rule reads our own listing instead: while a price of ours is listed, the lowest listed price
since our last sale is remembered; when no task sold for as long as the offer's recent sales
rate takes to sell ``unsold_sales`` tasks (at least ``unsold_least_seconds``: an hour, so that a
false bound is rare where buyers come several an hour; minutes with no order of ours listed do not
count), nothing at or above that price sold: it is an **upper bound**, and the marked-up quote is
held under it (by guard 2's ``markup_down``, never under the base price) until a sale at or
above it, or ``unsold_seconds`` pass (demand may have changed). The next window starts from the capped price, so a bound above a cap tier falls a step
per window until a price sells. While the quote is held under a bound, guard 2 does not raise:
a raise the bound swallows would be judged on the lower price's sales and kept.

Pure functions over plain numbers: robust.py owns the state and calls them. Figures, and what
was tried and not kept: docs/strategies.md, robust item 23.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Unsold", "unsold_step"]


@dataclass(frozen=True, slots=True)
class Unsold:
    """The bound's state: the lowest price listed since the last sale (0: none), when the window
    started, the offer's decayed sales rate (tasks/s), the bound (0: none) and when it was set."""

    low: int = 0
    since: float | None = None
    rate: float = 0.0
    bound: int = 0
    bound_at: float = 0.0


def unsold_step(
    s: Unsold,
    *,
    now: float,
    dt: float,
    listed: int | None,
    sold: float,
    top_sold: int,
    sales: float,
    least: float,
    forget: float,
    smoothing: float,
) -> Unsold:
    """One decision of the bound. ``listed``: our listed price (None: no order listed, the clock
    stops); ``sold``: tasks sold since the last decision, the dearest at ``top_sold``; ``sales``: how many tasks the recent sales rate sells in a window (0: off); ``least``: the
    shortest window; ``forget``: a bound's lifetime; ``smoothing``: the sales rate's time
    constant."""
    if sales <= 0:
        return s
    a = 1.0 - math.exp(-dt / smoothing) if dt > 0 else 0.0
    rate = (1 - a) * s.rate + (a * sold / dt if dt > 0 else 0.0)
    bound, bound_at = s.bound, s.bound_at
    if bound and now - bound_at > forget:
        bound = 0
    if sold > 0:
        if bound and top_sold >= bound:
            bound = 0  # a price at the bound sold: it was not one
        return Unsold(listed or 0, now, rate, bound, bound_at)
    since = now if s.since is None else s.since
    low = s.low
    if listed is None:
        since = min(now, since + dt)  # no order of ours listed: nobody could buy, the clock stops
    else:
        low = listed if low <= 0 else min(low, listed)
    # as long as the recent sales rate takes to sell ``sales`` tasks: had every recent buyer
    # paid at least ``low``, that many would have bought in the window (on average)
    window = max(least, sales / rate) if rate > 0 else math.inf
    if low > 0 and now - since >= window:
        # nothing at or above ``low`` sold for a window: an upper bound; a new window starts
        bound = low if bound <= 0 else min(bound, low)
        return Unsold(listed or 0, now, rate, bound, now)
    return Unsold(low, since, rate, bound, bound_at)
