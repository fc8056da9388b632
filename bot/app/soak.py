"""The soak: the real bot on the sandbox for many cycles under faults, judged by the checker.

``python -m bot.app.soak`` (``make soak``) starts one sandbox world (agents trading), puts a
:class:`~bot.sandbox.fault_proxy.FaultProxy` in front of anvil's JSON-RPC and one in front of the
core's ``/metrics``, builds the bot exactly as ``pricebot run --live`` does (``build_runtime``,
``PricebotService``) from the sandbox's config pointed at the proxies, and runs its jobs back to
back (the accelerated reprice period: one tick per cycle, a reconcile every
``reconcile_every`` cycles) while a seeded plan injects faults at the real boundaries:

- the marketplace's own fault injection, for the bot's client only: 5xx, 429 bursts with
  ``Retry-After``, latency, dropped connections, a write applied but answered with an error,
  stale reads, malformed answers;
- the RPC proxy: HTTP 503, JSON-RPC errors, resets, a stall past the client's timeout, latency;
  anvil's mining controls: automine off for the cycle (a stuck transaction, mined after it), and
  rarely a ``eth_sendRawTransaction`` swallowed on the way (a dropped transaction);
- the core proxy: ``/metrics`` down for the cycle, or slow;
- outages: the marketplace, the RPC and the core each down for a run of cycles.

After every cycle :class:`~bot.sandbox.checker.Checker` reads the world and tests the invariants;
after every reconcile it compares the journal with the marketplace and the chain. Then the crash
loop (:mod:`bot.app.crash_loop`) runs against the same world. Exit 1 on any violation.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import re
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.sandbox.anvil import rpc_call
from bot.sandbox.checker import Checker, CheckerLimits, Violation
from bot.sandbox.fault_proxy import FaultProxy, ProxyFault
from bot.sandbox.stack import SandboxInfo

__all__ = [
    "FAULT_KINDS",
    "Competitor",
    "FaultPlan",
    "SoakConfig",
    "SoakResult",
    "World",
    "arm",
    "main",
    "open_world",
    "our_best_listed",
    "run_soak",
    "soak_budget",
]

log = logging.getLogger("pricebot.soak")

# The bot's client key at the marketplace (it sends no X-Real-IP; agents send their own).
BOT_CLIENT = "127.0.0.1"

M = 1_000_000  # one milli-RLC, in nRLC (the unit of prices here)

# Request orders a minute, all requesters together: twice the sandbox's default, so the bot sells
# and reprices often within a soak of a few minutes.
DEMAND_PER_MIN = 20.0

# name -> weight; a faulty cycle draws one of these.
FAULT_KINDS: dict[str, float] = {
    "market-5xx": 1.0,
    "market-429": 1.0,
    "market-latency": 1.0,
    "market-drop": 1.0,
    "market-applied-error": 1.5,
    "market-stale": 1.0,
    "market-malformed": 0.5,
    "rpc-http-error": 1.0,
    "rpc-error": 1.0,
    "rpc-reset": 1.0,
    "rpc-timeout": 0.3,
    "rpc-latency": 1.0,
    "chain-stuck-tx": 1.0,
    "core-down": 1.0,
    "core-slow": 1.0,
}


# Faults that only bite a write: kept armed (up to STICKY_CYCLES cycles) until one meets a write,
# else most would pass in cycles where the bot had nothing to write. Value: the injected counter.
STICKY: dict[str, str] = {
    "market-applied-error": "market-applied-502",
    "chain-dropped-tx": "rpc-drop_tx",
    "chain-stuck-tx": "chain-stuck",
}
STICKY_CYCLES = 40

# The gas wallet's wait before re-sending a transaction not mined (45 s in production, for a
# reprice period of minutes), shortened like the reprice period: a dropped transaction costs the
# soak a few seconds, not most of a minute.
REPLACE_AFTER_S = 8.0

# Faults on the bot's own transactions: the bot sends one only to cancel, when it raises its
# price above an order still valid on chain, so a planned one is *provoked*: a competitor
# undercuts us PROVOKE_LEAD cycles before (the bot follows down), then leaves as the fault is
# armed (the bot raises and must cancel the cheaper order), and the fault stays armed until a
# transaction of ours meets it. A stuck-tx fault drawn at random lasts its one cycle.
TX_FAULTS = ("chain-stuck-tx", "chain-dropped-tx")
PROVOKE_LEAD = 6


@dataclass(frozen=True, slots=True)
class SoakConfig:
    """One soak: how many cycles, the seed, the share of faulty cycles, the outages, limits."""

    cycles: int = 1000
    seed: int = 1
    fault_rate: float = 0.2
    outages: bool = True
    dropped_txs: int = 1
    stuck_txs: int = 1
    reconcile_every: int = 10
    max_seconds: float = 600.0
    faults: bool = True


@dataclass(slots=True)
class SoakResult:
    config: SoakConfig
    cycles: int = 0
    seconds: float = 0.0
    faults: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    tick_errors: int = 0
    tick_crashes: list[str] = field(default_factory=list)
    reconciles: int = 0
    revenue_nrlc: int = 0
    tasks_sold: int = 0
    violations: list[Violation] = field(default_factory=list)
    checker: dict[str, Any] = field(default_factory=dict)
    timed_out: bool = False
    durations: list[tuple[str | None, float]] = field(default_factory=list)

    def slowest(self) -> dict[str, float]:
        """The longest cycle per fault kind (``none``: fault-free), in seconds."""
        out: dict[str, float] = {}
        for kind, seconds in self.durations:
            key = kind or "none"
            out[key] = round(max(out.get(key, 0.0), seconds), 2)
        return dict(sorted(out.items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "config": asdict(self.config),
            "cycles": self.cycles,
            "seconds": round(self.seconds, 1),
            "faulty_cycles_by_kind": dict(sorted(self.faults.items())),
            "faults_injected_by_kind": dict(sorted(self.injected.items())),
            "tick_errors": self.tick_errors,
            "tick_crashes": self.tick_crashes,
            "reconciles": self.reconciles,
            "revenue_nrlc": self.revenue_nrlc,
            "tasks_sold": self.tasks_sold,
            "violations": [asdict(v) for v in self.violations],
            "checker": self.checker,
            "timed_out": self.timed_out,
            "slowest_cycle_s": self.slowest(),
            "median_cycle_s": round(
                sorted(d for _, d in self.durations)[len(self.durations) // 2], 3
            )
            if self.durations
            else None,
        }


@dataclass
class World:
    """A detached sandbox (its own process), the fault proxies, the bot's config and the checker.

    The sandbox runs as its own supervisor process, as ``pricebot sandbox up --detach`` runs it:
    the marketplace, the pool and the agents do not share this process's interpreter with the
    bot under test. Faults are set from outside: the marketplace's ``/_admin/faults``, anvil's
    mining RPCs, the two proxies here.
    """

    info: SandboxInfo
    rpc_proxy: FaultProxy
    core_proxy: FaultProxy
    config_path: Path
    journal_dir: Path
    checker: Checker
    admin: httpx.Client
    gas_address: str

    @property
    def anvil_url(self) -> str:
        return self.info.rpc_url

    @property
    def state_dir(self) -> Path:
        return Path(self.info.state_dir)

    def market_faults(self, routes: dict[str, Any] | None, **extra: Any) -> None:
        body: dict[str, Any] = {}
        if routes is not None or extra:
            body = {"routes": routes or {}, "clients": [BOT_CLIENT], **extra}
        self.admin.post(self.info.market_url + "/_admin/faults", json=body).raise_for_status()

    def market_injected(self) -> dict[str, int]:
        resp = self.admin.get(self.info.market_url + "/_admin/faults")
        resp.raise_for_status()
        return {str(k): int(v) for k, v in resp.json()["injected"].items()}

    def automine(self, on: bool) -> None:
        rpc_call(self.anvil_url, "evm_setAutomine", [on])
        if on:
            rpc_call(self.anvil_url, "evm_mine")

    def bot_pending_txs(self) -> int:
        """The bot's transactions sent but not mined (its gas wallet's nonces in anvil's pool);
        the agents' own transactions are not counted."""
        counts = [
            int(
                str(rpc_call(self.anvil_url, "eth_getTransactionCount", [self.gas_address, tag])),
                16,
            )
            for tag in ("pending", "latest")
        ]
        return counts[0] - counts[1]

    def clear_faults(self, kind: str | None = "all") -> None:
        """Lift the fault ``kind`` put in force (``"all"``: every one), leaving others alone."""
        if kind is None:
            return
        if kind == "all" or kind.startswith("market"):
            self.market_faults(None)
        if kind == "all" or kind.startswith(("rpc", "chain")):
            self.rpc_proxy.set(None)
        if kind == "all" or kind.startswith("core"):
            self.core_proxy.set(None)
        if kind in ("all", "chain-stuck-tx"):
            self.automine(True)


class Competitor:
    """The sandbox's fourth competitor key, moved by hand to make the bot lower then raise."""

    def __init__(self, world: World) -> None:
        from bot.sandbox.agents_driver import MarketHttp, Wallet
        from bot.sandbox.stack import COMPETITOR_KEYS

        self.world = world
        self.pool = world.info.competitors[3]["workerpool"]
        self.wallet = Wallet(COMPETITOR_KEYS[3], "10.0.8.1")
        self.market = MarketHttp(world.info.market_url, world.info.chain_id)
        self.listed: list[str] = []

    def undercut(self, price: int) -> None:
        from bot.domain.model import WorkerpoolOrder, tag_to_bytes32
        from bot.domain.networks import local_network
        from bot.domain.signing import random_salt, sign_order

        signed = sign_order(
            local_network(self.world.info.chain_id, self.world.info.hub),
            WorkerpoolOrder(
                workerpool=self.pool,
                workerpoolprice=price,
                volume=1,
                tag=tag_to_bytes32(0),
                category=0,
                trust=0,
                salt=random_salt(),
            ),
            self.wallet.key,
        )
        self.market.publish_workerpool(signed, self.wallet)
        self.listed.append(signed.order_hash)

    def undercut_us(self) -> tuple[int, int]:
        """List one order 5 mRLC below our cheapest listed one (not below 12 mRLC); returns our
        price and the competitor's, in nRLC."""
        best = our_best_listed(self.world) or 30 * M
        low = max(12 * M, best - 5 * M)
        self.undercut(low)
        return best, low

    def leave(self) -> None:
        for h in self.listed:
            with contextlib.suppress(Exception):
                self.market.unpublish_workerpool(h, self.wallet)
        self.listed.clear()

    def close(self) -> None:
        self.leave()
        self.market.close()


def our_best_listed(world: World) -> int | None:
    """Our cheapest order listed on the marketplace now (its database), None if none."""
    db = sqlite3.connect(f"file:{world.state_dir / 'market.sqlite'}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute(
            "SELECT MIN(price) FROM orders WHERE kind = 'workerpoolorder' AND workerpool = ? "
            "AND status = 'open'",
            (world.info.workerpool.lower(),),
        ).fetchone()
    finally:
        db.close()
    return None if row is None or row[0] is None else int(row[0])


def _bot_config(info: SandboxInfo, rpc: str, core: str, journal_dir: Path) -> str:
    text = Path(info.config).read_text()
    subs = {
        "rpc_urls": json.dumps([rpc]),
        "core_url": json.dumps(core),
        "journal_dir": json.dumps(str(journal_dir)),
        "reconcile_seconds": "4",
    }
    for key, value in subs.items():
        text, n = re.subn(rf"^{key}\s*=.*$", f"{key} = {value}", text, flags=re.M)
        if n != 1:
            raise RuntimeError(f"soak: no `{key} =` line in {info.config}")
    return text


@contextlib.contextmanager
def open_world(state_dir: Path, *, seed: int = 1) -> Iterator[World]:
    """Start the sandbox (agents on), the two proxies and the checker; stop them all after."""
    from bot.config.schema import load_config
    from bot.pricing.planner import MAX_ORDERS_PER_SLOT
    from bot.sandbox.stack import spawn_detached, stop_detached

    world_dir = state_dir / "world"
    with contextlib.ExitStack() as stack:
        stack.callback(stop_detached, world_dir)
        info = spawn_detached(world_dir, seed=seed, demand_per_min=DEMAND_PER_MIN)
        rpc_proxy = stack.enter_context(FaultProxy(info.rpc_url))
        core_proxy = stack.enter_context(FaultProxy(info.core_url))
        journal_dir = state_dir / "journal"
        config_path = state_dir / "pricebot.toml"
        config_path.write_text(_bot_config(info, rpc_proxy.url, core_proxy.url, journal_dir))
        cfg = load_config(config_path)
        checker = Checker(
            market_db=world_dir / "market.sqlite",
            rpc_url=info.rpc_url,
            hub=info.hub,
            workerpool=info.workerpool,
            owner=info.owner,
            core_url=info.core_url,
            limits=CheckerLimits(
                max_volume_per_slot=max(o.max_volume for o in cfg.offers),
                max_volume_total=cfg.rails.max_volume,
                max_listed_per_slot=MAX_ORDERS_PER_SLOT,
            ),
        )
        stack.callback(checker.close)
        admin = stack.enter_context(httpx.Client(timeout=10.0))
        for name, value in info.bot_env().items():
            os.environ[name] = value
        from eth_account import Account

        gas_address = str(Account.from_key(info.gas_key).address)
        yield World(
            info, rpc_proxy, core_proxy, config_path, journal_dir, checker, admin, gas_address
        )


class FaultPlan:
    """The seeded plan: which fault (if any) each cycle carries, and the outage windows."""

    def __init__(self, cfg: SoakConfig) -> None:
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        n = cfg.cycles
        self.outages: dict[int, str] = {}
        if cfg.faults and cfg.outages and n >= 100:
            length = max(5, n // 160)
            for kind, start in (("market-outage", 0.2), ("rpc-outage", 0.45), ("core-outage", 0.7)):
                first = int(n * start)
                for c in range(first, first + length):
                    self.outages[c] = kind
        # cycle -> the transaction fault provoked there: dropped ones spread over the run, stuck
        # ones between them, each moved past any outage (the bot must be able to follow the
        # competitor down in the PROVOKE_LEAD cycles before)
        self.provoked: dict[int, str] = {}
        if cfg.faults:
            for count, offset, kind in (
                (cfg.stuck_txs, 0.5, "chain-stuck-tx"),
                (cfg.dropped_txs, 1.0, "chain-dropped-tx"),
            ):
                for i in range(count):
                    c = int(n * (i + offset) / (count + 1))
                    while c in self.provoked or any(
                        x in self.outages for x in range(c - PROVOKE_LEAD, c + 1)
                    ):
                        c += 1
                    if PROVOKE_LEAD <= c < n:
                        self.provoked[c] = kind
        kinds = list(FAULT_KINDS)
        weights = [FAULT_KINDS[k] for k in kinds]
        self.kinds: list[str | None] = []
        for c in range(n):
            if not cfg.faults:
                self.kinds.append(None)
            elif c in self.outages:
                self.kinds.append(self.outages[c])
            elif c in self.provoked:
                self.kinds.append(self.provoked[c])
            elif self.rng.random() < cfg.fault_rate:
                self.kinds.append(self.rng.choices(kinds, weights)[0])
            else:
                self.kinds.append(None)
        # the cycles before a provoked one carry no fault: the bot must follow the competitor
        # down (a failed publish, or a price held by a fault, would leave nothing to cancel)
        self.lead_in = {c for p in self.provoked for c in range(p - PROVOKE_LEAD, p)}
        for c in self.lead_in:
            self.kinds[c] = None


def arm(world: World, kind: str, rng: random.Random) -> None:
    """Put the fault ``kind`` in force for the next cycle."""
    m = world.market_faults
    seed = rng.getrandbits(32)
    if kind == "market-5xx":
        m({"*": {"error_rate": 0.5, "error_status": rng.choice([500, 502, 503, 504])}}, seed=seed)
    elif kind == "market-429":
        m(None, burst_429=rng.randint(1, 3), retry_after=1, seed=seed)
    elif kind == "market-latency":
        m({"*": {"latency": 0.5}}, seed=seed)
    elif kind == "market-drop":
        m({"*": {"drop_rate": 0.5}}, seed=seed)
    elif kind == "market-applied-error":
        write = {"applied_error_rate": 1.0, "error_status": 502}
        m({"POST /workerpoolorders": write, "PUT /workerpoolorders": write}, seed=seed)
    elif kind == "market-stale":
        m(
            {
                "GET /workerpoolorders": {"stale_rate": 0.7},
                "GET /workerpoolorders/:id": {"stale_rate": 0.7},
            },
            seed=seed,
        )
    elif kind == "market-malformed":
        m({"*": {"malformed_rate": 0.3}}, seed=seed)
    elif kind == "market-outage":
        m({"*": {"error_rate": 1.0, "error_status": 503}}, seed=seed)
    elif kind == "rpc-http-error":
        world.rpc_proxy.set(ProxyFault("http_error", count=rng.randint(1, 3)))
    elif kind == "rpc-error":
        world.rpc_proxy.set(ProxyFault("rpc_error", count=rng.randint(1, 3)))
    elif kind == "rpc-reset":
        world.rpc_proxy.set(ProxyFault("reset", count=rng.randint(1, 3)))
    elif kind == "rpc-timeout":
        world.rpc_proxy.set(ProxyFault("stall", count=1, seconds=11.0))
    elif kind == "rpc-latency":
        world.rpc_proxy.set(ProxyFault("latency", count=None, seconds=0.05))
    elif kind == "rpc-outage":
        world.rpc_proxy.set(ProxyFault("reset", count=None))
    elif kind == "chain-stuck-tx":
        world.automine(False)
    elif kind == "chain-dropped-tx":
        world.rpc_proxy.set(ProxyFault("drop_tx", count=1))
    elif kind == "core-down":
        world.core_proxy.set(ProxyFault("http_error", count=None))
    elif kind == "core-slow":
        world.core_proxy.set(ProxyFault("latency", count=None, seconds=1.5))
    elif kind == "core-outage":
        world.core_proxy.set(ProxyFault("reset", count=None))
    else:
        raise ValueError(f"unknown fault kind {kind!r}")


def _release_stuck(
    world: World, kind: str | None, injected: Counter[str]
) -> Callable[[], None] | None:
    """For a stuck-tx cycle: mine a few seconds into the cycle, counting in ``injected``
    (``chain-stuck``) whether a transaction of the bot's was waiting."""
    if kind != "chain-stuck-tx":
        return None
    import threading

    def release() -> None:
        if world.bot_pending_txs() > 0:
            injected["chain-stuck"] += 1
        world.automine(True)

    timer = threading.Timer(3.0, release)
    timer.daemon = True
    timer.start()
    return timer.cancel


def run_soak(world: World, cfg: SoakConfig, *, progress: bool = False) -> SoakResult:
    """Run ``cfg.cycles`` cycles of the bot on ``world`` with the seeded fault plan."""
    from bot.app.service import PricebotService, build_runtime
    from bot.config.schema import load_config
    from bot.domain.errors import BotError

    result = SoakResult(cfg)
    plan = FaultPlan(cfg)
    rng = random.Random(cfg.seed + 1)
    revenue_before, tasks_before = world.checker.revenue()
    runtime = build_runtime(
        load_config(world.config_path),
        live=True,
        market_budget=soak_budget(),
        replace_after_s=REPLACE_AFTER_S,
    )
    service = PricebotService(runtime, seed=cfg.seed)
    checker = world.checker
    t0 = time.monotonic()
    try:
        service.reconcile()
        previous: str | None = None
        sticky: str | None = None  # a write fault kept armed until a write meets it
        sticky_left = 0
        pusher: Competitor | None = None  # a competitor undercutting us, for a provoked cancel
        for cycle in range(cfg.cycles):
            if time.monotonic() - t0 > cfg.max_seconds:
                result.timed_out = True
                break
            kind = plan.kinds[cycle]
            if cycle in plan.provoked:
                sticky, sticky_left = kind, STICKY_CYCLES
            elif cycle in plan.lead_in:  # no fault, not even a write fault still armed
                sticky = None
            elif sticky is not None and cycle not in plan.outages:  # an outage goes first
                kind = sticky
            elif kind in STICKY and kind not in TX_FAULTS:
                sticky, sticky_left = kind, STICKY_CYCLES
            if cycle + PROVOKE_LEAD in plan.provoked and pusher is None:
                pusher = Competitor(world)
                pusher.undercut_us()
            if kind is not None:
                result.faults[kind] += 1
                arm(world, kind, rng)
            if cycle in plan.provoked and pusher is not None:
                pusher.close()  # it leaves: the bot raises and must cancel the cheaper order
                pusher = None
            release = _release_stuck(world, kind, result.injected)
            reconciling = cycle % cfg.reconcile_every == cfg.reconcile_every - 1
            finished = checker.finished() if reconciling and kind is None else set()
            met_before = result.injected[STICKY.get(sticky or kind or "", "")]
            started = time.monotonic()
            try:
                if reconciling:
                    service.reconcile()
                    result.reconciles += 1
                service.reprice()
            except BotError as exc:
                result.tick_errors += 1
                log.info("cycle %d (%s): %s", cycle, kind, exc)
            except Exception as exc:  # a crash is a finding (a bug), not the end of the soak
                result.tick_crashes.append(f"cycle {cycle} ({kind}): {exc!r}")
                log.error("cycle %d (%s) crashed: %r", cycle, kind, exc, exc_info=exc)
            finally:
                if release is not None:
                    release()
                _collect(world, result, market=kind is not None and kind.startswith("market"))
                world.clear_faults(kind)
            result.durations.append((kind, time.monotonic() - started))
            if sticky is not None:
                sticky_left -= 1
                if result.injected[STICKY[sticky]] > met_before or sticky_left <= 0:
                    sticky = None
            chain_ok = kind is None or not kind.startswith(("rpc", "chain"))
            at_rest = kind is None and previous is None
            found = checker.check(cycle, chain_healthy=chain_ok, at_rest=at_rest)
            if kind is None and reconciling:
                found += checker.agree(_journal(world), cycle, finished)
            for v in found:
                log.error("VIOLATION cycle %d (%s): %s: %s", cycle, kind, v.rule, v.detail)
            result.cycles = cycle + 1
            previous = kind
            if progress and cycle % 50 == 0:
                print(
                    f"  cycle {cycle}: {time.monotonic() - t0:.0f} s, "
                    f"{len(checker.violations)} violations",
                    flush=True,
                )
        # settle: a last reconcile and tick without faults, then the journal must agree
        world.clear_faults()
        finished = checker.finished()
        service.reconcile()
        service.reprice()
        checker.check(result.cycles, chain_healthy=True, at_rest=True)
        checker.agree(_journal(world), result.cycles, finished)
    finally:
        if pusher is not None:
            pusher.close()
        world.clear_faults()
        runtime.close()
    result.seconds = time.monotonic() - t0
    revenue, tasks = checker.revenue()
    result.revenue_nrlc, result.tasks_sold = revenue - revenue_before, tasks - tasks_before
    result.violations = list(checker.violations)
    result.checker = checker.summary()
    return result


def soak_budget() -> Any:
    """The bot's marketplace budget at the accelerated pace: the sandbox's marketplace allows
    10,000 requests a minute per client; production's 90 a minute would make a cycle last
    seconds of waiting for tokens, not of work."""
    from bot.adapters.rate_budget import RateBudget

    return RateBudget(per_minute=6000, burst=60)


def _journal(world: World) -> Path:
    from bot.adapters.journal import journal_path

    return journal_path(world.journal_dir, live=True)


def _collect(world: World, result: SoakResult, *, market: bool) -> None:
    """Add the faults served this cycle (the marketplace's counters are read only after a cycle
    with a marketplace fault armed: arming and clearing reset them)."""
    if market:
        for key, n in world.market_injected().items():
            result.injected[f"market-{key}"] += n
    for key, n in world.rpc_proxy.injected.items():
        result.injected[f"rpc-{key}"] += n
    for key, n in world.core_proxy.injected.items():
        result.injected[f"core-{key}"] += n
    world.rpc_proxy.injected.clear()
    world.core_proxy.injected.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.app.soak")
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--crashes", type=int, default=50)
    parser.add_argument("--baseline", action="store_true", help="also run without faults")
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--state-dir", type=Path, default=Path(".cache/soak"))
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("pricebot.soak").setLevel(logging.INFO)
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)  # injected drops are expected
    import shutil

    shutil.rmtree(args.state_dir, ignore_errors=True)
    figures: dict[str, Any] = {
        "command": " ".join(["python -m bot.app.soak", *(argv or sys.argv[1:])])
    }
    failed = False
    t0 = time.monotonic()
    figures["load_average_at_start"] = [round(x, 1) for x in os.getloadavg()]
    cfg = SoakConfig(
        cycles=args.cycles, seed=args.seed, fault_rate=args.fault_rate, max_seconds=args.max_seconds
    )
    with open_world(args.state_dir / "faults", seed=args.seed) as world:
        soak = run_soak(world, cfg, progress=True)
        figures["soak"] = soak.to_json()
        failed |= bool(soak.violations or soak.tick_crashes) or soak.timed_out
        print(json.dumps(figures["soak"], indent=1), flush=True)
        if args.crashes:
            from bot.app.crash_loop import run_crash_loop

            crash = run_crash_loop(world, crashes=args.crashes, seed=args.seed)
            figures["crash"] = crash.to_json()
            failed |= not crash.ok
            print(json.dumps(figures["crash"], indent=1), flush=True)
    # what `make soak` takes: the world up and down, the soak, the crash loop (not the baseline)
    figures["wall_s"] = round(time.monotonic() - t0, 1)
    figures["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    print(f"soak and crash loop: {figures['wall_s']} s wall", flush=True)
    if args.baseline:
        base_cfg = SoakConfig(
            cycles=args.cycles, seed=args.seed, faults=False, max_seconds=args.max_seconds
        )
        with open_world(args.state_dir / "baseline", seed=args.seed) as world:
            base = run_soak(world, base_cfg, progress=True)
        figures["baseline"] = base.to_json()
        failed |= bool(base.violations)
        # per second of wall time: the agents trade in real time, and faults make cycles longer,
        # so the same number of cycles spans more of the market's time with faults than without
        rate, base_rate = soak.revenue_nrlc / soak.seconds, base.revenue_nrlc / base.seconds
        kept = rate / base_rate if base_rate else float("nan")
        figures["revenue_kept"] = round(kept, 3)
        print(json.dumps({"baseline": base.to_json(), "revenue_kept": kept}, indent=1), flush=True)
    if args.out is not None:
        args.out.write_text(json.dumps(figures, indent=1) + "\n")
    print("SOAK", "FAILED" if failed else "OK", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
