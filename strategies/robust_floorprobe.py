"""``robust``'s follower guard (guard 1) opened where following an undercutter down does not pay.

On the ``undercut_slow`` markets where robust scores worst (train 1590 0.341, 1551 0.596), the
best fixed price in hindsight sits one nRLC under the undercutter's FLOOR (the price it resets
from): there it sells to every buyer and never re-signs. Robust instead follows the war down
under each step, and each cut cancels the small orders the slot holds (item 73: cancel gas is
27 % of the class's gap). Guard 1's floor posture is exactly the yardstick's price, but guard 1
never probes there: its trigger is one rival pool under us ``follow_share`` (0.6) of the
decisions, and an undercutter we follow within a minute sits under us at few of them (1551's
undercutters' category: at most 0.12). Item 73's hold of the unpaid cuts (``cut_gas_factor``)
cannot reach the floor price, and it loses where the undercutter restocks every period (1057,
1525): holding above it gives it every buyer.

So (``follow_cut_factor`` = f > 0), on a market whose rivals' recent reprices are mostly steps
under our listed price (item 71's decayed counts and share, ``tier_undercut_share``; 0.75 when
that is off: undercutters, not a walker or a restocking fixed pool), a cut of the base's price
that wins less than f x the gas of its cancels (item 73's reckoning, read, not applied) opens
guard 1's probe as a rival under us ``follow_share`` of the time does, where a probe sees at
least two of the rivals' steps under us (:func:`steps_seen`: a slower war's cycle is longer
than a probe can compare), and the probe's three
postures (war, floor, hold) are judged on what they sold net of their re-signs' gas (item 49's
``follow_gas``, :func:`gas_judged`): the probe measures the restocks item 73's estimate does not
see, and war's follows pay their cancels in the comparison. Elsewhere guard 1 is main's. The
gas book (item 49's per-posture charges) is kept whenever the key is on, so a market that turns
into one of undercutters is judged on its whole round. Pure functions over plain values:
robust.py owns the state and calls them. Figures, and what was tried and not kept:
docs/strategies.md, robust item 76.
"""

from __future__ import annotations

__all__ = ["PROBE_STEPS", "gas_judged", "steps_seen"]

PROBE_STEPS = 2.0  # the rivals' steps under us a probe must see to compare the postures


def steps_seen(interval: float, probe_seconds: float) -> bool:
    """Whether one of guard 1's probes sees the war's cycle: the mean interval between the
    rivals' steps under our price (item 73's ``step_interval`` from item 71's counts) lets at
    least ``PROBE_STEPS`` of them fall in ``probe_seconds``. A slower undercutter's war cycles
    over hours (train 1512: 35-minute steps of 104 k from 10.2 M down to 3.1 M), which a
    40-minute probe of each posture cannot compare: the floor posture then sits at the bottom of
    a cycle it measured at its top."""
    return interval > 0 and PROBE_STEPS * interval <= probe_seconds


def gas_judged(follow_gas: bool, factor: float, undercutters: bool) -> bool:
    """Whether guard 1's postures are judged net of their re-signs' gas (item 49): everywhere
    with ``follow_gas``; with item 76's key (``factor`` > 0) on a market of undercutters."""
    return follow_gas or (factor > 0 and undercutters)
