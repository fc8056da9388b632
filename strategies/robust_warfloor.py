"""Items 73 and 76 together on the undercutter markets: the floor kept near the war, the hold
kept where the undercutter runs dry (robust item 78).

Items 73 (``cut_gas_factor``: a cut that does not pay its cancels is held) and 76
(``follow_cut_factor``: such a cut opens guard 1's probe of war, floor and hold) lift the
``undercut_slow`` / ``undercut_fast`` markets where following the war down costs more gas than
it wins (train 1590 x 1.66, 1446 x 1.57, 1551 x 1.29, 1330 x 1.26 with both on), and lose on
two shapes, traced in items 73 and 76:

- **the floor drags the war down** (train 1408): the floor posture prices one nRLC under the
  lowest rival of the last ``memory_seconds``; committed on a market whose war sits at 45-72 M,
  the undercutters step under it and the floor follows them (14 M by 50 h, 9.8 M at 51 h). The
  floor is the best fixed price only where the undercutter's floor is near the war's level
  (1590: 4.73 M against a war at ~5.2 M). So (``follow_floor_share`` = r > 0) the floor posture
  runs only while its price is at least r x what our buyers paid per task in the market-led
  mode (item 54's ``_paid``, the war's mean price, decayed over ``perch_half_life_seconds``):
  a probe of it that falls under moves on to the hold posture (the floor's record dropped), a
  committed floor that falls under goes back to war as a committed choice (item 76 does not
  re-open a round inside it) (:func:`floor_near`).
- **the hold gives a restocking undercutter the buyers** (train 1057: 3 tasks every 19 minutes;
  1525): item 73's hold of a cut, and guard 1's hold posture, leave our price above the
  undercutter; that pays only where its stock under us runs out (its buyers then come to us),
  not where it restocks each period. So (``hold_stock_share`` = s > 0) the decisions that
  follow a hold are counted (decayed, half-life ``anchor_steady_seconds``): how often a rival
  still held stock under our listed price (:func:`stock_watch`); once at least
  ``STOCK_MIN_HELD`` decayed decisions are counted and the share reaches s, item 73 makes the
  cut and a committed hold posture goes back to war as a committed choice
  (:func:`hold_starved`). The counts decay, so a hold is tried again once the evidence fades.

Pure functions over plain values: robust.py owns the state and calls them. Figures, and what
was tried and not kept: docs/strategies.md, robust item 78.
"""

from __future__ import annotations

__all__ = ["STOCK_MIN_HELD", "floor_near", "hold_starved", "stock_watch"]

STOCK_MIN_HELD = 5.0  # decayed decisions after a hold before the share is read


def floor_near(floor: int, paid: int, share: float) -> bool:
    """Whether the floor posture's price ``floor`` is near the war's: at least ``share`` x what
    our buyers paid per task in the market-led mode (``paid``; 0: nothing sold, no evidence,
    the floor runs as in main)."""
    return paid <= 0 or floor >= share * paid


def stock_watch(
    kept: list[float], held: bool, under: bool, now: float, half_life: float
) -> list[float]:
    """Item 78's decayed counts ``[decisions after a hold, of them with a rival's stock under our
    listed price, when]``: the last decision held our price above a rival (``held``: item 73's
    hold or guard 1's hold posture) and a rival still lists under our price now (``under``).
    Decisions that follow no hold only decay the counts."""
    total, stocked, at = kept if len(kept) == 3 else (0.0, 0.0, now)
    keep = 0.5 ** (max(0.0, now - at) / half_life) if half_life > 0 else 0.0
    total, stocked = total * keep, stocked * keep
    if held:
        total += 1.0
        stocked += 1.0 if under else 0.0
    return [total, stocked, now]


def hold_starved(kept: list[float], share: float) -> bool:
    """Whether a hold leaves the undercutter the buyers: after at least ``STOCK_MIN_HELD``
    decayed decisions that followed a hold, a rival still listed under our price at ``share``
    of them or more (it restocks; a hold pays only where its stock runs out)."""
    if share <= 0 or len(kept) != 3 or kept[0] < STOCK_MIN_HELD:
        return False
    return kept[1] >= share * kept[0]
