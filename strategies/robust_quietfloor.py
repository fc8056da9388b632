"""Guard 1's committed floor posture not re-measured while no rival has been under our price
lately (robust item 84, ``follow_still_quiet``).

Guard 1 re-measures a committed posture every ``commit_seconds`` with a round (40 minutes each
of ``war``, ``floor`` and ``hold``). Item 58 (``follow_still``, robust_held.still_floor) puts the
round off while ``war`` would quote what ``floor`` does: the base's price equals one nRLC under
the lowest rival seen over ``memory_seconds`` (``low``). Whether it does depends on when ``low``
was last lowered, not on the market: on the ``undercut_fast`` markets whose undercutters reset
from their floors (train 1303, 1797), once our floor sits under their floors they stop following
and park high (1303: 208 M against our 21.9-23.1 M; 1797: 196 M and 167 M against 18.2 M), so no
rival is under us at all. If the last descent lowered ``low`` before the commit, ``low`` has
expired by the commit's end (it reads the fixed rival, the base quotes the same): main puts the
round off and keeps the floor to the end. If it lowered it a few minutes after the commit (the
stride pushed the follower one step further), ``low`` has not expired, the round runs, its
``war`` probe lists at the fixed rival's price, the undercutters come back down after us and the
floor is found again 2 h later, every 6 h: items 76 + 78 on 1303 (x 0.917) and fresh 1797
(x 0.974, 18-36 h: 1,138 tasks against 1,343) are that timing, not their own rules.

A floor posture under which no rival pool has been lately (guard 1's decayed share of decisions
with a pool under our price, ``lost``, pruned to 0 under 0.01: about 90 decisions with none) is
quiet: there is no follower to measure against, so the round is put off as item 58's is
(:func:`quiet_floor`).

Item 88 (``follow_quiet_back``, with ``follow_still_quiet``): where the quiet floor sits is the
stride's landing, up to 10 % under the follower's last price, which only a round re-draws (train
1888: 14.245 M kept for 64 h where main's rounds found 15.884 M). The follower's own lowest price
over the round is kept in the offer's memory (guard 1's ``low`` expires after ``memory_seconds`` to
the fixed pools above) and a quiet floor is raised to one nRLC under it
(:func:`follower_low`, :func:`quiet_back`): an undercutter that resets stopped there, so it
does not follow one nRLC under it unless its floor plus its step is lower; then it comes back
under us, the floor is not quiet, the stride steps again, and the raise is tried again from its
new lowest, at most :data:`QUIET_BACK_TRIES` times a round.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["QUIET_BACK_TRIES", "follower_low", "quiet_back", "quiet_floor"]


def quiet_floor(posture: str, lost: float) -> bool:
    """Whether a committed ``floor`` posture is quiet: no rival pool has been under our listed
    price lately (``lost``, guard 1's largest decayed share of decisions with a pool under us,
    is 0: the shares are dropped under 0.01)."""
    return posture == "floor" and lost <= 0.0


QUIET_BACK_TRIES = 3
"""Raises a floor stretch may see undone (a pool back under the raised price) before item 88
stops raising it: each undone raise lowers the follower's kept lowest price by at least its step,
so the raises walk down to its floor plus its step, a few tries for a 10 % overshoot."""


def follower_low(kept: int, prices: Sequence[int]) -> int:
    """The follower's lowest listed price seen in this floor stretch (item 88): ``kept`` so far
    (0: none yet) and the follower's prices now. Kept in the offer's memory, not in guard 1's
    ``low`` (which expires after ``memory_seconds`` and then reads the fixed pools above)."""
    if not prices:
        return kept
    lowest = min(prices)
    return lowest if kept <= 0 else min(kept, lowest)


def quiet_back(price: int, kept: int, cheapest: int | None, floor: int) -> int:
    """A quiet committed floor's price given back to one nRLC under the follower's own lowest
    price of the stretch (``kept``, 0: none; item 88): an undercutter that resets from its floor
    stopped at that price and parked high once the stride listed 10 % under it, so one nRLC under
    it is often still under its floor plus its step, where it does not follow (train 1888: 14.245 M
    listed, 15.83 M its last, main's re-measured landing 15.884 M). Never above one nRLC under the
    cheapest rival listed now (a fixed pool under the follower's floor keeps its buyers), never
    under ``price``."""
    if kept <= 0:
        return price
    target = kept - 1 if cheapest is None else min(kept, cheapest) - 1
    return max(price, floor, target)
