"""The unattended service: composition root, scheduler, error handling and shutdown.

:func:`build_runtime` is the one place that turns a config into live adapters (market client,
web3 chain with its gas wallet, core metrics, the owner's signer, the journal). The rest of the
bot only sees the ports.

:class:`PricebotService` runs the jobs on one APScheduler 3.x ``BackgroundScheduler`` in UTC:

- ``reprice`` (``schedule.reprice_seconds``): one :func:`bot.engine.cycle.run_cycle` tick;
- ``sample`` (``schedule.sample_seconds``, only when shorter than the reprice period): refresh
  the snapshot between ticks, so ``status`` and the staleness clock stay current;
- ``reconcile`` (``schedule.reconcile_seconds``): :func:`bot.engine.reconcile.run_reconcile`;
- ``record`` (``schedule.record_seconds``): journal the latest snapshot for replay backtests;
- ``backup`` (``service.journal_backup_hours``): an online backup of the journal
  (``bot.adapters.journal_backup``), unless ``service.journal_backup_keep = 0``.

Every job has ``max_instances=1``, ``coalesce=True`` and the configured ``misfire_grace_time``
(APScheduler's 1 s default would silently drop late runs). The jobs share one lock: a tick, a
reconcile and a shutdown never interleave. Reconcile runs once before the first tick, so nothing
is published before the three views agree.

One listener handles ``EVENT_JOB_ERROR`` / ``EVENT_JOB_MISSED`` and maps ``bot.domain.errors`` to what
to do: ``OwnershipError`` and ``ConfigError`` stop the service (a human is needed), transient
errors are logged and the next run tries again, a missed run is logged.

Shutdown (SIGTERM/SIGINT, an error that stops, or :meth:`PricebotService.stop`): the scheduler
shuts down waiting for the job in flight, so a write is never cut in half; then ``on_exit``
decides what happens to our orders: ``keep`` them, ``unpublish`` them, or ``cancel`` them
(unpublish and close every valid one on chain).
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bot.adapters.journal import SqliteJournal, open_journal
from bot.config.schema import BotConfig
from bot.config.settings import cycle_settings, strategy_of
from bot.domain.errors import BotError, ConfigError, OwnershipError, TransientError
from bot.domain.model import Cancel, OwnOrder, PoolTask, SignedWorkerpoolOrder, Unpublish
from bot.domain.networks import Network
from bot.engine import deadline
from bot.engine.cycle import Cycle, CyclePorts, CycleSettings, CycleState, TickResult, make_executor
from bot.engine.executor import ExecutionReport, Executor
from bot.engine.fill_ports import FillPorts
from bot.engine.reconcile import ReconcileReport, run_reconcile
from bot.engine.samplers import sample_snapshot
from bot.pricing.snapshot import MarketSnapshot
from strategies import Strategy

if TYPE_CHECKING:
    from apscheduler.events import JobExecutionEvent
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.ops import OpsRuntime, ServiceFacts, TickOutcome

__all__ = [
    "PricebotService",
    "Runtime",
    "SystemClock",
    "build_runtime",
    "tick_outcome",
    "withdraw",
]

log = logging.getLogger("pricebot.service")

OnExit = Literal["keep", "unpublish", "cancel"]


class SystemClock:
    """The wall clock, as Unix seconds; the only clock the live bot reads."""

    def now(self) -> float:
        return time.time()


@dataclass
class Runtime:
    """Everything built from a config: ports, settings, strategy, executor, and what to close."""

    config: BotConfig
    network: Network
    ports: CyclePorts
    settings: CycleSettings
    strategy: Strategy[object]
    executor: Executor
    journal: SqliteJournal
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception as exc:  # closing must not hide the real outcome
                log.debug("close failed: %s", exc)
        self.closers.clear()


def build_runtime(
    config: BotConfig,
    *,
    live: bool,
    need_owner_key: bool | None = None,
    need_gas_key: bool | None = None,
    market_budget: Any = None,
    journal: SqliteJournal | None = None,
    replace_after_s: float | None = None,
    cache_clock: Callable[[], float] | None = None,
) -> Runtime:
    """Build the live adapters from ``config``.

    The owner key is required when acting (``live``); in dry-run it is used if available (to
    check ownership), otherwise the bot runs without a signer. The gas wallet is required in
    live mode when cancels are relayed (``need_gas_key`` overrides, e.g. for ``status``, which
    never sends a transaction). ``market_budget`` replaces the marketplace client's
    request budget (a ``RateBudget``; default ``schedule.market_budget_per_minute``, burst 10,
    which ``config check`` has compared with what the schedule needs). ``journal``
    replaces the configured journal file (``config check --online`` passes one in memory).
    ``replace_after_s`` replaces the gas wallet's wait before re-sending a transaction not mined
    (the soak's accelerated schedule shortens it with the reprice period).
    ``cache_clock`` replaces the monotonic clock of the book caches' idle expiry (an accelerated
    run counting simulated time by cycles runs it at that pace: bench/memory_run.py --sandbox).
    """
    from bot.adapters.book_cache import ParsedBook
    from bot.adapters.book_signatures import BookSignatureCheck
    from bot.adapters.chain import ChainSettings, RpcChain
    from bot.adapters.chain_tasks import ChainTaskFeed
    from bot.adapters.chain_wallet import FeePolicy
    from bot.adapters.core_metrics import CoreMetrics
    from bot.adapters.keys import SecretKey, load_key
    from bot.adapters.market_api import MarketApiClient
    from bot.adapters.rate_budget import RateBudget
    from bot.adapters.signer import LocalKeySigner

    need_owner = live if need_owner_key is None else need_owner_key
    need_gas = live if need_gas_key is None else need_gas_key
    network = config.network_obj()
    clock = SystemClock()
    signer: LocalKeySigner | None = None
    try:
        signer = LocalKeySigner(network, load_key(config.keys.owner.source()))
    except ConfigError:
        if need_owner:
            raise
        log.info("no owner key loaded: dry-run without signing")
    relay = config.keys.cancel_sender == "relay"
    gas_key: SecretKey | None = None
    if relay:
        try:
            gas_key = load_key(config.keys.gas_source(), label="gas wallet key")
        except ConfigError:
            if need_gas:
                raise
            log.info("no gas wallet loaded: on-chain cancels are not possible")
    elif signer is not None:
        gas_key = load_key(config.keys.owner.source())
    if journal is None:
        # Before any network: a journal that must be refused stops the command right here.
        journal = open_journal(config.service.journal_dir, live=live)
    try:
        fees = FeePolicy(max_fee_wei=int(config.service.max_fee_gwei * 10**9))
        if replace_after_s is not None:
            fees = replace(fees, replace_after_s=replace_after_s)
        chain_settings = ChainSettings(relay=relay, fees=fees)
        chain = RpcChain.connect(
            network,
            rpc_urls=config.rpc_urls(),
            signer=signer,
            gas_key=gas_key,
            settings=chain_settings,
        )
    except BaseException:
        journal.close()
        raise
    caches = cache_clock or time.monotonic
    market = MarketApiClient.for_network(
        network,
        signer=signer,
        stake_of=lambda account: chain.stake(account).free,
        consumed_of=chain.consumed,
        check_signature=BookSignatureCheck(chain, clock=caches),
        matched_requests_of=chain.matched_requests,  # buyers who named our pool (issue #14)
        parsed_book=ParsedBook(clock=caches),
        budget=(
            market_budget
            if market_budget is not None
            else RateBudget(per_minute=config.market_budget_per_minute())
        ),
    )
    closers: list[Callable[[], None]] = [market.close, chain.close]
    tasks = ChainTaskFeed.for_chain(chain)  # admission's data: our deals and tasks on chain
    metrics = None
    if config.endpoints.core_url:
        metrics = CoreMetrics(config.endpoints.core_url, clock)
        closers.append(metrics.close)
    else:
        log.warning(
            "endpoints.core_url is not set: pool utilization is unknown, so the rails keep the "
            "kill switch on and nothing new is offered; point it at your iExec Core Scheduler"
        )
    closers.append(journal.close)
    ports = CyclePorts(
        clock=clock,
        market=market,
        writer=market,
        chain=chain,
        signer=signer,
        metrics=metrics,
        journal=journal,
        tasks=tasks,
        # fills (bot.pricing.fills): the marketplace reads the fill book, the gas wallet sends matches
        fills=FillPorts(reader=market, matcher=chain) if config.fills.enabled else None,
    )
    settings = cycle_settings(config, live=live)
    if gas_key is None:
        settings = replace(settings, low_gas_wei=0)  # no gas wallet: nothing to watch
    strategy = strategy_of(config)
    executor = make_executor(ports, settings)
    return Runtime(config, network, ports, settings, strategy, executor, journal, closers)


def _valid_orders(
    ports: CyclePorts, workerpool: str, state: CycleState
) -> tuple[list[OwnOrder], list[str]]:
    """Every order of ours still valid on chain (tracked or listed), and the listed hashes."""
    bodies: dict[str, SignedWorkerpoolOrder] = dict(state.sampler.tracked)
    listed: list[str] = []
    for o in ports.market.our_orders(workerpool):
        bodies.setdefault(o.order_hash, o.signed)
        listed.append(o.order_hash)
    valid = []
    for h, signed in bodies.items():
        left = signed.order.volume - ports.chain.consumed(h)
        if left > 0:
            valid.append(OwnOrder(signed, left, h in listed, 0.0))
    return valid, listed


def withdraw(
    ports: CyclePorts,
    workerpool: str,
    state: CycleState,
    executor: Executor,
    *,
    cancel: bool,
    reason: str = "withdraw (kill switch)",
) -> ExecutionReport:
    """Unpublish all our orders; with ``cancel``, close every valid one on chain (confirmed)."""
    valid, listed = _valid_orders(ports, workerpool, state)
    actions: list[Unpublish | Cancel] = [Unpublish(h, reason) for h in listed]
    if cancel:
        actions += [Cancel(o.order_hash, reason) for o in valid]
    report = executor.execute(actions, valid)
    if executor.live:
        # Anything the listing had that we could not read individually.
        try:
            with deadline.within(executor.action_deadline_s, "unpublish_all action"):
                ports.writer.unpublish_all(workerpool)
        except BotError as exc:
            log.warning("unpublish_all failed: %s", exc)
    state.sampler.after_execution(report)
    return report


def tick_outcome(result: TickResult) -> TickOutcome:
    """A tick's result as the ops surface shows it (it never imports the executor)."""
    from bot.ops import StepView, TickOutcome

    steps = tuple(
        StepView(
            kind=s.kind,
            outcome=s.outcome,
            category=s.category,
            price=s.price,
            reason=s.reason,
            detail=s.detail,
        )
        for s in result.report.steps
    )
    reason = None if result.decision is None else result.decision.reason
    quotes = () if result.rails is None else tuple(result.rails.quotes)
    return TickOutcome(steps, result.kill, result.strategy_error, reason, quotes)


@dataclass
class _ReloadTicket:
    """One reload request: the main thread applies it and sets ``done`` with the answer."""

    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False
    message: str = ""


class PricebotService:
    """The scheduled bot. ``start()`` reconciles, schedules the jobs and returns; ``stop()``
    drains the job in flight and applies ``on_exit``; ``run_forever()`` does both around
    SIGTERM/SIGINT."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        seed: int | None = None,
        scheduler: BackgroundScheduler | None = None,
        ops: OpsRuntime | None = None,
        config_path: Path | None = None,
    ) -> None:
        self.runtime = runtime
        self.ops = ops  # a bot.ops.OpsRuntime: the view it publishes, alerts, the pause flag
        self.config_path = config_path  # what `pricebot reload` / SIGHUP read again
        cfg = runtime.config
        self.schedule = cfg.schedule
        self.on_exit: OnExit = cfg.service.on_exit
        self.unknown_orders = cfg.service.unknown_orders
        self.cycle = Cycle(
            runtime.ports,
            runtime.settings,
            runtime.strategy,
            rng=random.Random(seed),
            executor=runtime.executor,
        )
        self._scheduler = scheduler
        self._lock = threading.Lock()
        self.stopped = threading.Event()
        self.stop_reason: str | None = None
        self.fatal: BaseException | None = None
        self.ticks = 0
        self._latest: MarketSnapshot | None = None
        self._stopping = False
        self._wake = threading.Event()  # the main thread: a reload (or a stop) is waiting
        self._reloads: list[_ReloadTicket] = []
        self._hup_pending = False  # set by the SIGHUP handler, read by the main loop
        self._reload_lock = threading.Lock()
        if ops is not None:
            ops.hub.controls = self

    # -- jobs ---------------------------------------------------------------------------------

    def _facts(self) -> ServiceFacts:
        """What the ops view needs beside the snapshot (read under the lock, after a job)."""
        from bot.adapters.chain import RpcChain
        from bot.adapters.core_metrics import CoreMetrics
        from bot.adapters.market_api import ClientStats, MarketApiClient
        from bot.adapters.retrying import RequestStats
        from bot.ops import ServiceFacts

        memory = self.cycle.state.sampler
        requests: dict[str, int] = {}
        retries: dict[str, int] = {}
        limited: dict[str, int] = {}
        market, chain, core = self.runtime.ports.market, self.runtime.ports.chain, None
        if isinstance(self.runtime.ports.metrics, CoreMetrics):
            core = self.runtime.ports.metrics.stats
        counted: list[tuple[str, ClientStats | RequestStats | None]] = [
            ("market", market.stats if isinstance(market, MarketApiClient) else None),
            ("core", core),
            ("chain", chain.rpc.stats if isinstance(chain, RpcChain) else None),
        ]
        for source, stats in counted:
            if stats is not None:
                requests[source] = stats.requests
                retries[source] = stats.retries
                limited[source] = stats.rate_limited
        tasks = memory.last_good.get("tasks")
        now = self.runtime.ports.clock.now()
        missed: frozenset[str] = frozenset()
        if tasks is not None and isinstance(tasks[1], list):
            missed = frozenset(
                str(t.task_id)
                for t in tasks[1]
                if isinstance(t, PoolTask)
                and t.contributed_at is None
                and t.contribution_deadline <= now
            )
        return ServiceFacts(
            owner=memory.owner,
            gas_wei=memory.gas_wei,
            gas_error=memory.gas_error,
            tracked_orders=len(memory.tracked),
            http_requests=requests,
            http_retries=retries,
            rate_limited=limited,
            missed_tasks=missed,
            core_configured=self.runtime.ports.metrics is not None,
        )

    def reprice(self) -> TickResult:
        started = time.monotonic()
        try:
            with self._lock:
                result = self.cycle.tick()
                self._latest = result.snapshot
                self.ticks += 1
                errors = dict(self.cycle.state.sampler.errors)
                facts = self._facts() if self.ops is not None else None
        except Exception as exc:
            if self.ops is not None:
                if isinstance(exc, OwnershipError) and self.cycle.state.sampler.owner:
                    self.ops.hub.owner_changed(self.cycle.state.sampler.owner)
                self.ops.hub.tick_failed(duration=time.monotonic() - started, error=str(exc))
            raise
        if self.ops is not None:  # outside the lock: the view is published, never waited on
            self.ops.hub.tick_done(
                duration=time.monotonic() - started,
                snapshot=result.snapshot,
                outcome=tick_outcome(result),
                source_errors=errors,
                facts=facts,
            )
        return result

    def reprice_or_sample(self) -> None:
        """The scheduled job: a tick, or while paused (``pricebot pause``) a sample only."""
        if self.ops is None or not self.ops.hub.paused:
            self.reprice()
            return
        started = time.monotonic()
        with self._lock:
            snap = sample_snapshot(
                self.runtime.ports, self.runtime.settings, self.cycle.state.sampler
            )
            self._latest = snap
            errors = dict(self.cycle.state.sampler.errors)
            facts = self._facts()
        self.ops.hub.tick_done(
            duration=time.monotonic() - started,
            snapshot=snap,
            outcome=None,
            source_errors=errors,
            facts=facts,
        )

    def sample(self) -> None:
        with self._lock:
            self._latest = sample_snapshot(
                self.runtime.ports, self.runtime.settings, self.cycle.state.sampler
            )

    def reconcile(self) -> ReconcileReport:
        with self._lock:
            return run_reconcile(
                self.runtime.ports,
                self.runtime.settings,
                self.cycle.state,
                self.runtime.executor,
                self.unknown_orders,
            )

    def record(self) -> None:
        from bot.engine.snapshot_codec import snapshot_to_payload

        with self._lock:
            snap = self._latest
        if snap is not None:
            self.runtime.journal.record_snapshot(float(snap.at), snapshot_to_payload(snap))

    def prune(self) -> dict[str, int]:
        """Daily: drop journal history older than ``service.journal_keep_days`` (open orders stay)."""
        keep_days = self.runtime.config.service.journal_keep_days
        before = self.runtime.ports.clock.now() - keep_days * 86_400
        deleted = self.runtime.journal.prune(before)
        log.info("journal pruned (older than %.1f days): %s", keep_days, deleted)
        return deleted

    def backup(self) -> Path:
        """Every ``service.journal_backup_hours``: an online backup of the journal, the
        ``journal_backup_keep`` newest kept (see ``bot.adapters.journal_backup``)."""
        from bot.adapters.journal_backup import backup_journal

        service = self.runtime.config.service
        path = backup_journal(
            self.runtime.journal,
            service.backup_dir(),
            keep=service.journal_backup_keep,
            at=time.time(),
        )
        log.info("journal backed up to %s", path)
        return path

    # -- control (pricebot reload / cancel, SIGHUP) ------------------------------------------

    def request_reload(self) -> _ReloadTicket:
        """Ask the main thread to reload the config between jobs; returns at once."""
        ticket = _ReloadTicket()
        with self._reload_lock:
            self._reloads.append(ticket)
        self._wake.set()
        return ticket

    def reload(self, timeout: float = 120.0) -> tuple[bool, str]:
        """``POST /api/v1/reload``: request a reload and wait for the main thread's answer."""
        ticket = self.request_reload()
        if not ticket.done.wait(timeout):
            return False, f"the reload did not finish within {timeout:.0f}s (a long job?)"
        return ticket.ok, ticket.message

    def apply_pending_reloads(self) -> None:
        """The main thread, between jobs: apply every waiting reload under the tick lock."""
        with self._reload_lock:
            tickets, self._reloads = self._reloads, []
        if self._hup_pending:  # SIGHUP (systemctl reload): a reload nobody waits on
            self._hup_pending = False
            tickets.append(_ReloadTicket())
        if not tickets:
            return
        ok, message = self._reload_now()
        for ticket in tickets:
            ticket.ok, ticket.message = ok, message
            ticket.done.set()

    def _reload_now(self) -> tuple[bool, str]:
        """Validate the file again; apply its live parts, or refuse it and keep running."""
        from bot.config.schema import load_config
        from bot.config.settings import cycle_settings, strategy_of
        from bot.ops import plan_reload

        if self.config_path is None:
            return False, "this service was started without a config file: nothing to reload"
        try:
            new = load_config(self.config_path)
            plan = plan_reload(self.runtime.config, new)
            strategy = strategy_of(plan.config)
            if self.ops is not None:
                self.ops.check_reload(plan.config)  # alert sinks: their URLs must resolve
        except BotError as exc:
            log.error("reload refused, the running config stays: %s", exc)
            return False, f"refused, the running config stays: {exc}"
        with self._lock:
            old = self.runtime.settings
            settings = cycle_settings(plan.config, live=old.live)
            if old.low_gas_wei == 0:
                settings = replace(settings, low_gas_wei=0)  # still no gas wallet to watch
            settings = replace(
                settings,
                record_snapshots=old.record_snapshots,
                record_decisions=old.record_decisions,
                cycle_deadline_s=old.cycle_deadline_s,
                action_deadline_s=old.action_deadline_s,
            )
            self.runtime.config = plan.config
            self.runtime.settings = settings
            self.cycle.settings = settings
            if "strategy.params" in plan.applied:
                self.runtime.strategy = strategy
                self.cycle.strategy = strategy  # same strategy: its state carries over
            self.on_exit = plan.config.service.on_exit
            self.unknown_orders = plan.config.service.unknown_orders
        if self.ops is not None:
            self.ops.reconfigure(plan.config, settings)
        applied = ", ".join(plan.applied) or "nothing changed"
        message = f"reloaded {self.config_path}: {applied}"
        if plan.needs_restart:
            message += f"; needs a restart (running values kept): {', '.join(plan.needs_restart)}"
        log.info("%s", message)
        return True, message

    def cancel(self, order_hash: str) -> tuple[bool, str]:
        """``pricebot cancel HASH``: unpublish one order of ours and close it on chain.

        Runs in the service under its lock, so one process owns the journal and the gas
        wallet's nonce. ``order_hash`` may be the full hash or a unique prefix (>= 10 chars).
        """
        wanted = order_hash.strip().lower()
        if len(wanted) < 10 or not wanted.startswith("0x"):
            return False, "HASH: give the order hash (0x..., at least 10 characters)"
        with self._lock:
            ports, state = self.runtime.ports, self.cycle.state
            valid, listed = _valid_orders(ports, self.runtime.settings.workerpool, state)
            matches = [o for o in valid if o.order_hash.lower().startswith(wanted)]
            if not matches:
                return False, f"{order_hash}: not an order of ours still valid on chain"
            if len(matches) > 1:
                return False, f"{order_hash}: matches {len(matches)} orders, give more characters"
            target = matches[0]
            h = target.order_hash
            reason = "cancelled by the owner (pricebot cancel)"
            actions: list[Unpublish | Cancel] = [Unpublish(h, reason)] if h in listed else []
            actions.append(Cancel(h, reason))
            report = self.runtime.executor.execute(actions, valid)
            state.sampler.after_execution(report)
        outcomes = ", ".join(f"{s.kind} {s.outcome}" for s in report.steps)
        failed = [s for s in report.steps if s.outcome == "failed"]
        detail = f"; {failed[0].detail}" if failed else ""
        return not failed, f"{h}: {outcomes}{detail}"

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def scheduler(self) -> BackgroundScheduler:
        """The jobs' scheduler, built on first use: ``pricebot once`` never schedules, so it
        does not import APScheduler (and the asyncio and multiprocessing modules it loads)."""
        if self._scheduler is None:
            from apscheduler.schedulers.background import BackgroundScheduler

            self._scheduler = BackgroundScheduler(timezone=UTC)
        return self._scheduler

    def _on_event(self, event: JobExecutionEvent) -> None:
        from apscheduler.events import EVENT_JOB_MISSED

        if event.code == EVENT_JOB_MISSED:
            if self.ops is not None:
                self.ops.hub.missed_run()
            log.warning(
                "job %s missed its run at %s (coalesced)", event.job_id, event.scheduled_run_time
            )
            return
        exc = event.exception
        if isinstance(exc, OwnershipError | ConfigError):
            log.critical("job %s: %s; stopping the service", event.job_id, exc)
            self.fatal = exc
            self.request_stop(f"{type(exc).__name__}: {exc}")
        elif isinstance(exc, TransientError):
            log.warning("job %s: transient failure, next run retries: %s", event.job_id, exc)
        elif isinstance(exc, BotError):
            log.error("job %s failed: %s", event.job_id, exc)
        else:
            log.error("job %s crashed: %r", event.job_id, exc, exc_info=exc)

    def _add(self, func: Callable[[], Any], job_id: str, seconds: int, first: float) -> None:
        self.scheduler.add_job(
            func,
            "interval",
            seconds=seconds,
            id=job_id,
            name=job_id,
            next_run_time=datetime.fromtimestamp(time.time() + first, tz=UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=self.schedule.misfire_grace_seconds,
            replace_existing=True,
        )

    def start(self) -> None:
        """Reconcile (must succeed), then schedule the jobs, the first tick right away."""
        self.reconcile()
        s = self.schedule
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED

        self.scheduler.add_listener(self._on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        self._add(self.reprice_or_sample, "reprice", s.reprice_seconds, 0.0)
        if s.sample_seconds < s.reprice_seconds:
            self._add(self.sample, "sample", s.sample_seconds, s.sample_seconds)
        self._add(self.reconcile, "reconcile", s.reconcile_seconds, s.reconcile_seconds)
        self._add(self.record, "record", s.record_seconds, min(5.0, s.record_seconds))
        if self.runtime.config.service.journal_keep_days > 0:
            self._add(self.prune, "prune", 86_400, 60.0)
        service = self.runtime.config.service
        if service.journal_backup_keep > 0 and self.runtime.journal.path.name != ":memory:":
            every = service.journal_backup_hours * 3600
            self._add(self.backup, "backup", every, min(120.0, every))
        self.scheduler.start()
        if self.ops is not None:
            self.ops.hub.mark_reconciled()
            self.ops.hub.startup()
        mode = "LIVE" if self.runtime.settings.live else "dry-run"
        log.info(
            "pricebot started (%s) for workerpool %s: reprice every %ss, reconcile every %ss",
            mode,
            self.runtime.settings.workerpool,
            s.reprice_seconds,
            s.reconcile_seconds,
        )

    def request_stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self.stopped.set()
        self._wake.set()

    def stop(self) -> ExecutionReport | None:
        """Drain the job in flight, then apply ``on_exit`` to our orders."""
        if self._stopping:
            return None
        self._stopping = True
        with self._reload_lock:
            waiting, self._reloads = self._reloads, []
        for ticket in waiting:
            ticket.message = "not reloaded: the service is stopping"
            ticket.done.set()
        if self.ops is not None:
            self.ops.hub.shutdown(self.stop_reason or "stop requested")
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        report = None
        if self.on_exit != "keep" and not isinstance(self.fatal, OwnershipError):
            try:
                with self._lock:
                    report = withdraw(
                        self.runtime.ports,
                        self.runtime.settings.workerpool,
                        self.cycle.state,
                        self.runtime.executor,
                        cancel=self.on_exit == "cancel",
                        reason=f"on_exit = {self.on_exit}",
                    )
            except BotError as exc:
                log.error(
                    "on_exit=%s could not complete: %s; run `pricebot withdraw` by hand",
                    self.on_exit,
                    exc,
                )
                return None
            log.info(
                "on_exit=%s: %d unpublished, %d cancelled",
                self.on_exit,
                report.count("unpublish"),
                report.count("cancel"),
            )
        else:
            log.info("on_exit=%s: our orders are left as they are", self.on_exit)
        log.info("pricebot stopped: %s", self.stop_reason or "stop requested")
        return report

    def run_forever(self, *, install_signals: bool = True) -> int:
        """Run until SIGTERM/SIGINT or a fatal error; return the exit code."""
        previous: dict[signal.Signals, Any] = {}
        if install_signals:

            def on_signal(signum: int, _frame: Any) -> None:
                self.request_stop(f"signal {signal.Signals(signum).name}")

            def on_hup(_signum: int, _frame: Any) -> None:
                # Only a flag: a handler that took a lock the main thread holds would deadlock.
                # The main loop looks at it at least once a second.
                self._hup_pending = True

            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, on_signal)
            previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, on_hup)
        if self.ops is not None:
            self.ops.start()  # before reconcile: /healthz says "starting" meanwhile
        try:
            try:
                self.start()
            except OwnershipError as exc:
                self.fatal = exc  # no on_exit writes with a key that does not own the pool
                raise
            while not self.stopped.is_set():
                self._wake.wait(timeout=1.0)
                self._wake.clear()
                if not self.stopped.is_set():
                    self.apply_pending_reloads()
        finally:
            self.stop()
            if self.ops is not None:
                self.ops.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if self.fatal is not None:
            raise self.fatal
        return 0
