"""``robust``'s descending probe under a follower (guard 1's ``floor`` posture, issue #14).

An undercutter reprices to one small step under the cheapest other order, down to a floor it
never crosses (there it jumps back to a ceiling or stays put). Guard 1's ``floor`` posture quoted
one nRLC under the lowest price any rival posted; a slow undercutter (a period of several of our
steps) with a step under the planner's deadband (2 %) then never moves at all: our new price is
within the deadband of the listed one, the order is kept, and the follower stays one step under
it for days (train ``undercut_slow`` 1018: 1.83 RLC against 1.84, while its floor is 0.71 RLC).

So the posture descends deliberately: each time the follower has repriced since our last step and
is still at or under our listed price, the price goes ``follow_stride`` under the lower of the two
(a step larger than the deadband, so the order really moves). Where the follower stops following
(its reprice leaves it above us) the price is held if it jumped back up, and rises to one nRLC
under it if it sits at the lowest price seen (its floor: the stride's overshoot is given back).
The follower's reaction is read from its order's ``published_at``: a reprice lists a new order.

Two views of the book for rivals that move (issue #14, session 7):

- **Every paid rival counts** (robust's ``outlier_ratio``, 0). ``portfolio`` ignores rivals
  priced under a fifth of the median rival. A fast undercutter that followed us down past that
  line vanished from the view: the base jumped back to one nRLC under the next rival, the
  undercutter followed, reappeared, and we cut again, a cancel a minute, and guard 1 never
  counted it (train ``undercut_fast`` 1043: 4,283 cancels, 2.5 RLC net). A taker buys the
  cheapest order wherever it sits, so a rival far under the others is still the market; a rival
  down to its last task is already left out while prices move (``portfolio``'s
  ``war_min_volume``).
- **A rival moving above the anchor leaves it on** (``anchor_moving_above``). Guard 7 holds one
  price under the cheapest rival that keeps a fixed price, through its stock-outs; any rival
  that repriced turned it off, also a random walk far above it, and the base went back to
  following each stock-out and restock (train ``random_walk`` 1019: 1,094 cancels). A rival
  priced above the anchor's rival sells to no taker before us; one that moves to or under it
  turns the anchor off as before (:func:`steady_pools`).
- **A waiting request does not wipe guard 1's record** (``follow_keep_book``). A decision priced
  by the book logic (a request waiting) while rivals are in view forgot the follower, its
  posture and their measurements; found again only by a war of cuts (train ``undercut_fast``
  1069: 45 times in three days).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from bot.domain.model import BookEntry

__all__ = ["cross_band", "steady_pools", "stride_under"]


def stride_under(
    rivals: Sequence[BookEntry],
    follower: str,
    listed: int,
    price: int,
    stepped_at: float,
    waited: float,
    stride: float,
    floor: int,
    now: float,
) -> tuple[int, float, float]:
    """The ``floor`` posture's price with a descending stride; when it last stepped; how long the
    follower took to answer a step (the longest seen).

    ``price`` is the posture's price without the stride (one nRLC under the lowest rival seen);
    it rises above ``listed`` only to one nRLC under a follower that stopped at that lowest price
    (its floor); otherwise the descent goes one way, and the posture's re-measurement every
    ``commit_seconds`` starts it afresh. A step is taken only once the follower answered
    the last one (its order published at or after ``stepped_at``), so a slow follower is given
    its own period to show whether it still follows. A follower that stays at its floor lists
    no new order (same price): it is read as stopped once it let twice its longest answer pass.
    """
    held = max(floor, min(price, listed))
    theirs = [r for r in rivals if r.workerpool == follower]
    if not theirs:
        return held, stepped_at, waited  # sold out or gone: nothing to read, hold
    lowest = min(r.price for r in theirs)
    last = max(r.published_at for r in theirs)
    answered = last >= stepped_at
    if answered and stepped_at > 0:
        waited = max(waited, last - stepped_at)
    if lowest > listed and lowest <= price + 1 and waited > 0 and now - stepped_at > 2 * waited:
        # it sits above us at the lowest price seen (its floor) and let its answer pass: the
        # stride's overshoot is given back, one nRLC under it
        return max(floor, lowest - 1), stepped_at, waited
    if lowest > listed or not answered:
        return held, stepped_at, waited  # it jumped back up, or has not answered yet
    if any(r.price <= listed for r in rivals if r.workerpool != follower):
        # another pool is at or under us too: the follower may be undercutting it, not us (two
        # undercutters racing each other down); stepping under both only speeds their race
        return held, stepped_at, waited
    stepped = math.floor(min(listed, lowest) * (1.0 - stride))
    return max(floor, min(held, stepped)), now, waited


def cross_band(price: int, listed: int, rival: int, band: float, floor: int) -> int:
    """A cut under ``rival`` moved out of the planner's deadband (``band``, relative).

    The planner keeps an order whose price is within the deadband of the wanted one. When a rival
    steps a little under our listed price (an undercutter reaching its floor, a random walk's
    small step down), the wanted price one nRLC under it is often within the band of the listed
    one: the order is kept above the rival, which then sells first for as long as it stays there
    (train ``undercut_fast`` 1030: listed 17,252,996 against an undercutter resting at its floor,
    17,200,000, for three days). So a cut that must cross the rival goes just past the band.
    """
    if not price < rival <= listed or listed - price > band * listed:
        return price  # no crossing needed, or the planner moves the order anyway
    return max(floor, min(price, math.floor(listed * (1.0 - band)) - 1))


def steady_pools(
    pools: Mapping[str, list[float]], now: float, steady_seconds: float
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """The anchor's rival pools split into those that kept their price ``steady_seconds`` and
    those that repriced since (each pool: [price, since, last seen, in-stock share])."""
    steady = {k: v for k, v in pools.items() if now - v[1] >= steady_seconds}
    return steady, {k: v for k, v in pools.items() if k not in steady}


def market_steady(
    pools: Mapping[str, list[float]], now: float, memory_seconds: float, steady_seconds: float
) -> bool:
    """Whether every rival pool seen in ``memory_seconds`` has kept its price ``steady_seconds``
    (guard 7's steady-market test, on its record of pools: [price, since, last seen, share]).

    Guard 5's demand reading (``perch_demand_seconds``) infers the buyers the rivals could not
    have served from the category's deals against their restocks; that inference holds where
    the rivals post fixed prices and restock on a clock (train ``stationary`` 1313, 1352,
    1456: we undercut them for all 72 h, their stock stays untouched, the perch never opens).
    Where rivals reprice, enter and leave (``churn``, ``undercut_*``), the deals follow the
    prices, not a demand left over, and the reading opened perches that lost (robust item 39).
    No pool on record is not a steady market.
    """
    seen = [v for v in pools.values() if now - v[2] <= memory_seconds]
    return bool(seen) and all(now - v[1] >= steady_seconds for v in seen)
