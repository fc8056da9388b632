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
(its reprice leaves it above us: it jumped back up, or sits at its floor) the price is held. The
follower's reaction is read from its order's ``published_at``: a reprice lists a new order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.domain.model import BookEntry

__all__ = ["stride_under"]


def stride_under(
    rivals: Sequence[BookEntry],
    follower: str,
    listed: int,
    price: int,
    stepped_at: float,
    stride: float,
    floor: int,
    now: float,
) -> tuple[int, float]:
    """The ``floor`` posture's price with a descending stride, and when it last stepped.

    ``price`` is the posture's price without the stride (one nRLC under the lowest rival seen);
    it never rises above ``listed`` here: the descent goes one way, the posture's re-measurement
    every ``commit_seconds`` starts it afresh. A step is taken only once the follower answered
    the last one (its order published at or after ``stepped_at``), so a slow follower is given
    its own period to show whether it still follows.
    """
    held = max(floor, min(price, listed))
    theirs = [r for r in rivals if r.workerpool == follower]
    if not theirs:
        return held, stepped_at  # sold out or gone: nothing to read, hold
    lowest = min(r.price for r in theirs)
    answered = max(r.published_at for r in theirs) >= stepped_at
    if lowest > listed or not answered:
        return held, stepped_at  # it stopped following here, or has not repriced yet
    stepped = math.floor(min(listed, lowest) * (1.0 - stride))
    return max(floor, min(held, stepped)), now
