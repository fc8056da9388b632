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
from typing import TYPE_CHECKING

from bot.domain.model import Quote
from bot.pricing.rails import RailsConfig
from bot.pricing.snapshot import MarketSnapshot, Offer

if TYPE_CHECKING:
    from bot.ops._history import PricePoint

__all__ = [
    "DURATION_BUCKETS",
    "INVARIANTS",
    "PART_SOURCE",
    "PERSISTENT_TICKS",
    "SOURCES",
    "OfferFigures",
    "OpsView",
    "ServiceFacts",
    "StepView",
    "TickOutcome",
    "after_tick",
    "after_tick_error",
    "cheaper_valid_orders",
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
INVARIANTS: tuple[str, ...] = ("cap", "cheaper_valid")
"""What must hold after the planner had its chance: valid volume within the capacity window
(``cap``), and no order of ours valid on chain below the price we list (``cheaper_valid``)."""
PERSISTENT_TICKS = 3
"""Ticks a breach must last before it counts: one tick may legitimately end over (a cancel
still confirming, capacity that just fell); the planner fixes it on the next."""


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class StepView:
    """One executed step as the ops surface shows it (built by the service from the executor's
    report, so this package never imports the executor)."""

    kind: str
    outcome: str
    category: int | None = None
    price: int | None = None
    reason: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TickOutcome:
    """What one tick decided and did: its steps, the kill switch, the strategy's word."""

    steps: tuple[StepView, ...] = ()
    kill: str | None = None
    strategy_error: str | None = None
    reason: str | None = None
    quotes: tuple[Quote, ...] = ()  # after the rails: the prices the planner worked to


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    """What the service knows beside the snapshot, read after each job (never by the server).

    ``owner`` is the workerpool's owner as last read on chain; ``gas_wei`` the gas wallet's
    balance (None: not watched or unreadable, then ``gas_error`` says why); the HTTP counters
    are cumulative per source since start (the marketplace client counts them); ``missed_tasks``
    are the ids of our pool's tasks whose contribution deadline passed uncontributed.
    """

    owner: str | None = None
    gas_wei: int | None = None
    gas_error: str | None = None
    tracked_orders: int = 0
    http_requests: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    http_retries: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    rate_limited: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    missed_tasks: frozenset[str] = frozenset()
    core_configured: bool = True


@dataclass(frozen=True, slots=True)
class OpsView:
    """What the service looked like after its last job; never mutated, only replaced."""

    started_at: float
    workerpool: str
    network: str
    strategy: str
    live: bool
    reprice_seconds: int
    stale_limit_seconds: float
    low_stake_nrlc: int = 0
    version: str = ""
    offers: tuple[Offer, ...] = ()
    chain_id: int = 0
    expected_owner: str | None = None
    low_gas_wei: int = 0
    rails: RailsConfig | None = None
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
    snapshot: MarketSnapshot | None = None
    steps: tuple[StepView, ...] = ()
    kill: str | None = None
    strategy_error: str | None = None
    reason: str | None = None
    source_errors: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    facts: ServiceFacts = field(default_factory=ServiceFacts)
    reconciled: bool = False
    invariant_violations: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType(dict.fromkeys(INVARIANTS, 0))
    )
    over_cap_ticks: int = 0
    cheaper_valid_ticks: int = 0
    missed_tasks_seen: frozenset[str] = frozenset()
    config_generation: int = 0
    prices: tuple[PricePoint, ...] = ()  # one per tick, newest last (bounded: bot.ops._history)

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


def _breaches(
    view: OpsView, snapshot: MarketSnapshot, outcome: TickOutcome | None
) -> tuple[int, int]:
    """Consecutive ticks over the cap and with a cheaper order of ours still valid on chain.

    The cap is the engine's own (bot.pricing.ledger): the orders it counts, judged against the prices
    this tick wanted, must fit the pool's window. Only ticks that acted count (paused or
    kill-switched ticks leave orders as they are on purpose); any other tick resets both runs.
    """
    from bot.pricing.ledger import Ledger

    if outcome is None or outcome.kill is not None or view.paused:
        return 0, 0
    probe = replace(view, snapshot=snapshot)
    ledger = Ledger.of(snapshot, view.offers, view.rails).wanting(
        {q.slot: q for q in outcome.quotes}
    )
    over = not ledger.load_fits(ledger.tally(snapshot.own_orders))
    cheaper = bool(cheaper_valid_orders(probe))
    return (view.over_cap_ticks + 1 if over else 0, view.cheaper_valid_ticks + 1 if cheaper else 0)


def cheaper_valid_orders(view: OpsView) -> tuple[tuple[int, int, int], ...]:
    """(category, price, our listed price) of each unlisted order of ours that is still valid on
    chain and cheaper than the cheapest order we list in its slot: left behind by a price rise,
    anyone holding it buys below our price."""
    snap = view.snapshot
    if snap is None:
        return ()
    out = []
    for offer in view.offers:
        own = snap.own_in(offer.slot)
        listed = [o.price for o in own if o.published]
        if not listed:
            continue
        floor = min(listed)
        out += [(o.category, o.price, floor) for o in own if not o.published and o.price < floor]
    return tuple(out)


def after_tick(
    view: OpsView,
    *,
    at: float,
    duration: float,
    snapshot: MarketSnapshot,
    outcome: TickOutcome | None,
    source_errors: Mapping[str, str],
    facts: ServiceFacts,
) -> OpsView:
    """The view after a job that ran: a tick (``outcome``) or, paused, a sample only."""
    counts, total = _bucketed(view, duration)
    over, cheaper = _breaches(view, snapshot, outcome)
    violations = dict(view.invariant_violations)
    if over == PERSISTENT_TICKS:
        violations["cap"] = violations.get("cap", 0) + 1
    if cheaper == PERSISTENT_TICKS:
        violations["cheaper_valid"] = violations.get("cheaper_valid", 0) + 1
    common = replace(
        view,
        last_tick_at=at,
        last_success_at=at,
        last_error=None,
        duration_counts=counts,
        duration_sum=total,
        snapshot=snapshot,
        source_errors=_frozen(source_errors),
        facts=facts,
        reconciled=True,
        over_cap_ticks=over,
        cheaper_valid_ticks=cheaper,
        invariant_violations=MappingProxyType(violations),
        missed_tasks_seen=view.missed_tasks_seen | facts.missed_tasks,
    )
    if outcome is None:  # paused: sampled, nothing decided
        return replace(common, cycles_paused=view.cycles_paused + 1)
    return replace(
        common,
        cycles_ok=view.cycles_ok + 1,
        steps=outcome.steps,
        kill=outcome.kill,
        strategy_error=outcome.strategy_error,
        reason=outcome.reason,
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
