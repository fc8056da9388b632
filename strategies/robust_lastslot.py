"""``robust``'s perch slot floor on the pool's last free slot (``perch_slot_last``; robust item
102).

Item 17's slot floor (``perch_slot_share``, on) keeps an offer at its market-led price from
selling a long task for less than the slot time it takes earns at another category's perch,
but only while the pool is saturated (its smoothed utilization at least ``perch_slot_busy``),
and item 20 (``perch_slot_drain``, on) charges the slot only while the queue now lasts: "a pool
with a free slot displaces nothing". That holds while the perch has a slot left after the long
task. It fails on the pool's last free slot: the long task fills the pool, the perch's order is
withdrawn (no capacity) and the perch's buyers are turned away for the whole run. On a pool of
one slot every long task is on the last slot.

Train ``collapse`` 1660 (one slot; XS, tasks of about 2 min, and category 3, about 1.5 h),
traced in item 102: XS is perched at 424 M (the best fixed price's own level) from 4.5 h to the
end, while category 3 sells at 124 M, one nRLC under its rival, with the pool idle (utilization
0): at 14.08 h one such task (0.12 RLC) takes the slot for 1.5 h, XS is unlisted, and the
buyer of 15.10 h whom the best fixed price sold at 424 M goes to the rival. The collapse makes
this weigh more: the markets of the class earn most of their run before it, in a short first
regime.

So where the rule is on, a market-led offer whose task would take the last slot the perches'
tasks have (the pool's open tasks outside the perched categories leave at most one of its
resource's slots) is floored at item 17's price for its whole run time, whatever the smoothed
utilization: ``perch_slot_share`` x the other offers' best perch rate (nRLC per second) x the
run. The floor, the perches it reads (and item 69's vouched levels, with
``slot_vouched_share``) are item 17's, unchanged. Two details the traces set:

- the perch's own tasks are not counted as holding slots (they run minutes): counted (the first
  version read the pool's busy slots), 1335's 3-slot pool flipped the floor on and off with each
  XS sale (368 cancels against 127, 1335 29.42 RLC against 30.27);
- the perch's rate is its sales over its time, so the floor drifts down every minute between
  sales; a listed price at or above the floor and at most ``KEEP_BAND`` (4) x it is kept. Re-
  floored at each decision, 1660 paid 497 cancels against main's 77; at a band of 2, 225: its
  category 3's market-led price flips between its two rivals' levels, 124 M and 318 M (x 2.6),
  and each flip relisted the floor.

Measured (item 102): 1660 x 1.228 and 1335 x 1.043, but the design block x 0.9987 (``undercut_slow``
1005 x 0.575, ``undercut_fast`` 1004 x 0.916, ``collapse`` 1036 x 0.923): item 17's rate, read
from a perch's first sales, held for hours on an idle pool, prices the long category over what it
sells. Opt-in, not recommended.

Pure: slots, tasks and prices in, verdicts out; robust.py owns the state. Figures:
docs/strategies.md, item 102.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

__all__ = ["KEEP_BAND", "kept_floor", "last_slots"]

KEEP_BAND = 4.0  # a listed price up to this x the floor is kept (module doc)


def last_slots(
    categories: Sequence[int],
    slots: Sequence[int],
    tasks: Iterable[int],
    perched: Collection[int],
    on: bool,
) -> list[bool]:
    """Per offer (its ``categories`` and its resource's registered ``slots``), whether a task
    sold now would take the last slot the perches' tasks have: the pool's open ``tasks``
    (their categories) outside the ``perched`` categories hold their slots for a run each, and
    at most one slot is left beside them. A perched offer's own tasks are left out (short and
    gone within minutes: counting them made 1335's 3-slot pool flip the floor on and off with
    every XS sale). False for a perched offer, a resource with no slots read, or ``on`` off."""
    if not on:
        return [False] * len(categories)
    held = sum(c not in perched for c in tasks)
    return [
        c not in perched and n > 0 and n - held <= 1 for c, n in zip(categories, slots, strict=True)
    ]


def kept_floor(floor: int, listed: int | None, band: float | None = None) -> int:
    """The floor to quote: ``listed`` (our order's price now) where it lies between ``floor``
    and ``band`` (``KEEP_BAND`` unless given) x it, so a floor that drifts between sales
    re-signs nothing; else ``floor``."""
    band = KEEP_BAND if band is None else band
    if listed is not None and floor <= listed <= band * floor:
        return listed
    return floor
