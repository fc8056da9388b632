"""The perch's refine kept out of the planner's deadband (issue #14, robust item 36).

Guard 5's refine (``strategies.robust_ladder``) bisects in log space between the perch's price,
which sells, and the lowest price seen unsold; with ``tier_horizon_seconds`` (item 21) it goes on
while one more probe pays over a day of the perch's sales, which on a busy perch is a probe 1 %
over it. The planner keeps a listed order whose price is within ``rails.deadband`` (2 %) of the
wanted one (``bot.pricing.planner.within_deadband``), so such a probe is never listed: the order
stays at the perch's price, nothing sells at or above the probe's, and the refine reads "unsold"
and takes the probe as the perch's upper bound for the rest of the run. Train ``stationary``
1079 (yardstick XS 1.89 G nRLC, the capped buyers' top tier, 16 of them an hour): committed at
1,736 M under a 1,774 M bound at 8.5 h, the refine's probes at 1,755 and 1,746 M were both kept
at 1,736 M by the planner and read unsold, so the bound became 1,746 M and the perch stayed at
1,736 M for 64 hours (docs/strategies.md, robust item 36).

So with ``refine_band`` on, a refine probe is never quoted inside the band: the bisection stops
once the bound is within ``1 + band`` of the perch (a finer probe could not be listed), and a
bisection midpoint inside the band is moved just out of it (``lo x (1 + band)`` + 1 nRLC, still
under the bound), where the planner re-signs the order and a buyer can answer. The band is
robust's ``cross_band``, which a config sets from the owner's ``rails.deadband``.

Pure functions over plain numbers; robust.py owns the state and calls them.
"""

from __future__ import annotations

from strategies.robust_ladder import Probe

__all__ = ["band_probe", "band_ratio"]


def band_ratio(ratio: float, band: float) -> float:
    """The refine's stop ratio (``hi / lo`` at which it stops probing) kept at least ``1 + band``:
    between the perch and a bound closer than that, no probe can be listed."""
    return max(ratio, 1.0 + band) if band > 0 else ratio


def band_probe(probe: Probe, band: float) -> Probe:
    """A bisection probe moved out of the deadband of the perch's price (module doc).

    Only a probe strictly between the perch (``lo``) and the bound (``hi``) moves; a re-probe
    of the bound itself, the perch, or a probe already out of the band is returned as is. When
    the band's edge is not under the bound (the bound just out of the band: ``band_ratio`` lets
    the bisection go on), no probe could be listed: the perch is held, no probe runs.
    """
    if band <= 0 or not probe.lo or not probe.lo < probe.price < probe.hi:
        return probe
    edge = int(probe.lo * (1.0 + band)) + 1
    if probe.price >= edge:
        return probe
    if edge >= probe.hi:
        return Probe(probe.lo, 0, probe.hi, probe.at)
    return Probe(edge, probe.lo, probe.hi, probe.at)
