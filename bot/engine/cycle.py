"""One tick of the bot: ports -> snapshot -> fenced strategy -> rails -> planner -> executor.

This function is shared by the live service, the sandbox and the backtester; only the ports
differ. Public surface (stable; the backtester builds on it)::

    ports = CyclePorts(clock, market, writer, chain, signer, metrics, journal, tasks)
    settings = bot.config.settings.cycle_settings(config, live=False)   # or CycleSettings(...)
    state = CycleState.restore(ports.journal)        # strategy state + tracked orders
    result = run_cycle(ports, settings, strategy, state, rng)      # -> TickResult
    # or, holding everything for a loop:
    cycle = Cycle(ports, settings, strategy, rng=random.Random(seed))
    result = cycle.tick()

- ``strategy`` is an *instance* from the registry (``bot.config.settings.strategy_of(config)``); the cycle
  only calls it through the fence, so a raising strategy keeps the current orders.
- ``state`` is mutated in place: the strategy's new state, the orders we track (every order of
  ours possibly still valid on chain), the sampler's last good values, and ``last`` (the result).
- ``rng`` is the only randomness handed to the strategy (seeded in backtests).
- ``executor`` may be passed to share one write lock across callers (the service does); by default
  one is built from the ports with :func:`make_executor`, the one place an ``Executor`` is built.
- A tick runs under ``settings.cycle_deadline_s`` and each write under ``action_deadline_s``
  (``bot.engine.deadline``): the adapters' retries stop there. The backtester sets both to ``None``
  (simulated time), so its ticks never read the real clock for them.
- Hot path: nothing is JSON-encoded unless the journal persists it (``settings.record_snapshots`` /
  ``record_decisions``) and the journal is ``persistent``; otherwise decisions are handed over as
  plain objects.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot.domain.errors import BotError, OwnershipError, StrategyError
from bot.domain.fill_orders import fill_record
from bot.domain.model import Action, Keep, OwnOrder, Publish, Quote, Slot
from bot.domain.networks import Network
from bot.domain.safe_json import JsonValue
from bot.engine import deadline
from bot.engine.executor import DEFAULT_ACTION_DEADLINE_S, ExecutionReport, Executor
from bot.engine.fill_exec import FillExecutor, reusable
from bot.engine.fill_ports import FillPorts
from bot.engine.ports import (
    Chain,
    Clock,
    Journal,
    MarketReader,
    MarketWriter,
    PoolMetrics,
    Signer,
    TaskFeed,
)
from bot.engine.samplers import SamplerMemory, sample_snapshot
from bot.pricing.fills import (
    DEFAULT_MATCH_GAS,
    FillCandidate,
    FillIntent,
    FillMemory,
    FillPolicy,
    SizedFill,
    candidates,
    displaced_per_task,
    fillable,
    idle_for_fills,
    listing_for_fills,
    posted_view,
    posted_waiting,
    propose_fills,
)
from bot.pricing.ledger import Ledger
from bot.pricing.planner import plan
from bot.pricing.rails import RailsConfig, RailsResult, apply_rails
from bot.pricing.snapshot import MarketSnapshot, Offer
from strategies import Decision, Strategy, run_fenced

__all__ = [
    "Cycle",
    "CyclePorts",
    "CycleSettings",
    "CycleState",
    "TickResult",
    "make_executor",
    "make_fill_executor",
    "run_cycle",
]

log = logging.getLogger("pricebot.cycle")

DEFAULT_CYCLE_DEADLINE_S = 300.0
"""A whole tick (sampling with its retries, then the writes): past it the remaining reads fall
back to their last good values and the remaining writes fail fast; the next tick starts over."""


@dataclass(frozen=True, slots=True)
class CyclePorts:
    """Everything with side effects a tick may touch, injected (live, sandbox or simulated)."""

    clock: Clock
    market: MarketReader
    writer: MarketWriter
    chain: Chain
    signer: Signer | None
    metrics: PoolMetrics | None
    journal: Journal
    tasks: TaskFeed | None = None  # our pool's tasks, for admission (bot.pricing.admission)
    fills: FillPorts | None = (
        None  # the fill book and matchOrders (bot.pricing.fills), when enabled
    )


@dataclass(frozen=True, slots=True)
class CycleSettings:
    """What a tick needs from the configuration (built by ``bot.config.settings.cycle_settings``).

    ``live=False`` is dry-run: the executor records what it would do and changes nothing.
    """

    workerpool: str
    offers: tuple[Offer, ...]
    rails: RailsConfig
    live: bool = False
    record_snapshots: bool = False
    record_decisions: bool = True
    deals_window_seconds: float = 3600.0
    cycle_deadline_s: float | None = DEFAULT_CYCLE_DEADLINE_S
    action_deadline_s: float | None = DEFAULT_ACTION_DEADLINE_S
    low_stake_nrlc: int = 0
    low_gas_wei: int = 0
    fills: FillPolicy = field(default_factory=FillPolicy)
    network: Network | None = None  # the EIP-712 domain fills check orders against


@dataclass(frozen=True, slots=True)
class TickResult:
    """What happened in one tick: inputs, each stage's output, and what the executor did."""

    at: float
    snapshot: MarketSnapshot
    decision: Decision | None
    rails: RailsResult | None
    actions: tuple[Action, ...]
    report: ExecutionReport
    strategy_error: str | None = None
    kill: str | None = None
    fills: tuple[SizedFill, ...] = ()  # what the rails admitted to fill (report: what happened)


@dataclass(slots=True)
class CycleState:
    # What the strategy returned last (None: its initial state); the journal's JSON on restore.
    strategy_state: JsonValue = None
    sampler: SamplerMemory = field(default_factory=SamplerMemory)
    last: TickResult | None = None
    fill_memory: FillMemory = field(default_factory=FillMemory)  # caps waiting requests revealed

    @classmethod
    def restore(cls, journal: Journal) -> CycleState:
        """Strategy state and tracked orders from the journal: a restart resumes, not restarts."""
        state = cls(strategy_state=journal.load_strategy_state())
        state.sampler.track_from_journal(journal)
        return state


def _keep_all(own: tuple[OwnOrder, ...], reason: str) -> tuple[Action, ...]:
    return tuple(Keep(o.order_hash, reason) for o in own)


def _decision_payload(result: TickResult) -> dict[str, object]:
    from bot.engine.snapshot_codec import to_jsonable

    return {
        "at": result.at,
        "strategy_error": result.strategy_error,
        "kill": result.kill,
        "decision": to_jsonable(result.decision),
        "rails": to_jsonable(result.rails),
        "actions": [to_jsonable(a) for a in result.actions],
        "steps": [to_jsonable(s) for s in result.report.steps],
    }


def run_cycle(
    ports: CyclePorts,
    settings: CycleSettings,
    strategy: Strategy[object],
    state: CycleState,
    rng: random.Random,
    executor: Executor | None = None,
    fill_executor: FillExecutor | None = None,
) -> TickResult:
    """Run one tick; see the module docstring for the contract."""
    if settings.cycle_deadline_s is None:
        return _run_cycle(ports, settings, strategy, state, rng, executor, fill_executor)
    with deadline.within(settings.cycle_deadline_s, "cycle"):
        return _run_cycle(ports, settings, strategy, state, rng, executor, fill_executor)


def make_fill_executor(
    ports: CyclePorts, settings: CycleSettings, *, salt: Callable[[], str] | None = None
) -> FillExecutor | None:
    """The fill executor of these ports and settings (None: fills disabled or not wired)."""
    if not settings.fills.enabled or ports.fills is None or settings.network is None:
        return None
    return FillExecutor(
        workerpool=settings.workerpool,
        network=settings.network,
        clock=ports.clock,
        chain=ports.chain,
        signer=ports.signer,
        journal=ports.journal,
        ports=ports.fills,
        policy=settings.fills,
        live=settings.live,
        salt=salt,
    )


def _read_fill_book(
    ports: CyclePorts, settings: CycleSettings, snapshot: MarketSnapshot
) -> MarketSnapshot:
    """The snapshot with the fill book (bot.pricing.fills), when fills are on; unread on failure."""
    if not settings.fills.enabled or ports.fills is None:
        return snapshot
    try:
        book = ports.fills.reader.fill_book(settings.workerpool)
    except BotError as exc:
        log.warning("fill book not read (%s): no fill this tick", exc)
        return snapshot
    return replace(snapshot, fill_book=book)


def _listed_prices(snapshot: MarketSnapshot, rails: RailsResult) -> dict[Slot, int]:
    """Our listed price per slot: the rails' quote with volume, else our published order."""
    listed = {q.slot: q.price for q in rails.quotes if q.volume > 0}
    for slot in snapshot.own_by_slot:
        if slot not in listed:
            current = snapshot.current_price(slot)
            if current is not None:
                listed[slot] = current
    return listed


def _climbing(
    quotes: Sequence[Quote],
    asked: Sequence[Quote],
    listed: Mapping[Slot, int],
    snapshot: MarketSnapshot,
    ceiling: int,
) -> frozenset[Slot]:
    """The slots whose listing the listing rule raised above the strategy's quote (``asked``)
    and that rise this tick still short of it (the rails clamped the step): a fill there waits
    for the higher price (``fills.wait_for_listing``). A strategy's own climbs are not waited
    on (robust's trials come back down: on TRAIN ``captive_us`` 1073 waiting on every climb cost
    `robust` 3.4 RLC after gas), nor a listing held below its quote without rising (a gate): a
    fill never waits on a price that does not move."""
    theirs = {q.slot: q.price for q in asked}
    out = set()
    for q in quotes:
        now = listed.get(q.slot)
        if q.volume <= 0 or now is None or q.price <= theirs.get(q.slot, q.price):
            continue
        if now >= min(q.price, ceiling):
            continue
        before = snapshot.current_price(q.slot)
        if before is None or now > before:
            out.add(q.slot)
    return frozenset(out)


def _within_listing(
    result: RailsResult,
    ok: list[tuple[FillIntent, FillCandidate]],
    quotes: Sequence[Quote],
    snapshot: MarketSnapshot,
    ledger: Ledger,
    cfg: RailsConfig,
) -> RailsResult:
    """The fills charged at most what we list in their slot *after* they are sized.

    Fills are sized before the quotes, so they can take the capacity a quote had in the first
    pass: its order would then be withdrawn and the fill would charge a price nobody can see.
    Such a slot's fills give back one task (the listing stays public with it), then, if that is
    not enough, are dropped; a fill priced above the final listing is lowered to it (a
    strategy's own intent included)."""
    for attempt in range(2):
        listed = {q.slot: q.price for q in result.quotes if q.volume > 0}
        unlisted = {f.candidate.offer.slot for f in result.fills} - set(listed)
        dear = [f for f in result.fills if f.price > listed.get(f.candidate.offer.slot, f.price)]
        if not unlisted and not dear:
            return result
        sized = {f.candidate.request_hash: f for f in result.fills}
        again: list[tuple[FillIntent, FillCandidate]] = []
        give_back = set(unlisted) if attempt == 0 else set()
        for intent, cand in reversed(ok):
            f = sized.get(cand.request_hash)
            slot = cand.offer.slot
            if f is None or (attempt == 1 and slot in unlisted):
                continue
            volume = f.volume
            if slot in give_back:
                give_back.discard(slot)
                volume -= 1
            if volume > 0:
                price = min(f.price, listed.get(slot, f.price))
                again.append((replace(intent, price=price, volume=volume), cand))
        ok = again[::-1]
        result = apply_rails(quotes, snapshot, ledger, cfg, fills=ok)
    listed = {q.slot: q.price for q in result.quotes if q.volume > 0}
    fills = tuple(f for f in result.fills if f.price <= listed.get(f.candidate.offer.slot, -1))
    return result if fills == result.fills else replace(result, fills=fills)


def make_executor(
    ports: CyclePorts, settings: CycleSettings, *, salt: Callable[[], str] | None = None
) -> Executor:
    """The executor of these ports and settings (``salt``: the backtest's deterministic one)."""
    return Executor(
        workerpool=settings.workerpool,
        clock=ports.clock,
        writer=ports.writer,
        chain=ports.chain,
        signer=ports.signer,
        journal=ports.journal,
        live=settings.live,
        action_deadline_s=settings.action_deadline_s,
        salt=salt,
    )


def _run_cycle(
    ports: CyclePorts,
    settings: CycleSettings,
    strategy: Strategy[object],
    state: CycleState,
    rng: random.Random,
    executor: Executor | None,
    fill_executor: FillExecutor | None,
) -> TickResult:
    snapshot = _read_fill_book(ports, settings, sample_snapshot(ports, settings, state.sampler))
    at = float(snapshot.at)
    owner = state.sampler.owner
    signer = ports.signer
    if settings.live and signer is not None and owner not in (None, signer.address.lower()):
        # The owner is read every tick anyway (for the stake): stop now, not at the next write.
        raise OwnershipError(
            f"workerpool {settings.workerpool} is now owned by {owner}, not by the loaded "
            f"key {signer.address.lower()}: stopping"
        )
    if settings.record_snapshots and ports.journal.persistent:
        from bot.engine.snapshot_codec import snapshot_to_payload

        ports.journal.record_snapshot(at, snapshot_to_payload(snapshot))
    own: tuple[OwnOrder, ...] = tuple(snapshot.own_orders)

    decision = None
    rails_result: RailsResult | None = None
    ledger: Ledger | None = None
    strategy_error: str | None = None
    kill: str | None = None
    seen = snapshot  # what the strategy prices on: posted sales only when we fill
    book = snapshot.fill_book
    filling: dict[str, FillCandidate] = {}  # the requests we may fill this tick, by hash
    if settings.fills.enabled:
        filling = fillable(book, settings.offers, settings.workerpool, settings.rails.floor)
        seen = posted_view(snapshot, state.fill_memory, settings.fills)
    try:
        decision = run_fenced(strategy, seen, settings.offers, state.strategy_state, rng)
    except StrategyError as exc:
        strategy_error = str(exc)
    if decision is None or strategy_error is not None:
        reason = f"strategy failed, keeping current orders: {strategy_error}"
        actions = _keep_all(own, reason)
    elif decision.abstain:
        state.strategy_state = decision.state
        actions = _keep_all(own, f"strategy abstained: {decision.reason or 'no opinion'}")
    else:
        state.strategy_state = decision.state
        ledger = Ledger.of(snapshot, settings.offers, settings.rails)
        # The owner's rails with the raise gate's factor resolved (the strategy's own unless
        # [rails] sets one).
        rails_cfg = settings.rails.for_strategy(strategy.raise_gain_factor)
        quotes = decision.quotes
        if settings.fills.enabled:
            state.fill_memory = state.fill_memory.observe(
                book, at, lambda r: r.order_hash in filling, settings.fills
            ).measure(snapshot, settings.offers, settings.deals_window_seconds, settings.fills)
            quotes, state.fill_memory = listing_for_fills(
                quotes,
                seen,
                settings.offers,
                state.fill_memory,
                settings.fills,
                rails_cfg.ceiling,
                settings.deals_window_seconds,
            )
        rails_result = apply_rails(quotes, snapshot, ledger, rails_cfg)
        if (
            settings.fills.enabled
            and rails_result.kill is None
            and book is not None
            and book.requests
        ):
            # Fills price against what we list (the first pass), then are sized first (second).
            cfg = rails_cfg
            listed = _listed_prices(snapshot, rails_result)
            # Posted buyers waiting for our capacity, at what we list (else quote) in their slot:
            # what a fill's slot time takes from them now.
            asked = {**{q.slot: q.price for q in rails_result.quotes}, **listed}
            holding = state.fill_memory.holding(snapshot, settings.offers)
            waiting = posted_waiting(snapshot, settings.offers, asked, holding)
            intents = decision.fills or propose_fills(
                book,
                settings.offers,
                settings.workerpool,
                listed,
                settings.fills,
                cfg.floor,
                cfg.ceiling,
                displaced=displaced_per_task(
                    state.fill_memory, settings.offers, settings.fills, waiting
                ),
                climbing=_climbing(quotes, decision.quotes, listed, snapshot, cfg.ceiling),
                terms=filling,
                idle=(
                    idle_for_fills(
                        snapshot,
                        settings.offers,
                        state.fill_memory,
                        settings.deals_window_seconds,
                        waiting,
                    )
                    if settings.fills.idle_under_listing
                    else None
                ),
            )
            # Only as many as may be sent this tick: a fill the executor will not send must not
            # take room from the quotes (max_per_tick, and the day's gas budget left).
            room = settings.fills.max_per_tick
            if fill_executor is not None:
                room = min(room, fill_executor.gas_left_today(at) // DEFAULT_MATCH_GAS)
            ok, _ = candidates(intents, book, settings.offers, settings.workerpool, cfg.floor)
            ok = ok[: max(0, room)]
            if ok:
                rails_result = apply_rails(quotes, snapshot, ledger, cfg, fills=ok)
                if settings.fills.price == "listed":
                    rails_result = _within_listing(rails_result, ok, quotes, snapshot, ledger, cfg)
                taking = {f.candidate.request_hash for f in rails_result.fills}
                state.fill_memory = state.fill_memory.taking(
                    r for r in snapshot.requests if r.order_hash in taking
                )
        kill = rails_result.kill
        if kill is not None:
            log.warning("kill switch (%s): %s", kill, _kill_reason(rails_result))
        actions = tuple(
            plan(
                snapshot,
                rails_result.quotes,
                settings.rails,
                ledger=ledger,
                kill=kill,
            ).actions
        )

    if executor is None:
        executor = make_executor(ports, settings)
    # The cap re-check only matters before a publish; most ticks keep everything as it is.
    # Unpublished orders count as the planner counted them: against the quotes it planned for.
    recheck = None
    if ledger is not None and rails_result is not None:
        for a in actions:
            if isinstance(a, Publish):
                recheck = ledger.wanting({q.slot: q for q in rails_result.quotes})
                break
    fills = () if rails_result is None else rails_result.fills
    if fills and fill_executor is None:
        fill_executor = make_fill_executor(ports, settings)
    fill_steps = []
    if fills and fill_executor is not None:
        # An order of ours already signed for a request (journalled before a crash) is sent
        # again first: it is counted already, and the plan's cancels must not close it first.
        again = [f for f in fills if reusable(f, own) is not None]
        fresh = [f for f in fills if reusable(f, own) is None]
        fill_steps += fill_executor.execute(again, own, None)
        report = executor.execute(actions, own, recheck)
        if fresh:
            account = None
            if ledger is not None and rails_result is not None:
                account = ledger.wanting({q.slot: q for q in rails_result.quotes})
            fill_steps += fill_executor.execute(fresh, _valid_after(own, report, at), account)
        report.steps.extend(fill_steps)
        records = (fill_record(s.detail) for s in fill_steps if s.outcome == "ok")
        state.fill_memory = state.fill_memory.record((r.deal_id for r in records if r), at)
    else:
        report = executor.execute(actions, own, recheck)
    state.sampler.after_execution(report)

    result = TickResult(
        at=at,
        snapshot=snapshot,
        decision=decision,
        rails=rails_result,
        actions=actions,
        report=report,
        strategy_error=strategy_error,
        kill=kill,
        fills=fills,
    )
    if decision is not None and strategy_error is None:
        ports.journal.save_strategy_state(state.strategy_state)
    if settings.record_decisions:
        if ports.journal.persistent:
            ports.journal.record_decision(at, _decision_payload(result))
        else:
            ports.journal.record_decision(at, {"result": result})
    state.last = result
    if log.isEnabledFor(logging.INFO):
        _log_decisions(result)
    return result


def _log_decisions(result: TickResult) -> None:
    """One line per decision with its reason (owners ask why nothing happened)."""
    for step in result.report.steps:
        price = "" if step.price is None else f" @ {step.price} nRLC"
        cat = "" if step.category is None else f" cat {step.category}"
        if step.kind == "keep":
            log.info("decision: keep%s%s: kept because %s", cat, price, step.reason)
        else:
            what = step.outcome + (f" ({step.detail})" if step.detail else "")
            log.info("decision: %s%s%s -> %s: %s", step.kind, cat, price, what, step.reason)
    if not result.report.steps:
        log.info("decision: nothing to do (no order wanted, none held)")


def _valid_after(own: tuple[OwnOrder, ...], report: ExecutionReport, at: float) -> list[OwnOrder]:
    """Our orders still valid after the plan's steps: cancels confirmed drop out, orders signed
    for a publish come in (valid on chain whether or not the publish went through)."""
    closed = {s.order_hash for s in report.steps if s.kind == "cancel" and s.outcome == "ok"}
    out = [o for o in own if o.order_hash not in closed]
    for s in report.steps:
        if s.kind == "publish" and s.signed is not None:
            out.append(OwnOrder(s.signed, s.signed.order.volume, s.outcome == "ok", at))
    return out


def _kill_reason(rails_result: RailsResult) -> str:
    kills = [f"{n.rule}: {n.detail}" for n in rails_result.notes if n.rule.kills]
    return "; ".join(kills) if kills else "stale or abnormal data"


class Cycle:
    """A tick loop's worth of state around :func:`run_cycle` (used by the service and backtests)."""

    def __init__(
        self,
        ports: CyclePorts,
        settings: CycleSettings,
        strategy: Strategy[object],
        *,
        rng: random.Random | None = None,
        state: CycleState | None = None,
        executor: Executor | None = None,
        fill_executor: FillExecutor | None = None,
    ) -> None:
        self.ports = ports
        self.settings = settings
        self.strategy = strategy
        self.rng = rng if rng is not None else random.Random()
        self.state = state if state is not None else CycleState.restore(ports.journal)
        self.executor = executor or make_executor(ports, settings)
        self.fill_executor = fill_executor or make_fill_executor(ports, settings)

    def tick(self) -> TickResult:
        return run_cycle(
            self.ports,
            self.settings,
            self.strategy,
            self.state,
            self.rng,
            self.executor,
            self.fill_executor,
        )
