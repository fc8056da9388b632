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

The band works both ways: the planner compares the wanted price with the *listed* one, so a probe
just out of the band over the perch (``lo x (1 + band)``) is listed, but the way back down to the
perch is inside the band of the probe's price and is never listed: the order stays at the unsold
probe (train ``surge`` 1022, a first version of this rule: a probe at 1,876.7 M over a 1,839.9 M
perch, above the 1.85 G tier, stayed listed for the last 16 hours and sold nothing, x 0.88).

So with ``refine_band`` on, a refine probe is never quoted where it could not be listed and left
again: the bisection stops once the bound is within ``1 / (1 - band)`` of the perch, a bisection
midpoint under that edge is moved up to it (still under the bound), and a re-probe of a bound
under the edge is not made. The band is robust's ``cross_band``, which a config sets from the
owner's ``rails.deadband``.

Pure functions over plain numbers; robust.py owns the state and calls them.
"""

from __future__ import annotations

from strategies.robust_ladder import Probe

__all__ = ["band_edge", "band_probe", "band_ratio"]


def band_ratio(ratio: float, band: float) -> float:
    """The refine's stop ratio (``hi / lo`` at which it stops probing) kept at least
    ``1 / (1 - band)``: between the perch and a bound closer than that, no probe can be listed
    and then left again (module doc)."""
    return max(ratio, 1.0 / (1.0 - band)) if 0 < band < 1 else ratio


def band_edge(lo: int, band: float) -> int:
    """The lowest price a probe over the perch ``lo`` can take and still move the order both
    ways: up from ``lo`` (more than ``band x lo``) and back down to it (more than ``band x`` the
    probe's price, the planner's test from the listed price)."""
    return int(lo / (1.0 - band)) + 1


def band_probe(probe: Probe, band: float) -> Probe:
    """A probe moved out of the deadband of the perch's price (module doc).

    A bisection probe strictly between the perch (``lo``) and the bound (``hi``) but under the
    band's edge moves up to the edge; when the edge is not under the bound, or the probe is a
    re-probe of a bound under the edge, no probe could be listed and left again: the perch is
    held, no probe runs. The perch, or a probe already at or over the edge, is returned as is.
    """
    if not 0 < band < 1 or not probe.lo or not probe.lo < probe.price <= probe.hi:
        return probe
    edge = band_edge(probe.lo, band)
    if probe.price >= edge:
        return probe
    if probe.price == probe.hi or edge >= probe.hi:
        return Probe(probe.lo, 0, probe.hi, probe.at)
    return Probe(edge, probe.lo, probe.hi, probe.at)
