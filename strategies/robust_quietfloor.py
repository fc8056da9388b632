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
"""

from __future__ import annotations

__all__ = ["quiet_floor"]


def quiet_floor(posture: str, lost: float) -> bool:
    """Whether a committed ``floor`` posture is quiet: no rival pool has been under our listed
    price lately (``lost``, guard 1's largest decayed share of decisions with a pool under us,
    is 0: the shares are dropped under 0.01)."""
    return posture == "floor" and lost <= 0.0
