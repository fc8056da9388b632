"""Where ``robust``'s perch sits, and how soon it knows (guard 5's ladder; issue #14).

Pure helpers of ``strategies.robust``'s perch (guard 5), kept apart so that the perch's search
can change without touching the other guards.

**The refine.** The trial is a descending auction that halves its price until one sells: it
lands at ``p`` with ``2 p`` unsold, so the highest cap present lies somewhere in ``[p, 2 p)``,
up to 2 x above the price held. On generated train markets the caps that pay come in tiers (the
capped requesters' 30 x the market's level, the rails' ceiling), and halving from the ceiling
lands wherever the powers of two fall: train ``surge`` 1022 perched at 1.04 RLC under a 1.85
tier, ``stationary`` 1014 at 290 M under a 336 M tier. A perch that sells is then probed
upward by bisection in log space: the geometric mean of the price that sold and the lowest
unsold one is quoted for as long as the perch itself took to sell ``perch_refine_tasks`` tasks;
a sale there makes it the perch, none sends the perch back and makes it the new unsold bound.
It stops once the two are within ``perch_refine`` of each other. A failed probe costs about
``perch_refine_tasks`` of the perch's sales; a kept one raises every later sale.

**The check that ends when it is decided.** A committed perch is re-checked: the market-led
price is measured afresh for a trial's length (6 h by default) against the perch's revenue. On a
market where the perch earns many times the market-led rate the answer is clear within the first
hour, and the rest of the check is lost perch revenue (train 1014: two checks, 12 of 72 hours).
So a check ends early, back at the perch, once ``check_early_seconds`` have passed and the
market-led mode's upper Poisson bound (its sales plus ``z`` standard deviations and ``z**2``,
at the mean price of its sales) is still under the perch's lower bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Probe", "check_decided", "lower_rate", "probe_step"]


@dataclass(frozen=True, slots=True)
class Probe:
    """A perch's refine state: the price quoted, the highest price known to sell (``lo``, 0
    while no probe runs), the lowest known unsold (``hi``, 0: none known) and when the probe
    started."""

    price: int
    lo: int = 0
    hi: int = 0
    at: float = 0.0


def probe_step(
    probe: Probe, *, now: float, sold_at_price: bool, wait: float, ratio: float
) -> Probe:
    """One decision of the upward bisection above a perch that sells (module doc).

    ``sold_at_price``: a task sold at ``probe.price`` or more since the probe started; ``wait``:
    how long a probe may go unsold. With no probe running the price quoted is one that sold
    (the trial's, or a probe's that sold), so the next probe starts at once.
    """
    if probe.lo:
        if sold_at_price:
            return Probe(probe.price, 0, probe.hi, now)  # the probe sold: it is the perch now
        if now - probe.at >= wait:
            return Probe(probe.lo, 0, probe.price, now)  # unsold: back, and a lower bound above
        return probe
    if probe.hi <= 0 or probe.hi <= probe.price * ratio:
        return probe
    mid = math.isqrt(probe.price * probe.hi)
    if mid <= probe.price:
        return probe
    return Probe(mid, probe.price, probe.hi, now)


def lower_rate(ev: list[float], z: float) -> float | None:
    """Revenue per second of the evidence ``ev`` ([nRLC, tasks, seconds]) less ``z`` Poisson
    deviations of its sales: the cautious bound a perch is committed, kept and checked on (a few
    lucky sales at a high price must not commit it). None without a sale."""
    earned, tasks, secs = ev
    if secs <= 0 or tasks <= 0:
        return None
    return earned * max(0.0, tasks - z * math.sqrt(tasks)) / tasks / secs


def check_decided(
    perch_ev: list[float], market_ev: list[float], market_price: int, z: float
) -> bool:
    """The perch's lower revenue bound per second is above the market-led mode's upper bound.

    Evidence lists are [nRLC, tasks, seconds]; the perch's lower bound is ``lower_rate`` (the
    commit rule's), the market-led upper bound its sales plus ``z`` deviations and ``z**2`` (so
    that no sale yet is not read as a rate of zero), each task at the mean price of its sales
    (``market_price`` before any).
    """
    lower = lower_rate(perch_ev, z)
    m_earned, m_tasks, m_secs = market_ev
    if lower is None or m_secs <= 0:
        return False
    each = m_earned / m_tasks if m_tasks > 0 else float(market_price)
    upper = each * (m_tasks + z * math.sqrt(m_tasks) + z * z) / m_secs
    return lower > upper
