"""``robust``'s guard-5 level judged at what a thin tier of our own buyers is worth there
(``tier_worth_tasks``; issue #14, robust item 70).

Guard 5 (strategies/robust.py) judges a trial level at the *market-led* price's pace (unsold for
as long as that price took to sell ``perch_step_tasks`` tasks, it is halved) and ends a trial, or a
perch, at the rivals' first return (its slow count of rivals out of stock, ``p_out``, under half
of ``perch_out_share``). The weakest ``undercut_slow`` markets lose to a top tier of our own buyers
that is thin and comes to us only while the rivals are out of stock (train 1018, score 0.507: the
yardstick lists XS at 1,810 M and sells 15 tasks in 72 h, 0.21 an hour, to buyers who come about
0.8 an hour and find the rivals sold out a quarter of the time; train 1005, 0.707: a trial at
the yardstick's 1,070 M sold 3 tasks in 5.5 h and was ended by an hourly restock). Such a tier
brings a sale every few hours: a level waits minutes at the market-led pace, and the rivals'
next restock ends a trial or perch that was paying several times the market-led rate.

Our deals say how often the tier comes (each deal carries its buyer's cap; items 57, 66, 67
read the same ``robust_caps.tier_pace``), and guard 5's count says how often the rivals are out.
**The rule** (``tier_worth_tasks`` = k > 0): a level is worth ``tier / span x p_out x level``
nRLC a second (the tier's tasks at or above the level over their span, while the rivals are
out, at the level's price). Where that beats the market-led mode's rate (guard 5's decayed
``market_ev``), the level is kept at the tier's pace while the rivals are out instead of the
market-led one:

- an unsold trial level waits past its pace, and through the rivals' return, while fewer than
  k of the tier's tasks were due in the time it went unsold (``tier x p_out x unsold < k x span``);
  once due it is judged as before (halved, lost under the floor; item 57 for item 51's trial);
- a trial that sold there (settled) or a committed perch is not ended by the rivals' return while
  fewer than k were due since the level's last sale (item 67's ``last_sale``); once due, or once
  the worth falls under the market-led rate, the return ends it as before.

A level no buyer of ours stated (at least ``HOLD_LEAST_TASKS`` tasks) is judged as before. Item
66 holds a level at the tier's arrival rate, whether the rivals are out or not, and without a
comparison with the market-led rate; item 68 held a perch on its own sales, two or three on a
thin tier, which cannot tell (train 1005 x 0.78). k = 0 is off (main exactly).

Pure: buyers, times and rates in, a verdict out; robust.py owns the state and calls it.
Figures and what was tried: docs/strategies.md, robust item 70.
"""

from __future__ import annotations

from collections.abc import Sequence

from strategies.robust_caps import Buyer, tier_pace
from strategies.robust_hold import HOLD_LEAST_TASKS

__all__ = ["market_rate", "worth_holds", "worth_rate"]


def market_rate(market_ev: Sequence[float]) -> float | None:
    """The market-led mode's rate, nRLC a second, from guard 5's decayed evidence ``[nRLC,
    tasks, seconds]`` (None: no market-led time to compare with)."""
    earned, _, seconds = market_ev
    return earned / seconds if seconds > 0 else None


def worth_rate(buyers: Sequence[Buyer], level: int, since: float, out: float) -> float | None:
    """What ``level`` earns a second from the tier of ``buyers`` who stated a cap at or above it
    (bought before ``since``): their tasks over their span, times ``out`` (the share of time the
    rivals are out of stock, when the tier buys from us above them), times the level. None: no
    tier (fewer than ``HOLD_LEAST_TASKS`` tasks, no span)."""
    if level <= 0:
        return None
    pace = tier_pace(buyers, level, since)
    if pace is None:
        return None
    tier, span = pace
    if tier < HOLD_LEAST_TASKS or span <= 0:
        return None
    return tier / span * max(0.0, out) * level


def worth_holds(
    buyers: Sequence[Buyer],
    level: int,
    since: float,
    now: float,
    *,
    out: float,
    market: float | None,
    least: float,
) -> bool:
    """Whether a level listed (or last sold) at ``since`` is still kept at ``now`` for its tier:
    its worth (``worth_rate``) beats the market-led rate ``market`` and the tier, bought at the
    level only while the rivals are out (share ``out``), brought fewer than ``least`` tasks
    since (``least`` <= 0: off; no market-led rate: not kept)."""
    if least <= 0 or market is None or now < since:
        return False
    worth = worth_rate(buyers, level, since, out)
    if worth is None or worth <= market:
        return False
    pace = tier_pace(buyers, level, since)
    assert pace is not None  # worth_rate found it
    tier, span = pace
    return tier * out * (now - since) < least * span
