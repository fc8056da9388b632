"""A fast, seeded, in-process iExec market behind the same ports as the live adapters.

The backtester hands these ports to the service's own cycle function, so the strategy, rails,
planner and executor that run here are the live ones, unchanged. What is simulated (see
docs/backtesting.md for the full model and its assumptions):

- requesters (:mod:`bot.sim.agents`) arrive per category; each intent takes the cheapest compatible
  listed orders, earliest first on ties; an adversarial intent may also take orders of ours that
  were unpublished but never closed on chain; an unmatched remainder waits ``patience_s``; a
  ``publisher`` never takes an order itself: it only waits in the request book;
- competitor pools reprice every ``period_s`` from the visible book (one faster than the bot's
  step also between ticks, at its own times);
- our pool has ``workers x slots_per_worker`` slots, handed out as the iExec Core Scheduler does
  (shared/reference/core-and-sdk.md A9.3): running tasks keep their slots; a free slot takes a task
  that lost its worker (status RUNNING) first, then the waiting task with the earliest contribution
  deadline (match time + 7 x workClockTimeRef), across categories. A task must be *contributed*
  before that deadline (PoCo ``contribute`` requires ``contributionDeadline > block.timestamp``):
  one still waiting at the deadline fails; one started whose run time ends at or after it is still
  started (the core does not know run times) but fails at the deadline, when the core aborts it and
  its slot frees. A failed task's stake is forfeited; failures are counted by cause (deadline,
  capacity drop, random ``failure_rate``, see :class:`SimCounters`);
- each task matched on one of our orders locks floor(price x 30 / 100) of stake, which is released
  with the price when it completes; a match that the free stake cannot cover does not happen;
- our pool's tasks are served to the bot through the ``TaskFeed`` port (:class:`SimTaskFeed`):
  the open ones and the last contributed ones, with the times the chain and the core would show;
- every marketplace call counts against the API budget (a write costs ``requests_per_write``), every
  write and cancel advances the simulated clock by its latency, every cancel costs gas.

**Common random numbers** (``[scenario] common_random_numbers``, off by default: generator v1 and
every golden record are computed without it). Two runs of one market that differ only in what
our bot does (fills on and off, two parameter values) should face the same market, so that their
difference is the bot's doing. Without it they do not, through two channels that are the
simulator's, not the market's: a slow competitor's next repricing is set from the time the
advance starts, which is the last tick plus that tick's API and transaction latency (each fill's
``matchOrders`` is 2 s), so a few seconds of our activity push a rival's restock back a whole
tick; and our tasks' run times are drawn from one stream in the order they start, so one extra
task (a fill) changes every later posted task's run time. With it, a competitor reprices at its
own due times (``origin + k x period_s``, as the fast ones already do) and each task draws from a
stream keyed on its request (requester, arrival, category, cap, index). On TRAIN ``rival_leaves``
1011 with ``robust`` the fills-on run then makes every posted decision of the no-fills run
(docs/backtesting.md, "Fills 9").

Signing is a cheap deterministic digest behind the Signer port (no eth_account in the hot loop).
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.domain.errors import InputError
from bot.domain.model import (
    ZERO_ADDRESS,
    BookEntry,
    Category,
    ChainOrderStatus,
    Deal,
    OwnOrder,
    PoolTask,
    PoolUtilization,
    Quote,
    RequestOrderView,
    SignedWorkerpoolOrder,
    Stake,
    WorkerpoolOrder,
)
from bot.domain.networks import STANDARD_CATEGORIES
from bot.engine.ports import BookQuery, CancelOutcome
from bot.sim.agents import CompetitorModel, RequesterModel, RequestIntent, match
from bot.sim.scenario import OUR_OWNER, OUR_POOL, Duration, Scenario

__all__ = [
    "MarketSim",
    "SimChain",
    "SimClock",
    "SimCounters",
    "SimMarket",
    "SimPoolMetrics",
    "SimSigner",
    "SimTask",
    "SimTaskFeed",
    "generate_intents",
    "lognormal_duration",
]

DEAL_MEMORY_S = 86_400.0
CONTRIBUTED_MEMORY = 1000  # contributed tasks the task feed still shows (run-time learning)


def lognormal_duration(d: Duration, rng: random.Random) -> float:
    return min(d.max_s, max(d.min_s, d.median_s * math.exp(rng.gauss(0.0, d.sigma))))


def generate_intents(
    requesters: Sequence[RequesterModel], start: float, end: float, step_s: float, seed: int
) -> list[RequestIntent]:
    """Every request intent of a run, in arrival order, independent of anything we do.

    Each requester population draws from its own generator, so the stream is the same for every
    strategy run on the same scenario and seed (and for the hindsight references).
    """
    out: list[RequestIntent] = []
    for index, model in enumerate(requesters):
        rng = random.Random(f"{seed}:requester:{index}:{model.name}")
        t = start
        while t < end:
            t1 = min(end, t + step_s)
            out.extend(model.arrivals(t, t1, rng))
            t = t1
    out.sort(key=lambda i: i.at)
    return out


@dataclass(slots=True)
class SimTask:
    """One task of a deal on our pool; ``drops`` counts the capacity drops before its match."""

    matched_at: float
    deadline: float
    category: int
    price: int
    lock: int
    max_price: int
    drops: int = 0
    task_id: str = ""
    started_at: float | None = None
    # its own stream of run times and failure draws (common random numbers; None: the pool's)
    rng: random.Random | None = None

    def view(self, contributed_at: float | None = None) -> PoolTask:
        """The task as the ``TaskFeed`` port shows it (initialized at the match, as the core
        does, whatever the load)."""
        return PoolTask(
            task_id=self.task_id,
            category=self.category,
            deal_start=self.matched_at,
            contribution_deadline=self.deadline,
            initialized_at=self.matched_at,
            started_at=self.started_at,
            contributed_at=contributed_at,
        )


# How a task ends (the last item of a running entry): done, or failed by one of three causes.
_DONE, _DEADLINE, _CAPACITY, _RANDOM = 0, 1, 2, 3


@dataclass(slots=True)
class SimCounters:
    """What the run cost and earned; read by the backtest report."""

    revenue: int = 0  # prices of completed tasks
    stake_lost: int = 0  # stake forfeited by failed tasks: the sum of the three causes below
    tasks_matched: int = 0
    tasks_served: int = 0
    tasks_failed: int = 0  # the sum of the three causes below
    # Failures by cause. deadline: not contributed before the contribution deadline, with no
    # capacity drop since the match (the pool sold more than the slots it had could deliver);
    # capacity: the same miss, but slots were lost after the match (workers left: the sale was
    # deliverable when made); random: ``failure_rate``, drawn for a task that would have made it.
    tasks_failed_deadline: int = 0
    tasks_failed_capacity_drop: int = 0
    tasks_failed_random: int = 0
    stake_lost_deadline: int = 0
    stake_lost_capacity_drop: int = 0
    stake_lost_random: int = 0
    tasks_matched_hidden: int = 0  # taken by the adversary from unpublished orders
    publishes: int = 0
    unpublishes: int = 0
    cancels: int = 0
    gas_used: int = 0
    api_requests: int = 0
    api_max_per_min: int = 0
    busy_slot_seconds: float = 0.0
    slot_seconds: float = 0.0
    demand_tasks: dict[int, int] = field(default_factory=dict)
    revenue_by_category: dict[int, int] = field(default_factory=dict)
    faults: dict[str, int] | None = None  # only with a [faults] table (bot.sim.faults)
    _minute: int = -1
    _in_minute: int = 0

    def count_api(self, now: float, n: int) -> None:
        minute = int(now // 60)
        if minute != self._minute:
            self._minute, self._in_minute = minute, 0
        self._in_minute += n
        self.api_requests += n
        self.api_max_per_min = max(self.api_max_per_min, self._in_minute)


@dataclass(slots=True)
class _Order:
    entry: BookEntry
    signed: SignedWorkerpoolOrder | None = None
    published: bool = True
    key: tuple[int, int, int, str] = (0, 0, 0, ZERO_ADDRESS)


class SimClock:
    """The simulated clock: the engine moves it; writes and cancels add their latency."""

    def __init__(self, now: float) -> None:
        self.t = now

    def now(self) -> float:
        return self.t


class MarketSim:
    """The whole simulated world. Build it, then alternate :meth:`advance` and the bot's cycle."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        intents: Sequence[RequestIntent] | None = None,
        categories: Sequence[Category] = STANDARD_CATEGORIES,
        *,
        pool: str = OUR_POOL,
        owner: str = OUR_OWNER,
        clock: SimClock | None = None,
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.pool = pool
        self.owner = owner
        self.clock = clock if clock is not None else SimClock(scenario.origin)
        # Other pools priced by a bot's cycle, with slots, stake and tasks of their own (self-play,
        # bot.backtest.selfplay): each is a MarketSim without demand sharing this one's clock, and
        # a fill on one of its orders here becomes a task there. Empty in a plain backtest.
        self.peers: dict[str, MarketSim] = {}
        self.categories = {c.id: c for c in categories}
        self.counters = SimCounters()
        self.costs = scenario.costs
        origin = scenario.origin
        self.competitors: list[CompetitorModel] = [c.build(origin) for c in scenario.competitors]
        self._comp_next = [origin for _ in self.competitors]
        # Competitors that reprice more often than the bot ticks: stepped at their own times
        # between ticks too (the others are stepped at the start of each advance, as before).
        self._fast = [
            i for i, c in enumerate(self.competitors) if c.period_s < scenario.scenario.step_s
        ]
        self._rng_comp = random.Random(f"{seed}:competitors")
        self._rng_pool = random.Random(f"{seed}:pool")
        self._crn = scenario.scenario.common_random_numbers  # module doc
        self._task_keys: dict[tuple[float, str, int, int], int] = {}  # tasks drawn per request
        if intents is None:
            models = [r.build(origin) for r in scenario.requesters]
            intents = generate_intents(models, origin, scenario.end, scenario.scenario.step_s, seed)
        self._intents = list(intents)
        self._next_intent = 0
        self._open: list[tuple[RequestIntent, int, str]] = []  # (intent, volume left, hash)
        self._open_views: tuple[int, list[RequestOrderView]] = (-1, [])  # cached on _open_version
        self._open_version = 0  # bumped whenever an open request comes, goes or is filled
        self._orders: dict[str, _Order] = {}  # every listed or valid order, ours and theirs
        self._comp_orders: dict[tuple[int, tuple[int, int, int, str]], str] = {}
        self._consumed: dict[str, int] = {}
        self._closed: set[str] = set()
        self._seq = 0
        self._version = 0  # bumped on every change of the book: query results are cached on it
        self._query_cache: dict[BookQuery, tuple[int, list[BookEntry]]] = {}
        self._query_by_id: dict[int, tuple[BookQuery, int, list[BookEntry]]] = {}
        self._listed_cache: tuple[int, list[BookEntry]] = (-1, [])
        self._sorted_cache: tuple[int, list[BookEntry], dict[int, list[BookEntry]]] = (-1, [], {})
        self.deals: deque[Deal] = deque()  # every pool's deals of the last day
        self.our_deals: list[Deal] = []
        # our pool
        self._durations = {
            cid: scenario.pool.duration(cid, cat.work_clock_time_ref)
            for cid, cat in self.categories.items()
        }
        self._drifting = {c.category for c in scenario.pool.duration_changes}
        self._capacity_plan = sorted(
            (origin + c.at_h * 3600.0, c.workers) for c in scenario.pool.capacity_changes
        )
        self._workers = scenario.pool.workers
        self._slots = self._workers * scenario.pool.slots_per_worker
        # Waiting tasks, heaps of (contribution deadline, seq, task): those that lost their worker
        # (RUNNING for the core, served first) and the others (INITIALIZED).
        self._requeued: list[tuple[float, int, SimTask]] = []
        self._waiting: list[tuple[float, int, SimTask]] = []
        self._queued = 0
        self._task_seq = 0
        self._drops = 0  # capacity drops so far: a task matched before one fails by "capacity"
        self._running: list[tuple[float, int, SimTask, int]] = []  # (end, seq, task, outcome)
        self._pool_t = origin
        self.contributed: deque[PoolTask] = deque(maxlen=CONTRIBUTED_MEMORY)
        self._accounted_until = math.inf  # set by drain(): utilization counts the run only
        self.stake_free = scenario.pool.stake_nrlc
        self.stake_locked = 0
        self.market = SimMarket(self)
        self.chain = SimChain(self)
        self.signer = SimSigner(self)
        self.metrics = SimPoolMetrics(self)
        self.tasks = SimTaskFeed(self)
        # A [faults] table is installed by the backtest engine (bot.sim.faults.install_faults),
        # which wraps these ports: the simulator does not know about the faults.

    # -- capacity -------------------------------------------------------------------------------

    @property
    def slots(self) -> int:
        return self._slots  # workers x slots per worker, kept with the workers

    def utilization(self) -> PoolUtilization:
        return PoolUtilization(
            registered_cpu=self.slots,
            computing_cpu=len(self._running),
            backlog=self._queued,
            alive_workers=self._workers,
            sampled_at=self.clock.t,
        )

    # -- ids ------------------------------------------------------------------------------------

    def _next_hash(self, kind: str) -> str:
        self._seq += 1
        return "0x" + hashlib.blake2b(f"{kind}:{self._seq}".encode(), digest_size=32).hexdigest()

    # -- the book -------------------------------------------------------------------------------

    def listed(self) -> list[BookEntry]:
        """Every order on the marketplace now (cached until the book changes; do not mutate)."""
        version, cached = self._listed_cache
        if version != self._version:
            cached = [
                o.entry for o in self._orders.values() if o.published and o.entry.remaining > 0
            ]
            self._listed_cache = (self._version, cached)
        return cached

    def hidden(self) -> list[BookEntry]:
        return [
            o.entry
            for o in self._orders.values()
            if not o.published and o.signed is not None and o.entry.remaining > 0
        ]

    def own_valid(self) -> list[_Order]:
        return [o for o in self._orders.values() if o.signed is not None]

    def _consume(self, order_hash: str, volume: int) -> None:
        o = self._orders[order_hash]
        o.entry = replace(o.entry, remaining=o.entry.remaining - volume)
        self._version += 1
        self._consumed[order_hash] = self._consumed.get(order_hash, 0) + volume
        if o.entry.remaining <= 0:
            if o.signed is not None:
                self._closed.add(order_hash)
            del self._orders[order_hash]

    # -- competitors ----------------------------------------------------------------------------

    def _step_competitors(self, now: float) -> None:
        book: list[BookEntry] | None = None
        for index, comp in enumerate(self.competitors):
            due = self._comp_next[index]
            if now < due:
                continue
            if self._crn:  # its own due times, whatever our latency (module doc)
                self._comp_next[index] = due + comp.period_s * (
                    1 + math.floor((now - due) / comp.period_s)
                )
            else:
                self._comp_next[index] = now + comp.period_s
            if book is None:
                book = self.listed()
            quotes = comp.quotes(now, book, self._rng_comp)
            self._apply_competitor(index, comp.pool, quotes, now)
            book = None

    def _step_fast(self, until: float, inclusive: bool) -> None:
        """Step the fast competitors at each of their due times before ``until`` (or at it)."""
        nxt = self._comp_next
        while True:
            index = min(self._fast, key=lambda i: nxt[i])
            due = nxt[index]
            if due > until or (due == until and not inclusive):
                return
            comp = self.competitors[index]
            nxt[index] = due + comp.period_s
            quotes = comp.quotes(due, self.listed(), self._rng_comp)
            self._apply_competitor(index, comp.pool, quotes, due)

    def _apply_competitor(self, index: int, pool: str, quotes: list[Quote], now: float) -> None:
        wanted: dict[tuple[int, int, int, str], Quote] = {
            (q.category, q.tag, q.trust, q.requesterrestrict): q for q in quotes
        }
        for (i, key), order_hash in list(self._comp_orders.items()):
            if i != index:
                continue
            o = self._orders.get(order_hash)
            q = wanted.get(key)
            if o is not None and q is not None and o.entry.price == q.price:
                if o.entry.remaining < q.volume:  # top up what was filled
                    o.entry = replace(o.entry, remaining=q.volume, volume=q.volume)
                    self._version += 1
                del wanted[key]
                continue
            self._orders.pop(order_hash, None)
            self._version += 1
            del self._comp_orders[(i, key)]
        for key, q in wanted.items():
            order_hash = self._next_hash(f"c{index}")
            entry = BookEntry(
                order_hash=order_hash,
                workerpool=pool,
                owner=pool,
                price=q.price,
                volume=q.volume,
                remaining=q.volume,
                category=q.category,
                tag=q.tag,
                trust=q.trust,
                published_at=now,
                requesterrestrict=q.requesterrestrict,
            )
            self._orders[order_hash] = _Order(entry, key=key)
            self._version += 1
            self._comp_orders[(index, key)] = order_hash

    # -- requests -------------------------------------------------------------------------------

    def _serve(self, intent: RequestIntent, volume: int, now: float) -> int:
        """Match ``volume`` tasks of ``intent`` at ``now``; returns the volume left."""
        fills = match(intent, volume, self.listed(), self.hidden() if intent.adversarial else ())
        for f in fills:
            take = f.volume
            home = self if f.workerpool == self.pool else self.peers.get(f.workerpool)
            if home is not None:
                if home is not self:
                    home._pool_until(now)
                lock = f.price * 30 // 100
                if lock > 0:
                    take = min(take, home.stake_free // lock)
                if take <= 0:
                    continue
                home._accept(intent, f.order_hash, f.price, take, lock, now)
                if not f.published:
                    home.counters.tasks_matched_hidden += take
            self._consume(f.order_hash, take)
            self.deals.append(
                intent.deal(self._next_hash("deal"), f.workerpool, f.price, take, now)
            )
            if home is not None:
                home.our_deals.append(self.deals[-1])
            volume -= take
        return volume

    def _accept(
        self, intent: RequestIntent, order_hash: str, price: int, n: int, lock: int, now: float
    ) -> None:
        self.stake_free -= lock * n
        self.stake_locked += lock * n
        self.counters.tasks_matched += n
        deadline = now + self.categories[intent.category].contribution_deadline
        waiting = self._waiting
        first, key = 0, ""
        if self._crn:  # each task its own stream, keyed on its request (module doc)
            request = (intent.at, intent.requester, intent.category, intent.max_price)
            first = self._task_keys.get(request, 0)
            self._task_keys[request] = first + n
            key = f"{self.seed}:task:{request}"
        for k in range(n):
            self._task_seq += 1
            task = SimTask(
                now,
                deadline,
                intent.category,
                price,
                lock,
                intent.max_price,
                self._drops,
                task_id=f"task:{self._task_seq}",
                rng=random.Random(f"{key}:{first + k}") if key else None,
            )
            heapq.heappush(waiting, (deadline, self._task_seq, task))
        self._queued += n
        self._start_tasks(now)

    def _retry_open(self, now: float) -> None:
        if not self._open:
            return
        still: list[tuple[RequestIntent, int, str]] = []
        for intent, left, h in self._open:
            if now > intent.at + intent.patience_s:
                continue
            if intent.kind != "publisher":
                left = self._serve(intent, left, now)
            if left > 0:
                still.append((intent, left, h))
        if len(still) != len(self._open) or any(
            a[1] != b[1] for a, b in zip(still, self._open, strict=True)
        ):
            self._open_version += 1
        self._open = still

    def open_requests(self) -> list[RequestOrderView]:
        """The request book (cached until it changes; do not mutate)."""
        version, views = self._open_views
        if version != self._open_version:
            views = self._open_request_views()
            self._open_views = (self._open_version, views)
        return views

    def _open_request_views(self) -> list[RequestOrderView]:
        return [
            RequestOrderView(
                order_hash=h,
                requester=i.requester,
                app=i.app,
                dataset=i.dataset,
                workerpool=i.workerpool,
                workerpoolmaxprice=i.max_price,
                volume=i.volume,
                remaining=left,
                category=i.category,
                tag=i.tag,
                trust=i.trust,
                published_at=i.at,
            )
            for i, left, h in self._open
        ]

    # -- our pool -------------------------------------------------------------------------------

    def _start_tasks(self, now: float) -> None:
        """Fill free slots as the core scheduler does: RUNNING first, then earliest deadline."""
        pool = self.scenario.pool
        while self._queued and len(self._running) < self.slots:
            heap = self._requeued or self._waiting
            deadline, _, task = heapq.heappop(heap)
            self._queued -= 1
            if deadline <= now:  # the core hands out only tasks with contributionDeadline > now
                self._fail(task, self._miss_cause(task))
                continue
            d = self._durations[task.category]
            if task.category in self._drifting:
                d = pool.duration_at(
                    task.category,
                    self.categories[task.category].work_clock_time_ref,
                    (now - self.scenario.origin) / 3600.0,
                )
            rng = task.rng or self._rng_pool
            end = now + lognormal_duration(d, rng)
            fails = pool.failure_rate > 0 and rng.random() < pool.failure_rate
            if end >= deadline:  # contributed too late: aborted at the deadline, slot freed then
                end, outcome = deadline, self._miss_cause(task)  # the miss is certain now
            else:
                outcome = _RANDOM if fails else _DONE
            self._seq += 1
            task.started_at = now
            heapq.heappush(self._running, (end, self._seq, task, outcome))

    def _shed_running(self) -> None:
        """Workers left: the tasks they ran go back to the queue, RUNNING for the core (served
        before any waiting task), keeping their deadline; so computing never exceeds slots."""
        while len(self._running) > self.slots:
            latest = max(range(len(self._running)), key=lambda i: self._running[i][:2])
            _, _, task, _ = self._running.pop(latest)
            heapq.heapify(self._running)
            task.started_at = None
            self._task_seq += 1
            heapq.heappush(self._requeued, (task.deadline, self._task_seq, task))
            self._queued += 1

    def _miss_cause(self, task: SimTask) -> int:
        """A deadline miss is the capacity drop's when slots were lost since the task's match."""
        return _CAPACITY if task.drops < self._drops else _DEADLINE

    def _fail(self, task: SimTask, cause: int) -> None:
        c = self.counters
        self.stake_locked -= task.lock
        c.stake_lost += task.lock
        c.tasks_failed += 1
        if cause == _RANDOM:
            c.tasks_failed_random += 1
            c.stake_lost_random += task.lock
        elif cause == _CAPACITY:
            c.tasks_failed_capacity_drop += 1
            c.stake_lost_capacity_drop += task.lock
        else:
            c.tasks_failed_deadline += 1
            c.stake_lost_deadline += task.lock

    def _expire_queued(self, now: float) -> None:
        if not self._queued:
            return  # nothing waits (most calls)
        for heap in (self._requeued, self._waiting):
            while heap and heap[0][0] <= now:
                task = heapq.heappop(heap)[2]
                self._fail(task, self._miss_cause(task))
                self._queued -= 1

    def _pool_until(self, t: float) -> None:
        """Replay completions, capacity changes and starts up to ``t``, in time order."""
        while True:
            next_done = self._running[0][0] if self._running else math.inf
            next_cap = self._capacity_plan[0][0] if self._capacity_plan else math.inf
            nxt = min(next_done, next_cap)
            if nxt > t:
                break
            self._account(nxt)
            if next_cap <= next_done:
                self._workers = self._capacity_plan.pop(0)[1]
                slots = self._workers * self.scenario.pool.slots_per_worker
                if slots < self._slots:
                    self._drops += 1
                self._slots = slots
                self._shed_running()
            else:
                end, _, task, outcome = heapq.heappop(self._running)
                if outcome != _DONE:
                    self._fail(task, outcome)
                else:
                    self.contributed.append(task.view(contributed_at=end))
                    self.stake_locked -= task.lock
                    self.stake_free += task.lock + task.price
                    self.counters.revenue += task.price
                    self.counters.tasks_served += 1
                    by_cat = self.counters.revenue_by_category
                    by_cat[task.category] = by_cat.get(task.category, 0) + task.price
            self._expire_queued(nxt)
            self._start_tasks(nxt)
        self._account(t)
        self._expire_queued(t)

    def _account(self, t: float) -> None:
        t = min(t, self._accounted_until)
        dt = t - self._pool_t
        if dt > 0:
            self.counters.busy_slot_seconds += dt * min(len(self._running), self.slots)
            self.counters.slot_seconds += dt * self.slots
            self._pool_t = t

    # -- the driver -----------------------------------------------------------------------------

    def advance(self, until: float) -> None:
        """Let the market run from the clock's time to ``until`` (the bot does nothing meanwhile)."""
        now = self.clock.t
        self._pool_until(now)
        self._step_competitors(now)
        self._retry_open(now)
        intents = self._intents
        while self._next_intent < len(intents) and intents[self._next_intent].at < until:
            intent = intents[self._next_intent]
            self._next_intent += 1
            at = max(intent.at, now)
            self._pool_until(at)
            if self._fast:
                self._step_fast(at, inclusive=True)
            demand = self.counters.demand_tasks
            demand[intent.category] = demand.get(intent.category, 0) + intent.volume
            # A publisher only posts its request: nothing matches it until a pool fills it.
            left = (
                intent.volume
                if intent.kind == "publisher"
                else self._serve(intent, intent.volume, at)
            )
            if left > 0 and intent.patience_s > 0:
                self._open.append((intent, left, self._next_hash("req")))
                self._open_version += 1
        if self._fast:
            self._step_fast(until, inclusive=False)
        self._pool_until(until)
        while self.deals and self.deals[0].at < until - DEAL_MEMORY_S:
            self.deals.popleft()
        if self.our_deals and self.our_deals[0].at < until - DEAL_MEMORY_S:
            # ``key`` reads only the O(log n) probed deals instead of listing every time.
            cut = bisect.bisect_left(self.our_deals, until - DEAL_MEMORY_S, key=lambda d: d.at)
            del self.our_deals[:cut]
        self.clock.t = max(self.clock.t, until)

    def drain(self) -> None:
        """Stop taking requests and let every matched task finish or fail (end of a run)."""
        horizon = self.clock.t + 10 * max(c.work_clock_time_ref for c in self.categories.values())
        self._pool_until(self.clock.t)
        self._accounted_until = self.clock.t  # slot time after the run is not the run's
        self._pool_until(horizon)
        for heap in (self._requeued, self._waiting):  # empty: every deadline has passed
            for _, _, task in heap:
                self._fail(task, self._miss_cause(task))
            heap.clear()
        self._queued = 0

    # -- our orders (called by the ports) -------------------------------------------------------

    def home_of(self, workerpool: str) -> MarketSim:
        """The simulator keeping ``workerpool``'s slots, stake and counters: a peer's, or ours."""
        return self.peers.get(workerpool.lower(), self) if self.peers else self

    def publish(self, signed: SignedWorkerpoolOrder) -> str:
        h = signed.order_hash
        if h in self._closed:
            return h
        o = self._orders.get(h)
        now = self.clock.t
        if o is None:
            order = signed.order
            remaining = order.volume - self._consumed.get(h, 0)
            if remaining <= 0:
                return h
            home = self.home_of(order.workerpool)
            entry = BookEntry(
                order_hash=h,
                workerpool=order.workerpool,
                owner=home.owner,
                price=order.workerpoolprice,
                volume=order.volume,
                remaining=remaining,
                category=order.category,
                tag=order.tag_int,
                trust=order.trust,
                published_at=now,
                apprestrict=order.apprestrict,
                datasetrestrict=order.datasetrestrict,
                requesterrestrict=order.requesterrestrict,
            )
            self._orders[h] = _Order(entry, signed=signed, published=True)
            self._version += 1
            home.counters.publishes += 1
        elif not o.published:
            o.published = True
            o.entry = replace(o.entry, published_at=now)
            self._version += 1
            self.home_of(o.entry.workerpool).counters.publishes += 1
        return h

    def unpublish(self, order_hash: str) -> None:
        o = self._orders.get(order_hash)
        if o is not None and o.published:
            if o.signed is None:
                raise InputError("order_hash", "not one of our orders", order_hash)
            o.published = False
            self._version += 1
            self.home_of(o.entry.workerpool).counters.unpublishes += 1

    def cancel(self, signed: SignedWorkerpoolOrder) -> CancelOutcome:
        h = signed.order_hash
        if h in self._closed:
            return CancelOutcome(h, None, already_closed=True)
        self._closed.add(h)
        self._consumed[h] = signed.order.volume
        self._orders.pop(h, None)
        self._version += 1
        counters = self.home_of(signed.order.workerpool).counters
        counters.cancels += 1
        counters.gas_used += self.costs.gas_per_cancel
        self.clock.t += self.costs.tx_latency_s
        return CancelOutcome(h, self._next_hash("tx"), False, self.costs.gas_per_cancel)

    def order_status(self, order_hash: str, volume: int) -> ChainOrderStatus:
        used = self._consumed.get(order_hash, 0)
        if used >= volume or order_hash in self._closed:
            return ChainOrderStatus.CLOSED
        return ChainOrderStatus.PARTIAL if used else ChainOrderStatus.OPEN

    def query(self, q: BookQuery) -> list[BookEntry]:
        # Keyed by identity first: the samplers ask with the same query objects every tick, and
        # hashing a 13-field frozen dataclass costs more than the rest of a cache hit.
        by_id = self._query_by_id.get(id(q))
        if by_id is not None and by_id[0] is q and by_id[1] == self._version:
            return list(by_id[2])
        hit = self._query_cache.get(q)
        if hit is not None and hit[0] == self._version:
            out = hit[1]
        else:
            out = self._query(q)
            self._query_cache[q] = (self._version, out)
        if len(self._query_by_id) > 256:
            self._query_by_id.clear()  # callers that build a new query per call: stay bounded
        self._query_by_id[id(q)] = (q, self._version, out)  # holds q: its id stays unique
        return list(out)

    def _query(self, q: BookQuery) -> list[BookEntry]:
        """The market's filters over the listed book, in its sort order (hot path: kept flat)."""
        version, ordered, by_category = self._sorted_cache
        if version != self._version:
            ordered = sorted(self.listed(), key=lambda e: (e.price, e.published_at, e.order_hash))
            by_category = {}
            for e in ordered:  # each category's run, still in the market's order
                by_category.setdefault(e.category, []).append(e)
            self._sorted_cache = (self._version, ordered, by_category)
        cat, min_tag, max_tag = q.category, q.min_tag, q.max_tag
        if cat is not None:
            ordered = by_category.get(cat, [])
        min_trust = q.min_trust if q.min_trust is not None and q.min_trust > 1 else None
        pool = q.workerpool.lower() if q.workerpool is not None else None
        owner = q.workerpool_owner.lower() if q.workerpool_owner is not None else None
        any_restriction = q.app == q.dataset == q.requester == "any"
        out = []
        for e in ordered:
            if cat is not None and e.category != cat:
                continue
            if min_tag and e.tag & min_tag != min_tag:
                continue
            if max_tag is not None and e.tag & ~max_tag:
                continue
            if min_trust is not None and e.trust < min_trust:
                continue
            if q.min_volume is not None and e.remaining < q.min_volume:
                continue
            if pool is not None and e.workerpool != pool:
                continue
            if owner is not None and e.owner != owner:
                continue
            if not any_restriction and not (
                _restriction_ok(e.apprestrict, q.app, q.is_app_strict)
                and _restriction_ok(e.datasetrestrict, q.dataset, q.is_dataset_strict)
                and _restriction_ok(e.requesterrestrict, q.requester, q.is_requester_strict)
            ):
                continue
            out.append(e)
        return out


def _deal_at(deal: Deal) -> float:
    return deal.at


def _restriction_ok(restrict: str, wanted: str | None, strict: bool) -> bool:
    """The market's app/dataset/requester filters: None hides restricted orders, 'any' shows all."""
    if wanted is None:
        return restrict == ZERO_ADDRESS
    if wanted == "any":
        return True
    if strict:
        return restrict == wanted.lower()
    return restrict in (ZERO_ADDRESS, wanted.lower())


class SimMarket:
    """MarketReader + MarketWriter over the simulator; every call is counted as API requests.

    ``home``: the pool whose bot calls (a self-play peer, see :attr:`MarketSim.peers`), which the
    requests are counted to; by default the simulator's own pool.
    """

    def __init__(self, sim: MarketSim, home: MarketSim | None = None) -> None:
        self.sim = sim
        self.home = home if home is not None else sim
        self._requests_cache: tuple[tuple[int | None, str | None, int], list[RequestOrderView]]
        self._requests_cache = ((None, None, -1), [])

    def _count(self, n: int = 1, write: bool = False) -> None:
        sim = self.sim
        costs = sim.costs
        clock = sim.clock
        self.home.counters.count_api(clock.t, n * costs.requests_per_write if write else n)
        clock.t += costs.api_latency_s * n

    def workerpool_orders(self, query: BookQuery) -> list[BookEntry]:
        out = self.sim.query(query)
        page = self.sim.costs.page_size
        self._count(1 if len(out) <= page else -(-len(out) // page))
        return out

    def workerpool_order(self, order_hash: str) -> BookEntry | None:
        self._count()
        o = self.sim._orders.get(order_hash)
        return o.entry if o is not None and o.published else None

    def our_orders(self, workerpool: str) -> list[OwnOrder]:
        self._count()
        pool = workerpool.lower()
        return [
            OwnOrder(o.signed, o.entry.remaining, True, o.entry.published_at, o.entry.status)
            for o in self.sim.own_valid()
            if o.published and o.signed is not None and o.entry.workerpool == pool
        ]

    def request_orders(
        self, category: int | None = None, workerpool: str | None = None
    ) -> list[RequestOrderView]:
        self._count()
        if not self.sim._open:
            return []  # the common case: every request found an order when it came
        key = (category, workerpool, self.sim._open_version)
        if self._requests_cache[0] == key:
            return list(self._requests_cache[1])
        out = []
        for r in self.sim.open_requests():
            if category is not None and r.category != category:
                continue
            if r.workerpool != ZERO_ADDRESS and (
                workerpool is None or r.workerpool != workerpool.lower()
            ):
                continue
            out.append(r)
        out.sort(key=lambda r: (-r.workerpoolmaxprice, r.published_at))
        self._requests_cache = (key, out)
        return list(out)

    def deals(self, workerpool: str, since: float | None = None) -> list[Deal]:
        self._count()
        pool = workerpool.lower()
        low = -math.inf if since is None else since
        if pool == self.home.pool:
            # Only ours in there: the newest run at or after ``low``, newest first.
            ours = self.home.our_deals  # appended in time order
            i = bisect.bisect_left(ours, low, key=_deal_at)
            return ours[i:][::-1]
        out = []
        for d in reversed(self.sim.deals):
            if d.at < low:
                break
            if d.workerpool == pool:
                out.append(d)
        return out

    def publish(self, signed: SignedWorkerpoolOrder) -> str:
        self._count(write=True)
        return self.sim.publish(signed)

    def unpublish(self, order_hash: str) -> None:
        self._count(write=True)
        self.sim.unpublish(order_hash)

    def unpublish_all(self, workerpool: str) -> list[str]:
        self._count(write=True)
        done = []
        pool = workerpool.lower()
        for o in self.sim.own_valid():
            if o.published and o.entry.workerpool == pool:
                self.sim.unpublish(o.entry.order_hash)
                done.append(o.entry.order_hash)
        return done


class SimChain:
    """The Chain port: consumed volume, stake, categories, cancels (with gas and latency).

    ``home``: whose stake and gas it shows (a self-play peer), by default the simulator's pool.
    """

    def __init__(self, sim: MarketSim, home: MarketSim | None = None) -> None:
        self.sim = sim
        self.home = home if home is not None else sim

    @property
    def chain_id(self) -> int:
        return 65535

    def owner(self, workerpool: str) -> str:
        return self.sim.home_of(workerpool).owner

    def consumed(self, order_hash: str) -> int:
        return self.sim._consumed.get(order_hash, 0)

    def consumed_many(self, order_hashes: Sequence[str]) -> dict[str, int]:
        """All at once, as the JSON-RPC batch of the real adapter (the samplers prefer it)."""
        used = self.sim._consumed
        return {h: used.get(h, 0) for h in order_hashes}

    def order_status(self, signed: SignedWorkerpoolOrder) -> ChainOrderStatus:
        return self.sim.order_status(signed.order_hash, signed.order.volume)

    def stake(self, account: str) -> Stake:
        return Stake(free=self.home.stake_free, locked=self.home.stake_locked)

    def categories(self) -> Sequence[Category]:
        return tuple(self.sim.categories.values())

    def cancel(self, signed: SignedWorkerpoolOrder) -> CancelOutcome:
        return self.sim.cancel(signed)

    def gas_balance(self) -> int:
        return 10**20 - self.home.counters.gas_used * self.sim.costs.gas_price_wei


class SimSigner:
    """A stand-in for the owner key: a deterministic digest instead of EIP-712 (speed)."""

    def __init__(self, sim: MarketSim) -> None:
        self.sim = sim

    @property
    def address(self) -> str:
        return self.sim.owner

    def sign_order(self, order: WorkerpoolOrder) -> SignedWorkerpoolOrder:
        blob = repr(sorted(order.fields().items())).encode()
        digest = hashlib.blake2b(blob, digest_size=32).hexdigest()
        return SignedWorkerpoolOrder(order, "0x" + digest + "1b", "0x" + digest)

    def sign_close(self, order: WorkerpoolOrder) -> str:
        return "0x" + "00" * 65

    def sign_gateway_challenge(self, chain_id: int, challenge: str) -> str:
        return "0x" + "00" * 65


def _deal_start(task: PoolTask) -> float:
    return task.deal_start


class SimTaskFeed:
    """The TaskFeed port: our pool's open tasks and its last contributed ones.

    The contributed ones (up to ``CONTRIBUTED_MEMORY``, read every tick) are kept sorted by
    deal start between calls and updated by what was appended to and evicted from
    ``MarketSim.contributed`` since: rescanning and resorting them all was a sixth of a run. The
    list returned is the one a stable sort of (contributed in contribution order, then the open
    tasks) by deal start gives.
    """

    def __init__(self, sim: MarketSim) -> None:
        self.sim = sim
        self._seen: deque[PoolTask] = deque()  # sim.contributed as of the last call
        self._sorted: list[PoolTask] = []  # the same tasks, stably sorted by deal start
        self._keys: list[float] = []  # their deal starts

    def _sync_contributed(self) -> None:
        done, seen = self.sim.contributed, self._seen
        if len(done) == len(seen) and (not done or (done[-1] is seen[-1] and done[0] is seen[0])):
            return
        last = seen[-1] if seen else None
        appended = 0
        for t in reversed(done):
            if t is last:
                break
            appended += 1
        else:  # first call, or more appended than the deque holds: sort them all again
            self._seen = deque(done)
            self._sorted = sorted(done, key=_deal_start)
            self._keys = [t.deal_start for t in self._sorted]
            return
        tasks, keys = self._sorted, self._keys
        for _ in range(len(seen) + appended - len(done)):  # evicted from the left
            gone = seen.popleft()
            i = bisect.bisect_left(keys, gone.deal_start)
            while tasks[i] is not gone:
                i += 1
            del tasks[i], keys[i]
        for j in range(len(done) - appended, len(done)):
            t = done[j]
            i = bisect.bisect_right(keys, t.deal_start)  # after equal ones: a stable sort
            tasks.insert(i, t)
            keys.insert(i, t.deal_start)
            seen.append(t)

    def pool_tasks(self, workerpool: str, since: float) -> list[PoolTask]:
        sim = self.sim
        if workerpool.lower() != sim.pool:
            return []
        self._sync_contributed()
        start = bisect.bisect_left(self._keys, since)
        out, keys = self._sorted[start:], self._keys[start:]
        views = [
            t.view()
            for heap in (sim._requeued, sim._waiting)
            for _, _, t in heap
            if t.matched_at >= since
        ]
        views.extend(t.view() for _, _, t, _ in sim._running if t.matched_at >= since)
        views.sort(key=_deal_start)
        # Merged in after every task of the same deal start already there: the order a stable
        # sort of (contributed, then open tasks in this order) gives.
        i = 0
        for t in views:
            i = bisect.bisect_right(keys, t.deal_start, i)
            out.insert(i, t)
            keys.insert(i, t.deal_start)
            i += 1
        return out


class SimPoolMetrics:
    def __init__(self, sim: MarketSim) -> None:
        self.sim = sim

    def utilization(self) -> PoolUtilization:
        return self.sim.utilization()
