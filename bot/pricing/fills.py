"""Fills: selling to a request order that waits in the book, with ``matchOrders`` (issue #15).

A requester who posts a request order and waits states its maximum price for the workerpool
(``workerpoolmaxprice``). PoCo's ``matchOrders`` does not check who calls it, so the pool can sign
a workerpool order restricted to that requester, app and dataset and make the deal itself; the
requester pays the deal's prices (our order's price, not its cap) and the gas wallet pays the gas.

This module is the pure half: which waiting requests we can fill, at what price and for how much.

- :class:`FillIntent` is what a strategy may return next to its quotes (``Decision.fills``): a
  request hash, a price, a volume. :func:`propose_fills` is the built-in policy the cycle uses for
  every strategy that returns none (one code path).
- :func:`fill_terms` applies PoCo's matching rules to one request before anything is signed
  (module ``_problems``): the request is ``open`` in the marketplace (an unpublished request is
  still valid on chain but its requester withdrew it; a ``dead`` one has lost its app order or
  its requester's deposit); its category, tag and trust fit one of our offers, with the TEE bit
  coming from the app (PoCo's rule ``0x07``); its workerpool restriction is empty or our pool; an
  app order (and a dataset order when the request names a dataset) exists within the request's
  max prices whose own restrictions admit our pool and the requester: the *cheapest*, since the
  requester pays it too; the app is on the offer's ``fill_apps`` allowlist (a request the pool
  cannot run fails and forfeits our stake); its cap is at least our floor.
- Prices: ``min(request cap, our listed price in that slot)`` by default (a requester is never
  charged more than our public offer; ``price = "cap"`` charges the cap, an explicit owner choice),
  never above the ceiling; a request whose cap is below the floor is skipped (a price above the
  cap reverts).
- A fill is sized before the quotes, on the pool's slots: it is proposed only when it earns
  its gas plus the posted sales that slot time is expected to make (:func:`displaced_per_task`,
  measured by :meth:`FillMemory.measure`, and at our price where a posted buyer waits for our
  capacity now, :func:`posted_waiting`; ``fills.displacement``).
- Volumes are sized by the rails with the SAME ledger and admission test as quotes
  (bot.pricing.rails.apply_rails, its ``fills`` argument): a fill is a sale now, so it is sized first and
  the quotes share what it leaves.

The shell (bot.engine.fill_exec) signs, journals and sends what the rails return.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, TypeVar

from bot.domain.errors import InputError
from bot.domain.fill_orders import AppOrder, DatasetOrder, FillBook, ListedOrder, RequestOrder
from bot.domain.model import (
    ZERO_ADDRESS,
    MarketStatus,
    PoolUtilization,
    Quote,
    RequestOrderView,
    Slot,
    pool_order_fits,
)
from bot.pricing.snapshot import MarketSnapshot, Offer, compatible_requests

__all__ = [
    "DEFAULT_MATCH_GAS",
    "DEFAULT_MATCH_GAS_COST_NRLC",
    "FRAMEWORK_BITS",
    "LIFETIMES",
    "MEMORY_S",
    "MIN_REVEALED",
    "RAISE_MARGIN",
    "TEE_BIT",
    "THIN_MEMORY_S",
    "TOOK_S",
    "FillBook",
    "FillCandidate",
    "FillIntent",
    "FillMemory",
    "FillPolicy",
    "FillPriceMode",
    "Revealed",
    "SizedFill",
    "candidates",
    "deal_tag",
    "displaced_per_task",
    "expected_idle",
    "fill_price",
    "fill_terms",
    "fillable",
    "idle_for_fills",
    "listing_for_fills",
    "posted_view",
    "posted_waiting",
    "propose_fills",
]

TEE_BIT = 1
FRAMEWORK_BITS = 0x0E
"""The dataset's TEE framework bits (1-3), which PoCo's tag rule ignores."""

DEFAULT_MATCH_GAS = 660_000
"""Gas of one ``matchOrders`` without a dataset, *measured on anvil*: 657,622 for a volume-2 fill
(tests/integration/sandbox/test_fills_e2e.py, PoCo 6.1.0); Arbitrum adds an L1 data charge not counted here."""

DEFAULT_MATCH_GAS_COST_NRLC = 30_000_000
"""What one match costs in gas, in nRLC (``fills.match_gas_cost``): a fill earning less is
skipped. Assumed: ``rails.cancel_gas_cost`` (100k gas ~ 5,000,000 nRLC) scaled to ~600k gas."""

FillPriceMode = Literal["listed", "cap"]

MEMORY_S = 6 * 3600.0
"""How long the caps waiting requesters revealed are remembered (:class:`FillMemory`)."""

THIN_MEMORY_S = 72 * 3600.0
"""How far back a thin slot's last ``MIN_REVEALED`` revealed requests are looked for."""

MIN_REVEALED = 8
"""Fewer revealed requests than this in an offer's slot: too few to price on, the listing stays.
A slot with fewer over ``MEMORY_S`` prices on its last ``MIN_REVEALED`` (back to
``THIN_MEMORY_S``): where a few requesters wait a day, six hours would never price their fills."""

RAISE_MARGIN = 3.0
"""A raise for fills must gain this many times the posted sales it is assumed to lose. Both sides
are estimates: the posted rate is measured, so noisy, and the fills counted are every request
revealed, more than the fills a raised listing really makes (a request leaves, the pool is full).
At 1.5, ``fixed`` on train 1001 (stationary) raised for fills worth 1.1 RLC net of gas and lost
3.0 RLC of posted sales; at 3 it does not, and train publishers markets 1000 and 1013 are unchanged."""


TOOK_S = 4 * 3600.0
"""How long after it was published a request our fill took stays in the posted view's book."""

LIFETIMES = 32
"""How many lifetimes of waiting requests that left the book unfilled by us are kept per
category (``fills.took_learned``: :meth:`FillMemory.took_horizon` is their median)."""


_Asset = TypeVar("_Asset", AppOrder, DatasetOrder)  # what a request is matched with


@dataclass(frozen=True, slots=True)
class FillPolicy:
    """The owner's fill settings: the config section ``[fills]``.

    ``enabled`` false (the default) makes no fill at all. ``price`` is ``"listed"`` (the default:
    ``min(cap, our listed price in that slot)``) or ``"cap"`` (charge the request's cap).
    ``match_gas_cost`` is one match's gas in nRLC; ``max_per_tick`` caps the matches sent per
    tick; ``daily_gas_budget`` caps the gas units spent on matches per UTC day (the shell keeps it).

    The listing rule's settings (:func:`listing_for_fills`): ``memory_hours`` is how long the
    caps waiting requesters revealed are priced on; in a thin slot, where fewer than
    ``min_revealed`` requests waited over that time, the last ``min_revealed`` are, back to
    ``thin_memory_hours``; ``raise_margin`` is how many times the posted sales a raise is
    assumed to lose its fills must gain.

    ``displacement`` weighs the posted sales a fill's slot time is expected to displace
    (:func:`displaced_per_task`): a fill must earn its gas plus that many times them; 0 counts
    none (every fill that pays its gas, the rule before it).

    ``wait_for_listing`` holds a fill whose cap is above our listed price while the listing rule
    is still raising that listing (:func:`propose_fills`, ``climbing``): it pays more a few
    ticks later, still never more than the listing it then meets. ``min_revealed_unsold``
    replaces ``min_revealed`` in a slot whose posted-sales measure is zero (nothing sold posted
    at the quote since it began: the running mean never returns to zero after a sale): a raise
    there is measured to lose nothing (:func:`listing_for_fills`).

    ``open_revealed`` opens the listing rule's start-up gate on evidence: before the posted
    sales were measured over ``memory_hours``, a slot where nothing sold posted yet and that
    already revealed this many waiting requests may be raised (0: off, the gate waits
    ``memory_hours``).

    ``busy_posted_only`` counts, in the busy share :func:`displaced_per_task` weighs, only the
    part of the pool's busy time our posted sales' tasks take (by their share of the work our
    deals brought over the window), not our fills' own tasks: a pool that fills keep busy does
    not turn posted buyers away for that (false: every task counts).

    ``full_unmeasured`` lets the listing rule's posted-sales measure rise but not decay while the
    pool's resource of the slot was seen full within the last posted window: a full pool sells
    nothing posted at any price, so a window that held full time is no evidence the quote stopped
    selling (false: every window counts; docs/backtesting.md, "Fills 10b": train 1012, the measure
    read zero after a capacity drop and a raise froze it; not reading at all while full put four
    design runs below their no-fills runs).

    ``full_weight`` keeps the time the pool's resource of the slot was full out of the listing
    rule's running mean: a reading after an hour the pool was full weighs what the minutes with
    room since the last reading weigh, not the hour (a full pool sells nothing posted at any
    price; off: every second ages the mean). Why: while the pool is full the strategy quotes no
    volume, so the slot is not measured; the first reading after a long full spell covered it
    all and set the mean to that window's zero (docs/backtesting.md, "Fills 11": train 1012).

    ``gap_unmeasured`` reads the listing rule's posted-sales measure only over windows the slot
    was listed throughout: after ticks it listed nothing (no volume quoted: robust holds a full
    pool's capacity), its next reading waits one ``deals_window`` of listing, and the gap does not
    age the running mean. Why: the first reading after an unlisted gap longer than
    ``memory_hours`` weighed 1 and its window, which covered the gap, read zero, so
    ``min_revealed_unsold`` let a raise through that froze the zero (docs/backtesting.md,
    "Fills 12": train 1012 with ``--crn``, 1274; false: every reading counts, as before).

    ``took_learned`` keeps a request our fill took in the posted view for as long as the waiting
    requests of its category we did not fill stayed in the book (:meth:`FillMemory.took_horizon`:
    the median of the last ``LIFETIMES`` such lifetimes, once ``MIN_REVEALED`` were seen; with
    fewer, of every category's; with fewer in all, ``took_hours``), and at least the age of the
    oldest request of its category still waiting unfilled (a lower bound on the patience before
    any request has left the book), not a fixed ``took_hours``. Why: without our fill the
    request would have waited that long, and a strategy that prices on the request book
    (``demand``) reads it while it does; a shorter view shows it less demand than the market
    without fills had (docs/backtesting.md, "Fills 23": TRAIN ``captive_us`` 1320, ``demand``
    120.0 RLC after gas with fills against 151.7 without, its publishers waiting 7.4-9.5 h;
    false: ``took_hours``).

    ``idle_under_listing`` is the opportunity-cost guard: a fill priced under its slot's
    listing is made only where the pool is expected to have idle capacity for the fill's run
    time (:func:`idle_for_fills`: the resource's slots less its busy tasks and backlog, less
    the tasks our posted sales of the last ``deals_window`` would start over the fill's
    ``task_seconds`` at their rate, less the posted buyers waiting for our capacity now, less
    the tasks of the fills proposed before it this tick). Why: a fill's task takes a slot for
    its run time; where a posted buyer would have used that slot, the fill displaced a posted
    sale at the listing and gained ``fill price - listing`` (negative under the listing) less
    the match's gas. ``displacement`` weighs that loss by an average; this refuses the fill
    outright where the pool's own numbers say the slot will be wanted. Fills at the listing
    are not held (they lose nothing to the posted sale they displace but the gas), nor are a
    strategy's own fill intents. Measured (docs/backtesting.md, "Fills 27"; TRAIN ``captive_us``,
    ``--crn``): 1073 ``utilization`` 71.65 -> 73.23 RLC after gas (72.55 without fills), but
    the fills-on total of 69 runs -19.7 RLC; false (the default): no such guard, as before.
    """

    enabled: bool = False
    price: FillPriceMode = "listed"
    match_gas_cost: int = DEFAULT_MATCH_GAS_COST_NRLC
    max_per_tick: int = 4
    daily_gas_budget: int = 20 * DEFAULT_MATCH_GAS
    memory_hours: float = MEMORY_S / 3600.0
    thin_memory_hours: float = THIN_MEMORY_S / 3600.0
    min_revealed: int = MIN_REVEALED
    raise_margin: float = RAISE_MARGIN
    took_hours: float = TOOK_S / 3600.0
    displacement: float = 1.0
    wait_for_listing: bool = True
    min_revealed_unsold: int = 1
    open_revealed: int = 16
    busy_posted_only: bool = False
    full_unmeasured: bool = False
    full_weight: bool = False
    gap_unmeasured: bool = False
    took_learned: bool = False
    idle_under_listing: bool = False

    def __post_init__(self) -> None:
        for flag in (
            "enabled",
            "wait_for_listing",
            "busy_posted_only",
            "full_unmeasured",
            "full_weight",
            "gap_unmeasured",
            "took_learned",
            "idle_under_listing",
        ):
            if not isinstance(getattr(self, flag), bool):
                raise InputError(f"fills.{flag}", "must be true or false", getattr(self, flag))
        if self.price not in ("listed", "cap"):
            raise InputError("fills.price", "must be 'listed' or 'cap'", self.price)
        for name in (
            "match_gas_cost",
            "max_per_tick",
            "daily_gas_budget",
            "min_revealed",
            "min_revealed_unsold",
            "open_revealed",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"fills.{name}", "must be an integer >= 0", value)
        for name in (
            "memory_hours",
            "thin_memory_hours",
            "raise_margin",
            "took_hours",
            "displacement",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InputError(f"fills.{name}", "must be a number >= 0", value)
        if self.memory_hours <= 0:
            raise InputError("fills.memory_hours", "must be > 0", self.memory_hours)
        if self.thin_memory_hours < self.memory_hours:
            raise InputError(
                "fills.thin_memory_hours",
                "must be at least fills.memory_hours",
                self.thin_memory_hours,
            )

    @property
    def memory_s(self) -> float:
        return float(self.memory_hours) * 3600.0

    @property
    def thin_memory_s(self) -> float:
        return float(self.thin_memory_hours) * 3600.0

    @property
    def took_s(self) -> float:
        return float(self.took_hours) * 3600.0


@dataclass(frozen=True, slots=True)
class FillIntent:
    """A strategy's wish to fill one waiting request: its hash, a price and a volume (nRLC)."""

    request_hash: str
    price: int
    volume: int
    reason: str = ""

    def __post_init__(self) -> None:
        for name in ("price", "volume"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"fill.{name}", "must be an integer >= 0", value)
        object.__setattr__(self, "request_hash", self.request_hash.lower())


@dataclass(frozen=True, slots=True)
class FillCandidate:
    """A request that passes every fill rule: what to match it with, and for how much at most.

    ``cap`` is the request's workerpool max price; ``volume`` the most the four orders can match
    together (the least remaining of request, app order and dataset order).
    """

    request: ListedOrder[RequestOrder]
    apporder: ListedOrder[AppOrder]
    datasetorder: ListedOrder[DatasetOrder] | None
    offer: Offer
    volume: int

    @property
    def cap(self) -> int:
        return self.request.order.workerpoolmaxprice

    @property
    def request_hash(self) -> str:
        return self.request.order_hash


@dataclass(frozen=True, slots=True)
class SizedFill:
    """A fill the rails admitted: the candidate, its price and volume, and why."""

    candidate: FillCandidate
    price: int
    volume: int
    reason: str

    @property
    def slot(self) -> Slot:
        """The restricted order we sign: the offer's slot restricted to this app, dataset and
        requester (what the journal and the chain see)."""
        o, r = self.candidate.offer, self.candidate.request.order
        return Slot(o.category, o.tag, o.trust, r.app, r.dataset, r.requester)


def deal_tag(app: AppOrder, dataset: DatasetOrder | None, request: RequestOrder) -> int:
    """The tag the workerpool order must contain: app | (dataset without framework bits) |
    request (PoCo ``_matchOrders``, rule ``0x06``)."""
    ds = 0 if dataset is None else dataset.tag_int & ~FRAMEWORK_BITS
    return app.tag_int | ds | request.tag_int


def _admits(restrict: str, who: str) -> bool:
    return restrict in (ZERO_ADDRESS, who)


def _cheapest_admitting(
    cheapest_first: Sequence[ListedOrder[_Asset]],
    max_price: int,
    other_restrict: str,
    request: RequestOrder,
    workerpool: str,
) -> list[ListedOrder[_Asset]]:
    """The open app (or dataset) orders of one asset (``cheapest_first``: the book's open
    orders of it with volume left, :class:`FillBook`'s index) within ``max_price`` whose
    restrictions admit our pool, the requester and the request's other asset
    (``other_restrict`` names it: the dataset for an app order, the app for a dataset order),
    cheapest first."""
    out: list[ListedOrder[_Asset]] = []
    requester = request.requester
    for a in cheapest_first:
        o = a.signed.order  # (``a.order``, without the property call: ~100 requests a tick)
        if o.price > max_price:
            break
        if (
            _admits(o.workerpoolrestrict, workerpool)
            and _admits(o.requesterrestrict, requester)
            and _admits(o.other_restrict, other_restrict)
        ):
            out.append(a)
    return out


def _app_orders(
    book: FillBook, request: RequestOrder, workerpool: str
) -> list[ListedOrder[AppOrder]]:
    return _cheapest_admitting(
        book.open_apps.get(request.app, ()),
        request.appmaxprice,
        request.dataset,
        request,
        workerpool,
    )


def _dataset_orders(
    book: FillBook, request: RequestOrder, workerpool: str
) -> list[ListedOrder[DatasetOrder]]:
    return _cheapest_admitting(
        book.open_datasets.get(request.dataset, ()),
        request.datasetmaxprice,
        request.app,
        request,
        workerpool,
    )


def _offer_fits(offer: Offer, request: RequestOrder, app: AppOrder, tag: int) -> bool:
    """Whether ``offer`` can carry the deal of ``request`` with ``app``, whose tag is ``tag``
    (:func:`deal_tag`: worked out once per app order, not once per offer)."""
    if offer.category != request.category:
        return False
    if not pool_order_fits(tag, request.trust, offer.tag, offer.trust):
        return False
    if (tag ^ app.tag_int) & TEE_BIT:  # the TEE bit must come from the app (rule 0x07)
        return False
    return (
        _admits(offer.apprestrict, request.app)
        and _admits(offer.datasetrestrict, request.dataset)
        and _admits(offer.requesterrestrict, request.requester)
        and request.app in offer.fill_apps
    )


def fill_terms(
    listed: ListedOrder[RequestOrder],
    book: FillBook,
    offers: Sequence[Offer],
    workerpool: str,
    floor: int,
) -> FillCandidate | str:
    """The candidate for one request, or why it cannot be filled (the module doc's rules)."""
    request = listed.signed.order
    if listed.status is not MarketStatus.OPEN:
        return f"request is {listed.status.value} in the marketplace"
    if listed.remaining <= 0:
        return "request has nothing left"
    if not _admits(request.workerpool, workerpool):
        return f"request is restricted to workerpool {request.workerpool}"
    if request.workerpoolmaxprice < floor:
        return f"request cap {request.workerpoolmaxprice} is below our floor {floor}"
    apps = _app_orders(book, request, workerpool)
    if not apps:
        return f"no open app order for {request.app} within {request.appmaxprice} admits us"
    dataset: ListedOrder[DatasetOrder] | None = None
    if request.dataset != ZERO_ADDRESS:
        datasets = _dataset_orders(book, request, workerpool)
        if not datasets:
            return f"no open dataset order for {request.dataset} within its max price admits us"
        dataset = datasets[0]
    # The cheapest app order whose tag one of our offers can carry (the requester pays it).
    ds_order = None if dataset is None else dataset.order
    for app in apps:
        tag = deal_tag(app.signed.order, ds_order, request)
        for offer in offers:
            if _offer_fits(offer, request, app.signed.order, tag):
                volume = min(listed.remaining, app.remaining)
                if dataset is not None:
                    volume = min(volume, dataset.remaining)
                return FillCandidate(listed, app, dataset, offer, volume)
    if not any(request.app in o.fill_apps for o in offers):
        return f"app {request.app} is on no offer's fill_apps allowlist"
    return "no offer of ours fits its category, tag (TEE bit from the app) and trust"


def fillable(
    book: FillBook | None, offers: Sequence[Offer], workerpool: str, floor: int
) -> dict[str, FillCandidate]:
    """Every request of ``book`` that passes :func:`fill_terms`, by hash, in the book's order.

    The cycle asks once a tick and hands the result to :func:`propose_fills` (``terms``) and the
    memory (:meth:`FillMemory.observe`): the rules are applied once per request and tick."""
    if book is None:
        return {}
    out: dict[str, FillCandidate] = {}
    for listed in book.requests:
        got = fill_terms(listed, book, offers, workerpool, floor)
        if not isinstance(got, str):
            out[listed.order_hash] = got
    return out


def fill_price(cap: int, listed: int | None, mode: FillPriceMode, ceiling: int) -> int:
    """The policy's price: ``min(cap, listed)`` (or the cap), never above the ceiling.

    Without a listed price in the slot (nothing quoted there) the cap is proposed, but with
    ``"listed"`` the cycle drops a fill whose slot has no public listing once the fills are
    sized (bot.engine.cycle._within_listing): nobody is charged a price we do not show.
    """
    price = cap if mode == "cap" or listed is None else min(cap, listed)
    return min(price, ceiling)


def candidates(
    intents: Iterable[FillIntent],
    book: FillBook | None,
    offers: Sequence[Offer],
    workerpool: str,
    floor: int,
) -> tuple[list[tuple[FillIntent, FillCandidate]], list[tuple[str, str]]]:
    """The intents whose request passes every rule, and (request hash, why) for the others.

    A strategy's own intents go through the same rules as the built-in policy's: a strategy
    cannot fill what the rules refuse.
    """
    ok: list[tuple[FillIntent, FillCandidate]] = []
    refused: list[tuple[str, str]] = []
    seen: set[str] = set()
    for intent in intents:
        h = intent.request_hash
        listed = None if book is None else book.by_hash.get(h)
        if h in seen:
            refused.append((h, "a second fill of the same request"))
        elif book is None or listed is None:
            refused.append((h, "request not in the book"))
        else:
            got = fill_terms(listed, book, offers, workerpool, floor)
            if isinstance(got, str):
                refused.append((h, got))
            else:
                ok.append((intent, got))
        seen.add(h)
    return ok, refused


def propose_fills(
    book: FillBook | None,
    offers: Sequence[Offer],
    workerpool: str,
    listed: Mapping[Slot, int],
    policy: FillPolicy,
    floor: int,
    ceiling: int,
    skip: frozenset[str] = frozenset(),
    displaced: Mapping[Slot, float] | None = None,
    climbing: frozenset[Slot] = frozenset(),
    terms: Mapping[str, FillCandidate] | None = None,
    idle: Mapping[Slot, float] | None = None,
) -> tuple[FillIntent, ...]:
    """The built-in fill policy: every fillable request, dearest cap first, at the policy price.

    ``listed`` is our listed price per offer slot (the rails' quotes with volume); ``skip`` holds
    requests a fill is already under way for (journalled, not yet confirmed). A fill whose
    revenue does not exceed one match's gas (``match_gas_cost``) is not proposed, nor one whose
    revenue less that gas does not exceed ``displaced`` (nRLC per task, per offer slot:
    :func:`displaced_per_task`) x its volume: the posted sales its slot time would have made.

    ``climbing`` holds the offer slots whose listing the listing rule raised and that rise this
    tick toward it (the rails clamp a raise's step): with ``fills.wait_for_listing`` a
    request whose cap is above the listing there waits, since it pays ``min(cap, listing)``
    and the listing is going up. Without it, on TRAIN ``publishers`` 1052 the listing rule's
    first raise (6 h in) climbed x1.2 a tick while four fills a tick took the dearest waiting
    requests (caps 0.11-0.24 RLC) at 0.028-0.098: filling dearest first at a rising price sold
    the dearest cheapest.

    ``terms`` is :func:`fillable` of the same book, offers, pool and floor when the caller has
    it (the cycle's tick); without it each request's terms are worked out here.

    With ``fills.idle_under_listing``, ``idle`` is :func:`idle_for_fills` (tasks per offer
    slot the pool is expected to leave idle over a fill's run time): a fill priced under its
    slot's listing is proposed only when its volume fits in what is left of that after the
    fills proposed before it on the same resource (every proposed fill, at the listing or
    under, takes its volume from it). A slot absent from ``idle`` (no pool size) has none.
    """
    if not policy.enabled or book is None:
        return ()
    out: list[FillIntent] = []
    guard = policy.idle_under_listing
    taken = {False: 0, True: 0}  # tasks of the fills proposed so far, CPU and GPU (the guard)
    # With ``terms``, a request outside them is skipped below anyway: only they are sorted.
    pool = book.requests if terms is None else [r for r in book.requests if r.order_hash in terms]
    ordered = sorted(
        pool,
        key=lambda r: (-r.order.workerpoolmaxprice, r.published_at, r.order_hash),
    )
    for listed_request in ordered:
        if listed_request.order_hash in skip:
            continue
        got = (
            fill_terms(listed_request, book, offers, workerpool, floor)
            if terms is None
            else terms.get(listed_request.order_hash, "")
        )
        if isinstance(got, str):
            continue
        slot_price = listed.get(got.offer.slot)
        if (
            policy.wait_for_listing
            and policy.price == "listed"
            and got.offer.slot in climbing
            and slot_price is not None
            and got.cap > slot_price
        ):
            continue
        price = fill_price(got.cap, slot_price, policy.price, ceiling)
        if price < floor or price * got.volume <= policy.match_gas_cost:
            continue
        lost = 0.0 if displaced is None else displaced.get(got.offer.slot, 0.0)
        if price * got.volume - policy.match_gas_cost <= lost * got.volume:
            continue
        gpu = got.offer.gpu
        if (
            guard
            and slot_price is not None
            and price < slot_price
            and got.volume > (0.0 if idle is None else idle.get(got.offer.slot, 0.0)) - taken[gpu]
        ):
            continue
        taken[gpu] += got.volume
        mode = "cap" if policy.price == "cap" else "min(cap, listed)"
        out.append(
            FillIntent(
                got.request_hash,
                price,
                got.volume,
                f"fill {got.request_hash[:10]}: {mode} = {price} (cap {got.cap})",
            )
        )
    return tuple(out)


_MIN_SPAN_S = 600.0


@dataclass(frozen=True, slots=True)
class Revealed:
    """One waiting request as first seen: when, where, its cap and volume (a revealed price)."""

    at: float
    category: int
    tag: int
    trust: int
    cap: int
    volume: int

    def fits(self, offer: Offer) -> bool:
        return self.category == offer.category and pool_order_fits(
            self.tag, self.trust, offer.tag, offer.trust
        )


@dataclass(frozen=True, slots=True)
class FillMemory:
    """What the fill book revealed lately, and which of our deals were fills.

    A request that waits states what its requester will pay; the caps seen over
    ``fills.memory_hours`` (in a thin slot: its last ``fills.min_revealed``, back to
    ``fills.thin_memory_hours``) estimate the demand curve of the slot. The deal ids of our fills keep them apart from
    posted sales: the strategy learns its posted price from posted sales only
    (:func:`posted_view`; a fill at our listed price is not a taker buying it), and so does the
    listing rule. Pure: the cycle keeps it in its state and feeds it every tick
    (:meth:`observe`, :meth:`record`). It is not journalled: after a restart it refills within
    hours and, until it holds ``fills.min_revealed`` requests, the listing is the strategy's own.
    """

    seen: Mapping[str, Revealed] = field(default_factory=dict)
    fill_deals: Mapping[str, float] = field(default_factory=dict)  # deal id -> when made
    since: float | None = None
    # nRLC/s sold posted while listing at the quote, averaged over ~memory_hours: (rate, when
    # last measured, when its measure began)
    posted: Mapping[Slot, tuple[float, float, float]] = field(default_factory=dict)
    # the requests our fills took, as the book showed them: the posted view keeps them in the
    # book as if nobody had filled them, for ``fills.took_hours`` after they were published
    took: Mapping[str, RequestOrderView] = field(default_factory=dict)
    # what a second of the pool's slot time is worth to our posted sales, CPU (False) and GPU
    # (True): (nRLC per slot-second they used, the pool's busy share, when last measured, when
    # its measure began) (:meth:`measure`)
    slot_value: Mapping[bool, tuple[float, float, float, float]] = field(default_factory=dict)
    # when the pool was last seen full, CPU (False) and GPU (True) (``fills.full_unmeasured``)
    full_at: Mapping[bool, float] = field(default_factory=dict)
    # the spans of time the pool was full, CPU (False) and GPU (True), over the last two memory
    # spans, and the tick they were last updated at (``fills.full_weight``)
    full_spans: Mapping[bool, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    ticked: float | None = None
    # per offer slot that may fill, when it was listed again after ticks it listed nothing
    # (``math.inf`` while it lists nothing; ``fills.gap_unmeasured``)
    relisted: Mapping[Slot, float] = field(default_factory=dict)
    # the fill book's requests at the last observe (hash -> category, when published, when last
    # seen), and per category how long the last ``LIFETIMES`` that left it without our fill had
    # waited (``fills.took_learned``: :meth:`observe`, :meth:`took_horizon`)
    listed: Mapping[str, tuple[int, float, float]] = field(default_factory=dict)
    lifetimes: Mapping[int, tuple[float, ...]] = field(default_factory=dict)

    def observe(
        self,
        book: FillBook | None,
        at: float,
        fillable: Callable[[ListedOrder[RequestOrder]], bool],
        policy: FillPolicy | None = None,
    ) -> FillMemory:
        """This memory with the book's requests not seen before that we could fill (the
        ``fillable`` rules: :func:`fill_terms`), and without those too old: older than
        ``policy.memory_s``, unless among the last ``policy.min_revealed`` of their
        (category, tag, trust) within ``policy.thin_memory_s`` (a thin slot's evidence: the
        last ``min_revealed`` of any offer's slot are among the last of each it fits)."""
        policy = policy or FillPolicy()
        short, long_ = policy.memory_s, policy.thin_memory_s
        keep: dict[str, Revealed] = {}
        older: dict[tuple[int, int, int], list[tuple[str, Revealed]]] = {}
        for h, r in self.seen.items():  # one pass: the memory holds hundreds, every tick
            age = at - r.at
            if age <= short:
                keep[h] = r
            elif age <= long_:
                older.setdefault((r.category, r.tag, r.trust), []).append((h, r))
        if older:
            counts: dict[tuple[int, int, int], int] = {}
            for r in keep.values():
                k = (r.category, r.tag, r.trust)
                counts[k] = counts.get(k, 0) + 1
            for k, rs in older.items():
                room = policy.min_revealed - counts.get(k, 0)
                if room > 0:
                    rs.sort(key=lambda hr: -hr[1].at)
                    keep.update(rs[:room])
        if book is not None:
            for listed in book.requests:
                h = listed.order_hash
                if h not in self.seen and listed.remaining > 0 and fillable(listed):
                    o = listed.order
                    keep[h] = Revealed(
                        at, o.category, o.tag_int, o.trust, o.workerpoolmaxprice, listed.remaining
                    )
        deals = {d: t for d, t in self.fill_deals.items() if at - t <= short}
        since = at if self.since is None else self.since
        listed_now, lifetimes = self.listed, self.lifetimes
        if policy.took_learned and book is not None:  # no book read: nothing is known to leave
            listed_now = {
                r.order_hash: (r.order.category, r.published_at, at) for r in book.requests
            }
            lifetimes = _lifetimes(self.listed, listed_now, self.took, lifetimes)
        hold = _took_horizons(lifetimes, listed_now, self.took, at, policy)
        took = {h: v for h, v in self.took.items() if at - v.published_at <= hold[v.category]}
        if policy.took_learned:
            return replace(
                self,
                seen=keep,
                fill_deals=deals,
                since=since,
                took=took,
                listed=listed_now,
                lifetimes=lifetimes,
            )
        return replace(self, seen=keep, fill_deals=deals, since=since, took=took)

    def took_horizon(self, policy: FillPolicy, category: int) -> float:
        """How long after it was published a request of ``category`` our fill took stays in the
        posted view (:func:`posted_view`): ``fills.took_hours``, or with ``fills.took_learned``
        the median time the waiting requests of that category we did not fill stayed in the
        book, once ``MIN_REVEALED`` such lifetimes were seen (with fewer, of every category's;
        fewer in all, ``took_hours``): how long it would have waited without our fill."""
        return _took_horizon(self.lifetimes, category, policy)

    def revealed(self, offer: Offer, at: float, policy: FillPolicy) -> tuple[list[Revealed], float]:
        """The revealed requests ``offer`` prices its listing on, and the seconds they span.

        Those of the last ``policy.memory_s``; in a thin slot (fewer than
        ``policy.min_revealed``) the last ``min_revealed`` within ``policy.thin_memory_s``,
        over the span from the oldest of them: a rate over it counts each one once. Never
        before the memory began (a restart forgets), never under ten minutes.
        """
        short = policy.memory_s
        # Revealed.fits, inlined: the memory holds hundreds of requests, read per offer per tick.
        category, trust, outside = offer.category, offer.trust, ~offer.tag
        fits = [
            r
            for r in self.seen.values()
            if r.category == category and r.trust <= trust and not r.tag & outside
        ]
        recent = [r for r in fits if at - r.at <= short]
        span = short
        if len(recent) < policy.min_revealed:
            older = sorted((r for r in fits if at - r.at > short), key=lambda r: -r.at)
            recent += older[: policy.min_revealed - len(recent)]
            if recent:
                span = max(short, at - min(r.at for r in recent))
        start = at if self.since is None else self.since
        return recent, max(_MIN_SPAN_S, min(span, at - start))

    def measure(
        self, snapshot: MarketSnapshot, offers: Sequence[Offer], window_s: float, policy: FillPolicy
    ) -> FillMemory:
        """This memory with what a task of slot time is worth to our posted sales, measured now.

        Two figures per resource (CPU, GPU), each averaged like the listing's posted rate (a
        running mean until it covers ``fills.memory_hours``, then over the last
        ``memory_hours``: one quiet hour must not open the pool to fills a busy day would not
        pay for):

        - what our posted (non-fill) sales over the last ``window_s`` earned per second of the
          slot time they used (their tasks x the offer's ``task_seconds``);
        - how busy the pool is: its busy tasks over its slots (at most 1;
          :meth:`PoolUtilization.slots_and_busy`, the ledger's rule: the backlog counts for
          CPU and GPU alike), our fills' tasks included, so fills that fill the pool raise their own bar (with
          ``fills.busy_posted_only``, only the posted sales' share of it).

        Unmeasured without the pool's size."""
        util = snapshot.utilization
        if util is None:
            return self
        own = _own_work(snapshot, offers, self.fill_deals, window_s)
        earned = {gpu: w.posted_earned for gpu, w in own.items()}
        work = {gpu: w.posted_work for gpu, w in own.items()}
        fill_work = {gpu: w.fill_work for gpu, w in own.items()}
        at = snapshot.at
        value = dict(self.slot_value)
        for gpu in {o.gpu for o in offers}:
            slots, busy_now = util.slots_and_busy(gpu)
            if slots <= 0:
                continue
            per_s = earned[gpu] / work[gpu] if work[gpu] > 0 else 0.0
            full = min(1.0, busy_now / slots)
            if policy.busy_posted_only and work[gpu] + fill_work[gpu] > 0:
                full *= work[gpu] / (work[gpu] + fill_work[gpu])  # the posted sales' share
            last = value.get(gpu)
            if last is None:
                value[gpu] = (per_s, full, at, at)
                continue
            rate, busy, then, first = last
            weight = _mean_weight(at, then, first, policy)
            if work[gpu] <= 0:
                per_s = rate  # nothing sold posted in the window: the value is not re-measured
            value[gpu] = (
                rate + (per_s - rate) * weight,
                busy + (full - busy) * weight,
                at,
                first,
            )
        return replace(self, slot_value=value)

    def holding(self, snapshot: MarketSnapshot, offers: Sequence[Offer]) -> dict[bool, int]:
        """The tasks of our fills still holding the pool, CPU (False) and GPU (True): our fill
        deals younger than their offer's ``task_seconds`` (a task of a deal starts at the match
        at the earliest, so this counts no more than the fills' share of the busy slots)."""
        seconds = _kinds(offers)
        out = {False: 0, True: 0}
        util = snapshot.utilization
        if not self.fill_deals or util is None:
            return out
        queue = {}
        for gpu in (False, True):
            slots, busy = util.slots_and_busy(gpu)
            queue[gpu] = max(1.0, busy / slots) if slots > 0 else 1.0
        for d in snapshot.own_deals(snapshot.at - MEMORY_S):
            got = seconds.get(d.category)
            if (
                got is not None
                and d.deal_id in self.fill_deals
                and snapshot.at - d.at < got[0] * queue[got[1]]
            ):
                out[got[1]] += d.volume
        return out

    def taking(self, views: Iterable[RequestOrderView]) -> FillMemory:
        """This memory with the requests our fills are taking now (:func:`posted_view`)."""
        more = {v.order_hash: v for v in views if v.order_hash not in self.took}
        return replace(self, took={**self.took, **more}) if more else self

    def record(self, deal_ids: Iterable[str], at: float) -> FillMemory:
        """This memory with the deals our fills made at ``at`` (from their receipts)."""
        more = {d: at for d in deal_ids}
        return replace(self, fill_deals={**self.fill_deals, **more}) if more else self


def _lifetimes(
    before: Mapping[str, tuple[int, float, float]],
    now: Mapping[str, tuple[int, float, float]],
    took: Mapping[str, RequestOrderView],
    kept: Mapping[int, tuple[float, ...]],
) -> Mapping[int, tuple[float, ...]]:
    """``kept`` with how long each request of the fill book ``before`` (hash -> category, when
    published, when last seen) that is gone ``now`` waited, unless our fill took it (``took``):
    the last ``LIFETIMES`` per category. A request we filled left because of us: its lifetime
    says nothing about how long it would have waited without us."""
    gone: dict[int, list[float]] = {}
    for h, (category, published, seen) in before.items():
        if h not in now and h not in took:
            gone.setdefault(category, []).append(seen - published)
    if not gone:
        return kept
    out = dict(kept)
    for category, more in gone.items():
        out[category] = (*out.get(category, ()), *more)[-LIFETIMES:]
    return out


def _took_horizon(
    lifetimes: Mapping[int, Sequence[float]], category: int, policy: FillPolicy
) -> float:
    """:meth:`FillMemory.took_horizon` over ``lifetimes``."""
    if not policy.took_learned:
        return policy.took_s
    got: Sequence[float] = lifetimes.get(category, ())
    if len(got) < MIN_REVEALED:
        got = [x for xs in lifetimes.values() for x in xs]
        if len(got) < MIN_REVEALED:
            return policy.took_s
    ordered = sorted(got)
    return ordered[len(ordered) // 2]


def _took_horizons(
    lifetimes: Mapping[int, Sequence[float]],
    listed: Mapping[str, tuple[int, float, float]],
    took: Mapping[str, RequestOrderView],
    at: float,
    policy: FillPolicy,
) -> dict[int, float]:
    """How long the requests ``took`` stay in the posted view, per category, each worked out
    once (the memory keeps dozens of taken requests, read every tick): :func:`_took_horizon`,
    and with ``fills.took_learned`` at least the age of the oldest request of that category
    still waiting unfilled in the book (``listed``, the last fill book read): a requester who
    still waits that long proves the category's patience is at least that, before any request
    left the book (in the first hours every lifetime is still running, and ``took_hours``
    alone would drop a request we took long before its requester would have given up)."""
    categories = {v.category for v in took.values()}
    if not policy.took_learned:
        hold = policy.took_s  # (a property: read once, not per request taken)
        return dict.fromkeys(categories, hold)
    oldest: dict[int, float] = {}
    for h, (category, published, _) in listed.items():
        if category in categories and h not in took and published < oldest.get(category, at):
            oldest[category] = published
    return {c: max(_took_horizon(lifetimes, c, policy), at - oldest.get(c, at)) for c in categories}


def _within_throughput(
    revealed: Sequence[Revealed], span: float, offer: Offer, util: PoolUtilization | None
) -> Sequence[Revealed]:
    """The revealed requests the pool could have run over ``span``: the dearest caps first,
    up to the offer's throughput (its slots / ``task_seconds``, all of them: the most fills
    could use), all of them when the pool's size is unknown.

    Every request pays ``min(cap, p)``, so whatever the listing p, the same count of tasks
    fills and the dearest caps pay the most: without this trim, requests that waited while the
    pool was full (and left unfilled) would count as fills a raise earns.
    """
    if util is None:
        return revealed
    slots, _ = util.slots_and_busy(offer.gpu)
    room = max(1, int(slots * span / offer.task_seconds))
    if sum(r.volume for r in revealed) <= room:
        return revealed
    out: list[Revealed] = []
    for r in sorted(revealed, key=lambda r: -r.cap):
        if room <= 0:
            break
        take = min(r.volume, room)
        out.append(r if take == r.volume else replace(r, volume=take))
        room -= take
    return out


def _best_listing(
    quote: int,
    revealed: Sequence[Revealed],
    posted_rate: float,
    span: float,
    gas: int,
    ceiling: int,
    margin: float = RAISE_MARGIN,
) -> int:
    """The listed price p >= ``quote`` that earns the most from fills, if the raise pays for
    itself; else the quote.

    Fills: each revealed request pays ``min(cap, p)`` x volume less one match's gas (nothing
    when that is not positive), over ``span``. A raise is assumed to lose *every* posted sale at
    the quote (``posted_rate``, nRLC/s): the strategy chose the quote for the takers, who buy the
    cheapest order, and how many of them a dearer listing keeps is not known. So the best price
    is kept only when its fills earn more than the quote's by ``margin`` (``fills.raise_margin``)
    x the posted rate. Ties keep the lower price.
    """
    if not revealed:
        return quote
    # One sweep from the dearest cap down (O(n log n), every tick): for a price p, requests with
    # cap >= p pay p (counted per volume), the others their own cap (a constant sum). The
    # requests are read as (cap, volume) pairs: within one cap their order does not matter.
    ordered = sorted([(r.cap, r.volume) for r in revealed], reverse=True)
    own_pay = sum(max(0, cap * volume - gas) for cap, volume in ordered)
    by_volume: dict[int, int] = {}
    above_pay = 0  # own-cap pay of the requests with cap >= p
    # Their count, total volume and smallest volume: while p x that volume exceeds the gas, every
    # request above pays p x volume - gas, and their sum is p x total - gas x count (integers:
    # the same value as the sum term by term, without a pass over the volumes per price).
    count = total = 0
    smallest = 0
    i, n = 0, len(ordered)
    # Candidate prices from the dearest down to the quote (the lowest); ties keep the lower
    # price, so a price at least as good as the best so far replaces it.
    prices = sorted({cap for cap, _ in ordered if quote < cap <= ceiling}, reverse=True)
    prices.append(quote)
    best, best_fills, fills = quote, -math.inf, 0.0
    for p in prices:
        while i < n and ordered[i][0] >= p:
            cap, volume = ordered[i]
            by_volume[volume] = by_volume.get(volume, 0) + 1
            above_pay += max(0, cap * volume - gas)
            smallest = volume if not count else min(smallest, volume)
            count += 1
            total += volume
            i += 1
        if count and p * smallest > gas:
            at_p = p * total - gas * count
        else:
            at_p = sum(k * max(0, p * v - gas) for v, k in by_volume.items())
        fills = (own_pay - above_pay + at_p) / span  # fills per second at p
        if fills >= best_fills:
            best, best_fills = p, fills
    # ``fills`` is the quote's now (the last price)
    return best if best_fills - fills > margin * posted_rate else quote


def _kinds(offers: Sequence[Offer]) -> dict[int, tuple[float, bool]]:
    """Per category, its task seconds and whether it runs on GPU: how our deals' work is charged
    to a resource. The first offer of a category wins (deals carry no offer slot)."""
    return {o.category: (o.task_seconds, o.gpu) for o in reversed(offers)}


@dataclass(frozen=True)
class _OwnWork:
    """Our deals of a window on one resource, split into posted sales and fills: what the fill
    policy's two readings of the pool (:meth:`FillMemory.measure`, :func:`idle_for_fills`)
    both count, walked once so that both charge a deal to the same resource the same way."""

    posted_tasks: int = 0
    posted_earned: int = 0  # nRLC: price x volume of the posted sales
    posted_work: float = 0.0  # slot seconds: volume x the offer's task_seconds
    fill_work: float = 0.0


def _own_work(
    snapshot: MarketSnapshot,
    offers: Sequence[Offer],
    fill_deals: Mapping[str, float],
    window_s: float,
) -> dict[bool, _OwnWork]:
    """Per resource (CPU False, GPU True), our deals of the last ``window_s``: a deal in
    ``fill_deals`` is a fill's, any other a posted sale; a deal of a category no offer prices
    is not charged (:func:`_kinds`)."""
    kind = _kinds(offers)
    out = {False: _OwnWork(), True: _OwnWork()}
    for d in snapshot.own_deals(snapshot.at - window_s):
        got = kind.get(d.category)
        if got is None:
            continue
        seconds, gpu = got
        w = out[gpu]
        if d.deal_id in fill_deals:
            out[gpu] = replace(w, fill_work=w.fill_work + d.volume * seconds)
        else:
            out[gpu] = replace(
                w,
                posted_tasks=w.posted_tasks + d.volume,
                posted_earned=w.posted_earned + d.price * d.volume,
                posted_work=w.posted_work + d.volume * seconds,
            )
    return out


def _mean_weight(at: float, then: float, first: float, policy: FillPolicy) -> float:
    """The weight of a reading at ``at`` against a mean last updated at ``then`` and begun at
    ``first``: a running mean until it covers ``fills.memory_hours``, then one over the last
    ``memory_hours`` (one quiet hour must not decide what a busy day would not)."""
    dt = max(0.0, at - then)
    return min(1.0, dt / max(dt, min(policy.memory_s, at - first))) if dt else 0.0


def posted_waiting(
    snapshot: MarketSnapshot,
    offers: Sequence[Offer],
    prices: Mapping[Slot, int],
    fills_holding: Mapping[bool, int],
) -> dict[bool, tuple[float, int]]:
    """What a posted buyer waiting for our capacity *now* pays per second of slot time, per
    resource (CPU: False, GPU: True; absent: nobody waits).

    A posted buyer waits for our capacity when a request in the book that our order for an
    offer could serve (:func:`compatible_requests`) and that is not in the fill book (a request
    waiting to be filled is served by a fill, not by a posted order) has a cap at least our price
    in that slot (``prices``: what we list, else what we quote) and more volume than our
    published orders there at that price have left. Such a buyer takes our listing as soon as the
    pool has room for it, so a fill's task on the same resource takes that sale: its value is
    the posted price over the offer's ``task_seconds``, the dearest such offer of the resource
    (a fill must not cost the posted side more than it earns). This is what is displaced, seen
    in the book, not an average of what posted sales earned.
    """
    book = snapshot.fill_book
    waiting_fill = frozenset() if book is None else frozenset(book.by_hash)
    util = snapshot.utilization
    saturated = set() if util is None else _full(util, offers, fills_holding)
    out: dict[bool, tuple[float, int]] = {}
    for o in offers:
        price = prices.get(o.slot)
        if price is None or o.task_seconds <= 0:
            continue
        wanted = sum(
            r.remaining
            for r in compatible_requests(snapshot.requests, o, snapshot.workerpool)
            if r.order_hash not in waiting_fill and r.workerpoolmaxprice >= price
        )
        if o.gpu in saturated:
            # every slot busy with posted work: the next posted buyer waits for the slot time
            # a fill would take, whether or not it shows in the book yet
            wanted = max(wanted, 1 + sum(x.remaining for x in snapshot.own_in(o.slot)))
        if wanted <= 0:
            continue
        left = sum(
            x.remaining
            for x in snapshot.own_in(o.slot)
            if x.published and x.signed.order.workerpoolprice <= price
        )
        if wanted > left:
            value, volume = out.get(o.gpu, (0.0, 0))
            out[o.gpu] = (max(value, price / o.task_seconds), volume + wanted - left)
    return out


def expected_idle(slots: int, busy: int, posted_per_s: float, run_s: float, waiting: int) -> float:
    """Tasks a resource of the pool is expected to leave idle over a fill's run time
    (``fills.idle_under_listing``; may be negative: over-subscribed).

    ``slots`` less ``busy`` (its tasks computing and the backlog: the ledger's count, our fills'
    own tasks in it), less the posted tasks expected to start over ``run_s`` (``posted_per_s``,
    our posted sales' tasks per second lately, x ``run_s``), less the posted buyers ``waiting``
    for our capacity now. No task now busy is assumed to finish within ``run_s``: conservative,
    a guard that errs toward the posted side, which sells at the listing.
    """
    return slots - busy - max(0.0, posted_per_s) * max(0.0, run_s) - max(0, waiting)


def idle_for_fills(
    snapshot: MarketSnapshot,
    offers: Sequence[Offer],
    memory: FillMemory,
    window_s: float,
    waiting: Mapping[bool, tuple[float, int]] | None = None,
) -> dict[Slot, float]:
    """Per offer slot, the tasks its resource is expected to leave idle over one of its tasks'
    run time (:func:`expected_idle`; ``fills.idle_under_listing``).

    What the fill policy already reads: the pool's slots and busy tasks
    (:meth:`PoolUtilization.slots_and_busy`), our posted (not fill: ``memory.fill_deals``)
    deals of the last ``window_s`` on that resource (their tasks per second; the run time is the
    offer's ``task_seconds``), and the posted buyers waiting for our capacity now
    (:func:`posted_waiting`, their volume). Without the pool's size: empty (nothing is idle).
    """
    util = snapshot.utilization
    if util is None:
        return {}
    own = _own_work(snapshot, offers, memory.fill_deals, window_s)
    posted = {gpu: w.posted_tasks for gpu, w in own.items()}
    waiting = waiting or {}
    out: dict[Slot, float] = {}
    for o in offers:
        slots, busy = util.slots_and_busy(o.gpu)
        rate = posted[o.gpu] / window_s if window_s > 0 else 0.0
        wait = waiting.get(o.gpu, (0.0, 0))[1]
        out[o.slot] = expected_idle(slots, busy, rate, o.task_seconds, wait)
    return out


def displaced_per_task(
    memory: FillMemory,
    offers: Sequence[Offer],
    policy: FillPolicy,
    waiting: Mapping[bool, tuple[float, int]] | None = None,
) -> dict[Slot, float]:
    """What one task of a fill is expected to take from our posted sales, per offer slot (nRLC).

    A fill runs on the pool's slots, and it is sized before the quotes: where a posted buyer
    would have found the pool full because of it, the fill displaced that sale. So a task of
    ``task_seconds`` is worth what our posted sales earn per second of slot time
    (:meth:`FillMemory.measure`) x ``task_seconds`` x how busy the pool is (the chance the
    slot time would have been used), times ``fills.displacement`` (0: not counted). A pool our
    posted sales keep full values a fill's task at about what a posted sale pays for it; an
    idle one at nothing. Unmeasured (no pool size): nothing, as the rails then size no fill.

    Where a posted buyer waits for our capacity now (``waiting``, :func:`posted_waiting`), a
    second of slot time is worth at least that buyer's price per second: the mean hides the
    moment (TRAIN ``captive_us`` 1073: `competitive` filled at 50 mRLC an XS task the mean
    valued at 8.1 mRLC, and lost 11.4 RLC to its no-fills run; with the waiting buyers 142.7
    RLC after gas against 136.8).

    No fill before a first hour was measured was tried and not kept: it only moved `bandit` on
    TRAIN `stationary` 1001, below its no-fills run (7.99 RLC after gas against 8.61; 9.04
    without the wait), by changing what its early prices learned.

    Why the busy share and not the share of time the pool is full: on TRAIN ``captive_us``
    1073, `utilization` with fills earned 58.3 RLC after gas with the full-time share and 67.0
    with the busy share (60.9 without fills); 1034 `robust` 202.9 and 208.5 (202.5).
    """
    if policy.displacement <= 0:
        return {}
    waiting = waiting or {}
    out: dict[Slot, float] = {}
    for o in offers:
        got = memory.slot_value.get(o.gpu)
        now = waiting.get(o.gpu)
        if got is None and now is None:
            continue
        per_s = max(0.0 if got is None else got[0] * got[1], 0.0 if now is None else now[0])
        out[o.slot] = policy.displacement * per_s * o.task_seconds
    return out


def posted_view(snapshot: MarketSnapshot, memory: FillMemory, policy: FillPolicy) -> MarketSnapshot:
    """What a posted-price strategy prices on when we fill: the market as it would be without
    our fills, so that turning fills on does not move the strategy's posted price.

    - The deals our fills made are left out (``memory.fill_deals``): a bandit or a demand model
      must not count a fill at our listed price as a taker who bought at it, or the listing
      rule's raise feeds back into the strategy's own price.
    - The requests our fills took stay in the request book and every demand view, as the book
      last showed them, until ``policy.took_hours`` after they were published
      (``memory.took``): without fills they would still wait there, and a demand model reads
      them. Whether it should is the strategy's call, not the fills': hiding them (or only the
      ones that waited although our listing fitted them) lowered ``demand``'s posted price on
      TRAIN ``captive_us`` 1034 with no fill made (96.4 -> 59.1 RLC), while showing them is
      what it does without fills.

    The same snapshot object when nothing changes.
    """
    out = snapshot
    if memory.fill_deals and snapshot.deals:
        kept = tuple(d for d in snapshot.deals if d.deal_id not in memory.fill_deals)
        if len(kept) != len(snapshot.deals):
            out = replace(out, deals=kept)
    if memory.took:
        at = snapshot.at
        hold = _took_horizons(memory.lifetimes, memory.listed, memory.took, at, policy)
        back = [v for v in memory.took.values() if at - v.published_at <= hold[v.category]]
        out = out.with_requests(back)
    return out


def listing_for_fills(
    quotes: Sequence[Quote],
    snapshot: MarketSnapshot,
    offers: Sequence[Offer],
    memory: FillMemory,
    policy: FillPolicy,
    ceiling: int,
    deals_window_s: float,
) -> tuple[tuple[Quote, ...], FillMemory]:
    """The strategy's quotes with each listed price raised where waiting requests pay for it,
    and the memory with the posted sales measured this tick.

    One code path for every quote strategy. With the default price policy a fill pays at most
    our listed price, so the listing is the lever: where requesters wait in the book, the price
    maximising posted sales *plus* fills is higher than the posted-only one the strategy chose.
    Per quoted slot that may fill (an offer with ``fill_apps``), :func:`_best_listing` weighs
    the fills a higher price earns (over the caps revealed lately, :meth:`FillMemory.revealed`)
    against the posted sales it loses: our deals over ``deals_window_s`` other than fills,
    measured while we list at the strategy's own price and averaged over ``fills.memory_hours`` (kept in the memory while
    the listing is raised, when it cannot be measured), all assumed lost by a raise. A price is
    never lowered, never raised above ``ceiling``; the rails then clamp the step as for any
    quote. Nothing changes with fills off or ``price = "cap"``.
    """
    if not policy.enabled or policy.price != "listed":
        return tuple(quotes), memory
    posted = dict(memory.posted)
    fill_deals = memory.fill_deals
    by_slot = {o.slot: o for o in offers if o.fill_apps}
    at = snapshot.at
    full_at = _seen_full(memory.full_at, snapshot, offers, policy)
    spans = _full_spans(memory, snapshot, offers, policy)
    relisted = _relisted(memory.relisted, quotes, by_slot, at, policy)
    out: list[Quote] = []
    for q in quotes:
        offer = by_slot.get(q.slot)
        if (
            offer is None
            or q.volume <= 0
            or memory.since is None
            or at - memory.since < deals_window_s  # posted sales not yet seen over a window
        ):
            out.append(q)
            continue
        # The posted sales are measured from the start, however few requests were revealed yet:
        # a thin slot's 6 h of measure must not begin only once its requests are counted.
        since = at - deals_window_s
        posted_deals = (
            d for d in snapshot.own_deals(since, offer.category) if d.deal_id not in fill_deals
        )
        earned = sum(d.price * d.volume for d in posted_deals)
        current = snapshot.current_price(q.slot)
        measured = earned / deals_window_s
        last = posted.get(q.slot)
        if last is None:
            posted[q.slot] = (measured, at, at - deals_window_s)
        elif current is None or current <= q.price:  # listing at the quote: measured there
            # Averaged over hours: a running mean until it covers memory_hours, then over the
            # last memory_hours. One quiet hour must not trigger a raise (and be frozen in).
            rate, then, first = last
            back = relisted.get(q.slot, -math.inf)  # fills.gap_unmeasured (else -inf)
            if at - back < deals_window_s:
                # listed again less than a window ago: the window covers time nothing was listed
                # (nothing could sell), so it is not read; the mean waits as it was
                measured, then = rate, at
            elif then < back + deals_window_s:
                then = back + deals_window_s  # the gap does not age the mean
            # the time the pool was full since the last reading does not age the mean: a full
            # pool sells nothing posted at any price (fills.full_weight; off: 0 s)
            full_gap = (
                _seconds_in(spans.get(offer.gpu, ()), then, at) if policy.full_weight else 0.0
            )
            weight = _mean_weight(at - full_gap, then, first - full_gap, policy)
            mean = rate + (measured - rate) * weight
            if at - full_at.get(offer.gpu, -math.inf) < deals_window_s:
                # the pool was full within the window: it sold nothing posted at any price, so
                # the measure may rise, not decay (fills.full_unmeasured)
                mean = max(mean, rate)
            posted[q.slot] = (mean, at, first)
        revealed, span = memory.revealed(offer, at, policy)
        # Too few requests to price on, unless nothing sold posted at the quote: then a raise
        # is measured to lose nothing, and the requests seen are all the evidence there is.
        enough = policy.min_revealed if posted[q.slot][0] > 0 else policy.min_revealed_unsold
        young = at - posted[q.slot][2] < policy.memory_s
        if young and posted[q.slot][0] <= 0 and 0 < policy.open_revealed <= len(revealed):
            # nothing sold posted yet and that many requests revealed: they are the evidence
            # (fills.open_revealed; where posted sales were seen, their measure needs its hours)
            young = False
        if young or not revealed or len(revealed) < enough:
            # Not raised before the posted sales at the quote were seen over memory_hours (or,
            # with fills.open_revealed, before that many requests were revealed): an early
            # quiet spell (a bandit exploring a dear arm) measured as "nothing sells posted"
            # would raise the listing, and the raise keeps that figure frozen.
            out.append(q)
            continue
        price = _best_listing(
            q.price,
            _within_throughput(revealed, span, offer, snapshot.utilization),
            posted[q.slot][0],
            span,
            policy.match_gas_cost,
            ceiling,
            policy.raise_margin,
        )
        if price != q.price:
            why = f"listed {price} for {len(revealed)} waiting requests (was {q.price})"
            q = replace(q, price=price, reason=f"{q.reason}; {why}" if q.reason else why)
        out.append(q)
    if policy.full_weight:
        memory = replace(memory, full_spans=spans, ticked=at)
    if policy.gap_unmeasured:
        memory = replace(memory, relisted=relisted)
    return tuple(out), replace(memory, posted=posted, full_at=full_at)


def _relisted(
    relisted: Mapping[Slot, float],
    quotes: Sequence[Quote],
    by_slot: Mapping[Slot, Offer],
    at: float,
    policy: FillPolicy,
) -> Mapping[Slot, float]:
    """Per offer slot that may fill, when it was listed again after ticks it listed nothing
    (``math.inf`` while it lists nothing; a slot listed since the memory began is absent):
    ``fills.gap_unmeasured`` reads its posted sales only over windows after that (off: none)."""
    if not policy.gap_unmeasured:
        return relisted
    listing = {q.slot for q in quotes if q.volume > 0}
    out = dict(relisted)
    for slot in by_slot:
        if slot not in listing:
            out[slot] = math.inf
        elif out.get(slot) == math.inf:
            out[slot] = at
    return out


def _full_spans(
    memory: FillMemory,
    snapshot: MarketSnapshot,
    offers: Sequence[Offer],
    policy: FillPolicy,
) -> Mapping[bool, tuple[tuple[float, float], ...]]:
    """The spans the pool was full per resource over the last two ``fills.memory_hours`` (a
    running mean's longest gap counted), the time since the last tick counted as full when the
    pool is full now (``fills.full_weight``; off, or without the pool's size: none)."""
    util = snapshot.utilization
    if not policy.full_weight or util is None:
        return memory.full_spans
    at = snapshot.at
    full = _full(util, offers, {})
    out: dict[bool, tuple[tuple[float, float], ...]] = {}
    horizon = at - 2 * policy.memory_s
    for gpu in {o.gpu for o in offers}:
        kept = [s for s in memory.full_spans.get(gpu, ()) if s[1] > horizon]
        if gpu in full and memory.ticked is not None and memory.ticked < at:
            if kept and kept[-1][1] == memory.ticked:
                kept[-1] = (kept[-1][0], at)
            else:
                kept.append((memory.ticked, at))
        if kept:
            out[gpu] = tuple(kept)
    return out


def _seconds_in(spans: Iterable[tuple[float, float]], start: float, end: float) -> float:
    """How many seconds of ``spans`` fall between ``start`` and ``end``."""
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in spans)


def _seen_full(
    full_at: Mapping[bool, float],
    snapshot: MarketSnapshot,
    offers: Sequence[Offer],
    policy: FillPolicy,
) -> Mapping[bool, float]:
    """When each resource of the pool was last seen full, with this tick (``fills.full_unmeasured``;
    off, or without the pool's size: nothing is recorded)."""
    util = snapshot.utilization
    if not policy.full_unmeasured or util is None:
        return full_at
    return {**full_at, **dict.fromkeys(_full(util, offers, {}), snapshot.at)}


def _full(util: PoolUtilization, offers: Sequence[Offer], holding: Mapping[bool, int]) -> set[bool]:
    """The resources (CPU: False, GPU: True) of ``offers`` whose slots are all busy, the tasks
    in ``holding`` left out (the ledger's count: :meth:`PoolUtilization.slots_and_busy`)."""
    full = set()
    for gpu in {o.gpu for o in offers}:
        slots, busy = util.slots_and_busy(gpu)
        if slots > 0 and busy - holding.get(gpu, 0) >= slots:
            full.add(gpu)
    return full
