"""``robust``'s refine kept out of the planner's deadband (strategies/robust_band.py,
``refine_band``; docs/strategies.md, robust item 36)."""

from __future__ import annotations

from bot.pricing.planner import within_deadband
from strategies.robust_band import band_edge, band_probe, band_ratio
from strategies.robust_ladder import Probe, probe_step

BAND = 0.02
M = 1_000_000


def test_the_stop_ratio_is_at_least_the_band_both_ways() -> None:
    # item 21's finer ratio on a busy perch (1 %) is raised to 1 / 0.98; a coarser one stays
    assert band_ratio(1.01, BAND) == 1.0 / 0.98
    assert band_ratio(1.1, BAND) == 1.1
    assert band_ratio(1.01, 0.0) == 1.01  # off


def test_the_edge_moves_the_order_up_and_back_down() -> None:
    lo = 1_839_900_000
    edge = band_edge(lo, BAND)
    assert not within_deadband(lo, edge, BAND)  # listed from the perch
    assert not within_deadband(edge, lo, BAND)  # and the way back is listed too
    # lo x (1 + band), out of the band going up, is inside it coming back (train 1022)
    up = int(lo * (1 + BAND)) + 1
    assert not within_deadband(lo, up, BAND) and within_deadband(up, lo, BAND)
    assert edge > up


def test_a_midpoint_under_the_edge_moves_up_to_it() -> None:
    """Train 1079: perch 1,736.3 M, bound 1,774.3 M; the midpoint 1,755.2 M is within 2 % of
    the listed perch, so the planner would keep the order at 1,736.3 M and nothing could sell at
    the probe's price."""
    lo, hi = 1_736_300_000, 1_774_300_000
    mid = probe_step(Probe(lo, 0, hi, 0.0), now=1.0, sold_at_price=False, wait=900.0, ratio=1.01)
    assert mid.lo == lo and within_deadband(lo, mid.price, BAND)
    moved = band_probe(mid, BAND)
    assert moved.price == band_edge(lo, BAND) and lo < moved.price < hi
    assert not within_deadband(lo, moved.price, BAND)
    assert not within_deadband(moved.price, lo, BAND)
    assert (moved.lo, moved.hi, moved.at) == (mid.lo, mid.hi, mid.at)


def test_no_room_under_the_bound_holds_the_perch() -> None:
    # the edge is not under the bound: no probe can be listed and left again
    tight = Probe(1_010 * M, 1_000 * M, 1_020 * M, 5.0)
    assert band_probe(tight, BAND) == Probe(1_000 * M, 0, 1_020 * M, 5.0)
    # a re-probe of a bound under the edge (train 1022: 1,876.7 M over a 1,839.9 M perch)
    reprobe = Probe(1_876_700_000, 1_839_900_000, 1_876_700_000, 5.0)
    assert band_probe(reprobe, BAND) == Probe(1_839_900_000, 0, 1_876_700_000, 5.0)


def test_other_probes_are_left_as_they_are() -> None:
    far = Probe(1_200 * M, 1_000 * M, 1_500 * M, 0.0)  # a midpoint over the edge
    assert band_probe(far, BAND) == far
    reprobe = Probe(1_100 * M, 1_000 * M, 1_100 * M, 0.0)  # a re-probe of a bound over the edge
    assert band_probe(reprobe, BAND) == reprobe
    perch = Probe(1_000 * M, 0, 1_500 * M, 0.0)  # no probe running
    assert band_probe(perch, BAND) == perch
    inside = Probe(1_005 * M, 1_000 * M, 1_050 * M, 0.0)
    assert band_probe(inside, 0.0) == inside  # off


def test_the_refine_stops_where_no_probe_could_be_listed() -> None:
    """With the stop ratio at the band, a bound within 2 % of the perch ends the bisection."""
    p = Probe(1_000 * M, 0, 1_020 * M, 0.0)
    ratio = band_ratio(1.01, BAND)
    assert probe_step(p, now=1.0, sold_at_price=False, wait=900.0, ratio=ratio) == p
    assert probe_step(p, now=1.0, sold_at_price=False, wait=900.0, ratio=1.01) != p
