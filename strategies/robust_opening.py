"""``robust``'s first perch trial opened at once at a tier our first buyers vouched for
(``open_vouched_tasks``; issue #14, robust item 104).

Guard 5 waits ``perch_first_wait_seconds`` (2 h) of the market-led price before an offer's first
trial, and then opens it only while its slow count of rivals out of stock passes the gate. On
``collapse`` markets the first regime (12-48 h) carries nearly all of the best fixed price's
earnings, and those first two hours weigh more than elsewhere. Train ``collapse`` 1335 (XS, a
14.2 M rival, three slots): in its first 1.1 h, one nRLC under the rival, robust sold XS six times
to buyers who stated a cap of exactly 415 M (the best fixed price's own XS level; the other
buyers' caps 21-75 M), 21 tasks for 0.30 RLC in hours 0-2 where ``fixed`` at 415 M sold 5 for
2.08; at 1.25 h a sweeping category-3 buyer (24 tasks, cap 671 M, more than the rivals' 7 listed)
took our five category-3 tasks at 143 M, the three slots were full for 1.4 h, and XS was unlisted
when the first trial opened at 2.0 h, at 415 M, the level those six buyers had named (item 48).
The tier was known at 0.6 h; the wait only priced it at the rivals' level.

So while an offer has had no trial yet (its schedule never backed off, no perch known, no
perch evidence, no read trial), in the market-led mode under the perch's lowest rung, once our
buyers of the perch's half-life (the kept ``c_buyers``) named one cap in ``[floor, top)`` for at
least ``tasks`` tasks (``vouched_price``, item 48's reading, at this module's own tier) and no
buyer named more, the first trial is due now and its gate counts as open: it starts at that
level (item 48's start) and is judged as any trial (paced as a vouched level, committed or lost
with its back-off). The tier is counted in tasks (item 48's reading) but must come from two
buyers at least: one request matched in several deals shares their time (train ``collapse`` 2492:
one buyer of 4 tasks naming 10,609.5 M opened category 4's trial there, and the next buyer, whom
main sold at 3,024 M, found it: 27.98 -> 22.39 RLC; with two buyers, as main).

Two limits, both from train ``collapse`` 1660 (XS, one rival at 7.11 M, one slot), whose own
tier (424 M, the best fixed price's XS level) three buyers had named by 0.62 h:
- only a level one deliberate jump (``rails.max_jump``, x 32 by default; robust's ``max_jump``,
  set from it) over our listed price reaches: over it the rails list the capped price, which robust takes as the trial's level, unvouched (item
  55), and the early trial is the unvouched descent item 102 found losing (read without this
  limit: listed at 227.5 M, halved to 56.9 M; 1660 7.02 -> 5.71 RLC);
- the tier is the highest cap any buyer of the perch's half-life named: read from the snapshot's
  one-hour window instead, the 424 M buyers had aged out by 1.63 h and four buyers of 42.4 M
  opened a trial there that sold and climbed back to 424 M only at 4.47 h (7.02 -> 6.72 RLC).
  A cap named by buyers of fewer tasks is one buyer's, not the demand's, and leaves guard 5's
  wait as it is (item 102's earlier first trial for everyone, ``perch_first_wait_seconds``
  600-3,600 s, took 1660 to 1.0-1.2 RLC).

Pure: buyers in, a price out; robust.py owns the state and calls it. Figures and what was tried:
docs/strategies.md, robust item 104.
"""

from __future__ import annotations

from collections.abc import Sequence

from strategies.robust_caps import Buyer
from strategies.robust_vouch import vouched_price

__all__ = ["opening_level"]


def opening_level(
    buyers: Sequence[Buyer], floor: int, top: int, tasks: int, *, first: bool, reach: int
) -> int:
    """The level an offer's first trial opens at now, or 0 (wait as before): the highest cap in
    ``[floor, top)`` stated by ``buyers`` of at least ``tasks`` tasks in all and by at least two
    buyers (deals at two times: one request's deals share theirs), when no buyer named more
    (the top of the demand shown is a tier, not one buyer over it), the offer has had no trial
    (``first``) and the level is within ``reach`` (one rails jump over our listed price; 0: none
    listed); 0 also when ``tasks`` <= 0 (off)."""
    if tasks <= 0 or not first:
        return 0
    level = vouched_price(buyers, floor, top, tasks)
    named = {b.at for b in buyers if b.cap == level}  # one request's deals share their time
    if not level or level > reach or len(named) < 2 or any(b.cap > level for b in buyers):
        return 0
    return level
