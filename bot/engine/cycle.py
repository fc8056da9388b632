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
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.domain.errors import OwnershipError, StrategyError
from bot.domain.model import Action, Keep, OwnOrder, Publish
from bot.engine import deadline
from bot.engine.executor import DEFAULT_ACTION_DEADLINE_S, ExecutionReport, Executor
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


@dataclass(slots=True)
class CycleState:
    strategy_state: object = None  # what the strategy returned last (None: its initial state)
    sampler: SamplerMemory = field(default_factory=SamplerMemory)
    last: TickResult | None = None

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
) -> TickResult:
    """Run one tick; see the module docstring for the contract."""
    if settings.cycle_deadline_s is None:
        return _run_cycle(ports, settings, strategy, state, rng, executor)
    with deadline.within(settings.cycle_deadline_s, "cycle"):
        return _run_cycle(ports, settings, strategy, state, rng, executor)


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
) -> TickResult:
    snapshot = sample_snapshot(ports, settings, state.sampler)
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
    try:
        decision = run_fenced(strategy, snapshot, settings.offers, state.strategy_state, rng)
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
        rails_result = apply_rails(decision.quotes, snapshot, ledger, settings.rails)
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
    ) -> None:
        self.ports = ports
        self.settings = settings
        self.strategy = strategy
        self.rng = rng if rng is not None else random.Random()
        self.state = state if state is not None else CycleState.restore(ports.journal)
        self.executor = executor or make_executor(ports, settings)

    def tick(self) -> TickResult:
        return run_cycle(
            self.ports, self.settings, self.strategy, self.state, self.rng, self.executor
        )
