"""Samplers: read the ports and assemble one ``MarketSnapshot`` per tick.

Each source is read on its own and may fail on its own. A failing source never leaves its part
silently old: the last good value is reused but its sampling time is kept, so
``bot.pricing.snapshot.build_snapshot`` reports the real age and, past ``rails.stale_after_seconds``,
marks the part stale (the rails then freeze or withdraw). A source that never answered is stale
from the start (its age is infinite).

What is read, per tick:

- ``book``: for every distinct (category, tag) of the offers, the open workerpool orders a
  requester asking for that tag sees (``BookQuery(category, min_tag=T)`` with app, dataset and
  requester ``any`` so restricted orders show), plus our own pool's listing (which of our orders
  are published). Other pools' orders become the competitors.
- ``requests``: open request orders per category, open to any pool or addressed to ours (one
  non-strict ``workerpool`` query per category).
- ``deals``: our pool's recent deals (``deals_window_seconds``).
- ``utilization``: the core scheduler's ``/metrics`` (``None`` without a ``PoolMetrics`` port).
- ``own_orders``: every order we track (journal) with its remaining volume from ``consumed()``
  on chain; orders found closed on chain stop being tracked.
- ``stake``: the owner's free and locked stake on the hub; the owner itself is read on chain.
- ``tasks``: our pool's tasks from the ``TaskFeed`` port (none without one): the run times of
  newly contributed ones are learned (bot.pricing.runtimes), and the open ones with the learned run
  times become the snapshot's task board, the admission test's input. A board older than
  ``stale_after`` is left out (the rails then size without it).
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from bot.domain.errors import BotError
from bot.domain.model import (
    BookEntry,
    Deal,
    MarketStatus,
    OwnOrder,
    PoolTask,
    PoolUtilization,
    RequestOrderView,
    SignedWorkerpoolOrder,
    Stake,
)
from bot.engine.ports import BookQuery, Chain, Clock, Journal, MarketReader, PoolMetrics, TaskFeed
from bot.pricing.rails import RailsConfig, RunningCharge
from bot.pricing.runtimes import RunTimeSamples, TailMode, TaskBoard, learn, task_board
from bot.pricing.snapshot import STANDARD_TIME_REFS, MarketSnapshot, Offer, build_snapshot

if TYPE_CHECKING:
    from bot.engine.executor import ExecutionReport

__all__ = ["SamplerMemory", "SamplerPorts", "SamplerSettings", "sample_snapshot"]


class SamplerPorts(Protocol):
    """What sampling reads: the cycle's ports without the writer and the signer
    (``bot.engine.cycle.CyclePorts`` is one; sampling never imports the cycle that calls it)."""

    @property
    def clock(self) -> Clock: ...
    @property
    def market(self) -> MarketReader: ...
    @property
    def chain(self) -> Chain: ...
    @property
    def metrics(self) -> PoolMetrics | None: ...
    @property
    def journal(self) -> Journal: ...
    @property
    def tasks(self) -> TaskFeed | None: ...


class SamplerSettings(Protocol):
    """The settings sampling needs (``bot.engine.cycle.CycleSettings`` is one)."""

    @property
    def workerpool(self) -> str: ...
    @property
    def offers(self) -> tuple[Offer, ...]: ...
    @property
    def rails(self) -> RailsConfig: ...
    @property
    def deals_window_seconds(self) -> float: ...
    @property
    def low_stake_nrlc(self) -> int: ...
    @property
    def low_gas_wei(self) -> int: ...


log = logging.getLogger("pricebot.samplers")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _SamplePlan:
    """What every tick asks the market for, derived once from the settings."""

    settings: SamplerSettings
    workerpool: str
    offers: tuple[Offer, ...]
    book_queries: tuple[BookQuery, ...]
    own_query: BookQuery
    request_categories: tuple[int, ...]
    # Two book queries in one category (other tags) may list the same order: dedupe then only.
    book_may_overlap: bool
    stale_after: float
    # Admission: the owners' run times per category (the estimator's prior), each category's
    # workClockTimeRef, and how far back the task feed is read (the longest deadline).
    priors: dict[int, float]
    time_refs: dict[int, float]
    task_lookback: float
    # ``[rails] running_charge``: the run-time tails the board carries (bot.pricing.runtimes).
    tails: TailMode | None

    @classmethod
    def of(cls, settings: SamplerSettings) -> _SamplePlan:
        wp = settings.workerpool.lower()
        offers = tuple(settings.offers)
        slots = tuple(dict.fromkeys((o.category, o.tag) for o in offers))
        categories = tuple(dict.fromkeys(o.category for o in offers))
        priors: dict[int, float] = {}
        refs: dict[int, float] = {c: float(r) for c, r in STANDARD_TIME_REFS.items()}
        for o in offers:
            priors[o.category] = max(priors.get(o.category, 0.0), float(o.task_seconds))
            refs[o.category] = float(o.work_clock_time_ref)
        return cls(
            settings=settings,
            workerpool=wp,
            offers=offers,
            book_queries=tuple(BookQuery(category=c, min_tag=t) for c, t in slots),
            own_query=BookQuery(workerpool=wp),
            request_categories=categories,
            book_may_overlap=len(slots) != len(categories),
            stale_after=float(settings.rails.stale_after_seconds),
            priors=priors,
            time_refs=refs,
            task_lookback=7.0 * max(refs.values()),
            tails=_tail_mode(settings.rails.running_charge),
        )


def _tail_mode(charge: RunningCharge) -> TailMode | None:
    """The board's tails for ``[rails] running_charge``: none for main's "floor"."""
    if charge == "tail":
        return "tail"
    if charge == "conditional":
        return "conditional"
    return None


@dataclass(slots=True)
class SamplerMemory:
    """What sampling remembers between ticks: tracked orders and last good values per part."""

    tracked: dict[str, SignedWorkerpoolOrder] = field(default_factory=dict)
    published_at: dict[str, float] = field(default_factory=dict)
    # Per part, its last good value and when it was read (each part holds its own fetch's type).
    last_good: dict[str, tuple[float, object]] = field(default_factory=dict)
    owner: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    # The gas wallet's balance as last read (None: not watched, or the read failed: then why).
    gas_wei: int | None = None
    gas_error: str | None = None
    # Per-tick speed (backtests run ~43k ticks a month): the queries built once per settings,
    # and each tracked order's last OwnOrder, reused while nothing about it changed.
    plan: _SamplePlan | None = None
    own_seen: dict[str, OwnOrder] = field(default_factory=dict)
    previous: MarketSnapshot | None = None  # built with ``plan``: see build_snapshot
    run_times: RunTimeSamples = field(default_factory=RunTimeSamples)

    def track(self, signed: SignedWorkerpoolOrder) -> None:
        self.tracked[signed.order_hash] = signed

    def track_from_journal(self, journal: Journal) -> None:
        """Every order the journal does not know to be closed: it may still be valid on chain."""
        for row in journal.order_rows(open_only=True):
            self.track(row.signed)

    def after_execution(self, report: ExecutionReport) -> None:
        if not report.has_writes:
            return
        for step in report.steps:
            if step.kind in ("publish", "fill") and step.signed is not None:
                # Signed means valid on chain, whether or not the publish (or match) went
                # through; a consumed or closed one drops out when read.
                self.track(step.signed)
            elif step.kind == "cancel" and step.outcome == "ok" and step.order_hash:
                self.tracked.pop(step.order_hash, None)
                self.published_at.pop(step.order_hash, None)


def _read(
    memory: SamplerMemory, part: str, now: float, fetch: Callable[[], T]
) -> tuple[T | None, float | None]:
    """Fetch a part, or fall back to its last good value with that value's own sampling time."""
    try:
        value = fetch()
    except BotError as exc:
        memory.errors[part] = str(exc)
        old = memory.last_good.get(part)
        log.warning(
            "sampling %s failed (%s); %s",
            part,
            exc,
            "reusing older value" if old else "no value yet",
        )
        if old is None:
            return None, None
        # ``part`` is only ever stored by this same fetch, so its value has the fetch's type.
        return cast(T, old[1]), old[0]
    memory.errors.pop(part, None)
    memory.last_good[part] = (now, value)
    return value, now


def _dedupe(items: list[T], key: Callable[[T], str]) -> list[T]:
    """First occurrence of each key, in order (pages may shift under a live market)."""
    if len(set(map(key, items))) == len(items):
        return items  # the common case, without a Python-level loop
    seen: dict[str, T] = {}
    for item in items:
        seen.setdefault(key(item), item)
    return list(seen.values())


_hash_of = operator.attrgetter("order_hash")


def sample_snapshot(
    ports: SamplerPorts, settings: SamplerSettings, memory: SamplerMemory
) -> MarketSnapshot:
    now = ports.clock.now()
    plan = memory.plan
    if plan is None or plan.settings is not settings:
        plan = memory.plan = _SamplePlan.of(settings)
        memory.previous = None
    wp = plan.workerpool
    market = ports.market
    sampled: dict[str, float] = {}

    def fetch_book() -> tuple[list[BookEntry], list[BookEntry]]:
        entries: list[BookEntry] = []
        for query in plan.book_queries:
            entries.extend(market.workerpool_orders(query))
        ours = market.workerpool_orders(plan.own_query)
        return _dedupe(entries, _hash_of), ours

    book_parts, t = _read(memory, "book", now, fetch_book)
    book: list[BookEntry] = []
    listed: dict[str, BookEntry] = {}
    if book_parts is not None and t is not None:
        book = [e for e in book_parts[0] if e.workerpool != wp]
        listed = {e.order_hash: e for e in book_parts[1]}
        sampled["book"] = t

    def fetch_requests() -> list[RequestOrderView]:
        out: list[RequestOrderView] = []
        for category in plan.request_categories:
            # With ``workerpool`` the marketplace lists requests open to any pool *and* those
            # addressed to ours (non-strict filter): one query per category sees all our demand.
            out.extend(market.request_orders(category=category, workerpool=wp))
        return _dedupe(out, _hash_of)

    requests, t = _read(memory, "requests", now, fetch_requests)
    if t is not None:
        sampled["requests"] = t

    def fetch_deals() -> list[Deal]:
        return market.deals(wp, since=now - settings.deals_window_seconds)

    deals, t = _read(memory, "deals", now, fetch_deals)
    if t is not None:
        sampled["deals"] = t

    util: PoolUtilization | None = None
    if ports.metrics is not None:
        metrics = ports.metrics
        util, t = _read(memory, "utilization", now, metrics.utilization)
        if t is not None:
            sampled["utilization"] = t

    board: TaskBoard | None = None
    feed = ports.tasks
    if feed is not None:

        def fetch_tasks() -> list[PoolTask]:
            return feed.pool_tasks(wp, since=now - plan.task_lookback)

        tasks, t = _read(memory, "tasks", now, fetch_tasks)
        if tasks is not None and t is not None and now - t <= plan.stale_after:
            memory.run_times = learn(memory.run_times, tasks)
            board = task_board(
                now, tasks, memory.run_times, plan.priors, plan.time_refs, tails=plan.tails
            )

    chain = ports.chain

    def fetch_own() -> list[OwnOrder]:
        own: list[OwnOrder] = []
        tracked = list(memory.tracked.items())
        # One JSON-RPC batch for several orders; a single one is read on its own.
        consumed = chain.consumed_many([h for h, _ in tracked]) if len(tracked) > 1 else {}
        published_at = memory.published_at
        seen = memory.own_seen
        fresh: dict[str, OwnOrder] = {}
        for h, signed in tracked:
            used = consumed[h] if h in consumed else chain.consumed(h)
            remaining = signed.order.volume - used
            if remaining <= 0:
                memory.tracked.pop(h, None)
                published_at.pop(h, None)
                ports.journal.set_order_state(h, "closed", now)
                continue
            entry = listed.get(h)
            if entry is not None:
                since = published_at.setdefault(h, entry.published_at)
                status: MarketStatus | None = entry.status
            else:
                # Never listed (yet): its age counts from the first tick that saw it unlisted,
                # so a relist that keeps failing ends at max_order_age (the planner replaces it).
                since = published_at.setdefault(h, now)
                status = None
            last = seen.get(h)
            if (
                last is not None
                and last.remaining == remaining
                and last.published_at == since
                and last.market_status is status
                and last.published is (entry is not None)
                and last.signed is signed
            ):
                order = last  # unchanged: the same object lets later stages compare cheaply
            else:
                order = OwnOrder(
                    signed=signed,
                    remaining=remaining,
                    published=entry is not None,
                    published_at=since,
                    market_status=status,
                )
            fresh[h] = order
            own.append(order)
        memory.own_seen = fresh
        return own

    own, t = _read(memory, "own_orders", now, fetch_own)
    if t is not None:
        sampled["own_orders"] = t

    def fetch_stake() -> Stake:
        owner = chain.owner(wp)
        memory.owner = owner.lower()
        return chain.stake(owner)

    stake, t = _read(memory, "stake", now, fetch_stake)
    if t is not None:
        sampled["stake"] = t
        assert stake is not None
        if settings.low_stake_nrlc and stake.free < settings.low_stake_nrlc:
            log.warning(
                "low stake: %s nRLC free < %s nRLC warning level; orders may go dead",
                stake.free,
                settings.low_stake_nrlc,
            )
    if settings.low_gas_wei:
        try:
            gas = chain.gas_balance()
            memory.gas_wei, memory.gas_error = gas, None
            if gas < settings.low_gas_wei:
                log.warning(
                    "low gas wallet balance: %s wei < %s wei; on-chain cancels may fail",
                    gas,
                    settings.low_gas_wei,
                )
        except BotError as exc:
            memory.gas_error = str(exc)
            log.warning("gas balance unavailable: %s", exc)

    for part in ("book", "requests", "deals", "utilization", "own_orders", "stake"):
        # Never answered: infinitely old, so stale (build_snapshot would otherwise assume fresh).
        sampled.setdefault(part, float("-inf"))
    snapshot = build_snapshot(
        at=now,
        workerpool=wp,
        offers=plan.offers,
        book=book,
        requests=requests or (),
        deals=deals or (),
        utilization=util,
        own_orders=own or (),
        stake=stake,
        sampled_at=sampled,
        stale_after=plan.stale_after,
        previous=memory.previous,
        tasks=board,
    )
    memory.previous = snapshot
    return snapshot
