"""Small builders for core tests: snapshots, orders and offers with readable defaults."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from bot.domain.fill_orders import RequestOrder
from bot.domain.model import (
    ZERO_ADDRESS,
    BookEntry,
    Deal,
    OwnOrder,
    PoolUtilization,
    RequestOrderView,
    SignedWorkerpoolOrder,
    Stake,
    WorkerpoolOrder,
    tag_to_bytes32,
)
from bot.pricing.snapshot import MarketSnapshot, Offer, build_snapshot

POOL = "0x" + "a" * 40
RIVAL = "0x" + "b" * 40
RIVAL2 = "0x" + "e" * 40
REQUESTER = "0x" + "c" * 40
APP = "0x" + "d" * 40
NOW = 1_000_000.0
RLC = 10**9


def h(label: str) -> str:
    return "0x" + hashlib.sha256(label.encode()).hexdigest()


def offer(category: int = 0, tag: int = 0, trust: int = 0, **kw: object) -> Offer:
    kw.setdefault("task_seconds", 300.0)
    kw.setdefault("max_volume", 1000)
    return Offer(category=category, tag=tag, trust=trust, **kw)  # type: ignore[arg-type]


def own(
    label: str,
    price: int,
    remaining: int,
    *,
    published: bool = True,
    age: float = 60.0,
    category: int = 0,
    tag: int = 0,
    trust: int = 0,
    volume: int | None = None,
) -> OwnOrder:
    order = WorkerpoolOrder(
        workerpool=POOL,
        workerpoolprice=price,
        volume=volume if volume is not None else max(remaining, 1),
        tag=tag_to_bytes32(tag),
        category=category,
        trust=trust,
        salt=h("salt" + label),
    )
    signed = SignedWorkerpoolOrder(order=order, sign="0x" + "11" * 65, order_hash=h(label))
    return OwnOrder(signed=signed, remaining=remaining, published=published, published_at=NOW - age)


def rival(
    label: str,
    price: int,
    remaining: int = 10,
    *,
    category: int = 0,
    tag: int = 0,
    workerpool: str = RIVAL,
    age: float = 60.0,
    requesterrestrict: str = ZERO_ADDRESS,
) -> BookEntry:
    return BookEntry(
        order_hash=h(label),
        workerpool=workerpool,
        owner=workerpool,
        price=price,
        volume=remaining,
        remaining=remaining,
        category=category,
        tag=tag,
        trust=0,
        published_at=NOW - age,
        requesterrestrict=requesterrestrict,
    )


def request(
    label: str,
    maxprice: int,
    remaining: int = 1,
    *,
    category: int = 0,
    tag: int = 0,
    trust: int = 0,
    workerpool: str = ZERO_ADDRESS,
) -> RequestOrderView:
    return RequestOrderView(
        order_hash=h(label),
        requester=REQUESTER,
        app=APP,
        dataset=ZERO_ADDRESS,
        workerpool=workerpool,
        workerpoolmaxprice=maxprice,
        volume=remaining,
        remaining=remaining,
        category=category,
        tag=tag,
        trust=trust,
        published_at=NOW - 30,
    )


def deal(
    label: str,
    price: int,
    volume: int = 1,
    *,
    ago: float = 30.0,
    category: int = 0,
    workerpool: str = POOL,
    now: float = NOW,
) -> Deal:
    return Deal(
        deal_id=h(label),
        workerpool=workerpool,
        price=price,
        volume=volume,
        category=category,
        tag=0,
        trust=0,
        at=now - ago,
    )


def util(registered: int = 10, computing: int = 0, backlog: int = 0, **kw: int) -> PoolUtilization:
    return PoolUtilization(
        registered_cpu=registered, computing_cpu=computing, backlog=backlog, **kw
    )


def snap(
    *,
    offers: Iterable[Offer] = (),
    book: Iterable[BookEntry] = (),
    requests: Iterable[RequestOrderView] = (),
    deals: Iterable[Deal] = (),
    utilization: PoolUtilization | None = None,
    own_orders: Iterable[OwnOrder] = (),
    free_stake: int | None = 10**6 * RLC,
    at: float = NOW,
    sampled_at: dict[str, float] | None = None,
    stale_after: float = 600.0,
) -> MarketSnapshot:
    return build_snapshot(
        at=at,
        workerpool=POOL,
        offers=offers,
        book=book,
        requests=requests,
        deals=deals,
        utilization=utilization if utilization is not None else util(),
        own_orders=own_orders,
        stake=None if free_stake is None else Stake(free=free_stake, locked=0),
        sampled_at=sampled_at,
        stale_after=stale_after,
    )


def request_order(*, requester: str = REQUESTER, **fields: object) -> RequestOrder:
    """A request order open to any pool for APP at 5,000 nRLC, one task; ``fields`` override."""
    base: dict[str, object] = {
        "app": APP,
        "appmaxprice": 0,
        "dataset": ZERO_ADDRESS,
        "datasetmaxprice": 0,
        "workerpool": ZERO_ADDRESS,
        "workerpoolmaxprice": 5_000,
        "requester": requester,
        "volume": 1,
        "tag": tag_to_bytes32(0),
        "category": 0,
        "trust": 0,
        "beneficiary": requester,
        "callback": ZERO_ADDRESS,
        "params": "",
        "salt": "0x" + "00" * 32,
    }
    return RequestOrder(**{**base, **fields})  # type: ignore[arg-type]  # checked at run time
