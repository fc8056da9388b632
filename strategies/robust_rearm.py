"""``robust``'s top-tier trial opened again after it was lost, on buyers seen since the loss.

Item 51 (strategies/robust_tieropen.py) opens guard 5's trial at the top cap our own buyers
stated when our undercut keeps the rivals in stock (the gate shut: the masking), and a lost tier
trial ends the rule for the offer: one chance per run. On a market whose regime changes that one
chance is spent in whichever regime the tier first showed in. Train ``capacity_drop`` 1025 (robust
item 75): category 1's tier (buyers stating 4,950 M against our 96.2 M undercut of the one rival)
opens its trial at 21.5 h, during the capacity drop (one worker, 8.9-28.9 h); listed at the
rails' 3,078 M it sells nothing in 1.5 h, halves to 384.8 M and is lost at 25.0 h. After the
workers return (28.9 h) the best fixed price of that regime is the tier's 4,950 M (44.6 RLC of
category 1 sales against robust's 19.1 at 96.2 M, ``bench/dev_piecewise.py``), and guard 5's
count of rivals out stays under its gate for the rest of the run, so no trial opens again.

A loss says the level did not pay *then*. After ``tier_rearm_seconds`` (doubling with each
re-opening) the rule may open again, judged only on evidence gathered since the loss: the tier is
read from our buyers after it (item 51's count and item 54's replay over them), and item 61's
record of the lost trial's unsold prices (``tier_open_unsold``) is not applied, since it was
measured before. Everything else (guard 5's schedule, item 51's multiple and tasks, the trial's
pacing and its judgement) is unchanged.

``tier_rearm_seconds`` 0 is off: one chance, as before. Pure functions over plain values:
robust.py owns the state and calls them. Figures, and what was tried and not kept:
docs/strategies.md, robust item 75.
"""

from __future__ import annotations

__all__ = ["rearm_due", "rearm_since"]


def rearm_due(*, lost: bool, lost_at: float, rearms: int, now: float, wait: float) -> bool:
    """Whether item 51 may open its tier trial: never lost, or (``wait`` > 0) lost at least
    ``wait x 2^rearms`` seconds ago (``rearms``: the re-openings so far)."""
    if not lost:
        return True
    return wait > 0 and now >= lost_at + wait * 2.0**rearms


def rearm_since(*, lost: bool, lost_at: float, since: float) -> float:
    """Where item 51's window of buyers starts: ``since``, or after a loss the loss itself (the
    tier is read afresh, not from the buyers whose trial was lost)."""
    return max(since, lost_at) if lost else since
