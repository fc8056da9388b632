"""``robust``'s trial verdicts on more evidence: a commit check that runs on while inconclusive, and
a descent judged against the lowest floor it saw (issue #14, robust item 30).

Guard 5 (strategies/robust.py) judges a trial ``perch_trial_seconds`` (6 h) after its price first
sold: committed if the perch's lower revenue bound (its decayed sales less ``perch_confidence``
Poisson deviations, ``robust_ladder.lower_rate``) beats the market-led mode's mean rate, lost
otherwise; a lost trial doubles the wait for the next (12 h, 24 h, 48 h, ...). With the few sales
a perch makes in 6 h (2-8 on the train markets it decides) that bound sits 35-70 % under the
perch's own mean, so a trial whose mean leads the market-led mode by 1.4-2 x is lost or committed
by which sales happened to fall inside the 6 h: a rule that moves the trial's start by minutes
flips it, and the doubled back-off then keeps the offer off its perch for a day or more (train
``undercut_fast`` 1004, ``churn`` 1007; docs/strategies.md, robust item 30).

So a settled trial whose evidence is *inconclusive* — its mean rate above the market-led mode's
mean, its lower bound under it — is neither committed nor lost at 6 h: it runs on, judged at
every decision, for up to ``trial_extend_seconds`` more. It commits as soon as the lower bound
passes (the usual rule), and is lost as soon as its mean falls under the market-led mean or the
extension runs out. A trial whose mean does not lead is lost at 6 h as before (asymmetric, as
guard 5 is on purpose: more time at a perch whose mean trails is expected revenue lost). ``0``
is off (the verdict at 6 h, exactly as before).

Item 101 (``trial_few_tasks``, 0: off) is the same verdict with a count instead of a clock: at
z = 1 the bound is ``1 - 1/sqrt(n)`` of the perch's mean on ``n`` decayed sales (0.60 on 6, 0.71
on 12), so where a perch sells a task or two an hour far above the war a trial that leads the
market-led mode by 1.5 x on its mean is lost on the count alone (train ``undercut_slow`` 1512: the
trial at 54.75 h lists 103 M, the best fixed price, 16 x the war, sells 8 tasks, 0.123 RLC/h
against the market's 0.084, the bound on 6.3 decayed tasks 0.074: lost at 60.97 h and the next
trial put off past the run). Such a trial runs on for up to another ``perch_trial_seconds`` only
while it has fewer than ``trial_few_tasks`` decayed sales (with that many, the bound's verdict
stands) and more than ``z**2`` (its bound is above zero: train ``captive_us`` 1021's trial, 0.71
decayed sales over 170 s listed, ran on and lost 1.3 RLC): ``more_than`` and ``fewer_than``.
Not recommended as a default (old validation -20.9 RLC, the held-out block x 0.993; item 101).

A trial's descent is lost once its next step falls under a floor: ``perch_low`` x ``portfolio``'s
price, or twice the market-led price (``robust._lowest_rung``), read at the step's decision. The
markup's market-led price moves with the rivals' within minutes, so the same descent is lost or
goes on by which quarter of an hour its step falls in (train ``surge`` 1035 with the first wait 10
minutes longer: the floor was about 220 M a quarter of an hour before the step and 486 M at it, the
step to 334 M was lost, and the surge sold at the market-led price, x 0.21). With
``trial_floor_lowest`` the descent is judged against the lowest floor it has seen since the trial
started (``trial_floor``; robust keeps it as ``p_rung`` while the descent runs).

Pure functions over plain numbers: robust.py owns the state and calls them. Figures, and what was
tried and not kept: docs/strategies.md, robust items 30 and 101.
"""

from __future__ import annotations

import math

__all__ = ["trial_floor", "trial_runs_on"]


def trial_runs_on(
    perch_ev: list[float],
    market_ev: list[float],
    *,
    elapsed: float,
    trial: float,
    extend: float,
    more_than: float = 0.0,
    fewer_than: float = math.inf,
) -> bool:
    """A settled trial not committed at ``elapsed`` seconds after its price first sold goes on.

    Evidence lists are [nRLC, tasks, seconds] (the perch's net of its round trip's cancels). True
    while ``elapsed`` is under ``trial + extend``, the perch has sold more than ``more_than`` and
    fewer than ``fewer_than`` decayed tasks, and its mean rate is above the market-led mode's
    (module doc: item 30's clock, item 101's count); ``extend`` 0: off.
    """
    if extend <= 0 or elapsed >= trial + extend:
        return False
    p_earned, p_tasks, p_secs = perch_ev
    m_earned, _, m_secs = market_ev
    if p_secs <= 0 or p_tasks <= more_than or p_tasks >= fewer_than:
        return False
    market = m_earned / m_secs if m_secs > 0 else 0.0
    return p_earned / p_secs > market


def trial_floor(seen: int, now: int) -> int:
    """The descent's loss floor: the lowest seen since the trial started (``seen``, 0: none
    yet) or ``now``'s, whichever is lower (module doc, ``trial_floor_lowest``)."""
    return min(seen, now) if seen > 0 else now
