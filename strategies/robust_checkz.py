"""A committed perch's check is judged on the perch's mean where the book waits
(``check_confidence``; issue #14, robust item 79).

Pure helper of ``strategies.robust``'s guard 5 (``_perch``): which Poisson ``z`` the end of a
**check** judges the perch on.

**Why** (train ``publishers`` 1728, docs/strategies.md robust item 79). Guard 5 commits a perch
only if its revenue rate less ``perch_confidence`` (1) Poisson deviations of its sales beats the
market-led mode's mean: a few lucky sales at a high price must not commit it. Each check of a
committed perch (every 12 h, then 24, 48) asks the same question again, on the perch's decayed
evidence (``perch_half_life_seconds``, 12 h). On a ``publishers`` market whose rivals are out of
stock most of the time the best fixed price sells the top capped tier (30 x the market level),
a buyer every 3-4 hours: 1728's perch sat at 793.9 M nRLC, the tier's cap, and sold 5 tasks in
hours 2-20 (0.23 RLC an hour, the best fixed price's 611 M earns 0.24), but at its check its
decayed evidence is 2.05 tasks, so its lower bound is 30 % of its mean, 1.7e-5 RLC a second,
against the check's market-led mean of 5.0e-5 (10 tasks at 50-130 M: the markup the perch had
frozen, unwinding). The perch went back to the market-led price, which fell to 16 M in the next
six hours (0.1 RLC an hour) and never found the tier again for long: 0.641 of the best fixed
price. A thin perch, however good, cannot pass the commit's lower bound twice: its sales are too
few to be told apart from luck within a half-life, and the check does not ask whether the
market-led mode is any better, only whether the perch is surely better.

**The rule.** At a check's end (not at a trial's commit) the perch's rate is taken less
``check_confidence`` deviations instead of ``perch_confidence``'s (0: its mean), in a category
whose book waits (``robust_book.book_waits``, item 19's test: the requests our listed order
fitted mostly stayed waiting; true on ``publishers`` markets) unless ``check_confidence_waits``
is off. A check that confirms the perch holds it twice as long as before (unchanged). Negative:
off (main's rule, ``perch_confidence`` at every check).
"""

from __future__ import annotations

__all__ = ["check_z"]


def check_z(*, perch_z: float, check: float, waits: bool, scoped: bool) -> float:
    """The ``z`` a check's end judges the perch on (module doc).

    ``perch_z``: ``perch_confidence``, the commit's; ``check``: ``check_confidence`` (negative:
    off, ``perch_z``); ``waits``: the category's book waits (``robust_book.book_waits``);
    ``scoped``: ``check_confidence_waits`` (the rule only where the book waits).
    """
    if check < 0 or (scoped and not waits):
        return perch_z
    return check
