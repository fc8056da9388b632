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

Item 62 (``follow_still_yield``): ``follow_still`` puts off guard 1's re-measure of a committed
``floor`` that ``war`` would quote anyway, so the offer keeps selling at the follower's floor. Its
tasks take the pool's slots, which it shares with the other offers: on `undercut_fast` 1004 (2
slots) category 4 sold 3.2-hour tasks at 752 M (66 k nRLC a slot-second) beside an XS perch at
809 M for a 2-minute task, and main's re-measure rounds, which sold no category-4 task for 10
hours, had left those slots to XS buyers (hours 48-60: 12 XS tasks instead of 4). So the round
is put off only while the floor earns a slot-second at least what the other offers earned per
slot-second of the pool (``floor_pays``, from each offer's decayed earnings: ``earned_rate``).

All three keys (``follow_book_held``, ``follow_still``, ``follow_still_yield``) are on by default
since session 18, after a fresh held-out block of train markets (docs/strategies.md item 62).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.model import BookEntry
from strategies.base import under
from strategies.robust_posture import floor_price

__all__ = ["earned_rate", "floor_pays", "held_under", "still_floor"]


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


def earned_rate(perch_ev: Sequence[float], market_ev: Sequence[float]) -> float:
    """An offer's earnings per second (nRLC), from guard 5's decayed evidence of both modes.

    Each is ``[nRLC, tasks, seconds]`` decayed with the perch's half-life: together they are
    everything the offer sold lately over the time it was listed, perched or not.
    """
    seconds = perch_ev[2] + market_ev[2]
    return (perch_ev[0] + market_ev[0]) / seconds if seconds > 0 else 0.0


def floor_pays(price: int, run_seconds: float, others: float, slots: int) -> bool:
    """Whether a task sold at ``price`` earns a slot-second what the pool's other offers do.

    ``others`` is the other offers' earnings per second (nRLC, ``earned_rate`` summed), spread
    over the pool's ``slots`` (idle ones included: on an idle pool a long task displaces no
    sale, and the rate is low). A task of ``run_seconds`` at ``price`` earns
    ``price / run_seconds`` a slot-second while it runs. No slots or run time: nothing to
    compare, it pays.
    """
    if slots <= 0 or run_seconds <= 0:
        return True
    return price * slots >= others * run_seconds
