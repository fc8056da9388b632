"""``robust``'s slot floor read from a vouched trial level before it sells (guard 5 with item
17/20's perch slots, ``slot_vouched_share``; issue #14, robust item 69).

Item 17's slot floor (``perch_slot_share``, on): while the pool is saturated, an offer at its
market-led price sells no task for less than what its slot time earns at another category's
perch, since each long task accepted turns that perch's buyers away. The perch's rate is read
from its own sales (``perch_ev``), so it counts only once the trial's level sold
(``p_settled``). Before that the level has no sales, and nothing holds the pool's other offers:
train ``collapse`` 1335 (3 slots; XS and category 3, tasks of about 1.3 h), robust's XS trial
opens at 2.0 h at the 415 M level our buyers' caps vouched for (item 48), and until its first
sale at 3.9 h the pool runs saturated (utilization 1.3-2.3, backlog included) while category
3 sells at 142 M, one nRLC under its rival, filling the slots. The moment the level sells, the
floor lifts category 3 to 888 M (its best fixed price in hindsight is 782 M). The reference
sells XS 7.05 RLC in hours 0-6 against robust's 1.55 (item 63's diagnosis).

A vouched level (item 48's or item 51's, ``_at_vouched``) is not a guess: buyers of our deals
stated caps at or above it, and ``robust_caps.tier_pace`` says how often they came. **The rule**
(``slot_vouched_share`` = s > 0): such a level, unsold yet, counts in the slot floor at s x the
level x its tier's pace (tasks per second of the buyers of the last ``perch_half_life_seconds``
who stated a cap at or above it): the revenue its slots would take while the rivals are out
for those buyers, discounted by s (they reach us only while the rivals are out). 0 is off
(main exactly). The floor, the saturation gate and the queue's drain are item 17's and 20's,
unchanged. Measured at s = 0.25: at 0.5 the forecast also lifted short categories by 17-70 % on
three design markets (``undercut_slow`` 1005, ``capacity_drop`` 1025, ``collapse`` 1010), each of
which then took another path; the floor grows with s, so 0.25 moves only where the slot gap is
large (1335's category 3 to about 3 x its 142 M).

Pure: buyers and a level in, a rate out; robust.py owns the state and calls it.
"""

from __future__ import annotations

from collections.abc import Sequence

from strategies.robust_caps import Buyer, tier_pace

__all__ = ["vouched_rate"]


def vouched_rate(buyers: Sequence[Buyer], level: int, now: float, share: float) -> float:
    """nRLC per second a vouched trial level is taken to earn in item 17's slot floor: ``share``
    x ``level`` x the pace of the ``buyers`` (our deals, time order irrelevant) who stated a cap
    at or above it before ``now`` (their tasks over the span from the first buyer to ``now``).
    0.0 where ``share`` is 0 (off), no buyer came before ``now`` or none stated the level."""
    if share <= 0 or level <= 0:
        return 0.0
    pace = tier_pace(buyers, level, now)
    if pace is None:
        return 0.0
    tasks, span = pace
    if tasks <= 0 or span <= 0:
        return 0.0
    return share * level * tasks / span
