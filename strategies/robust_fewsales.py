"""``robust``'s trial verdict on a sold trial judged on too few sales (``trial_few_tasks``;
robust item 101).

Guard 5 (strategies/robust.py) judges a trial ``perch_trial_seconds`` (6 h) after its price first
sold: committed if the perch's lower revenue bound (its decayed sales less ``perch_confidence``
Poisson deviations, ``robust_ladder.lower_rate``) beats the market-led mode's mean rate, lost
otherwise, and a lost trial doubles the wait for the next. At z = 1 that bound is
``1 - 1/sqrt(n)`` of the perch's mean on ``n`` decayed sales: 0.60 of it on 6 sales, 0.71 on 12.
Where a perch sells a task or two an hour far above the war, a trial that leads the market-led
mode by 1.5 x on its mean is lost on the count alone (train ``undercut_slow`` 1512: the trial at
54.75 h lists 103 M, the best fixed price, 16 x the war, sells 8 tasks, ``perch_ev`` 0.123 RLC/h
against the market's 0.084, the bound on 6.3 decayed tasks 0.074: lost at 60.97 h and the next
trial put off past the run; docs/strategies.md items 89 and 101).

So a settled trial whose mean rate leads the market-led mode's but whose bound does not, with
fewer than ``trial_few_tasks`` decayed sales at its price but more than ``z**2`` (its bound is
above zero: a trial's one sale over a few minutes listed at its price is a mean of nothing; train
``captive_us`` 1021's trial at 79.6 M, 0.71 decayed sales in 170 s listed, ran on and lost
1.3 RLC), is not lost at 6 h: it runs on, judged
at every decision, for up to another ``perch_trial_seconds``, committed once the bound passes
(the usual rule), lost once its mean trails, once it has that many sales and the bound still
fails (then the count is no excuse), or when the time is over. Unlike item 30's
``trial_extend_seconds`` (robust_gate.trial_runs_on) the extension ends with the evidence, not
only with the clock: a trial with enough sales is judged as before. ``0`` is off.

Pure function over plain numbers: robust.py owns the state and calls it. Figures, and what was
tried and not kept: docs/strategies.md, robust item 101.
"""

from __future__ import annotations

__all__ = ["few_runs_on"]


def few_runs_on(
    perch_ev: list[float],
    market_ev: list[float],
    *,
    elapsed: float,
    trial: float,
    tasks: float,
    z: float,
) -> bool:
    """A settled trial not committed ``elapsed`` seconds after its price first sold goes on.

    Evidence lists are [nRLC, tasks, seconds] (the perch's net of its round trip's cancels).
    True while ``elapsed`` is under twice ``trial``, the perch has sold more than ``z``**2 (its
    bound at ``z`` deviations is above zero) and fewer than ``tasks`` (decayed), and its mean
    rate is above the market-led mode's (module doc); ``tasks`` 0: off.
    """
    if tasks <= 0 or elapsed >= 2 * trial:
        return False
    p_earned, p_tasks, p_secs = perch_ev
    if p_secs <= 0 or p_tasks <= z * z or p_tasks >= tasks:
        return False
    m_earned, _, m_secs = market_ev
    market = m_earned / m_secs if m_secs > 0 else 0.0
    return p_earned / p_secs > market
