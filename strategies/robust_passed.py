"""``robust``'s follower guard (guard 1) opened where the base passes over a small undercutter
listed under our price (``follow_passed_share``; robust item 92).

Guard 1 probes its postures (war, floor, hold) once one rival pool has been under the price we
*meant to be cheapest at* ``follow_share`` (0.6) of the decisions. Where prices move the base
(portfolio, ``war_min_volume`` 2) does not mean to be cheapest: it undercuts "the cheapest with
2+ left" and passes over a pool that lists a single task, as a last task rather than a price.
Those decisions do not count towards guard 1's share (its ``aimed`` flag is off), so a 1-task
undercutter that resets from its floor and lists again every few minutes sits under us for most
of the war without guard 1 ever seeing it. On train ``undercut_slow`` 1590 (robust's worst
class extra, score 0.341) the undercutter steps ~120 k every 6-8 minutes down to its 4.73 M
floor and resets, a 2-task pool sits fixed at 6.14 M; the best fixed price is 4,729,999 (one nRLC
under the floor, 85 % of the demand), which is guard 1's floor posture, but guard 1's share
peaks at 0.52 and it stays in war all 4,320 decisions, while the base passes over the 1-task
pool at 15-45 % of each half-day's decisions (an exponential average of those decisions, at
guard 1's own weight, reaches 0.82).

So where the rule is on, the decisions at which the base's quote sits above a rival order of
fewer than two tasks, of a pool that repriced within ``memory_seconds`` (an undercutter, not a
fixed-price pool's last task: train 1018's 33.3 M pool), listed under our listed price are
counted as guard 1 counts a rival under us (an exponential average, ``follow_smoothing``); at
``follow_passed_share`` of them, in war and with guard 1's own share under ``follow_share``,
guard 1's probe opens (not inside a war the last round committed to, as item 76's trigger). That
round, and the posture it commits to, is judged on what each posture sold net of its re-signs'
gas (item 49's ``follow_gas``): a floor under the undercutter re-signs little, the war at each of
its steps. And a floor it commits to goes back to war once its price falls under
:data:`PASSED_DRAG` x our listed price in war when the round opened (item 78's check, against the
war's level rather than the floor's first price): train 1564's undercutters step from ~85 M down
to floors of 14-21 M, and a floor committed at 46.5 M kept the rivals in stock through the hours
main's war left them empty and guard 5's trial at 2,010 M sold (1564 x 0.84 without the check,
x 1.005 with it). On by default at 0.5 since session 28 (0: off): the design and old
validation blocks byte-identical, three held-out TRAIN blocks +4.2 RLC in all (10001 x 0.968,
12041 x 1.08, 12031 x 1.02; docs/strategies.md item 92 and under item 95).
Pure functions over plain values: robust.py owns the state and calls them.
Figures, traces and what was tried and not kept: docs/strategies.md, robust item 92.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "PASSED_DRAG",
    "SMALL_TASKS",
    "decayed_tasks",
    "moved_within",
    "passed_share",
    "passes_small",
    "probe_sells",
]

PASSED_DRAG = 0.75  # a floor its round committed under this x war's listed price: back to war
SMALL_TASKS = 2  # the base's war_min_volume: an order of fewer tasks is passed over as a last one


def moved_within(seen: Sequence[float], now: float, seconds: float) -> bool:
    """Whether a pool repriced within ``seconds`` (``seen``: robust_undercut.track_moves's
    record, [price, last changed (0: never seen to), last seen])."""
    return seen[1] > 0 and now - seen[1] <= seconds


def passes_small(rivals: Sequence[tuple[int, int, bool]], listed: int | None, quote: int) -> bool:
    """Whether the base's ``quote`` passes over a small undercutter under our ``listed`` price.

    ``rivals``: (price, remaining tasks, its pool repriced lately) per relevant rival order,
    cheapest first. True where the cheapest holds fewer than :data:`SMALL_TASKS`, is listed
    under our listed price (it is there when a buyer comes) and under the quote (the base does
    not mean to go under it), and its pool reprices: a fixed-price pool's last task is gone after
    the next buyer (train 1018's 33.3 M pool, one task restocked), an undercutter's is listed
    again at its next step."""
    if listed is None or not rivals:
        return False
    price, left, moving = rivals[0]
    return moving and left < SMALL_TASKS and price < listed and price < quote


def passed_share(share: float, passed: bool, weight: float) -> float:
    """The exponential average of the decisions where ``passed`` held (``follow_smoothing`` as
    ``weight``): item 92's share of passes, and guard 1's per-pool share of decisions under us."""
    return (1.0 - weight) * share + (weight if passed else 0.0)


def decayed_tasks(kept: float, sold: float, dt: float, memory: float) -> float:
    """Our tasks sold, decayed over ``memory`` seconds (``kept`` ``dt`` seconds ago, plus the
    ``sold`` since): at a steady rate it settles at the rate x ``memory``."""
    return kept * math.exp(-dt / memory) + sold if memory > 0 else sold


def probe_sells(tasks: float, memory: float, probe_seconds: float) -> bool:
    """Whether one of guard 1's probes expects at least a task at our recent rate (``tasks``:
    :func:`decayed_tasks` over ``memory``): a posture measured on no sale is chosen by chance
    (train 1018's category 3 sells a task every few hours at 0.7-1.8 G, against 1590's ~4 an
    hour)."""
    return memory > 0 and tasks * probe_seconds / memory >= 1.0
