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

A trial's descent is lost once its next step falls under a floor: ``perch_low`` x ``portfolio``'s
price, or twice the market-led price (``robust._lowest_rung``), read at the step's decision. The
markup's market-led price moves with the rivals' within minutes, so the same descent is lost or
goes on by which quarter of an hour its step falls in (train ``surge`` 1035 with the first wait 10
minutes longer: the floor was about 220 M a quarter of an hour before the step and 486 M at it, the
step to 334 M was lost, and the surge sold at the market-led price, x 0.21). With
``trial_floor_lowest`` the descent is judged against the lowest floor it has seen since the trial
started (``trial_floor``; robust keeps it as ``p_rung`` while the descent runs).

Pure functions over plain numbers: robust.py owns the state and calls them. Figures, and what was
tried and not kept: docs/strategies.md, robust item 30.
"""

from __future__ import annotations

__all__ = ["trial_floor", "trial_runs_on"]


def trial_runs_on(
    perch_ev: list[float], market_ev: list[float], *, elapsed: float, trial: float, extend: float
) -> bool:
    """A settled trial not committed at ``elapsed`` seconds after its price first sold goes on.

    Evidence lists are [nRLC, tasks, seconds] (the perch's net of its round trip's cancels). True
    while ``elapsed`` is under ``trial + extend`` and the perch's mean rate is above the
    market-led mode's (module doc); ``extend`` 0: off.
    """
    if extend <= 0 or elapsed >= trial + extend:
        return False
    p_earned, p_tasks, p_secs = perch_ev
    m_earned, _, m_secs = market_ev
    if p_secs <= 0 or p_tasks <= 0:
        return False
    market = m_earned / m_secs if m_secs > 0 else 0.0
    return p_earned / p_secs > market


def trial_floor(seen: int, now: int) -> int:
    """The descent's loss floor: the lowest seen since the trial started (``seen``, 0: none
    yet) or ``now``'s, whichever is lower (module doc, ``trial_floor_lowest``)."""
    return min(seen, now) if seen > 0 else now
