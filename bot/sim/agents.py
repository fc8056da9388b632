"""Simulated market participants: competitor pools, requesters and the matching rule.

Written once and driven two ways: the backtest simulator calls them in-process at full speed, and
the sandbox drives the very same models against the real local marketplace and chain. So they are
pure: standard library and ``bot.domain.model`` only, time comes in as an argument, and every random draw
comes from the ``random.Random`` they are handed (same seed, same market).

Competitors carry their own small state (a random walk has to remember where it is); nothing is
global. Requesters produce *intents* (what a request order would say); whoever drives them turns an
intent into a request order (sandbox) or matches it directly (simulator) with :func:`match`, which
follows the marketplace's sort (price asc, then publication time, then order hash) and the PoCo
compatibility checks (category, trust, tag inclusion, restrictions, price <= max price).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.domain.errors import InputError
from bot.domain.model import ZERO_ADDRESS, BookEntry, Deal, Quote, pool_order_fits

__all__ = [
    "DAY_S",
    "CompetitorModel",
    "EnteringLeaving",
    "Fill",
    "FixedCompetitor",
    "IntDist",
    "PriceDist",
    "RandomWalkCompetitor",
    "RequestIntent",
    "RequesterKind",
    "RequesterModel",
    "UndercutCompetitor",
    "best_price",
    "compatible",
    "match",
    "poisson",
    "sort_key",
]

DAY_S = 86_400.0

RequesterKind = Literal["captive", "free_only", "taker", "capped", "publisher"]


# --------------------------------------------------------------------------- random helpers


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw; Knuth for small means, a rounded normal beyond (the stdlib has none)."""
    if lam <= 0.0:
        return 0
    if lam < 30.0:
        limit = math.exp(-lam)
        k = 0
        p = rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


@dataclass(frozen=True, slots=True)
class PriceDist:
    """A max-price (or willingness-to-pay) distribution in integer nRLC.

    ``fixed``: ``value``; ``uniform`` / ``loguniform``: between ``low`` and ``high``; ``choice``:
    one of ``values`` with ``weights``. Log-uniform is the calibration's shape for posted-price
    takers (0.005-0.5 RLC), where willingness to pay spans orders of magnitude.
    """

    kind: Literal["fixed", "uniform", "loguniform", "choice"] = "fixed"
    value: int = 0
    low: int = 0
    high: int = 0
    values: tuple[int, ...] = ()
    weights: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind in ("uniform", "loguniform") and not 0 <= self.low <= self.high:
            raise InputError("price.low/high", "need 0 <= low <= high", (self.low, self.high))
        if self.kind == "loguniform" and self.low <= 0:
            raise InputError("price.low", "must be > 0 for a log-uniform draw", self.low)
        if self.kind == "choice":
            if not self.values or (self.weights and len(self.weights) != len(self.values)):
                raise InputError("price.values", "need values, and one weight per value")
            if any(v < 0 for v in self.values):
                raise InputError("price.values", "must be >= 0", self.values)
        if self.kind == "fixed" and self.value < 0:
            raise InputError("price.value", "must be >= 0", self.value)

    def sample(self, rng: random.Random) -> int:
        if self.kind == "fixed":
            return self.value
        if self.kind == "uniform":
            return rng.randint(self.low, self.high)
        if self.kind == "loguniform":
            return int(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        weights = list(self.weights) if self.weights else None
        return rng.choices(self.values, weights=weights)[0]

    @property
    def maximum(self) -> int:
        if self.kind == "fixed":
            return self.value
        if self.kind in ("uniform", "loguniform"):
            return self.high
        return max(self.values)


@dataclass(frozen=True, slots=True)
class IntDist:
    """A volume distribution: ``low`` == ``high`` is a constant; ``log`` draws log-uniformly."""

    low: int = 1
    high: int = 1
    log: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.low <= self.high:
            raise InputError("volume", "need 1 <= low <= high", (self.low, self.high))

    def sample(self, rng: random.Random) -> int:
        if self.low == self.high:
            return self.low
        if self.log:
            return int(math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1))))
        return rng.randint(self.low, self.high)


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True, slots=True)
class RequestIntent:
    """What one request order says. ``workerpool`` is a restriction: ZERO_ADDRESS = any pool.

    ``max_price`` is what the requester would pay per task at most (its willingness to pay for a
    posted-price taker, 0 for free-only); ``patience_s`` is how long an unmatched remainder stays in
    the request book before the requester gives up.
    """

    at: float
    requester: str
    kind: RequesterKind
    category: int
    max_price: int
    volume: int
    tag: int = 0
    trust: int = 0
    workerpool: str = ZERO_ADDRESS
    app: str = ZERO_ADDRESS
    dataset: str = ZERO_ADDRESS
    patience_s: float = 0.0
    adversarial: bool = False

    def deal(self, deal_id: str, workerpool: str, price: int, volume: int, at: float) -> Deal:
        """The deal this request makes with a workerpool order (posted or one of our fills):
        the request's category, tag and app; trust at least 1, as PoCo records it; the request's
        workerpool field and max price, as the chain adapter reads them from the match's calldata."""
        return Deal(
            deal_id=deal_id,
            workerpool=workerpool,
            price=price,
            volume=volume,
            category=self.category,
            tag=self.tag,
            trust=max(self.trust, 1),
            at=at,
            requester=self.requester,
            app=self.app,
            request_workerpool=self.workerpool,
            request_maxprice=self.max_price,
        )


@dataclass(frozen=True, slots=True)
class Fill:
    """Part of an intent matched against one order (one PoCo deal)."""

    order_hash: str
    workerpool: str
    price: int
    volume: int
    published: bool


def sort_key(entry: BookEntry) -> tuple[int, float, str]:
    """The marketplace's order: cheapest first, then earliest published, then order hash."""
    return (entry.price, entry.published_at, entry.order_hash)


def compatible(intent: RequestIntent, entry: BookEntry) -> bool:
    """PoCo's matchOrders checks that concern a workerpool order, plus the requester's price cap."""
    return (
        entry.remaining > 0
        and entry.category == intent.category
        and pool_order_fits(intent.tag, intent.trust, entry.tag, entry.trust)
        and (intent.workerpool == ZERO_ADDRESS or intent.workerpool == entry.workerpool)
        and entry.price <= intent.max_price
        and (entry.apprestrict == ZERO_ADDRESS or entry.apprestrict == intent.app)
        and (entry.datasetrestrict == ZERO_ADDRESS or entry.datasetrestrict == intent.dataset)
        and (entry.requesterrestrict == ZERO_ADDRESS or entry.requesterrestrict == intent.requester)
    )


def match(
    intent: RequestIntent,
    volume: int,
    listed: Iterable[BookEntry],
    hidden: Iterable[BookEntry] = (),
) -> list[Fill]:
    """Fill up to ``volume`` tasks from the cheapest compatible orders, marketplace order.

    ``hidden`` holds orders that are unpublished but still valid on chain: only an adversarial
    intent (one that kept the signed order when it was public) can take them. Remaining volumes in
    the returned fills are the caller's to apply; the entries are not changed.
    """
    pool: list[tuple[BookEntry, bool]] = [(e, True) for e in listed if compatible(intent, e)]
    if intent.adversarial:
        pool.extend((e, False) for e in hidden if compatible(intent, e))
    if not pool:
        return []
    pool.sort(key=lambda p: sort_key(p[0]))
    fills: list[Fill] = []
    left = volume
    for entry, published in pool:
        if left <= 0:
            break
        take = min(left, entry.remaining)
        fills.append(Fill(entry.order_hash, entry.workerpool, entry.price, take, published))
        left -= take
    return fills


def best_price(
    book: Iterable[BookEntry], category: int, tag: int = 0, exclude_pool: str | None = None
) -> int | None:
    """Cheapest public order a requester with ``tag`` would see in ``category``, or None."""
    best: int | None = None
    for e in book:
        if (
            e.category != category
            or e.remaining <= 0
            or e.is_restricted
            or tag & ~e.tag
            or e.workerpool == exclude_pool
        ):
            continue
        if best is None or e.price < best:
            best = e.price
    return best


# --------------------------------------------------------------------------- competitors


class CompetitorModel(Protocol):
    """A competing pool: what it wants listed now, given the visible book.

    ``period_s`` is how often it reprices; whoever drives it calls :meth:`quotes` that often and
    replaces the pool's orders when the answer changes (filled volume is topped up then too).
    """

    @property
    def pool(self) -> str: ...

    @property
    def period_s(self) -> float: ...

    def quotes(self, now: float, book: Sequence[BookEntry], rng: random.Random) -> list[Quote]: ...


@dataclass(slots=True)
class FixedCompetitor:
    """A pool with a posted price, like the iExec order-publisher container."""

    pool: str
    category: int
    price: int
    volume: int = 1
    tag: int = 0
    trust: int = 0
    apprestrict: str = ZERO_ADDRESS
    requesterrestrict: str = ZERO_ADDRESS
    period_s: float = 60.0

    def quotes(self, now: float, book: Sequence[BookEntry], rng: random.Random) -> list[Quote]:
        return [
            Quote(
                category=self.category,
                price=self.price,
                volume=self.volume,
                tag=self.tag,
                trust=self.trust,
                apprestrict=self.apprestrict,
                requesterrestrict=self.requesterrestrict,
                reason="fixed",
            )
        ]


@dataclass(slots=True)
class UndercutCompetitor:
    """Undercuts the cheapest other public order by ``step``; at ``floor`` it resets to ``ceiling``.

    The reset makes the Edgeworth cycle of a price war: prices ratchet down to the floor, one pool
    gives up and jumps back up, the others follow it up from below. With ``reset`` False it stays
    at its floor instead (a follower that never gives up), and rises again only by following a
    cheaper order that moved up.
    """

    pool: str
    category: int
    floor: int
    ceiling: int
    step: int
    volume: int = 1
    tag: int = 0
    trust: int = 0
    period_s: float = 300.0
    price: int | None = None
    reset: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.floor <= self.ceiling:
            raise InputError("competitor.floor", "need 0 <= floor <= ceiling")
        if self.step < 1:
            raise InputError("competitor.step", "must be >= 1", self.step)

    def quotes(self, now: float, book: Sequence[BookEntry], rng: random.Random) -> list[Quote]:
        other = best_price(book, self.category, self.tag, exclude_pool=self.pool)
        if other is None:
            target = self.ceiling
        elif other - self.step < self.floor:
            target = self.ceiling if self.reset else self.floor
        else:
            target = min(self.ceiling, other - self.step)
        self.price = target
        return [
            Quote(
                category=self.category,
                price=target,
                volume=self.volume,
                tag=self.tag,
                trust=self.trust,
                reason="undercut",
            )
        ]


@dataclass(slots=True)
class RandomWalkCompetitor:
    """A geometric random walk with relative step ``sigma`` per period, kept in [floor, ceiling]."""

    pool: str
    category: int
    start: int
    floor: int
    ceiling: int
    sigma: float = 0.05
    volume: int = 1
    tag: int = 0
    trust: int = 0
    period_s: float = 600.0
    price: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.floor <= self.start <= self.ceiling:
            raise InputError("competitor.start", "need floor <= start <= ceiling")

    def quotes(self, now: float, book: Sequence[BookEntry], rng: random.Random) -> list[Quote]:
        if self.price is None:
            self.price = self.start
        else:
            moved = int(self.price * math.exp(rng.gauss(0.0, self.sigma)))
            self.price = min(self.ceiling, max(self.floor, moved))
        return [
            Quote(
                category=self.category,
                price=self.price,
                volume=self.volume,
                tag=self.tag,
                trust=self.trust,
                reason="random walk",
            )
        ]


@dataclass(slots=True)
class EnteringLeaving:
    """Wraps a competitor that is only in the market part of the time.

    Either explicit ``windows`` (start, end) in seconds since the scenario start ``origin``, or
    random spells: exponential durations with means ``mean_on_s`` / ``mean_off_s``. Out of the market
    it wants nothing listed (its orders are withdrawn).
    """

    inner: FixedCompetitor | UndercutCompetitor | RandomWalkCompetitor
    origin: float = 0.0
    windows: tuple[tuple[float, float], ...] = ()
    mean_on_s: float = 0.0
    mean_off_s: float = 0.0
    active: bool = True
    next_switch: float | None = None

    @property
    def pool(self) -> str:
        return self.inner.pool

    @property
    def period_s(self) -> float:
        return self.inner.period_s

    def is_active(self, now: float, rng: random.Random) -> bool:
        if self.windows:
            t = now - self.origin
            return any(a <= t < b for a, b in self.windows)
        if self.mean_on_s <= 0 or self.mean_off_s <= 0:
            return True
        if self.next_switch is None:
            self.next_switch = now + rng.expovariate(1.0 / self.mean_on_s)
        while now >= self.next_switch:
            self.active = not self.active
            mean = self.mean_on_s if self.active else self.mean_off_s
            self.next_switch += rng.expovariate(1.0 / mean)
        return self.active

    def quotes(self, now: float, book: Sequence[BookEntry], rng: random.Random) -> list[Quote]:
        if not self.is_active(now, rng):
            return []
        return self.inner.quotes(now, book, rng)


# --------------------------------------------------------------------------- requesters


@dataclass(frozen=True, slots=True)
class RequesterModel:
    """A population of requesters of one kind sending request orders to one category.

    Arrivals are Poisson with a time-varying rate: ``rate_per_min`` x (1 + ``daily_amplitude`` x
    sin(2 pi (t - origin) / day)) x the multiplier of any surge window covering t. A burst
    requester is a low rate with a large ``volume`` (a compound Poisson stream).

    Kinds: ``captive`` only matches ``target_pool``; ``free_only`` has max price 0; ``taker`` takes
    the cheapest compatible order if it is within a willingness to pay drawn from ``max_price``;
    ``capped`` states an explicit cap drawn from ``max_price``; ``publisher`` posts its request
    order and waits (``iexec app request-execution``): it never matches anything itself, so it
    sits in the request book for ``patience_s`` and only a pool that fills it (``matchOrders``)
    serves it; a posted workerpool order does not.
    """

    name: str
    kind: RequesterKind
    category: int
    rate_per_min: float
    max_price: PriceDist = field(default_factory=PriceDist)
    volume: IntDist = field(default_factory=IntDist)
    tag: int = 0
    trust: int = 0
    target_pool: str = ZERO_ADDRESS
    requester: str = ZERO_ADDRESS
    app: str = ZERO_ADDRESS
    dataset: str = ZERO_ADDRESS
    daily_amplitude: float = 0.0
    surges: tuple[tuple[float, float, float], ...] = ()  # (start_s, end_s, multiplier)
    patience_s: float = 0.0
    adversarial_share: float = 0.0
    origin: float = 0.0

    def __post_init__(self) -> None:
        if self.rate_per_min < 0:
            raise InputError(f"requesters.{self.name}.rate_per_min", "must be >= 0")
        if not 0.0 <= self.daily_amplitude <= 1.0:
            raise InputError(f"requesters.{self.name}.daily_amplitude", "must be in [0, 1]")
        if self.kind == "captive" and self.target_pool == ZERO_ADDRESS:
            raise InputError(f"requesters.{self.name}.target_pool", "a captive needs a pool")
        if self.kind == "free_only" and self.max_price.maximum != 0:
            raise InputError(f"requesters.{self.name}.max_price", "free-only means max price 0")
        if self.kind == "publisher" and self.patience_s <= 0:
            raise InputError(f"requesters.{self.name}.patience_s", "a publisher waits: must be > 0")
        if not 0.0 <= self.adversarial_share <= 1.0:
            raise InputError(f"requesters.{self.name}.adversarial_share", "must be in [0, 1]")

    def rate_at(self, t: float) -> float:
        """Expected arrivals per minute at time ``t``."""
        rate = self.rate_per_min
        rel = t - self.origin
        if self.daily_amplitude:
            rate *= 1.0 + self.daily_amplitude * math.sin(2.0 * math.pi * rel / DAY_S)
        for start, end, mult in self.surges:
            if start <= rel < end:
                rate *= mult
        return rate

    def arrivals(self, t0: float, t1: float, rng: random.Random) -> list[RequestIntent]:
        """Request intents arriving in [t0, t1), the rate taken at the interval's midpoint."""
        if t1 <= t0 or self.rate_per_min <= 0:
            return []
        n = poisson(rng, self.rate_at((t0 + t1) / 2.0) * (t1 - t0) / 60.0)
        return [self.intent(t0 + rng.random() * (t1 - t0), rng) for _ in range(n)]

    def intent(self, at: float, rng: random.Random) -> RequestIntent:
        price = 0 if self.kind == "free_only" else self.max_price.sample(rng)
        adversarial = self.adversarial_share > 0 and rng.random() < self.adversarial_share
        return RequestIntent(
            at=at,
            requester=self.requester,
            kind=self.kind,
            category=self.category,
            max_price=price,
            volume=self.volume.sample(rng),
            tag=self.tag,
            trust=self.trust,
            workerpool=self.target_pool if self.kind == "captive" else ZERO_ADDRESS,
            app=self.app,
            dataset=self.dataset,
            patience_s=self.patience_s,
            adversarial=adversarial,
        )
