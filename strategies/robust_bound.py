"""The perch's unsold bound carries its evidence (guard 5's ladder, ``perch_bound_sales``; #14).

Pure helpers of ``strategies.robust``'s perch refine (``strategies.robust_ladder``), kept apart
so that the refine's search can change without touching the other guards.

**Why.** The refine bisects between the perch's price, which sells, and the lowest price seen
unsold, treated as an upper bound for good. But an unsold price is only evidence in proportion
to how many sales the perch would have made in the time it was listed. A trial's descent holds
each level only as long as the market-led price took to sell a few tasks, and when that price
sells fast (a busy start) a level lasts 15 minutes; a refine probe waits as long as the perch
took to sell ``perch_refine_tasks``, measured on the perch's first hours, which can be a burst.
Train ``stationary`` 1027 (reference XS at 639 M nRLC): the descent's 539 M level went unsold
for its 15 minutes, the trial sold at 270 M, the refine found 454 M and then left 495 M unsold
after 26 minutes, at a rate the perch's first hour showed (7 tasks per hour); the perch then sold
the very tasks the reference sold (the caps were all above 639 M) at 1.5 per hour, 29 % under
the tier for the remaining 60 hours.

**The rule.** The lowest unsold price remembers for how long it went unsold. When the refine
converges (its last probe ended and the bound is within ``perch_refine`` of the perch), if the
perch's sales rate then (its evidence, tasks per second) times that time is under
``perch_bound_sales`` (3: an unsold window that long misses a buyer who is there e^-3 = 5 % of
the time; the refine's own probes wait ``perch_refine_tasks``, 2 sales, 14 %), the bound is weak: it is probed again, at its own price, until the unsold time reaches that many
of the perch's sales (at most the refine's wait per re-probe, after which the bound is trusted at
today's rate, as the refine trusts its own probes). A sale there makes it the perch
and the next level of the descent above it (the price over ``perch_step_down``) the new bound,
with no evidence, so the bisection goes on upward; no sale adds the re-probe's time to the
bound's evidence. A strong bound (one a probe held for ``perch_refine_tasks`` of a rate that
has not risen since) is never re-probed, so a perch whose first search was right pays nothing.
"""

from __future__ import annotations

from strategies.robust_ladder import Probe, probe_step

__all__ = ["bound_step", "weak_bound"]


def weak_bound(unsold_seconds: float, rate: float, sales: float) -> bool:
    """An unsold price is weak evidence while the perch (``rate`` tasks per second) would have
    sold fewer than ``sales`` tasks in the ``unsold_seconds`` it went unsold (``sales`` 0: off)."""
    return sales > 0 and rate > 0 and rate * unsold_seconds < sales


def bound_step(
    probe: Probe,
    unsold: float,
    *,
    now: float,
    sold_at_price: bool,
    wait: float,
    ratio: float,
    rate: float,
    sales: float,
    step_down: float,
    committed: bool,
    fresh: bool,
) -> tuple[Probe, float]:
    """One decision of the refine (``robust_ladder.probe_step``) whose bound carries its
    evidence (module doc): returns the next probe and how long its ``hi`` went unsold.

    A re-probe of a weak bound is a probe at the bound's own price (``price == hi``, with the
    perch's price as ``lo``); ``wait`` caps one re-probe as it caps a refine probe. A bound is
    judged when the perch is committed (``fresh``: its first decision as a committed perch,
    also after a check) or when a refine probe of a committed perch ends, and only while
    ``committed`` may a re-probe start: a re-probe during the trial dilutes the
    evidence the commit is judged on (train 1079: a 1.5 h unsold re-probe lost a paying
    perch's commit, and the market's path with it, x 0.88).
    """
    if sales > 0 and probe.lo and probe.price == probe.hi:
        if sold_at_price:
            return Probe(probe.price, 0, int(probe.price / step_down), now), 0.0
        waited = now - probe.at
        if rate * (unsold + waited) >= sales:
            return Probe(probe.lo, 0, probe.hi, now), unsold + waited
        if waited >= wait:
            # the refine's longest wait, as its own probes: trusted at today's rate (no loop)
            return Probe(probe.lo, 0, probe.hi, now), max(
                unsold + waited, sales / rate if rate > 0 else 0.0
            )
        return probe, unsold
    nxt = probe_step(probe, now=now, sold_at_price=sold_at_price, wait=wait, ratio=ratio)
    if nxt.hi != probe.hi:
        unsold = now - probe.at  # a probe went unsold for its wait: the new bound's evidence
    # judged once, as the bisection converges (a probe just ended): a bound is not re-judged
    # each time the perch's rate moves a little (each re-probe is two jumps)
    ended = bool(probe.lo) and not nxt.lo
    converged = (
        committed
        and (fresh or ended)
        and not nxt.lo
        and probe_step(nxt, now=now, sold_at_price=False, wait=wait, ratio=ratio) == nxt
    )
    if converged and nxt.hi > nxt.price and weak_bound(unsold, rate, sales):
        return Probe(nxt.hi, nxt.price, nxt.hi, now), unsold
    return nxt, unsold
