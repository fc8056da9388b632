"""Everything one pricing decision may look at, frozen and stamped with its time.

The snapshot is the only input of a strategy besides its own state and a seeded generator, so the
live service, the sandbox and the backtester only have to agree on how to build one. It is built
once per cycle by :func:`build_snapshot` from the raw parts the samplers fetched; the per-offer
views (competitors as a requester with our tag sees them, compatible demand) are computed there
once, so strategies, rails and planner can read them many times for free.

Staleness is decided here, not in the strategies: a part older than ``stale_after`` (or never
sampled) is listed in ``stale``, and a stale utilization reading is dropped (``utilization`` is
``None``) so nobody sizes volume from it by accident. The rails turn staleness into a kill switch.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace

from bot.domain.errors import InputError
from bot.domain.fill_orders import FillBook
from bot.domain.model import (
    ZERO_ADDRESS,
    BookEntry,
    Deal,
    MarketStatus,
    OwnOrder,
    PoolUtilization,
    RequestOrderView,
    Slot,
    Stake,
    norm_address,
    pool_order_fits,
)
from bot.pricing.runtimes import TaskBoard

__all__ = [
    "GPU_TAG_BIT",
    "PARTS",
    "STANDARD_TIME_REFS",
    "MarketSnapshot",
    "Offer",
    "build_snapshot",
    "compatible_requests",
    "competing_orders",
]

# The parts of a snapshot whose freshness is tracked, by the names used in ``ages``/``stale``.
PARTS: tuple[str, ...] = ("book", "requests", "deals", "utilization", "own_orders", "stake")

# workClockTimeRef of the standard PoCo categories (poco-contracts.md section 4); an offer in
# another category must give its own.
STANDARD_TIME_REFS: dict[int, int] = {0: 300, 1: 1200, 2: 3600, 3: 10800, 4: 36000}

GPU_TAG_BIT = 8


@dataclass(frozen=True, slots=True)
class Offer:
    """One thing the pool sells: the config's ``[[offers]]`` entry.

    ``task_seconds`` is the owner's expected run time of one task in this offer; with the
    category's contribution window (7 x workClockTimeRef) it decides how many tasks one free slot
    can take on (bot.pricing.ledger). ``max_volume`` caps what is ever listed for this offer.
    """

    category: int
    task_seconds: float
    max_volume: int
    tag: int = 0
    trust: int = 0
    work_clock_time_ref: int = 0  # 0: the standard PoCo value for ``category``
    apprestrict: str = ZERO_ADDRESS
    datasetrestrict: str = ZERO_ADDRESS
    requesterrestrict: str = ZERO_ADDRESS
    # Apps whose requests we may fill for this offer (bot.pricing.fills): a request the pool cannot run
    # (framework, input files, result storage) fails and forfeits the stake, so none by default.
    fill_apps: tuple[str, ...] = ()
    # Derived once (read several times per slot per tick): the slot, whether the offer is
    # for GPUs, and the tasks one slot can finish inside the contribution window.
    slot: Slot = field(init=False, repr=False, compare=False)
    gpu: bool = field(init=False, repr=False, compare=False)
    starts_per_slot: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.category, bool) or not isinstance(self.category, int):
            raise InputError("offers.category", "must be an integer", self.category)
        if self.category < 0:
            raise InputError("offers.category", "must be >= 0", self.category)
        if not self.task_seconds > 0:
            raise InputError("offers.task_seconds", "must be > 0 seconds", self.task_seconds)
        if isinstance(self.max_volume, bool) or not isinstance(self.max_volume, int):
            raise InputError("offers.max_volume", "must be an integer", self.max_volume)
        if self.max_volume < 0:
            raise InputError("offers.max_volume", "must be >= 0", self.max_volume)
        if not 0 <= self.tag < 2**256:
            raise InputError("offers.tag", "must fit in bytes32", self.tag)
        if self.trust < 0:
            raise InputError("offers.trust", "must be >= 0", self.trust)
        if self.work_clock_time_ref == 0:
            ref = STANDARD_TIME_REFS.get(self.category)
            if ref is None:
                raise InputError(
                    "offers.work_clock_time_ref",
                    f"required for category {self.category} (not a standard PoCo category)",
                )
            object.__setattr__(self, "work_clock_time_ref", ref)
        elif self.work_clock_time_ref < 0:
            raise InputError(
                "offers.work_clock_time_ref", "must be > 0 seconds", self.work_clock_time_ref
            )
        for name in ("apprestrict", "datasetrestrict", "requesterrestrict"):
            object.__setattr__(self, name, str(getattr(self, name)).lower())
        object.__setattr__(
            self,
            "fill_apps",
            tuple(norm_address(a, "offers.fill_apps") for a in self.fill_apps),
        )
        # ``slot``: where this offer's quotes and orders live (equal to ``Quote.slot``).
        slot = Slot(
            self.category,
            self.tag,
            self.trust,
            self.apprestrict,
            self.datasetrestrict,
            self.requesterrestrict,
        )
        object.__setattr__(self, "slot", slot)
        object.__setattr__(self, "gpu", bool(self.tag >> GPU_TAG_BIT & 1))
        starts = int(self.contribution_window // self.task_seconds)
        object.__setattr__(self, "starts_per_slot", starts)

    @property
    def contribution_window(self) -> int:
        """Seconds from the match by which a task must be contributed (7 x workClockTimeRef)."""
        return 7 * self.work_clock_time_ref


def competing_orders(
    book: Iterable[BookEntry], category: int, tag: int, workerpool: str
) -> tuple[BookEntry, ...]:
    """Open orders of other pools that a requester asking for ``tag`` in ``category`` can match.

    Same rule as ``GET /workerpoolorders?category=C&minTag=T``: every bit of our tag must be in
    theirs. Restricted orders are kept (the market lists them with ``requester=any``); strategies
    decide whether to ignore them. Sorted cheapest first, then earliest, as the market sorts.
    """
    out = [
        e
        for e in book
        if e.category == category
        and e.tag & tag == tag
        and e.workerpool != workerpool
        and e.remaining > 0
        and e.status is MarketStatus.OPEN
    ]
    out.sort(key=lambda e: (e.price, e.published_at))
    return tuple(out)


def compatible_requests(
    requests: Iterable[RequestOrderView], offer: Offer, workerpool: str
) -> tuple[RequestOrderView, ...]:
    """Request orders our order for ``offer`` could be matched with, dearest first.

    PoCo's rules: same category, the request's tag is a subset of ours, its trust is at most ours,
    and its workerpool restriction is either none or our pool. (The app and dataset tags are not
    visible from the request book; they can only narrow this further.)
    """
    out = [
        r
        for r in requests
        if r.category == offer.category
        and pool_order_fits(r.tag, r.trust, offer.tag, offer.trust)
        and r.remaining > 0
        and (r.workerpool == ZERO_ADDRESS or r.workerpool == workerpool)
    ]
    out.sort(key=lambda r: (-r.workerpoolmaxprice, r.published_at))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """What the market, the pool and the chain looked like at ``at`` (Unix seconds).

    ``competitors`` and ``demand`` are keyed by the offer's ``(category, tag)`` and already
    filtered (see :func:`competing_orders`, :func:`compatible_requests`); ``requests`` and
    ``book`` keep the raw lists for strategies that want more. ``own_orders`` are every order of
    ours still valid on chain (remaining > 0), published or not. ``ages`` gives the age in
    seconds of each part at ``at``; ``stale`` names the parts too old to act on. ``tasks`` is
    our pool's task board (open tasks, learned run times; bot.pricing.runtimes) for admission, ``None``
    without a task feed or when its last reading is too old.
    """

    at: float
    workerpool: str
    own_orders: tuple[OwnOrder, ...] = ()
    utilization: PoolUtilization | None = None
    stake: Stake | None = None
    competitors: Mapping[tuple[int, int], tuple[BookEntry, ...]] = field(default_factory=dict)
    demand: Mapping[tuple[int, int, int], tuple[RequestOrderView, ...]] = field(
        default_factory=dict
    )
    book: tuple[BookEntry, ...] = ()
    requests: tuple[RequestOrderView, ...] = ()
    deals: tuple[Deal, ...] = ()
    ages: Mapping[str, float] = field(default_factory=dict)
    stale: frozenset[str] = frozenset()
    tasks: TaskBoard | None = None
    fill_book: FillBook | None = (
        None  # requests we may fill, whole (bot.pricing.fills); None: not read
    )
    # Derived from own_orders when built (not an input): our orders grouped by slot.
    own_by_slot: Mapping[Slot, tuple[OwnOrder, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        grouped: dict[Slot, list[OwnOrder]] = {}
        for o in self.own_orders:
            key = o.slot
            group = grouped.get(key)
            if group is None:
                grouped[key] = [o]
            else:
                group.append(o)
        object.__setattr__(self, "own_by_slot", {k: tuple(v) for k, v in grouped.items()})

    def competitors_for(self, offer: Offer) -> tuple[BookEntry, ...]:
        got = self.competitors.get((offer.category, offer.tag))
        if got is None:
            return competing_orders(self.book, offer.category, offer.tag, self.workerpool)
        return got

    def demand_for(self, offer: Offer) -> tuple[RequestOrderView, ...]:
        got = self.demand.get((offer.category, offer.tag, offer.trust))
        if got is None:
            return compatible_requests(self.requests, offer, self.workerpool)
        return got

    def without_requests(self, hashes: Collection[str]) -> MarketSnapshot:
        """This snapshot with the requests ``hashes`` names left out of the request book and of
        every demand view (each view keeps its order: the same as rebuilt from the rest)."""
        return replace(
            self,
            requests=tuple(r for r in self.requests if r.order_hash not in hashes),
            demand={
                k: tuple(r for r in v if r.order_hash not in hashes) for k, v in self.demand.items()
            },
        )

    def with_requests(self, views: Collection[RequestOrderView]) -> MarketSnapshot:
        """This snapshot with ``views`` added to the request book (those not in it already) and
        every demand view rebuilt from the book (:func:`compatible_requests`, on first use)."""
        have = {r.order_hash for r in self.requests}
        more = tuple(v for v in views if v.order_hash not in have)
        if not more:
            return self
        return replace(self, requests=self.requests + more, demand={})

    def own_in(self, slot: Slot) -> tuple[OwnOrder, ...]:
        return self.own_by_slot.get(slot, ())

    def current_price(self, slot: Slot) -> int | None:
        """Price of our cheapest published order in the slot: what the market sees from us."""
        best: int | None = None
        for o in self.own_by_slot.get(slot, ()):
            if o.published:
                price = o.signed.order.workerpoolprice
                if best is None or price < best:
                    best = price
        return best

    def own_deals(self, since: float, category: int | None = None) -> tuple[Deal, ...]:
        """Our pool's deals strictly after ``since`` (and up to ``at``)."""
        return tuple(
            d
            for d in self.deals
            if d.workerpool == self.workerpool
            and since < d.at <= self.at
            and (category is None or d.category == category)
        )


def build_snapshot(
    *,
    at: float,
    workerpool: str,
    offers: Iterable[Offer] = (),
    book: Iterable[BookEntry] = (),
    requests: Iterable[RequestOrderView] = (),
    deals: Iterable[Deal] = (),
    utilization: PoolUtilization | None = None,
    own_orders: Iterable[OwnOrder] = (),
    stake: Stake | None = None,
    sampled_at: Mapping[str, float] | None = None,
    stale_after: float = float("inf"),
    previous: MarketSnapshot | None = None,
    tasks: TaskBoard | None = None,
    fill_book: FillBook | None = None,
) -> MarketSnapshot:
    """Assemble a snapshot from the parts a sampler fetched.

    ``sampled_at`` maps part names (see ``PARTS``) to the Unix time each was fetched; a part
    missing from it counts as sampled at ``at`` when its value was given and as never sampled (so
    stale) when it is ``None``. Our own orders with nothing left are dropped.

    ``previous`` is the last snapshot built for the same workerpool and offers (the caller
    vouches for that): the competitors and demand views of a part equal to its part there are
    taken over instead of recomputed. A backtest builds ~43,000 snapshots a simulated month and from one
    minute to the next most parts are the same objects.
    """
    wp = workerpool.lower()
    book_t = tuple(book)
    req_t = tuple(requests)
    offers_t = tuple(offers)
    own_t = tuple(o for o in own_orders if o.remaining > 0)
    given = {
        "book": True,
        "requests": True,
        "deals": True,
        "utilization": utilization is not None,
        "own_orders": True,
        "stake": stake is not None,
    }
    times = dict(sampled_at or {})
    ages: dict[str, float] = {}
    stale: set[str] = set()
    for part in PARTS:
        t = times.get(part, at if given[part] else None)
        if t is None:
            ages[part] = float("inf")
            stale.add(part)
            continue
        ages[part] = at - t
        if ages[part] > stale_after:
            stale.add(part)
    same_book = previous is not None and previous.book == book_t
    same_requests = previous is not None and previous.requests == req_t
    competitors: Mapping[tuple[int, int], tuple[BookEntry, ...]]
    demand: Mapping[tuple[int, int, int], tuple[RequestOrderView, ...]]
    if same_book and same_requests:
        assert previous is not None
        # copies: a strategy that mutated its snapshot must not reach the next one
        competitors, demand = dict(previous.competitors), dict(previous.demand)
    else:
        competitors, demand = {}, {}
        for offer in offers_t:
            ck = (offer.category, offer.tag)
            if ck not in competitors:
                got = previous.competitors.get(ck) if same_book and previous else None
                if got is None:
                    got = competing_orders(book_t, offer.category, offer.tag, wp)
                competitors[ck] = got
            dk = (offer.category, offer.tag, offer.trust)
            if dk not in demand:
                wanted = previous.demand.get(dk) if same_requests and previous else None
                if wanted is None:
                    wanted = compatible_requests(req_t, offer, wp)
                demand[dk] = wanted
    return MarketSnapshot(
        at=at,
        workerpool=wp,
        own_orders=own_t,
        utilization=None if "utilization" in stale else utilization,
        stake=stake,
        competitors=competitors,
        demand=demand,
        book=book_t,
        requests=req_t,
        deals=tuple(deals),
        ages=ages,
        stale=frozenset(stale),
        tasks=tasks,
        fill_book=fill_book,
    )
