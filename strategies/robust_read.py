"""``robust``'s perch trial opened by the demand reading, judged by how its descent ends (guard
5, ``perch_read_rungs``; issue #14, robust item 41).

Guard 5 opens a perch trial once the rivals were out of stock ``perch_out_share`` of the time.
Where we undercut a small fixed rival, the buyers take our orders first and the rival keeps its
stock, so the book never shows it out and the gate never opens, while the best fixed price in
hindsight sells the capped buyers' top tier (train ``stationary`` 1313, 1352, 1456: scores
0.61, 0.42, 0.34, one nRLC under the rival for 72 h). The demand reading
(``perch_demand_seconds``, item 5) infers the share of time the rivals would be out were we not
under them, from the category's deals against their restocks, and opens the gate there: the
trial at 2 h sells the top tier at once (1313: the rails' 281 M cap in 13 minutes; 1456: 189 M
in 8 minutes; 1352: 649 M unsold 15 minutes, 324.5 M sold) and holds it. But the reading opens
the gate on nearly every market where we sell, and on ``undercut_fast`` 1004 the trial it opens
0.8 h before the book's own count would descends three levels (1.21 G, 605 M unsold, 302.6 M
sold) where the book's trial lands at 772 M: a worse perch, item 30's fragile first descent.
Gates read when the trial opens cannot tell the two apart (item 39: the reading acts in the
same first hours on both).

So the reading's trial is judged by how it ends. A trial that opened only because of the
reading (the book's own count, kept beside the lifted one, under the gate) has
``perch_read_rungs`` prices to sell at; if none sells, it ends without the back-off of a lost
trial, the reading stops lifting that offer's count, and the count goes back to the book's own:
guard 5 then follows the path it would have followed without the reading (its usual first trial
opens once the book shows the rivals out). A read trial that sells is an ordinary trial from
then on (refine, commit check, checks).
"""

from __future__ import annotations

__all__ = ["markup_clock_runs", "read_opened", "read_unsold"]


def read_opened(rungs: int, book: float, gate: float) -> int:
    """How many prices a perch trial opening now may go unsold before it ends as a read trial
    (module doc): ``rungs`` when the book's own out-of-stock count ``book`` is under the
    ``gate`` (only the demand reading opened it), else 0 (an ordinary trial; also when off)."""
    return rungs if rungs > 0 and book < gate else 0


def read_unsold(left: int) -> tuple[int, bool]:
    """A trial price went unsold: the prices a read trial has left, and whether it ends now
    (it had ``left`` before this one; 0: not a read trial, which nothing here ends)."""
    if left <= 0:
        return 0, False
    return left - 1, left == 1


def markup_clock_runs(left: int, runs: bool) -> bool:
    """Whether the scarcity markup's clock keeps running through this perched decision while
    its state stays frozen (item 5: a perch's hours are not a trial of the markup).
    ``runs`` (``perch_read_markup``, item 42): during a read trial still unsold (``left`` > 0),
    so that when it ends unsold the markup's next step falls when main's would, not a full
    interval after the trial (its steps in the trial are not taken: no evidence to take them on,
    and a raise on trial judged on none would be undone)."""
    return runs and left > 0
