"""``robust``'s top-tier trial on a market whose rivals keep repricing (churn, random walks).

Item 51 (strategies/robust_tieropen.py) opens guard 5's trial at the top cap our own buyers
stated when our undercut keeps the rivals in stock and so keeps the gate shut (the masking), but
only on guard 7's *steady* market: no rival pool repriced in ``anchor_steady_seconds``. A pool that
walks its price (a ``churn`` market's walking churner, a ``random_walk`` rival) reprices every few
minutes, so the tier never opens there, however far above us its buyers' caps are and whatever
item 54's replay says. Train ``churn`` 1332 (robust item 63): 30 % of the capped XS buyers (about 3.5 an
hour) state 889 M, 38 x our undercut of a 23.4 M rival and a walker; the best fixed price is 889 M
(106.7 RLC of XS sales against robust's 45.9); guard 5's count of rivals out of stock sits at
0.07-0.44 (gate 0.5) for 63 h, until the walker leaves.

Without the steadiness requirement the tier opens (8 h into 1332, at the rails' 728 M), but such a
trial sells a task every hour or two: at 6 h its Poisson lower bound is 35-70 % under its mean
(item 30), so a trial whose mean leads the market-led mode by about 2 x is lost, and a lost tier
trial never opens again (item 51's one chance). So a trial the tier opened is also judged on more
evidence: item 30's extension (``robust_gate.trial_runs_on``: on while its mean leads, committed
once its bound passes) for ``tier_moving_extend_seconds`` (at least item 30's own
``trial_extend_seconds``).

``tier_moving_extend_seconds`` 0 is off: the steadiness requirement and item 30's extension as
before. Pure functions over plain values: robust.py owns the state and calls them. Figures, and
what was tried and not kept: docs/strategies.md, robust item 63.
"""

from __future__ import annotations

__all__ = ["tier_extend", "tier_gate_open"]


def tier_gate_open(*, steady: bool, seen: bool, extend: float) -> bool:
    """Item 51's market condition: guard 7's steady market, or (``extend`` > 0) any market where
    a rival pool is seen, its replay (item 54) left to judge whether the tier pays."""
    return steady or (extend > 0 and seen)


def tier_extend(*, tier_opened: bool, extend: float, usual: float) -> float:
    """The extension a settled trial's verdict gets (``robust_gate.trial_runs_on``): ``usual``
    (item 30's ``trial_extend_seconds``), or at least ``extend`` for a trial item 51 opened."""
    if tier_opened and extend > 0:
        return max(usual, extend)
    return usual
