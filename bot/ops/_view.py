"""The frozen view of the running bot that the ops server reads.

Why a frozen value: the server must never take the service's tick lock (a slow cycle would
block /healthz, and a slow scrape would delay a cycle). The service builds a new
:class:`OpsView` after each job and swaps one reference; a reader holds whichever view it got
for the whole request, so every figure on one answer comes from the same tick.

Pure: no I/O, no clock reads (times arrive as arguments).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

__all__ = [
    "DURATION_BUCKETS",
    "PART_SOURCE",
    "SOURCES",
    "OfferFigures",
    "OpsView",
    "after_tick",
    "after_tick_error",
    "offer_figures",
]

DURATION_BUCKETS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Upper bounds (seconds) of the cycle-duration histogram; +Inf is implied."""

PART_SOURCE: Mapping[str, str] = MappingProxyType(
    {
        "book": "market",
        "requests": "market",
        "deals": "market",
        "utilization": "core",
        "own_orders": "chain",
        "stake": "chain",
    }
)
"""Which source each snapshot part comes from (the marketplace, the core scheduler, the chain)."""
SOURCES: tuple[str, ...] = ("market", "core", "chain")


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class OpsView:
    """What the service looked like after its last job; never mutated, only replaced."""

    started_at: float
    workerpool: str
    network: str
    strategy: str
    live: bool
    reprice_seconds: int
    stale_limit_seconds: int
    low_stake_nrlc: int = 0
    version: str = ""
    offers: tuple[Any, ...] = ()
    paused: bool = False
    stopping: bool = False
    last_tick_at: float | None = None
    last_success_at: float | None = None
    last_error: str | None = None
    cycles_ok: int = 0
    cycles_paused: int = 0
    cycles_error: int = 0
    missed_runs: int = 0
    duration_counts: tuple[int, ...] = (0,) * (len(DURATION_BUCKETS) + 1)
    duration_sum: float = 0.0
    snapshot: Any = None
    steps: tuple[Any, ...] = ()
    kill: str | None = None
    strategy_error: str | None = None
    reason: str | None = None
    source_errors: Mapping[str, str] = field(default_factory=lambda: _frozen({}))

    def part_sampled_at(self, part: str) -> float | None:
        """When a snapshot part was last read successfully (None: never, or no snapshot)."""
        snap = self.snapshot
        if snap is None:
            return None
        age = snap.ages.get(part)
        if age is None or age == float("inf"):
            return None
        return float(snap.at) - float(age)

    def source_up(self, source: str) -> bool:
        """The source answered its last read (each of its parts)."""
        if self.snapshot is None:
            return False
        parts = [p for p, s in PART_SOURCE.items() if s == source]
        return not any(p in self.source_errors for p in parts) and all(
            self.part_sampled_at(p) is not None for p in parts
        )

    def source_last_sample(self, source: str) -> float | None:
        """The oldest successful read among the source's parts (what staleness is about)."""
        times = [self.part_sampled_at(p) for p, s in PART_SOURCE.items() if s == source]
        if not times or any(t is None for t in times):
            return None
        return min(t for t in times if t is not None)


def _bucketed(view: OpsView, duration: float) -> tuple[tuple[int, ...], float]:
    counts = list(view.duration_counts)
    index = next((i for i, b in enumerate(DURATION_BUCKETS) if duration <= b), len(counts) - 1)
    counts[index] += 1
    return tuple(counts), view.duration_sum + duration


def after_tick(
    view: OpsView,
    *,
    at: float,
    duration: float,
    snapshot: Any,
    result: Any | None,
    source_errors: Mapping[str, str],
) -> OpsView:
    """The view after a job that ran: a tick (``result``) or, paused, a sample only."""
    counts, total = _bucketed(view, duration)
    if result is None:  # paused: sampled, nothing decided
        return replace(
            view,
            last_tick_at=at,
            last_success_at=at,
            last_error=None,
            cycles_paused=view.cycles_paused + 1,
            duration_counts=counts,
            duration_sum=total,
            snapshot=snapshot,
            source_errors=_frozen(source_errors),
        )
    return replace(
        view,
        last_tick_at=at,
        last_success_at=at,
        last_error=None,
        cycles_ok=view.cycles_ok + 1,
        duration_counts=counts,
        duration_sum=total,
        snapshot=snapshot,
        steps=tuple(result.report.steps),
        kill=result.kill,
        strategy_error=result.strategy_error,
        reason=getattr(getattr(result, "decision", None), "reason", None),
        source_errors=_frozen(source_errors),
    )


def after_tick_error(view: OpsView, *, at: float, duration: float, error: str) -> OpsView:
    """The view after a tick that raised: counted, timed, and its error kept for /healthz."""
    counts, total = _bucketed(view, duration)
    return replace(
        view,
        last_tick_at=at,
        last_error=error,
        cycles_error=view.cycles_error + 1,
        duration_counts=counts,
        duration_sum=total,
    )


@dataclass(frozen=True, slots=True)
class OfferFigures:
    """One offer's figures from the last snapshot: what /metrics and /api/v1/status both show."""

    category: int
    tag: int
    our_price: int | None
    best_competitor: int | None
    valid_volume: int
    listed_orders: int
    unlisted_valid_orders: int
    capacity: int | None
    stake_required: int


def offer_figures(view: OpsView) -> tuple[OfferFigures, ...]:
    """Our cheapest listed price, the best competitor, valid volume and stake cover per offer.

    Per slot (bot.pricing.ledger): two offers a trust apart each show their own orders and capacity.
    """
    from bot.pricing.ledger import Ledger

    snap = view.snapshot
    ledger = None if snap is None else Ledger.of(snap, view.offers)
    out = []
    for offer in view.offers:
        own = () if snap is None else snap.own_in(offer.slot)
        listed = [o for o in own if o.published]
        rivals = () if snap is None else snap.competitors_for(offer)
        known = ledger is not None and ledger.utilization is not None
        out.append(
            OfferFigures(
                category=offer.category,
                tag=offer.tag,
                our_price=min((o.price for o in listed), default=None),
                best_competitor=min((e.price for e in rivals), default=None),
                valid_volume=sum(o.remaining for o in own),
                listed_orders=len(listed),
                unlisted_valid_orders=len(own) - len(listed),
                capacity=ledger.window(offer.slot) if known and ledger is not None else None,
                stake_required=0 if ledger is None else ledger.stake_needed(own),
            )
        )
    return tuple(out)
