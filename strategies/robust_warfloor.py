"""Item 76 on the undercutter markets without its two losing shapes: a committed floor that
follows the undercutters down, and a hold over an undercutter whose buyers keep coming
(robust item 78).

Items 73 (``cut_gas_factor``: a cut that does not pay its cancels is held) and 76
(``follow_cut_factor``: such a cut opens guard 1's probe of war, floor and hold) lift the
``undercut_slow`` / ``undercut_fast`` markets where following the war down costs more gas than
it wins (train 1590 x 1.66, 1446 x 1.57, 1551 x 1.29, 1330 x 1.26 with both on), and lose on
two shapes, traced in items 73 and 76:

- **the floor drags the war down** (train 1408): the floor posture prices one nRLC under the
  lowest rival of the last ``memory_seconds``; committed on a market whose war sits at 45-72 M,
  the undercutters step under it and the floor follows them (14 M by 50 h, 9.8 M at 51 h). The
  floor is the best fixed price only where the undercutter's floor is near the war's level
  (1590: 4.73 M against a war at ~5.2 M), where the undercutter resets from its floor and ours
  stays put. So (``follow_floor_share`` = r > 0) a floor posture committed by a round that
  item 76's trigger opened (not main's share of decisions with a rival under us) keeps its
  first price, and once its price falls under r x that (it follows the undercutters down) it
  goes back to war as a committed choice (item 76 does not re-open a round inside it)
  (:func:`floor_near`). Main's own rounds are left alone: on train 1407 (``undercut_fast``, a
  war stepping 52 M -> 11 M in six minutes) they commit to floors that the stride takes 20 %
  down and back every hour, and main's floor there earns what war does not. A probe's floor is
  left to descend (guard 1's stride): it is a measurement.
- **the hold gives a restocking undercutter the buyers** (train 1057: 3 tasks every 19 minutes;
  1525): item 73's hold of a cut, and guard 1's hold posture, leave our price above the
  undercutter. That pays on a thin market, where a buyer seldom comes before the undercutter
  steps again (the hold saves the cancels of following it), not on one whose buyers keep
  taking the undercutter's stock under our held price while it restocks each period (item 73's
  reckoning misses it: the buyers' rate it reads is our own, which the hold itself starves). So
  (``hold_taken_tasks`` = k > 0) the tasks the rivals under our listed price sold while we held
  are counted (their remaining at the same price falling from one decision to the next, or the
  pool gone from the book), decayed over ``anchor_steady_seconds`` with the time held
  (:func:`stock_watch`, :func:`taken_under`); once ``STOCK_MIN_SECONDS`` of holding are
  counted and they sold at least k tasks an hour of it, item 73 makes the cut and a committed
  hold posture goes back to war as a committed choice (:func:`hold_starved`). The counts
  decay, so a hold is tried again once the evidence fades.

Measured (item 78) with item 76 alone (item 73 off): on the 22 movers item 76 + 78 beat main
x 1.036 where items 73 + 76 + 78 gave x 1.023; item 73's held cuts were where the two losers
went (1512 x 0.78 with the hold count, 1057 x 0.51 without it).

Pure functions over plain values: robust.py owns the state and calls them. Figures, and what
was tried and not kept: docs/strategies.md, robust item 78.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from strategies.robust_stepunder import half_life_keep

__all__ = ["STOCK_MIN_SECONDS", "floor_near", "hold_starved", "stock_watch", "taken_under"]

STOCK_MIN_SECONDS = 1800.0  # decayed seconds of holding before the rate is read


def floor_near(floor: int, first: int, share: float) -> bool:
    """Whether the committed floor posture's price ``floor`` is still near its first price
    ``first``: at least ``share`` x it (0: no first price kept, nothing to compare with)."""
    return first <= 0 or floor >= share * first


def taken_under(before: Mapping[str, Sequence[float]], now: Mapping[str, tuple[int, int]]) -> int:
    """The tasks the rival pools under our held price sold between two decisions: per pool of
    ``before`` (``pool -> [price, remaining]`` at the last decision), its remaining at the same
    price fallen (``now``: ``pool -> (cheapest price, remaining at it)``), or all of it where
    the pool is gone from the book (sold out); a pool that repriced shows nothing."""
    taken = 0
    for pool, (price, left) in ((k, (int(v[0]), int(v[1]))) for k, v in before.items()):
        seen = now.get(pool)
        if seen is None:
            taken += left
        elif seen[0] == price:
            taken += max(0, left - seen[1])
    return taken


def stock_watch(
    kept: Sequence[float], held: float, taken: int, now: float, half_life: float
) -> list[float]:
    """Item 78's decayed counts ``[seconds held, tasks the rivals under us sold meanwhile,
    when]``: ``held`` seconds since the last decision our price was held above a rival (item
    73's hold or guard 1's hold posture; 0: not held), ``taken`` tasks sold under it."""
    secs, tasks, at = kept if len(kept) == 3 else (0.0, 0.0, now)
    keep = half_life_keep(now - at, half_life)
    return [secs * keep + held, tasks * keep + (taken if held > 0 else 0), now]


def hold_starved(kept: Sequence[float], per_hour: float) -> bool:
    """Whether a hold leaves the undercutters the buyers: after at least ``STOCK_MIN_SECONDS``
    of holding (decayed), the rivals under our held price sold ``per_hour`` tasks an hour of it
    or more (0: off)."""
    if per_hour <= 0 or len(kept) != 3 or kept[0] < STOCK_MIN_SECONDS:
        return False
    return kept[1] * 3600.0 >= per_hour * kept[0]
