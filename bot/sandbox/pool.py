"""A simulated workerpool and the iExec Core Scheduler ``/metrics`` endpoint it feeds.

The sandbox has no real workers: deals matched on chain for our workerpool are turned into tasks
that wait for a slot, compute for a drawn duration and complete. Slots go to the earliest
contribution deadline first, as iexec-core hands them out (core-and-sdk.md A9.3), and a task must
be contributed (started *and* run) before its deadline, as PoCo's ``contribute`` requires: one
still waiting then fails, and one started in time whose run would end at or after it is aborted
at the deadline (its slot frees then) and fails. What the real core and its workers write on
chain is written for real by :class:`ChainTaskReporter`: ``initialize`` when a task is
INITIALIZED (the scheduler's wallet) and a trust-1 ``contributeAndFinalize`` when it is COMPLETED
(a worker the scheduler authorized), so the bot's task feed reads the same
``TaskInitialize``/``TaskContribute``/``TaskFinalize`` events as on a real network, and a
completed task's stake is unlocked and paid as PoCo does. A task that fails here is never
contributed, so its stake stays locked (until someone claims it after the final deadline).

The state machine is driven by explicit times (``advance(now)`` replays every event up to ``now`` in
time order), so tests can step it without sleeping and the HTTP server only has to pass its clock.
The JSON served is the v9 ``PlatformMetric`` shape with its deprecated v8 aliases, see
shared/reference/core-and-sdk.md A2: a client written for a real scheduler reads it unchanged.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.domain.errors import InputError

__all__ = [
    "DEFAULT_DURATIONS",
    "TASK_STATUSES",
    "ChainDealFeed",
    "ChainTaskReporter",
    "CoreMetricsServer",
    "PoolDeal",
    "PoolSpec",
    "SimulatedPool",
    "Task",
]

log = logging.getLogger(__name__)

# iexec-core TaskStatus, in enum order (core-and-sdk.md A3): every key is always present in JSON.
TASK_STATUSES: tuple[str, ...] = (
    "RECEIVED",
    "INITIALIZING",
    "INITIALIZED",
    "INITIALIZE_FAILED",
    "RUNNING",
    "RUNNING_FAILED",
    "CONTRIBUTION_TIMEOUT",
    "CONSENSUS_REACHED",
    "REOPENING",
    "REOPENED",
    "REOPEN_FAILED",
    "AT_LEAST_ONE_REVEALED",
    "RESULT_UPLOADING",
    "RESULT_UPLOADED",
    "RESULT_UPLOAD_TIMEOUT",
    "FINALIZING",
    "FINALIZED",
    "FINALIZE_FAILED",
    "FINAL_DEADLINE_REACHED",
    "COMPLETED",
    "FAILED",
)

# Median task duration per category, in sandbox seconds: short enough that a two-minute demo sees
# slots fill and free, in the same proportions as the real categories' time references.
DEFAULT_DURATIONS: dict[int, float] = {0: 8.0, 1: 16.0, 2: 30.0, 3: 60.0, 4: 120.0}


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """Shape of the simulated pool.

    ``durations`` are median seconds per category (lognormal with ``duration_sigma``);
    ``init_delay`` is the RECEIVED -> INITIALIZED time (the scheduler's on-chain initialize);
    ``deadline_factor`` is how many median durations after its deal a task must be contributed by
    (PoCo's contribution deadline, 7 x workClockTimeRef, scaled to sandbox time).
    """

    workers: int = 2
    slots_per_worker: int = 2
    durations: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_DURATIONS))
    duration_sigma: float = 0.3
    init_delay: float = 1.0
    deadline_factor: float = 20.0
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 0:
            raise InputError("pool.workers", "must be an integer >= 0", self.workers)
        if (
            isinstance(self.slots_per_worker, bool)
            or not isinstance(self.slots_per_worker, int)
            or self.slots_per_worker < 1
        ):
            raise InputError(
                "pool.slots_per_worker", "must be an integer >= 1", self.slots_per_worker
            )
        for cat, median in self.durations.items():
            if not isinstance(median, int | float) or not median > 0:
                raise InputError(
                    f"pool.durations.{cat}", "must be a positive number of seconds", median
                )
        if not self.duration_sigma >= 0:
            raise InputError("pool.duration_sigma", "must be >= 0", self.duration_sigma)
        if not self.init_delay >= 0:
            raise InputError("pool.init_delay", "must be >= 0", self.init_delay)
        if not self.deadline_factor > 0:
            raise InputError("pool.deadline_factor", "must be > 0", self.deadline_factor)

    @property
    def slots(self) -> int:
        return self.workers * self.slots_per_worker

    def median_duration(self, category: int) -> float:
        if category in self.durations:
            return float(self.durations[category])
        return float(max(self.durations.values(), default=DEFAULT_DURATIONS[0]))


@dataclass(slots=True)
class Task:
    """One task of a deal, with the times it changed status."""

    task_id: str
    deal_id: str
    index: int
    category: int
    received_at: float
    duration: float
    deadline: float
    status: str = "RECEIVED"
    started_at: float | None = None
    ended_at: float | None = None


class SimulatedPool:
    """Workers x slots serving the earliest contribution deadline first, like iexec-core."""

    def __init__(self, spec: PoolSpec, *, start: float = 0.0) -> None:
        self._spec = spec
        self._rng = random.Random(spec.seed)
        self._lock = threading.RLock()
        self._tasks: dict[str, Task] = {}
        self._active: dict[str, Task] = {}  # not COMPLETED/FAILED: the only ones events touch
        self._deals: set[str] = set()
        self._alive_workers = spec.workers
        self._now = start
        self._deal_events = 0
        self._latest_block: dict[str, Any] | None = None
        self._latest_block_with_deal = 0
        self.healthy = True

    # -- inputs -----------------------------------------------------------------------------

    @property
    def spec(self) -> PoolSpec:
        return self._spec

    def set_alive_workers(self, workers: int, now: float) -> None:
        """Fault knob: workers leaving (or coming back). Running tasks finish; no new ones start."""
        if workers < 0:
            raise InputError("workers", "must be >= 0", workers)
        with self._lock:
            self.advance(now)
            self._alive_workers = workers
            self.advance(now)

    def add_deal(
        self,
        deal_id: str,
        *,
        category: int,
        first_index: int,
        size: int,
        at: float,
        block_number: int = 0,
    ) -> list[str]:
        """Queue one task per index of a matched deal; a deal seen twice is ignored."""
        if size < 0:
            raise InputError("deal.size", "must be >= 0", size)
        with self._lock:
            self.advance(at)
            self._deal_events += 1
            if deal_id in self._deals:
                return []
            self._deals.add(deal_id)
            self._latest_block_with_deal = max(self._latest_block_with_deal, block_number)
            median = self._spec.median_duration(category)
            ids: list[str] = []
            for index in range(first_index, first_index + size):
                duration = median * math.exp(self._rng.gauss(0.0, self._spec.duration_sigma))
                task_id = f"{deal_id}:{index}"
                task = Task(
                    task_id=task_id,
                    deal_id=deal_id,
                    index=index,
                    category=category,
                    received_at=at,
                    duration=duration,
                    deadline=at + self._spec.deadline_factor * median,
                )
                self._tasks[task_id] = task
                self._active[task_id] = task
                ids.append(task_id)
            self.advance(at)
            return ids

    def see_block(self, number: int, block_hash: str, timestamp: int) -> None:
        with self._lock:
            self._latest_block = {
                "blockNumber": number,
                "blockHash": block_hash,
                "blockTimestamp": timestamp,
            }

    # -- the state machine ------------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Replay every status change due up to ``now``, each at its own time."""
        with self._lock:
            if now < self._now:
                return
            while True:
                event = self._next_event()
                if event is None or event[0] > now:
                    break
                self._apply(event[0])
            self._now = now

    def _capacity(self) -> int:
        return self._alive_workers * self._spec.slots_per_worker

    def _next_event(self) -> tuple[float, str] | None:
        candidates: list[tuple[float, str]] = []
        running = 0
        waiting: list[tuple[float, float, str]] = []
        for t in self._active.values():
            if t.status == "RECEIVED":
                candidates.append((t.received_at + self._spec.init_delay, t.task_id))
            elif t.status == "RUNNING":
                running += 1
                assert t.started_at is not None
                candidates.append((min(t.started_at + t.duration, t.deadline), t.task_id))
            elif t.status == "INITIALIZED":
                waiting.append((t.deadline, t.received_at + self._spec.init_delay, t.task_id))
                candidates.append((t.deadline, t.task_id))
        if waiting and running < self._capacity():
            ready_at = max(self._now, min(w[1] for w in waiting))
            candidates.append((ready_at, "assign"))
        if not candidates:
            return None
        return min(candidates)

    def _apply(self, at: float) -> None:
        """Apply every change due at ``at``: completions first, so freed slots are reused."""
        self._now = max(self._now, at)
        active = list(self._active.values())
        for t in active:
            if t.status == "RUNNING" and t.started_at is not None:
                end = t.started_at + t.duration
                if end < t.deadline and end <= at:
                    t.status = "COMPLETED"
                    t.ended_at = end
                elif end >= t.deadline and t.deadline <= at:
                    t.status = "FAILED"  # not contributed in time: the core aborts it
                    t.ended_at = t.deadline
            elif t.status == "RECEIVED" and t.received_at + self._spec.init_delay <= at:
                t.status = "INITIALIZED"
            if t.status == "INITIALIZED" and t.deadline <= at:
                t.status = "FAILED"  # CONTRIBUTION_TIMEOUT, fail-fast as in iexec-core #677
                t.ended_at = t.deadline
            if t.status in ("COMPLETED", "FAILED"):
                del self._active[t.task_id]
        running = sum(1 for t in self._active.values() if t.status == "RUNNING")
        free = self._capacity() - running
        if free > 0:
            queue = sorted(
                (t for t in self._active.values() if t.status == "INITIALIZED"),
                key=lambda t: (t.deadline, t.task_id),
            )
            for t in queue[:free]:
                t.status = "RUNNING"
                t.started_at = at

    # -- outputs ----------------------------------------------------------------------------

    def tasks(self) -> list[Task]:
        with self._lock:
            return [
                Task(**{k: getattr(t, k) for k in Task.__slots__}) for t in self._tasks.values()
            ]

    def status_counts(self) -> dict[str, int]:
        with self._lock:
            counts = dict.fromkeys(TASK_STATUSES, 0)
            for t in self._tasks.values():
                counts[t.status] += 1
            return counts

    def metrics(self, now: float) -> dict[str, Any]:
        """The iexec-core v9 ``PlatformMetric`` JSON, deprecated v8 keys included."""
        with self._lock:
            self.advance(now)
            registered = self._capacity()
            computing = sum(1 for t in self._active.values() if t.status == "RUNNING")
            deals = len(self._deals)
            return {
                "aliveWorkers": self._alive_workers,
                "aliveComputingCpu": computing,
                "aliveRegisteredCpu": registered,
                "aliveComputingGpu": 0,
                "aliveRegisteredGpu": 0,
                "currentTaskStatusesCount": self.status_counts(),
                "latestBlockMetric": self._latest_block,
                "dealEventsCount": self._deal_events,
                "dealsCount": deals,
                "replayDealsCount": 0,
                "latestBlockNumberWithDeal": self._latest_block_with_deal,
                "aliveAvailableCpu": registered - computing,
                "aliveTotalCpu": registered,
                "aliveAvailableGpu": 0,
                "aliveTotalGpu": 0,
            }

    def state(self, now: float) -> dict[str, Any]:
        """The pool's own state for an outside checker (``GET /_sandbox/pool``, not iexec-core):
        its shape, its clock and every task with its deadline and status."""
        with self._lock:
            self.advance(now)
            spec = self._spec
            return {
                "now": now,
                "slots": self._capacity(),
                "deadline_factor": spec.deadline_factor,
                "init_delay": spec.init_delay,
                "durations": {str(k): float(v) for k, v in spec.durations.items()},
                "tasks": [{k: getattr(t, k) for k in Task.__slots__} for t in self._tasks.values()],
            }

    def health(self) -> dict[str, Any]:
        status = "UP" if self.healthy else "OUT_OF_SERVICE"
        return {"status": status, "components": {"blockchain": {"status": status}}}


class _Handler(BaseHTTPRequestHandler):
    server: _MetricsHTTPServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        pool = self.server.pool
        if path == "/metrics":
            self._send(200, pool.metrics(self.server.clock()))
        elif path == "/actuator/health":
            body = pool.health()
            self._send(200 if body["status"] == "UP" else 503, body)
        elif path == "/_sandbox/pool":
            self._send(200, pool.state(self.server.clock()))
        elif path == "/version":
            self._send_text(200, "9.3.0-sandbox")
        else:
            self._send(404, {"error": "Not Found", "path": self.path})

    def _send(self, status: int, body: Mapping[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _send_text(self, status: int, text: str) -> None:
        raw = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("core-metrics: " + format, *args)


class _MetricsHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], pool: SimulatedPool, clock: Callable[[], float]):
        super().__init__(address, _Handler)
        self.pool = pool
        self.clock = clock


class CoreMetricsServer:
    """The local iExec Core: ``GET /metrics``, ``GET /actuator/health`` on a loopback port."""

    def __init__(
        self,
        pool: SimulatedPool,
        clock: Callable[[], float],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise InputError("core.host", "must be a loopback address", host)
        self._host = host
        self._server = _MetricsHTTPServer((host, port), pool, clock)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def start(self) -> CoreMetricsServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="core-metrics", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> CoreMetricsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True, slots=True)
class PoolDeal:
    """A deal for our workerpool as read on chain: what the pool must run and was paid."""

    deal_id: str
    category: int
    first_index: int
    size: int
    price: int
    block_number: int
    start_time: int


class ChainDealFeed:
    """iexec-core's deal watcher, reduced: poll ``SchedulerNotice`` logs for one workerpool.

    Each new deal is read with ``viewDeal`` and queued on the pool, like the scheduler turning
    a deal into RECEIVED tasks. Polling ``eth_getLogs`` from the last block seen (as core v9.3
    does) means nothing is missed between polls and nothing is queued twice.
    """

    def __init__(
        self,
        rpc_url: str,
        hub: str,
        workerpool: str,
        pool: SimulatedPool,
        clock: Callable[[], float],
        *,
        from_block: int = 0,
    ) -> None:
        from bot.sandbox import poco  # web3 stays out of the pure state machine above

        self._w3 = poco.web3_for(rpc_url)
        self._hub = poco.hub_contract(self._w3, hub)
        self._workerpool = self._w3.to_checksum_address(workerpool)
        self._pool = pool
        self._clock = clock
        self._next_block = from_block
        self.deals: list[PoolDeal] = []

    def poll(self) -> list[PoolDeal]:
        """Read new deals up to the chain head and queue their tasks; return the new ones."""
        head = self._w3.eth.get_block("latest")
        number = int(head["number"])
        self._pool.see_block(number, "0x" + bytes(head["hash"]).hex(), int(head["timestamp"]))
        if number < self._next_block:
            return []
        logs = self._hub.events.SchedulerNotice().get_logs(
            from_block=self._next_block,
            to_block=number,
            argument_filters={"workerpool": self._workerpool},
        )
        found: list[PoolDeal] = []
        for entry in logs:
            deal_id = "0x" + bytes(entry["args"]["dealid"]).hex()
            raw = self._hub.functions.viewDeal(bytes.fromhex(deal_id[2:])).call()
            deal = PoolDeal(
                deal_id=deal_id,
                category=int(raw[4]),
                first_index=int(raw[11]),
                size=int(raw[12]),
                price=int(raw[2][2]),
                block_number=int(entry["blockNumber"]),
                start_time=int(raw[10]),
            )
            if self._pool.add_deal(
                deal.deal_id,
                category=deal.category,
                first_index=deal.first_index,
                size=deal.size,
                at=self._clock(),
                block_number=deal.block_number,
            ):
                found.append(deal)
        self._next_block = number + 1
        self.deals.extend(found)
        return found

    def run(self, stop: threading.Event, period: float = 1.0) -> None:
        while not stop.is_set():
            try:
                self.poll()
            except Exception:  # a flaky RPC must not kill the watcher; core retries too
                log.exception("deal feed poll failed")
            stop.wait(period)


class ChainTaskReporter:
    """The core's and the workers' chain writes for the pool's tasks (see the module doc).

    Polls the pool: a task of a chain deal that reached INITIALIZED (or later) is initialized
    on chain by the scheduler's wallet; a COMPLETED one is contributed and finalized by the
    worker wallet, authorized by the scheduler's signature. Each write is sent once; a write
    PoCo refuses (for example a contribution after the contribution deadline, which PoCo
    rejects as it would a real late worker) is logged and not retried.
    """

    def __init__(
        self,
        deployment: Any,
        pool: SimulatedPool,
        scheduler_key: str,
        worker_key: str,
        clock: Callable[[], float],
    ) -> None:
        from bot.domain.signing import address_of
        from bot.sandbox import poco  # web3 stays out of the pure state machine above
        from bot.sandbox.anvil import rpc_call

        self._poco = poco
        self._dep = deployment
        self._pool = pool
        self._scheduler_key = scheduler_key
        self._worker_key = worker_key
        self._clock = clock
        # the worker pays its own gas, as a real worker does
        rpc_call(deployment.rpc_url, "anvil_setBalance", [address_of(worker_key), hex(10**21)])
        self._initialized: set[str] = set()
        self._done: set[str] = set()
        self.refused: list[str] = []

    def poll(self) -> int:
        """Send what is due; return how many writes were sent."""
        from bot.domain.errors import ChainRevert

        sent = 0
        self._pool.advance(self._clock())  # the state machine moves on reads; time passed
        for task in self._pool.tasks():
            if not (task.deal_id.startswith("0x") and len(task.deal_id) == 66):
                continue  # a deal added by hand, not matched on chain
            key = task.task_id
            if key in self._done:
                continue
            if task.status == "FAILED":
                self._done.add(key)
                continue
            try:
                if task.status != "RECEIVED" and key not in self._initialized:
                    self._poco.initialize_task(
                        self._dep, self._scheduler_key, task.deal_id, task.index
                    )
                    self._initialized.add(key)
                    sent += 1
                if task.status == "COMPLETED":
                    task_id = self._poco.task_id_of(task.deal_id, task.index)
                    self._poco.contribute_and_finalize(
                        self._dep, self._worker_key, self._scheduler_key, task_id
                    )
                    self._done.add(key)
                    sent += 1
            except ChainRevert as exc:
                log.warning("task %s: PoCo refused the write: %s", key, exc)
                self.refused.append(key)
                self._done.add(key)
        return sent

    def run(self, stop: threading.Event, period: float = 0.5) -> None:
        while not stop.is_set():
            try:
                self.poll()
            except Exception:  # a flaky RPC must not kill the reporter; the core retries too
                log.exception("task reporter poll failed")
            stop.wait(period)
