"""A book price held under the cheapest rival is the rivals' price: guard 1 prices it (item 58).

Portfolio's book mode (``snapshot.demand_for``: requests wait in the book) prices from the
requests, but where that price falls more than a ``step`` under the cheapest rival it is raised
to one ``step`` under that rival (``held at``): the rivals set the price, exactly as in the
contested mode. Robust's follower guard (guard 1) runs only in the contested mode, so on a
market where publishers' patient requests keep the book non-empty (`undercut_fast` 1407: 4,317
of 4,320 decisions in ``book``) the held price chases a fast undercutter that resets (1 under
it, it cuts one step under us, ... then resets to its ceiling) with a re-signed order, a cancel,
every minute for three days: 4,184 cancels, 8.8 RLC of gas against 12.5 RLC of sales. The rule
hands such a decision to guard 1, which finds the follower and takes the posture that pays.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.model import BookEntry
from strategies.base import under
from strategies.robust_posture import floor_price

__all__ = ["held_under", "still_floor"]


def held_under(price: int, rivals: Sequence[BookEntry], step: int, floor: int) -> bool:
    """Whether a book-mode price is the one the base holds under the cheapest rival.

    ``rivals`` is robust's view, cheapest first (the base filters them the same way). A book
    price that sits exactly there is the rivals' price whichever way it got there, so it is
    led by them (and guard 1 may price it); any other book price is the requests'.
    """
    return bool(rivals) and price == under(rivals[0].price, step, floor)


def still_floor(posture: str, war_price: int, low: int | None, floor: int) -> bool:
    """Whether a committed ``floor`` posture quotes what ``war`` would: nothing to re-measure.

    Guard 1 re-measures its committed posture every ``commit_seconds`` (40 minutes each of
    ``war``, ``floor`` and ``hold``). Once a follower that does not reset sits at its own floor,
    ``floor`` (one nRLC under the lowest rival seen, ``low``) and ``war`` (the base's price, one
    step under the cheapest rival: that follower) are the same price; only the ``hold`` probe
    differs, and there the follower climbs back after our price and has to be dragged down
    again (`undercut_fast` 1017 with item 58: 913 tasks served instead of 1,058, cancels 95 ->
    450). A round then teaches nothing a while earlier did not, so it is put off.
    """
    return posture == "floor" and low is not None and war_price == floor_price(low, floor)
