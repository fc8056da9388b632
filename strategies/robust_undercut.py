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
- **A repricing rival's whole small order is undercut** (``war_mover_seconds``, opt-in, robust
  item 46). The base's war rule passes over orders of one task while prices move; a fast
  undercutter lists one task a period, so the base sat above it and guard 1 never counted it
  (:func:`mover_under`).
- **A waiting request does not wipe guard 1's record** (``follow_keep_book``). A decision priced
  by the book logic (a request waiting) while rivals are in view forgot the follower, its
  posture and their measurements; found again only by a war of cuts (train ``undercut_fast``
  1069: 45 times in three days).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from bot.domain.model import BookEntry

__all__ = [
    "cheapest_by_pool",
    "cross_band",
    "mover_under",
    "steady_pools",
    "stride_under",
    "track_moves",
]


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


def cheapest_by_pool(rivals: Sequence[BookEntry]) -> dict[str, int]:
    """Each rival pool's cheapest listed price: a pool that reprices is read by its lowest order
    (guard 7's anchor pools and :func:`track_moves`)."""
    cheapest: dict[str, int] = {}
    for r in rivals:
        cheapest[r.workerpool] = min(r.price, cheapest.get(r.workerpool, r.price))
    return cheapest


def track_moves(
    kept: Mapping[str, list[float]], rivals: Sequence[BookEntry], now: float, memory: float
) -> dict[str, list[float]]:
    """Each rival pool's cheapest price and when it last changed (0: not seen to change), for
    :func:`mover_under`; a pool unseen for ``memory`` seconds is forgotten. A pool first seen
    has not moved yet: its first price is where it started, not a reprice."""
    cheapest = cheapest_by_pool(rivals)
    out = {k: v for k, v in kept.items() if k not in cheapest and now - v[2] <= memory}
    for pool, price in cheapest.items():
        old = kept.get(pool)
        if old is None:
            out[pool] = [float(price), 0.0, now]
        else:
            out[pool] = [float(price), now if old[0] != price else old[1], now]
    return out


def mover_under(
    moves: Mapping[str, list[float]],
    rivals: Sequence[BookEntry],
    price: int,
    now: float,
    moved_within: float,
) -> int | None:
    """The price of the cheapest rival order under ``price`` that is listed whole (its remaining
    is its volume) by a pool that repriced within ``moved_within`` seconds, else None.

    The base's war rule (portfolio's ``war_min_volume``, 2) follows no rival with fewer than two
    tasks left while prices move: a fixed-price pool down to its last task is gone after the next
    buyer. A fast undercutter listing one task per period (15-45 s) is not: it restocks before
    the next buyer, and the base sits above it for as long as the war lasts, re-signing each time
    the war moves, while guard 1 never counts it (our price was not meant to be the cheapest):
    train ``undercut_fast`` 1316 (1,547 cancels, 0.80 of the yardstick), 1329 (632 cancels at
    about a task's price each: 0.35 RLC after gas). Whole, from a pool that is repricing: its
    size, not its last task. A fixed-price pool's one task restocked each period never reprices,
    and is passed over as before (train ``churn`` 1007). ``moves``: :func:`track_moves`'s record.
    """
    low: int | None = None
    for r in rivals:
        seen = moves.get(r.workerpool)
        if (
            r.price < price
            and r.remaining == r.volume
            and seen is not None
            and seen[1] > 0
            and now - seen[1] <= moved_within
            and (low is None or r.price < low)
        ):
            low = r.price
    return low
