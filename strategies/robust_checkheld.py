"""``robust``'s committed perch that a check confirmed, held through the rivals' return while it
pays (``perch_return_checked``; issue #14's non-stationary tail, robust item 80).

Guard 5 (strategies/robust.py) ends a committed perch as soon as its slow count of rivals out of
stock (``p_out``, a 2-hour exponential average) falls under half of ``perch_out_share``: a rival
back in stock gives the perch's buyers a cheaper seller. After a demand collapse the count falls
for another reason: fewer buyers empty the rivals' stock, so they are out less often, yet the
perch's buyers (caps far above the rivals) still come while they are out, as before. Train
``collapse`` 1660 (collapse at 13.75 h, demand x 0.225; one slot; XS and a 1.3-h category): XS's
perch at 424 M (the yardstick's price) is committed at 8.43 h, a check at 20.43-21.43 h measures
the market-led price afresh, after the collapse, and confirms the perch; at 22.05 h the count
falls to 0.25 and the perch ends. Back at the rivals' 6-9 M our undercut keeps them in stock
(the count 0.22-0.43, under the gate's 0.5, for 31 h), so the next trial opens at 53.55 h:
hours 24-72 sell 78 tasks for 0.64 RLC where ``fixed`` at 424 M sells 12 for 5.08 (score 0.315).

Item 68 (``perch_return_pays``, removed in session 29) held every perch that paid through the
return (1660 0.315 -> 0.753) but it also held trials whose price had just sold and perches
committed on their first evidence, on markets whose rivals do come back (design
``undercut_slow`` 1005 x 0.776, ``churn`` 1020 x 0.921). What sets 1660's perch apart is the
check: the market-led price was measured against it under the rivals and the demand as they
are now, and lost. So with
``perch_return_checked`` on, only a committed perch that at least one check confirmed (its hold
doubled past the commit's ``2 x perch_trial_seconds``) is held at the return, and only while
item 68's test holds (``return_pays``: its decayed sales' rate less ``perch_return_z`` Poisson
deviations beats the market-led mean, the test a trial is committed on at z = 1). A trial, a
perch committed but never checked, and a check itself end at the return as in main.

Pure: robust.py owns the state and calls it. Figures and what was tried: docs/strategies.md,
robust item 80.
"""

from __future__ import annotations

from collections.abc import Sequence

from strategies.robust_ladder import lower_rate

__all__ = ["checked_hold", "return_pays"]


def checked_hold(*, on: bool, p_mode: str, p_hold: float, trial_seconds: float, pays: bool) -> bool:
    """Whether guard 5's perch is held through the rivals' return at this decision (item 80).

    ``on``: ``perch_return_checked`` (false: never, main's behaviour); ``p_mode``: guard 5's
    mode (only ``perch``, committed, holds); ``p_hold``: how long the perch is held before its
    next check (``2 x trial_seconds`` at the commit, doubled by each check that confirmed it, so
    above that: confirmed at least once); ``pays``: item 68's test at the return
    (``return_pays``).
    """
    if not on or p_mode != "perch" or not pays:
        return False
    return p_hold > 2.0 * trial_seconds


def return_pays(perch_ev: Sequence[float], market_ev: Sequence[float], z: float) -> bool:
    """Whether the perch's sales beat the market-led mode's at the rivals' return.

    Evidence lists are guard 5's decayed ``[nRLC, tasks, seconds]``. The perch's rate less
    ``z`` Poisson deviations of its sales (``robust_ladder.lower_rate``; ``z`` =
    ``perch_return_z``: 1 is the commit's own test, 0 the perch's mean) against the market-led
    mode's mean (no market-led time: any sale pays). No sale at the perch: it does not pay.
    """
    lower = lower_rate(list(perch_ev), z)
    if lower is None:
        return False
    m_earned, _, m_secs = market_ev
    return lower > (m_earned / m_secs if m_secs > 0 else 0.0)
