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
- Volumes are sized by the rails with the SAME ledger and admission test as quotes
  (bot.pricing.rails.apply_rails, its ``fills`` argument): a fill is a sale now, so it is sized first and
  the quotes share what it leaves.

The shell (bot.engine.fill_exec) signs, journals and sends what the rails return.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.domain.errors import InputError
from bot.domain.fill_orders import AppOrder, DatasetOrder, FillBook, ListedOrder, RequestOrder
from bot.domain.model import ZERO_ADDRESS, MarketStatus, Slot
from bot.pricing.snapshot import Offer

__all__ = [
    "DEFAULT_MATCH_GAS",
    "DEFAULT_MATCH_GAS_COST_NRLC",
    "FRAMEWORK_BITS",
    "TEE_BIT",
    "FillBook",
    "FillCandidate",
    "FillIntent",
    "FillPolicy",
    "FillPriceMode",
    "SizedFill",
    "candidates",
    "deal_tag",
    "fill_price",
    "fill_terms",
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


@dataclass(frozen=True, slots=True)
class FillPolicy:
    """The owner's fill settings: the config section ``[fills]``.

    ``enabled`` false (the default) makes no fill at all. ``price`` is ``"listed"`` (the default:
    ``min(cap, our listed price in that slot)``) or ``"cap"`` (charge the request's cap).
    ``match_gas_cost`` is one match's gas in nRLC; ``max_per_tick`` caps the matches sent per
    tick; ``daily_gas_budget`` caps the gas units spent on matches per UTC day (the shell keeps it).
    """

    enabled: bool = False
    price: FillPriceMode = "listed"
    match_gas_cost: int = DEFAULT_MATCH_GAS_COST_NRLC
    max_per_tick: int = 4
    daily_gas_budget: int = 20 * DEFAULT_MATCH_GAS

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise InputError("fills.enabled", "must be true or false", self.enabled)
        if self.price not in ("listed", "cap"):
            raise InputError("fills.price", "must be 'listed' or 'cap'", self.price)
        for name in ("match_gas_cost", "max_per_tick", "daily_gas_budget"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"fills.{name}", "must be an integer >= 0", value)


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


def _app_orders(
    book: FillBook, request: RequestOrder, workerpool: str
) -> list[ListedOrder[AppOrder]]:
    return sorted(
        (
            a
            for a in book.apporders
            if a.order.app == request.app
            and a.status is MarketStatus.OPEN
            and a.remaining > 0
            and a.order.appprice <= request.appmaxprice
            and _admits(a.order.workerpoolrestrict, workerpool)
            and _admits(a.order.requesterrestrict, request.requester)
            and _admits(a.order.datasetrestrict, request.dataset)
        ),
        key=lambda a: (a.order.appprice, a.published_at, a.order_hash),
    )


def _dataset_orders(
    book: FillBook, request: RequestOrder, workerpool: str
) -> list[ListedOrder[DatasetOrder]]:
    return sorted(
        (
            d
            for d in book.datasetorders
            if d.order.dataset == request.dataset
            and d.status is MarketStatus.OPEN
            and d.remaining > 0
            and d.order.datasetprice <= request.datasetmaxprice
            and _admits(d.order.workerpoolrestrict, workerpool)
            and _admits(d.order.requesterrestrict, request.requester)
            and _admits(d.order.apprestrict, request.app)
        ),
        key=lambda d: (d.order.datasetprice, d.published_at, d.order_hash),
    )


def _offer_fits(
    offer: Offer, request: RequestOrder, app: AppOrder, dataset: DatasetOrder | None
) -> bool:
    if offer.category != request.category or request.trust > offer.trust:
        return False
    tag = deal_tag(app, dataset, request)
    if tag & ~offer.tag:
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
    request = listed.order
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
        for offer in offers:
            if _offer_fits(offer, request, app.order, ds_order):
                volume = min(listed.remaining, app.remaining)
                if dataset is not None:
                    volume = min(volume, dataset.remaining)
                return FillCandidate(listed, app, dataset, offer, volume)
    if not any(request.app in o.fill_apps for o in offers):
        return f"app {request.app} is on no offer's fill_apps allowlist"
    return "no offer of ours fits its category, tag (TEE bit from the app) and trust"


def fill_price(cap: int, listed: int | None, mode: FillPriceMode, ceiling: int) -> int:
    """The policy's price: ``min(cap, listed)`` (or the cap), never above the ceiling.

    Without a listed price in the slot (nothing quoted there) the cap is the offer; the ceiling
    still bounds it.
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
) -> tuple[FillIntent, ...]:
    """The built-in fill policy: every fillable request, dearest cap first, at the policy price.

    ``listed`` is our listed price per offer slot (the rails' quotes with volume); ``skip`` holds
    requests a fill is already under way for (journalled, not yet confirmed). A fill whose
    revenue does not exceed one match's gas (``match_gas_cost``) is not proposed.
    """
    if not policy.enabled or book is None:
        return ()
    out: list[FillIntent] = []
    ordered = sorted(
        book.requests,
        key=lambda r: (-r.order.workerpoolmaxprice, r.published_at, r.order_hash),
    )
    for listed_request in ordered:
        if listed_request.order_hash in skip:
            continue
        got = fill_terms(listed_request, book, offers, workerpool, floor)
        if isinstance(got, str):
            continue
        price = fill_price(got.cap, listed.get(got.offer.slot), policy.price, ceiling)
        if price < floor or price * got.volume <= policy.match_gas_cost:
            continue
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
