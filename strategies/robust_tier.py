"""How fine the perch's refine goes: a ratio read from the perch's own sales (issue #14, item 21).

The best fixed price in hindsight on the train ``stationary`` markets sells the category's top
tier of capped buyers, at the tier's price: generated capped requesters state caps of exactly
1 x, 10 x and 100 x a base, so above a perch the revenue is flat up to the tier's cap and nothing
sells past it. The refine (``robust_ladder.probe_step``) bisects between the perch's price and
the lowest price seen unsold until the two are within ``perch_refine`` (1.1), so it stops up to
10 % under the tier: train 1027 at 588 M nRLC with 641.6 M unsold (tier 639 M), 1014 at 316 M
with 345 M unsold (tier 336 M), for the remaining two days of the run.

Whether one more probe pays is a question of the perch's sales, not a fixed ratio. A probe at the
geometric mean ``mid`` of ``lo`` (sells) and ``hi`` (unsold) costs, when it goes unsold, about
``k`` = ``perch_refine_tasks`` of the perch's sales (the time it waits); when it sells, every
later sale is ``mid / lo - 1`` dearer: over a horizon of ``n`` expected sales, about ``n (mid/lo
- 1)`` sales' worth. Taking the two as equally likely (the tier anywhere in the gap), the probe
pays while ``mid / lo - 1 > k / n``, i.e. while ``hi / lo > (1 + k / n) ** 2``. ``n`` is the
perch's sales rate (its decayed evidence) times ``tier_horizon_seconds``: a perch selling 5 tasks
an hour over 24 h refines to about 3.4 %, a thin one selling one task in 5 hours keeps the coarse
ratio (the refine never goes coarser than ``perch_refine``). ``tier_horizon_seconds = 0`` is off.

Only a committed perch whose unsold bound is strong (``robust_bound.weak_bound`` false: it went
unsold for ``perch_bound_sales`` of the perch's sales) refines finer. In the trial the rate is read
from the first sales (train ``capacity_drop`` 1038: 9-13 an hour in the trial's first hour, 3.5
over the run), and a fine bisection there spent the descent's weak 192 M bound on probes 1 % apart:
the perch stayed at 188 M where item 12's re-probe of that bound at the commit led main to 296 M
(x 0.57). Past a weak bound, the finer bisection ran before item 12's re-probe and a single
unlucky re-probe then capped the perch (1027: 484 M for the rest of the run against 588 M, x 0.85).

Item 21's two other opt-in keys are one-line conditions in ``robust._perch``:
``trial_listed_all`` (a trial level's clock runs only while an order of ours is listed) and
``perch_first_wait_seconds`` (an offer's first trial after this instead of ``perch_wait_seconds``).

Item 28's ``strict_first`` (``perch_first_strict``) gates that early first trial. On train
``undercut_fast`` 1004 the early trial finds the right price (772 M, main's perch 801 M) but loses
its commit check: 5 sales in 5 h against the market-led mode's first hours, the richest of the run;
the lost trial's back-off then meets a moved market and the perch never recovers (x 0.64). There
the rivals' out-of-stock share is under its gate (``perch_out_share``) when the early trial falls
due; on the ``stationary`` markets it gains on, it is over it. Under the gate, the first trial keeps
the usual ``perch_wait_seconds`` schedule.

Item 29 makes the early first trial safe without that gate, with three rules on the perch's
evidence (docs/strategies.md, robust item 29). On 1004 the early trial lost its check because its
refine's probes above the price that sold (1,091.8, 918.1 and 841.9 M nRLC, each unsold for its
1.5 h wait) took 4.5 of its 6 hours: 5 sales over the whole trial against the market-led mode's
first hours, where the same sales over the 1.4 h its own price was quoted beat it three times.
``perch_probe_apart``: the seconds a probe went unsold, decayed as the evidence (``probe_seconds``),
are kept apart, and the commit and the checks read the evidence without them (``own_price_ev``);
the refine's own waits and its bound test still read the whole evidence (read without the probes,
train ``publishers`` 1026's bound was trusted too soon). ``perch_capped_bound``: a trial whose
first price (the rails' cap, 32 x the listed price) sold at once has no unsold level above it, so
the refine never starts (train ``collapse`` 1023: 70 hours at the cap); the level above it, with no
evidence, is its bound (``capped_bound``). ``perch_bound_renew``: item 12's weak-bound test ran
only at the commit and as a probe ended, on a rate read from the perch's first hours (train
``capacity_drop`` 1038: 4.6 sales an hour at the commit, 3.3 by the first renewal); it also runs
each time the perch's hold is renewed (``hold_renewed``).

Item 35's ``early_lost_due`` (``early_lost_free``): an early first trial is exploration on top of
the usual schedule, but a lost one backed off 12 h from its loss, later than the usual first trial
(``perch_wait_seconds``) would have started. On train ``stationary`` 1469 the early trial's
descent (13.76 G nRLC from the rails' cap, levels of ~33 min) found no buyer and was lost at 4.55
h; in the 12 h that followed the markup took the market-led price above ``perch_low`` x the base,
so the gate stayed shut for the run and the 7.35 G perch that the usual 6 h schedule reaches was
never tried (x 0.60). On ``ample`` 1132 the early trial at the rails' ceiling (174 M, where the
perch pays) went unsold for its 18 minutes, and the later trials landed at 22-44 M (x 0.33). So a
trial lost before the usual first trial's time leaves that time as the next trial's.
"""

from __future__ import annotations

import math

__all__ = [
    "capped_bound",
    "early_lost_due",
    "hold_renewed",
    "own_price_ev",
    "probe_seconds",
    "strict_first",
    "tier_ratio",
]


def tier_ratio(ratio: float, *, rate: float, horizon: float, cost: float) -> float:
    """The refine's stopping ratio: ``ratio`` (``perch_refine``), or finer while one more probe
    is worth its expected cost (module doc). ``rate``: the perch's sales per second; ``horizon``:
    seconds its price is expected to be held (0: off, ``ratio`` as is); ``cost``: what a probe
    that goes unsold costs, in the perch's sales (its wait's sales and its two re-signed
    orders' gas)."""
    if horizon <= 0 or rate <= 0 or cost <= 0:
        return ratio
    return min(ratio, (1.0 + cost / (rate * horizon)) ** 2)


def strict_first(
    due: float, now: float, *, share: float, gate: float, first: float, wait: float
) -> float | None:
    """When an early first trial (due ``first`` seconds after the offer was first seen) finds
    the rivals' out-of-stock ``share`` under its ``gate`` as it falls due, the usual first
    wait's end (``wait`` after the offer was first seen; module doc, item 28); None while it is
    not due yet, or when the share passes (the trial may start)."""
    if now < due or share >= gate:
        return None
    return due - first + wait


def early_lost_due(usual: float, now: float) -> float | None:
    """When the next trial falls due after a trial lost at ``now``: the usual first trial's
    time ``usual`` (``perch_wait_seconds`` after the offer was first seen; 0: none kept) if the
    lost trial was an early first one that ended before it, else None (the usual back-off;
    module doc, item 35)."""
    if usual <= 0 or now >= usual:
        return None
    return usual


def probe_seconds(seconds: float, half_life: float) -> float:
    """What a refine probe that just went unsold for ``seconds`` added to the perch's decayed
    evidence time (half-life ``half_life``): its later seconds count more (module doc, item 29)."""
    if seconds <= 0:
        return 0.0
    if half_life <= 0:
        return seconds
    return half_life / math.log(2) * (1.0 - math.pow(0.5, seconds / half_life))


def own_price_ev(ev: list[float], off: float) -> list[float]:
    """The perch's evidence ``ev`` ([nRLC, tasks, seconds], decayed) without the ``off`` seconds
    its refine's unsold probes took (module doc, item 29): the rate of the perch's own price."""
    earned, tasks, secs = ev
    return [earned, tasks, max(secs - off, 0.0)]


def capped_bound(hi: int, price: int, step_down: float) -> int:
    """The refine's unsold bound once a trial's price sold: ``hi`` if its descent left one, else
    the level above ``price`` (``price / step_down``), with no evidence (module doc, item 29)."""
    if hi or price <= 0 or not 0 < step_down < 1:
        return hi
    return int(price / step_down)


def hold_renewed(was_since: float | None, since: float | None, now: float) -> bool:
    """A committed perch's hold was renewed at this decision (held on without a check, or
    confirmed by one): its start moved to ``now`` (module doc, item 29)."""
    return since == now and was_since != now
