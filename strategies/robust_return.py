"""``robust``'s perch when the rivals come back in stock: held while its own sales still pay.

Guard 5 (strategies/robust.py) perches an offer far above the rivals while they are out of stock
and ends a committed perch, or a trial whose price already sold, as soon as its slow count of
rivals out of stock (``p_out``, a 2-hour exponential average) falls under half of
``perch_out_share``: a rival back in stock gives the perch's buyers a cheaper seller. On generated
markets the rivals are order-publisher pools that list a few tasks each period (up to an hour)
and restock whatever sold: they are back in stock for part of every period, so the count drops
under the threshold within hours whatever the perch earns. What the perch sells to are buyers
whose caps are far above the rivals and who come while the rivals are sold out: that does not
change when a rival restocks (train `undercut_slow` 1005: a trial at 1,070 M, the yardstick's
price, sold 3 tasks in 5.5 h, 0.58 RLC an hour against 0.07 at the market-led 23.4 M, and was
ended at 8.65 h by the 3-task hourly rival's restocks; the next trial began 10 h later and the
perch was back at about that price only from 44 h).

So with ``perch_return_pays`` on, the rivals' return does not end a perch that has paid (a
committed perch, or a trial whose price sold) while its lower revenue bound (guard 5's decayed
sales at the perch) still beats the market-led mode's mean: the test the trial is committed on,
and item 47's (``robust_alone.held_alone``) test for a perch held while no rival is seen. A perch
that stops selling sees its decayed rate fall under the market-led one and ends at the next
decision the rivals are in stock, as in main; a trial still descending (nothing sold) and a
check end as before.

Pure: robust.py owns the state and calls it. Figures and what was tried: docs/strategies.md,
robust item 68.
"""

from __future__ import annotations

from collections.abc import Sequence

from strategies.robust_ladder import lower_rate

__all__ = ["held_return", "return_pays"]


def held_return(*, on: bool, p_mode: str, settled: bool, pays: bool) -> bool:
    """Whether guard 5's perch is held through the rivals' return at this decision.

    ``on``: ``perch_return_pays`` (false: never, main's behaviour: the return ends it);
    ``p_mode``: guard 5's mode (``perch`` holds; ``trial`` only once its price sold,
    ``settled``; ``check`` and ``market`` never); ``pays``: the perch's lower revenue bound
    beats the market-led mode's mean (the commit's own test).
    """
    if not on or not pays:
        return False
    return p_mode == "perch" or (p_mode == "trial" and settled)


def return_pays(perch_ev: Sequence[float], market_ev: Sequence[float], z: float) -> bool:
    """Whether the perch's sales beat the market-led mode's at the rivals' return.

    Evidence lists are guard 5's decayed ``[nRLC, tasks, seconds]``. The perch's rate less
    ``z`` Poisson deviations of its sales (``robust_ladder.lower_rate``; ``z`` =
    ``perch_return_z``: 1 is the commit's own test, 0 the perch's mean) against the market-led
    mode's mean (no market-led time: any sale pays). No sale at the perch: it does not pay.
    """
    lower = lower_rate(list(perch_ev), z)
    if lower is None:
        return False
    m_earned, _, m_secs = market_ev
    return lower > (m_earned / m_secs if m_secs > 0 else 0.0)
