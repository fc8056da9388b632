"""``robust``'s refine ratio read from the perch's sales (strategies/robust_tier.py,
``tier_horizon_seconds``): the pure ratio, and the bisection it lets go on past ``perch_refine``."""

from __future__ import annotations

import math

import pytest

from strategies.robust_ladder import Probe, probe_step
from strategies.robust_tier import (
    capped_bound,
    early_lost_due,
    own_price_ev,
    probe_seconds,
    strict_first,
    tier_ratio,
)
from tests.support.factories import NOW, deal, own, rival, snap, util
from tests.unit.strategies.test_strategy_robust import PERCH, XS, decide, memory, perch_state
from tests.unit.strategies.test_strategy_robust_shift import held_perch

HOUR = 3600.0


def test_a_busy_perch_refines_finer_over_a_longer_horizon() -> None:
    # 5 sales an hour, 2 sales a failed probe: (1 + 2 / 120) ** 2 over 24 h, (1 + 2 / 60) ** 2 over 12 h
    day = tier_ratio(1.1, rate=5 / HOUR, horizon=24 * HOUR, cost=2.0)
    half = tier_ratio(1.1, rate=5 / HOUR, horizon=12 * HOUR, cost=2.0)
    assert day == pytest.approx((1 + 2 / 120) ** 2)
    assert half == pytest.approx((1 + 2 / 60) ** 2)
    assert 1.0 < day < half < 1.1


@pytest.mark.parametrize(
    ("rate", "horizon", "cost"),
    [
        (0.2 / HOUR, 24 * HOUR, 2.0),
        (5 / HOUR, 0.0, 2.0),
        (0.0, 24 * HOUR, 2.0),
        (5 / HOUR, HOUR, 0.0),
    ],
)
def test_a_thin_perch_or_off_keeps_perch_refine(rate: float, horizon: float, cost: float) -> None:
    """One sale in 5 hours pays no finer probe over a day; off (0 horizon), no rate, no cost."""
    assert tier_ratio(1.1, rate=rate, horizon=horizon, cost=cost) == 1.1


def test_the_finer_ratio_takes_the_bisection_closer_to_a_tier() -> None:
    """Train 1027: perch 588 M, 641.6 M unsold, tier 639 M; the 1.1 ratio stops, the finer goes on."""
    converged = Probe(588_400_000, 0, 641_600_000)
    assert probe_step(converged, now=1.0, sold_at_price=False, wait=900.0, ratio=1.1) == converged
    ratio = tier_ratio(1.1, rate=5 / HOUR, horizon=24 * HOUR, cost=2.0)
    nxt = probe_step(converged, now=1.0, sold_at_price=False, wait=900.0, ratio=ratio)
    assert nxt.lo == 588_400_000 and 588_400_000 < nxt.price < 639_000_000


def test_an_early_first_trial_due_with_the_rivals_in_stock_waits_the_usual_first_wait() -> None:
    """Item 28: due at 2 h (first seen at 0), the out-of-stock share 0.45 under its 0.5 gate:
    the first trial is due at 6 h instead; at 0.6 (or not due yet) nothing moves."""
    late = strict_first(2 * HOUR, 2 * HOUR, share=0.45, gate=0.5, first=2 * HOUR, wait=6 * HOUR)
    assert late == 6 * HOUR
    assert (
        strict_first(2 * HOUR, 2 * HOUR, share=0.6, gate=0.5, first=2 * HOUR, wait=6 * HOUR) is None
    )
    assert strict_first(2 * HOUR, HOUR, share=0.0, gate=0.5, first=2 * HOUR, wait=6 * HOUR) is None


# item 29: the perch judged on its own price's time, and a bound above a trial that sold at once


def test_an_unsold_probe_s_time_is_what_it_added_to_the_decayed_evidence() -> None:
    """1.5 h unsold at a 12 h half-life: the integral of the decay over the probe, a little under
    its length; no half-life (no decay) is the length itself, and no time is none."""
    added = probe_seconds(1.5 * HOUR, 12 * HOUR)
    assert added == pytest.approx(12 * HOUR / math.log(2) * (1 - 0.5 ** (1.5 / 12)))
    assert 1.4 * HOUR < added < 1.5 * HOUR
    assert probe_seconds(1.5 * HOUR, 0.0) == 1.5 * HOUR
    assert probe_seconds(0.0, 12 * HOUR) == 0.0


def test_the_perch_s_own_rate_leaves_its_unsold_probes_out() -> None:
    """Train 1004's early trial: 5.1 sales (3.97 RLC) over 5.2 h, 3.85 h of it three unsold
    probes: 1.36 h at its own price."""
    ev = [3.97e9, 5.1, 5.21 * HOUR]
    own = own_price_ev(ev, 3.85 * HOUR)
    assert own == pytest.approx([3.97e9, 5.1, 1.36 * HOUR])
    assert own_price_ev(ev, 0.0) == ev
    assert own_price_ev(ev, 6 * HOUR)[2] == 0.0


@pytest.mark.parametrize(
    ("hi", "price", "step_down", "bound"),
    [
        (0, 203_500_000, 0.5, 407_000_000),  # sold at its first (capped) price: 2 x
        (0, 203_500_000, 0.8, 254_375_000),
        (1_544_000_000, 772_000_000, 0.5, 1_544_000_000),  # the descent left one: kept
        (0, 0, 0.5, 0),
    ],
)
def test_a_trial_that_sold_at_once_takes_the_level_above_as_its_bound(
    hi: int, price: int, step_down: float, bound: int
) -> None:
    assert capped_bound(hi, price, step_down) == bound


# item 21's finer refine pinned off: these crafted perches test item 29's rules alone
BASE = {**PERCH, "tier_horizon_seconds": 0.0}
ITEM29 = {**BASE, "perch_probe_apart": True, "perch_capped_bound": True, "perch_bound_renew": True}
OFF = {**BASE, "perch_probe_apart": False, "perch_capped_bound": False, "perch_bound_renew": False}


def test_a_probe_that_goes_unsold_is_kept_apart_and_the_commit_reads_the_perch_s_price() -> None:
    """A settled trial at 1,584 with a refine probe at 2,240 (lowest unsold 3,168) for 20 min,
    past the refine's 15 min wait: back at 1,584, the probe's 20 min set apart (off: none).
    At the trial's end, 6 sales in an hour of which 40 min were unsold probes: the lower bound
    over the whole hour, (6 - 2.45) x 1,584 / h = 5,625 / h, is under the market-led 10,000 / h
    (lost); over the perch's own 20 min it is 16,875 / h (committed)."""
    state = perch_state(
        p_mode="trial",
        p_since=NOW - 1800,
        p_price=2_240,
        p_settled=True,
        perched=True,
        perch_ev=[4 * 1_584.0, 4.0, 1800.0],
        r_lo=1_584,
        r_hi=3_168,
        r_at=NOW - 1200,
    )
    s = snap(offers=[XS], book=[], own_orders=[own("o", 2_240, 4)], utilization=util(10, 0))
    big = {"perch_half_life_seconds": 2e6}
    _, new = decide(s, state, {**ITEM29, **big})
    m = memory(new)
    assert (m.p_price, m.r_hi) == (1_584, 2_240)
    assert m.r_off == pytest.approx(1200.0, rel=1e-3)
    _, new = decide(s, state, {**OFF, **big})
    assert memory(new).r_off == pytest.approx(1200.0, rel=1e-3)  # kept, but read only when on
    market = [10_000.0 * 10, 10.0, 36_000.0]  # 10,000 per hour
    ended = perch_state(
        p_mode="trial",
        p_since=NOW - 3600,
        p_price=1_584,
        p_settled=True,
        perched=True,
        perch_ev=[6 * 1_584.0, 6.0, 3600.0],
        r_off=2400.0,
        market_ev=market,
    )
    s = snap(offers=[XS], book=[], own_orders=[own("o", 1_584, 4)], utilization=util(10, 0))
    _, new = decide(s, ended, {**ITEM29, **big})
    assert memory(new).p_mode == "perch"
    _, new = decide(s, ended, {**OFF, **big})
    assert memory(new).p_mode == "market"


def test_a_trial_that_sells_at_its_first_price_gets_a_bound_above_it() -> None:
    """The trial's first price, the rails' cap (3,168 listed for 99,000: 32 x the market-led
    99), sells two minutes in, no level above it known unsold: the refine's bound is 6,336 (the
    level above), so it probes upward once the perch has its sales; off, no bound, and the
    perch would never move from the cap."""
    trial = perch_state(p_mode="trial", p_since=NOW - 120, p_price=3_168, perched=True)
    sold = [deal("d", 3_168, 2, ago=20)]
    s = snap(offers=[XS], book=[], own_orders=[own("o", 3_168, 3)], deals=sold)
    _, new = decide(s, trial, ITEM29)
    assert (memory(new).p_settled, memory(new).r_hi, memory(new).r_w) == (True, 6_336, 0.0)
    _, new = decide(s, trial, OFF)
    assert (memory(new).p_settled, memory(new).r_hi) == (True, 0)


def test_a_bound_is_judged_again_at_the_perch_s_rate_when_its_hold_is_renewed() -> None:
    """A committed perch at 1,584 (20 sales in 10 h: 2 an hour) whose hold ran out is held on
    without a check (it leads the market-led 297 / h by far). Its bound 1,700 went unsold for an
    hour: 2 of today's sales, under ``perch_bound_sales`` (3), so with the renewal it is
    re-probed at its own price; off, a bound is judged only at the commit, and it stands."""
    s, state = held_perch(4, perch_ev=[20 * 1_584.0, 20.0, 36_000.0], r_hi=1_700, r_w=3600.0)
    _, new = decide(s, state, {**ITEM29, "check_margin": 2.0})
    m = memory(new)
    assert (m.p_mode, m.p_since) == ("perch", NOW)
    assert (m.p_price, m.r_lo, m.r_hi) == (1_700, 1_584, 1_700)
    _, new = decide(s, state, {**OFF, "check_margin": 2.0})
    m = memory(new)
    assert (m.p_mode, m.p_price, m.r_lo) == ("perch", 1_584, 0)


# item 35: an early first trial that is lost leaves the usual first trial's schedule


def test_a_trial_lost_before_the_usual_first_trial_s_time_falls_due_then() -> None:
    """Seen first at 0, the usual first trial at 6 h: an early trial lost at 4.5 h is followed
    by the usual one at 6 h; one lost at 7 h (or with no usual time kept, 0) backs off."""
    assert early_lost_due(6 * HOUR, 4.5 * HOUR) == 6 * HOUR
    assert early_lost_due(6 * HOUR, 7 * HOUR) is None
    assert early_lost_due(6 * HOUR, 6 * HOUR) is None
    assert early_lost_due(0.0, 4.5 * HOUR) is None


def test_an_offer_first_seen_keeps_the_usual_first_trial_s_time_only_when_on() -> None:
    s = snap(offers=[XS], book=[rival("a", 100)], utilization=util(10, 0))
    _, new = decide(s, perch_state(p_next=None, rivals_out=0.3), {**PERCH, "early_lost_free": True})
    assert (memory(new).p_next, memory(new).p_usual) == (NOW + 7200, NOW + 600)
    _, new = decide(s, perch_state(p_next=None, rivals_out=0.3), PERCH)
    assert (memory(new).p_next, memory(new).p_usual) == (NOW + 7200, 0.0)


def test_a_lost_early_descent_leaves_the_usual_schedule_without_a_back_off() -> None:
    """A descent at 700 steps under its floor (4 x the market-led 99): lost. With the usual
    first trial still ahead (at NOW + 3,000 s) the next trial falls due then and the back-off
    wait is not doubled; off (or with the usual time past) it backs off as before: the next
    trial after max(600, 2 x 600) s and the wait doubled."""
    state = perch_state(
        p_mode="trial", p_since=NOW - 3600, p_price=700, perched=True, p_usual=NOW + 3000
    )
    s = snap(offers=[XS], book=[], own_orders=[own("o", 700, 5)], utilization=util(10, 0))
    quotes, new = decide(s, state, PERCH)
    m = memory(new)
    assert quotes[0].price == 99 and m.p_mode == "market"
    assert (m.p_next, m.p_wait, m.p_usual) == (NOW + 3000, 600, 0.0)
    past = perch_state(
        p_mode="trial", p_since=NOW - 3600, p_price=700, perched=True, p_usual=NOW - 60
    )
    _, new = decide(s, past, PERCH)
    assert (memory(new).p_next, memory(new).p_wait) == (NOW + 1200, 2400)
