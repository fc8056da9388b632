"""``robust``'s item 63 kept to markets whose rivals reprice by stepping under us (undercutters).

Item 63 (strategies/robust_moving.py, ``tier_moving_extend_seconds``) lets item 51's top-tier
trial open on a market guard 7 does not call steady (a rival pool repriced in
``anchor_steady_seconds``) and runs any trial item 51 opened past its end while inconclusive. On
train ``undercut_slow`` 1343 and 1330 that lifts robust from 0.79 / 0.81 of the best fixed price
in hindsight to 0.95 / 0.85 (robust item 68): two slow undercutters reprice every 6-10 minutes,
one step under whoever is cheapest, so the market is never steady and item 51's tier (1,000 M
and 469 M, 20-40 x our undercut) never opened. But the key loses elsewhere (robust item 71,
traced): on `stationary` 1300 a tier trial item 51 opens on a *steady* market, as in main, is
kept half an hour longer by the extension, and the paths part (x 0.97); on `churn` 1046 the
30-minute tier read (``c_next``), now also taken on the churner's non-steady hours where it
opens nothing, shifts the steady-market opening of main by 30 minutes (x 0.91).

What tells the undercutters' market from a churner or a random walk is *how* the rivals move: an
undercutter steps under our listed price from at or above it (1343: 441 of its rivals' 473
reprices; 1330: 213 of 224), a walker moves anywhere (``churn`` 1046: 13 of 257; 1332: 101 of
438), a stationary market's pools do not move at all. So, per offer, the rivals' reprices and
those that stepped under us are counted, decayed with a half-life of ``anchor_steady_seconds``
(:func:`count_steps`, :func:`decayed_steps`), and with ``tier_undercut_share`` = s > 0 item 63's
non-steady opening needs at least that share of the reprices to be steps under us
(:func:`steps_under_us`), and its extension applies only to a trial opened on such a market (not
to main's steady-market tier trial). s = 0.75 (docs): a walker we sit one nRLC under steps under
us on every move down, half its moves (train ``random_walk`` 1045: 0.52, where s = 0.5 opened
the tier and lost), the undercutters 0.93-0.95.

On by default since session 21 (0.75, with item 63 at 21,600 s); ``tier_undercut_share`` 0 is
item 63 as it was. Pure functions over plain values: robust.py
owns the state and calls them. Figures, and what was tried and not kept: docs/strategies.md,
robust item 71.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["UNDERCUT_SHARE", "count_steps", "decayed_steps", "half_life_keep", "steps_under_us"]

UNDERCUT_SHARE: Final = 0.75
"""The share of the rivals' recent reprices that must be steps under our price to call them
undercutters (``tier_undercut_share``'s default; item 73 reads it when that key is 0)."""


def count_steps(
    before: Mapping[str, float], after: Mapping[str, int], listed: int | None
) -> tuple[int, int]:
    """The rival pools that repriced between two decisions (their cheapest listed price,
    ``before`` -> ``after``; a pool seen in only one of them did not reprice), and of those, the
    ones that stepped under our listed price from at or above it (an undercut of us). With no
    order of ours listed (``listed`` None) no reprice is a step under us."""
    moves = 0
    steps = 0
    for pool, price in after.items():
        old = before.get(pool)
        if old is None or int(old) == price:
            continue
        moves += 1
        if listed is not None and price < listed <= int(old):
            steps += 1
    return moves, steps


def half_life_keep(dt: float, half_life: float) -> float:
    """The share of a count kept after ``dt`` seconds at ``half_life`` (0: nothing kept; a
    negative ``dt`` keeps all): the one decay of the half-life counts (this module's steps,
    robust_warfloor's stock watch, robust_gasstop's book)."""
    return 0.5 ** (max(0.0, dt) / half_life) if half_life > 0 else 0.0


def decayed_steps(
    kept: list[float], moves: int, steps: int, now: float, half_life: float
) -> list[float]:
    """``kept`` ([reprices, steps under us, when], decayed; empty: none yet) decayed to ``now``
    with ``half_life`` and the new counts added."""
    if not kept:
        return [float(moves), float(steps), now]
    f = half_life_keep(now - kept[2], half_life)
    return [kept[0] * f + moves, kept[1] * f + steps, now]


def steps_under_us(kept: list[float], share: float) -> bool:
    """The rivals' recent reprices are mostly steps under our price: at least ``share`` of them
    (decayed counts), and at least one reprice counted."""
    if not kept or kept[0] <= 0:
        return False
    return kept[1] >= share * kept[0]
