"""What a fixed price would have earned, read from our own buyers' caps (issue #14, robust item 40).

On the train ``stationary`` markets robust lists one nRLC under the cheapest rival for days while
the best fixed price in hindsight for XS is the capped buyers' top tier, far above the rivals
(train 1313, 1352, 1456). Our undercut serves every buyer before the rivals run out of stock, so
the book never shows them out and the perch (guard 5) never opens. What the bot does see is each
deal's request order (``Deal.request_maxprice``: the ``workerpoolmaxprice`` the chain adapter
reads from the match's calldata; the simulator copies the request's cap): every buyer we served
says how much it would have paid. This module replays those buyers against a price ``p`` above
ours: a buyer with a cap at or above ``p`` would still have bought, unless a rival cheaper than
``p`` had stock when it came (the marketplace matches the cheapest compatible order first).

Assumptions (each errs towards *less* revenue at ``p``, so the estimate is a floor, not a hope):

* The buyers are the deals of ours that carry a cap (None: not known, left out). Buyers who found
  us out of stock, or whose cap was under our price, are not in them: fewer buyers at ``p``.
  At ``p`` we sell fewer tasks, so our capacity would have bound less often, too.
* A buyer who did not buy does not wait (generated takers and capped buyers have no patience;
  requests that wait are in the request book, which guard 3 reads): a buyer who arrived while a
  cheaper rival had stock is that rival's, and is gone.
* A buyer whose request named our pool (``request_workerpool``) passes over every rival.
* Each rival (a pool and its price) lists ``volume`` tasks and tops its order back up to them
  every ``period_s``, starting full at the window's start: a fixed price posted by a pool that
  lists what its free workers can take. While we undercut it the book cannot show its period
  (it never sells out), so the caller supplies one (a short period: more rival stock, a lower
  estimate), or each rival's own where the book showed it (item 44,
  ``strategies/robust_restock.py``; a rival with none may be taken as never out of stock,
  ``Rival.stocked``). Rivals at or above ``p`` do not matter: buyers take ``p`` first.
* Buyers are served in arrival order, a buyer's tasks from the cheapest rival in stock first.

How robust reads it (``caps_window_seconds``; 0: off): it keeps the window's buyers and every
rival pool seen in it (``remember``, ``remember_rivals``: a rival that sold out is off the book
until its restock, and would serve the buyers of a price above it then), and every
``READ_EVERY_S``, in the perch's market mode once its wait is over, on guard 7's steady market and
with the perch's gate shut, asks ``caps_trial``: a cap that beats the market-led price by
``caps_margin`` opens a trial. The trial starts at the perch's usual top and descends (train
``stationary`` 1014: a trial started at the estimate's cap, a middle tier early in the run,
pre-empted the perch's own discovery of the top tier, x 0.86); the estimate only says that
buyers above the rivals exist, the trial measures what they pay.

**Where a perch sits, read from its buyers' caps** (robust item 43, ``perch_caps_tasks``; 0: off).
At a perch the rivals are out of stock and the buyers who come pay our price whatever it is up to
their cap, so their caps say where the perch should be without a probe: ``perch_at_caps``. On the
train ``stationary`` markets a perch's buyers are one tier of capped requesters stating the same
cap (1404: all 192 tasks sold above the rivals at 272 M nRLC; 1079: 1,890 M; 1027: 639 M), while
the refine (``robust_ladder``) approaches it by unsold probes and stops short: one unlucky unsold
probe becomes its bound for good (1404: 264.3 M went unsold for 51 minutes, under the tier, no
tier buyer arriving in them; the perch held 253.1 M for 60 hours), or a probe inside the
planner's deadband is never listed (1079: 1,873 M and 1,862.9 M over a 1,852.8 M perch, read
unsold). The same caps also say a probe above the tier sells to nobody: train ``collapse`` 1036's
trial sold 464 M under a 475 M tier, its refine's probes at 656, 552 and 506 M went unsold for 90
minutes each, and the trial, its evidence diluted, lost its commit check. The candidates are
``best_price``'s (caps stated by buyers of at least ``tier`` tasks: the tier test keeps a spread of
caps, each a single buyer's, from ratcheting the perch upwards one buyer at a time), with no rival
(at a perch they are out of stock): a tier's cap that would have earned more from the same buyers
than the perch's price raises the perch to it.

Pure: deals and book entries in, integers out; no clock, no state.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.model import BookEntry, Deal

# How often robust reads the estimate (seconds): a replay per candidate cap, not per decision.
READ_EVERY_S = 1800.0

__all__ = [
    "READ_EVERY_S",
    "Buyer",
    "Rival",
    "best_price",
    "buyers_of",
    "caps_trial",
    "earned",
    "kept_buyers",
    "perch_at_caps",
    "remember",
    "remember_rivals",
    "rivals_of",
    "tasks_by_cap",
    "tier_pace",
]


@dataclass(frozen=True, slots=True)
class Buyer:
    """One deal of ours as the demand it reveals: when, the buyer's cap, how many tasks."""

    at: float
    cap: int
    volume: int
    captive: bool = False  # its request named our pool: no rival serves it


@dataclass(frozen=True, slots=True)
class Rival:
    """A rival's supply: ``volume`` tasks at ``price``, restocked every ``period_s``."""

    price: int
    volume: int
    period_s: float
    stocked: bool = (
        False  # never out of stock (item 44: a rival whose period the book never showed)
    )


def buyers_of(
    deals: Iterable[Deal], workerpool: str, category: int, tag: int, since: float
) -> tuple[Buyer, ...]:
    """Our deals in ``category`` with ``tag`` made after ``since`` whose buyer's cap is known, in
    time order."""
    pool = workerpool.lower()
    out = [
        Buyer(d.at, d.request_maxprice, d.volume, d.request_workerpool == pool)
        for d in deals
        if d.request_maxprice is not None
        and d.workerpool.lower() == pool
        and d.category == category
        and d.tag == tag
        and d.at > since
    ]
    return tuple(sorted(out, key=lambda b: b.at))


def rivals_of(
    kept: Mapping[str, Sequence[float]],
    period_s: float,
    periods: Mapping[str, float | None] | None = None,
) -> tuple[Rival, ...]:
    """The remembered rivals (``remember_rivals``) as supplies restocking every ``period_s``, or
    each at its own period where ``periods`` has it (item 44, strategies/robust_restock.py; None:
    never out of stock)."""
    out = []
    for pool, v in sorted(kept.items()):
        own = period_s if periods is None else periods.get(pool, period_s)
        if own is None:
            out.append(Rival(int(v[0]), int(v[1]), period_s, stocked=True))
        else:
            out.append(Rival(int(v[0]), int(v[1]), own))
    return tuple(out)


def remember_rivals(
    kept: Mapping[str, Sequence[float]], book: Iterable[BookEntry], now: float, window: float
) -> dict[str, list[float]]:
    """The rivals kept in robust's state: pool -> ``[price, volume, last seen]``, its cheapest
    order in ``book`` (the offer's competitors now) and the largest volume listed at that price,
    for every pool seen in the last ``window``. A rival that sold out is off the book until its
    restock, and it would serve the buyers of a price above it then: it is not forgotten."""
    out = {k: list(v) for k, v in kept.items() if now - v[2] <= window}
    for e in book:
        pool = e.workerpool.lower()
        old = out.get(pool)
        if old is None or old[2] < now or e.price < old[0]:
            out[pool] = [float(e.price), float(e.volume), now]
        elif e.price == old[0]:
            old[1] = max(old[1], float(e.volume))
    return out


def earned(price: int, buyers: Sequence[Buyer], rivals: Sequence[Rival], start: float) -> int:
    """Revenue (nRLC) of a fixed ``price`` from ``buyers`` (time order, after ``start``), the
    rivals cheaper than it serving each buyer first while they have stock."""
    under = sorted((r for r in rivals if r.price < price and r.period_s > 0), key=lambda r: r.price)
    stock = [r.volume for r in under]
    restock = [start + r.period_s for r in under]
    sold = 0
    for b in buyers:
        left = b.volume
        if not b.captive:
            for i, r in enumerate(under):
                if r.price > b.cap:
                    break
                if b.at >= restock[i]:
                    stock[i] = r.volume
                    restock[i] += r.period_s * (1 + math.floor((b.at - restock[i]) / r.period_s))
                take = left if r.stocked else min(left, stock[i])
                if not r.stocked:
                    stock[i] -= take
                left -= take
                if left == 0:
                    break
        if b.cap >= price:
            sold += left
    return sold * price


def best_price(
    buyers: Sequence[Buyer], rivals: Sequence[Rival], start: float, least: int, tier: int = 1
) -> tuple[int, int]:
    """The price at or above ``least`` (the price we list: the comparison's baseline) that would
    have earned most, and its revenue. Candidates: ``least`` and every cap above it stated by
    buyers of at least ``tier`` tasks (between two caps the revenue only grows with the price; a
    cap one buyer stated is that buyer, not a tier of the demand). Ties go to the lower price."""
    tasks = tasks_by_cap(b for b in buyers if b.cap > least)
    best = (least, earned(least, buyers, rivals, start))
    for cap in sorted(c for c, n in tasks.items() if n >= tier):
        got = earned(cap, buyers, rivals, start)
        if got > best[1]:
            best = (cap, got)
    return best


def remember(
    rows: Sequence[Sequence[float]],
    deals: Iterable[Deal],
    workerpool: str,
    category: int,
    tag: int,
    now: float,
    window: float,
) -> list[list[float]]:
    """The buyers kept in robust's state (``[at, cap, tasks, named]`` rows, time order): ``rows``
    younger than ``window``, plus the buyers of ``deals`` (the deals since the last decision)."""
    cut = now - window
    # A stored row is a list nobody changes in place (read by kept_buyers, flattened by
    # OfferMemory.to_json): it is kept as it is, not copied (hundreds a tick per offer).
    kept = [r if type(r) is list else list(r) for r in rows if r[0] > cut]
    for b in buyers_of(deals, workerpool, category, tag, cut):
        kept.append([b.at, float(b.cap), float(b.volume), 1.0 if b.captive else 0.0])
    return kept


def kept_buyers(rows: Sequence[Sequence[float]], start: float) -> list[Buyer]:
    """The buyers of :func:`remember`'s rows younger than ``start``, as :class:`Buyer`."""
    return [Buyer(r[0], int(r[1]), int(r[2]), r[3] > 0) for r in rows if r[0] > start]


def tier_pace(buyers: Sequence[Buyer], level: int, since: float) -> tuple[int, float] | None:
    """How often the tier at ``level`` came before ``since``: the tasks of ``buyers`` bought
    before it whose cap is at or above the level, and the span from the first of all those
    buyers to ``since`` (None: no buyer before it). Items 57 and 66 judge an unsold level by
    it (robust_tieropen.tier_ends, robust_hold.tier_holds)."""
    before = [b for b in buyers if b.at < since]
    if not before:
        return None
    return sum(b.volume for b in before if b.cap >= level), since - min(b.at for b in before)


def tasks_by_cap(buyers: Iterable[Buyer]) -> dict[int, int]:
    """How many tasks ``buyers`` bought at each cap they stated: a cap stated by buyers of at
    least ``tier`` tasks is a tier of the demand, one buyer's is that buyer (``best_price``,
    ``robust_vouch``, ``robust_tierstart``)."""
    tasks: dict[int, int] = {}
    for b in buyers:
        tasks[b.cap] = tasks.get(b.cap, 0) + b.volume
    return tasks


def caps_trial(
    rows: Sequence[Sequence[float]],
    kept: Mapping[str, Sequence[float]],
    price: int,
    *,
    start: float,
    period_s: float,
    margin: float,
    tier: int,
    periods: Mapping[str, float | None] | None = None,
) -> int | None:
    """The cap a perch trial should start at, or None: the best price of the remembered buyers
    (``rows``, since ``start``) against the remembered rivals (``kept``) restocking every
    ``period_s`` (or each at its own, ``periods``: item 44),
    when it would have earned more than ``margin`` x what ``price`` (the market-led price) earned
    from the same buyers against the same rivals."""
    buyers = kept_buyers(rows, start)
    rivals = rivals_of(kept, period_s, periods)
    best, got = best_price(buyers, rivals, start, price, tier)
    if best <= price or got <= margin * earned(price, buyers, rivals, start):
        return None
    return best


def perch_at_caps(buyers: Sequence[Buyer], price: int, hi: int, tier: int) -> tuple[int, int]:
    """Where a perch at ``price`` should sit, and its refine's unsold bound, read from the caps of
    its ``buyers`` (our deals of the window; module doc, robust item 43): ``(price, hi)``, both
    unchanged when the caps say nothing new.

    The price rises to the best cap (``best_price`` with no rival: the buyers who came at a perch
    found the rivals out) stated by buyers of at least ``tier`` tasks. ``hi`` (the lowest price
    seen unsold, 0: none) is dropped (0) once the new price reaches it: the buyers who stated the
    cap would have bought there, so the unsold time was bad luck or an order never listed. It
    becomes the price + 1 when buyers of at least ``tier`` tasks would buy at the price and none
    stated more: a price above it would have sold to none of them, evidence as strong as a probe
    left unsold for that many of the perch's sales.
    """
    if tier <= 0 or price <= 0:
        return price, hi
    above = [b for b in buyers if b.cap >= price]
    best, _ = best_price(above, (), 0.0, price, tier)
    if best > price and 0 < hi <= best:
        hi = 0
    at = sum(b.volume for b in above if b.cap >= best)
    if at >= tier and not any(b.cap > best for b in above) and (hi == 0 or hi > best + 1):
        hi = best + 1
    return best, hi
