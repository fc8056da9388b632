"""A perch trial's level capped at the top tier our buyers stated (issue #14, robust item 50).

On the train stationary group's weakest markets (``ample`` 1301, ``stationary`` 1430,
``publishers`` 1000) the best fixed price in hindsight is one tier of capped buyers: one cap stated
by many of our own buyers at the market-led price (1301: 25 of our 126 XS tasks state 184 M nRLC,
the yardstick's XS price is 184 M; 1430: 93 of 501 state 162 M, the yardstick's 162 M). Those
buyers come a few times a day. Guard 5's trial descends from the rails' ceiling (1301: 201.92 M,
above the tier), so its first level sells to none of them whatever its wait, and the wait at each
level (as long as the market-led price took to sell ``perch_step_tasks``) is over before the next
tier buyer comes; the trial ends unsold and the gate, shut by our own undercut, does not open again.

A level above every cap a tier of our buyers stated sells to none of those buyers: the trial's
price is brought down to the highest cap a tier stated (at least ``perch_tier_tasks`` tasks over
``perch_half_life_seconds``, the buyers ``robust_caps.remember`` keeps), so the trial's first
rung is the top tier itself.
The caps only say where the tier is; whether its buyers come often enough to beat the market-led
price is still the trial's to measure (guard 5's commit test is unchanged).

Pure: remembered buyer rows in, a price out; no clock, no state.
"""

from __future__ import annotations

from collections.abc import Sequence

from strategies.robust_caps import kept_buyers, tasks_by_cap

__all__ = ["tier_level"]


def tier_level(
    rows: Sequence[Sequence[float]], level: int, rung: int, *, tier: int, start: float
) -> int:
    """A trial's ``level`` capped at the highest cap stated by buyers of at least ``tier`` tasks
    among ``rows`` (``robust_caps.remember``'s ``[at, cap, tasks, named]`` rows, those after
    ``start``), when that cap is at or above the perch's lowest ``rung`` and under ``level``; else
    ``level``.

    The highest tier, not the one that would have earned most from the same buyers: a level
    above it sells to none of the tiers, one under it still reaches the top tier's buyers (train
    ``undercut_fast`` 1004: a 154.4 M tier earned most early on, the trial settled there and
    lost its commit, where main's found the 809 M tier). ``tier`` 0 turns it off. A tier under
    the lowest rung is the market's, not a perch's (train ``stationary`` 1430: 16.2 M stated by
    the first hours' buyers, the rung 30 M, the top tier 162 M): the descent goes on from
    ``level`` as without the rule.
    """
    if tier <= 0 or level <= rung:
        return level
    tasks = tasks_by_cap(kept_buyers(rows, start))
    top = max((cap for cap, n in tasks.items() if n >= tier), default=0)
    return top if rung <= top < level else level
