"""``robust``'s refine kept out of the planner's deadband (strategies/robust_band.py,
``refine_band``; docs/strategies.md, robust item 36)."""

from __future__ import annotations

from bot.pricing.planner import within_deadband
from strategies.robust_band import band_probe, band_ratio
from strategies.robust_ladder import Probe, probe_step

BAND = 0.02
M = 1_000_000


def test_the_stop_ratio_is_at_least_one_band() -> None:
    # item 21's finer ratio on a busy perch (1 %) is raised to the band; a coarser one stays
    assert band_ratio(1.01, BAND) == 1.02
    assert band_ratio(1.1, BAND) == 1.1
    assert band_ratio(1.01, 0.0) == 1.01  # off


def test_a_midpoint_inside_the_band_moves_just_out_of_it() -> None:
    """Train 1079: perch 1,736.3 M, bound 1,774.3 M; the midpoint 1,755.2 M is within 2 % of
    the listed perch, so the planner would keep the order at 1,736.3 M and nothing could sell at
    the probe's price."""
    lo, hi = 1_736_300_000, 1_774_300_000
    mid = probe_step(Probe(lo, 0, hi, 0.0), now=1.0, sold_at_price=False, wait=900.0, ratio=1.01)
    assert mid.lo == lo and within_deadband(lo, mid.price, BAND)
    moved = band_probe(mid, BAND)
    assert not within_deadband(lo, moved.price, BAND)  # the planner re-signs the order
    assert lo < moved.price < hi
    assert (moved.lo, moved.hi, moved.at) == (mid.lo, mid.hi, mid.at)


def test_other_probes_are_left_as_they_are() -> None:
    far = Probe(1_200 * M, 1_000 * M, 1_500 * M, 0.0)  # a midpoint already out of the band
    assert band_probe(far, BAND) == far
    reprobe = Probe(1_010 * M, 1_000 * M, 1_010 * M, 0.0)  # a re-probe of the bound itself
    assert band_probe(reprobe, BAND) == reprobe
    perch = Probe(1_000 * M, 0, 1_500 * M, 0.0)  # no probe running
    assert band_probe(perch, BAND) == perch
    # the band's edge is the bound (a bound just out of the band): no probe can be listed, the
    # perch is held with no probe running (train 1003: 601.3 M between 595.3 and 607.2 M)
    tight = Probe(1_010 * M, 1_000 * M, 1_020 * M + 1, 0.0)
    assert band_probe(tight, BAND) == Probe(1_000 * M, 0, 1_020 * M + 1, 0.0)
    inside = Probe(1_005 * M, 1_000 * M, 1_050 * M, 0.0)
    assert band_probe(inside, 0.0) == inside  # off
    assert band_probe(inside, BAND).price == 1_020 * M + 1


def test_the_refine_stops_where_no_probe_could_be_listed() -> None:
    """With the stop ratio at the band, a bound within 2 % of the perch ends the bisection."""
    p = Probe(1_000 * M, 0, 1_015 * M, 0.0)
    assert (
        probe_step(p, now=1.0, sold_at_price=False, wait=900.0, ratio=band_ratio(1.01, BAND)) == p
    )
    assert probe_step(p, now=1.0, sold_at_price=False, wait=900.0, ratio=1.01) != p
