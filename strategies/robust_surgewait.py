"""``robust`` at a surge's start: the wait after a trial lost before it does not hold (item 77).

Guard 5 (strategies/robust.py) opens a perch trial only after its wait: ``perch_wait_seconds``
after the first trial, doubled after each lost one (``_perch_lost``: 12 h, then 24 h). Item 53
(``perch_surge_out``, robust_surge.surged) reads a surge's start (every slot busy and the rivals
sold out now) and raises guard 5's slow count of rivals out to its gate, but the wait still holds.
A loss measured before the surge says nothing about the surge's buyers: on train ``surge`` 1633
the trial lost at 27.85 h set the next one at 39.85 h, the surge came at 33.26 h (the slow count
at 0.97-0.99 from hour 33) and the market-led price climbed to the level by the markup's steps
while `fixed` at the yardstick's 206 M sold 31 + 64 + 58 tasks in hours 33-35 (robust earned
15.6 RLC against 31.5 there); on train ``surge`` 1685 (category 0) the trial lost at 37.73 h set
the next at 61.73 h and the surge of 47.36-54.63 h passed in the market mode.

So a surge reading (item 53's, not a campaign's, item 56) after none for ``surge_wait_seconds``
(a surge's *start*, not each reading inside it: the trial a start opens may be lost in the surge,
and the readings that follow must not open another at once) makes guard 5's next trial due now,
and that trial starts at the last level a trial of the offer sold at or a perch held (``g_sold``)
where that lies under guard 5's start: a surge multiplies the buyers, not their caps, and the
descent from the rails' top takes hours a surge does not last (``surge_start``). The trial's gate
(the slow count item 53 raises), its pace and its judgement are unchanged.

Item 83 (``surge_lost_free``, off: item 77 as measured): where the cut made the trial due early
(guard 5's first wait too), the trial may sell in the surge and then end at the rivals' return,
the surge's end, before it could commit; guard 5 then waited ``perch_wait_seconds`` from that end
(train ``scarcity`` 1887 category 3: the cut's trial sold at 21,900 M at 2.00 h, ended at 2.85 h,
the next trial at 8.85 h descended unsold to 2,737.5 M, while main's trial from 3.87 h sold at
20,032 M and perched at 23,822 M: x 0.689). A level the surge's buyers paid is not evidence
against it, so such a trial leaves guard 5's schedule the cut found (``surge_sold_ends``: the next
trial at the replaced time, or at once if that passed). A cut's trial that did not sell keeps the
back-off (train ``surge`` 1425's unsold trials from the rails' top: without it x 0.919).

``surge_wait_seconds`` 0 is off (main exactly: the readings are not even kept). Pure functions
over plain numbers: robust.py owns the state and calls them. Figures, and what was tried and not
kept: docs/strategies.md, robust item 77.
"""

from __future__ import annotations

__all__ = [
    "surge_sold_ends",
    "surge_start",
    "surge_starts",
    "wait_cut",
]


def surge_starts(*, reading: bool, last: float, now: float, gap: float) -> bool:
    """A surge reading at ``now`` that starts a surge: none was seen for ``gap`` seconds before
    (``last``: the previous reading's time, 0: none yet). ``gap`` 0: off (never)."""
    return gap > 0 and reading and (last <= 0 or now - last >= gap)


def wait_cut(p_next: float | None, now: float) -> float | None:
    """Guard 5's next trial time once a surge starts: now if it was later, else unchanged (None:
    no trial scheduled yet, left to guard 5's first wait)."""
    if p_next is None:
        return None
    return min(p_next, now)


def surge_start(start: int, sold: int, price: int) -> int:
    """Where the trial a surge's start made due begins: the last level a trial of the offer sold
    at or a perch held (``sold``, 0: none), if it is under guard 5's ``start`` and above the
    market-led ``price``; else ``start``. A surge multiplies every buyer's arrivals, not their
    caps: a level that sold before sells faster in it, and the descent from the rails' top to it
    takes hours a surge does not last (train 1685: 4,130 M to 516 M in 5.4 h, the surge's 7.3 h)."""
    return sold if price < sold < start else start


def surge_sold_ends(*, trial: bool, settled: bool, was: float) -> bool:
    """Item 83: the rivals' return ends a running ``trial`` that a surge's start opened early
    (``was``: guard 5's next trial time the cut replaced, 0: not a cut's trial) and that sold at
    its level (``settled``): the surge's buyers paid it, and its end is the surge's end, not
    evidence against the level, so guard 5's schedule the cut found still stands."""
    return trial and settled and was > 0
