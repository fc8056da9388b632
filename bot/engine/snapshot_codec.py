"""Snapshots (and other frozen values) to JSON and back, for the journal and replay backtests.

Payload shape of one journalled snapshot (all money integer nRLC, times Unix seconds, addresses
and hashes lower-case hex, tags integers)::

    {
      "v": 1,
      "at": 1764480000.0,
      "workerpool": "0x...",
      "ages": {"book": 0.4, ...},            # seconds; null = never sampled
      "stale": ["utilization"],
      "utilization": {registered_cpu, computing_cpu, registered_gpu, computing_gpu, backlog,
                      alive_workers, sampled_at} | null,
      "stake": {"free": int, "locked": int} | null,
      "book": [BookEntry...],                 # other pools' orders: order_hash, workerpool, owner,
                                              # price, volume, remaining, category, tag, trust,
                                              # published_at, apprestrict, datasetrestrict,
                                              # requesterrestrict, status
      "requests": [RequestOrderView...],      # order_hash, requester, app, dataset, workerpool,
                                              # workerpoolmaxprice, volume, remaining, category,
                                              # tag, trust, published_at
      "deals": [Deal...],                     # deal_id, workerpool, price, volume, category, tag,
                                              # trust, at, requester, app, request_workerpool,
                                              # request_maxprice (the last two absent in older
                                              # recordings: not known)
      "own_orders": [{"order": {the 10 fields + sign + orderHash}, "remaining": int,
                      "published": bool, "published_at": float, "market_status": str | null}]
    }

The per-offer views (competitors, demand) are not stored: ``snapshot_from_payload`` rebuilds them
for the offers it is given, exactly as the live sampler did.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

from bot.domain.model import (
    BookEntry,
    Deal,
    MarketStatus,
    OwnOrder,
    PoolUtilization,
    RequestOrderView,
    SignedWorkerpoolOrder,
    Stake,
)
from bot.domain.order_io import order_from_payload
from bot.pricing.snapshot import MarketSnapshot, Offer, build_snapshot

__all__ = ["PAYLOAD_VERSION", "snapshot_from_payload", "snapshot_to_payload", "to_jsonable"]

PAYLOAD_VERSION = 1


def to_jsonable(value: Any) -> Any:
    """Frozen dataclasses, enums, tuples, sets and mappings to plain JSON values."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, SignedWorkerpoolOrder):
        return value.to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {_key(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted((to_jsonable(v) for v in value), key=str)
    if isinstance(value, Iterable):
        return [to_jsonable(v) for v in value]
    return str(value)


def _key(key: Any) -> str:
    if isinstance(key, tuple):
        return ",".join(str(k) for k in key)
    return str(key)


def snapshot_to_payload(snapshot: MarketSnapshot) -> dict[str, Any]:
    return {
        "v": PAYLOAD_VERSION,
        "at": snapshot.at,
        "workerpool": snapshot.workerpool,
        "ages": {k: to_jsonable(v) for k, v in snapshot.ages.items()},
        "stale": sorted(snapshot.stale),
        "utilization": to_jsonable(snapshot.utilization),
        "stake": to_jsonable(snapshot.stake),
        "book": [to_jsonable(e) for e in snapshot.book],
        "requests": [to_jsonable(r) for r in snapshot.requests],
        "deals": [to_jsonable(d) for d in snapshot.deals],
        "own_orders": [
            {
                "order": o.signed.to_json(),
                "remaining": o.remaining,
                "published": o.published,
                "published_at": o.published_at,
                "market_status": None if o.market_status is None else o.market_status.value,
            }
            for o in snapshot.own_orders
        ],
    }


def _book_entry(d: Mapping[str, Any]) -> BookEntry:
    fields = dict(d)
    fields["status"] = MarketStatus(fields.get("status", "open"))
    return BookEntry(**fields)


def snapshot_from_payload(payload: Mapping[str, Any], offers: Iterable[Offer]) -> MarketSnapshot:
    """Rebuild a snapshot (per-offer views for ``offers``) from a journalled payload."""
    at = float(payload["at"])
    ages = payload.get("ages") or {}
    sampled = {k: (at - float(v)) if v is not None else float("-inf") for k, v in ages.items()}
    util = payload.get("utilization")
    stake = payload.get("stake")
    own = [
        OwnOrder(
            signed=order_from_payload(o["order"]),
            remaining=int(o["remaining"]),
            published=bool(o["published"]),
            published_at=float(o["published_at"]),
            market_status=None
            if o.get("market_status") is None
            else MarketStatus(o["market_status"]),
        )
        for o in payload.get("own_orders", ())
    ]
    snap = build_snapshot(
        at=at,
        workerpool=str(payload["workerpool"]),
        offers=offers,
        book=[_book_entry(e) for e in payload.get("book", ())],
        requests=[RequestOrderView(**r) for r in payload.get("requests", ())],
        deals=[Deal(**d) for d in payload.get("deals", ())],
        utilization=None if util is None else PoolUtilization(**util),
        own_orders=own,
        stake=None if stake is None else Stake(**stake),
        sampled_at=sampled,
    )
    # Staleness is what the live bot saw, not recomputed with another threshold.
    return dataclasses.replace(snap, stale=frozenset(payload.get("stale", ())))
