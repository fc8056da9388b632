"""The crash loop: ``kill -9`` the real bot process at chosen moments, restart, check nothing is lost.

Each round starts ``pricebot run --live`` as its own process on the soak's world (same config,
same journal, a one-second schedule), waits until it is observably inside the phase the round
aims at and kills it with SIGKILL; the next round's process is the restart: once it has
reconciled, the independent checker asks whether journal, marketplace and chain agree (nothing
lost, orphaned or duplicated) and whether the journal passes ``PRAGMA integrity_check``. The
processes are forked from a server that has the bot's modules loaded, so a round does not pay a
cold interpreter's start-up (most of a round's time under load before).

Phases are seen from outside, never by instrumenting the bot:

``reconcile``
    the RPC answers slowly; killed after the k-th RPC request of the new process, before its
    log says the service started (reconcile runs first);
``journal-publish``
    our cheapest listed order is closed on chain from outside (so the bot must sign a new one);
    ``GET /challenge`` is slow and ``POST /workerpoolorders`` slow then dropped unapplied; killed
    once the journal holds a signed order the marketplace never received: between the journal
    write and the publish, which never lands;
``mid-publish``
    the same with ``POST /workerpoolorders`` only slow: killed while the publish is in flight
    (the marketplace completes it after the client is gone);
``mid-cancel``
    a competitor undercuts, the bot follows, the competitor leaves, the bot raises its price and
    must close the cheaper order on chain; automine is off, killed once the bot's cancel
    transaction is pending in anvil's pool (mined after the kill);
``random``
    killed at a uniform random moment of a busy second after start-up: signing, journal writes
    (each a SQLite transaction), reads.
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.context
import os
import random
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from bot.app.soak import Competitor, World, our_best_listed
from bot.sandbox.fault_proxy import ProxyFault

__all__ = ["PHASES", "CrashResult", "integrity", "run_crash_loop"]

PHASES = ("reconcile", "journal-publish", "mid-publish", "mid-cancel", "random")


@dataclass(slots=True)
class CrashResult:
    rounds: int = 0
    killed_in: Counter[str] = field(default_factory=Counter)
    missed: Counter[str] = field(default_factory=Counter)
    integrity_failures: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    startups: list[float] = field(default_factory=list)  # seconds to "pricebot started"
    round_seconds: dict[str, list[float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations and not self.integrity_failures

    def to_json(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "killed_in_phase": dict(sorted(self.killed_in.items())),
            "phase_not_reached_killed_anyway": dict(sorted(self.missed.items())),
            "integrity_failures": self.integrity_failures,
            "violations": self.violations,
            "seconds": round(self.seconds, 1),
            "startup_s": _spread(self.startups),
            "round_s_by_phase": {k: _spread(v) for k, v in sorted(self.round_seconds.items())},
        }


def _spread(xs: list[float]) -> dict[str, float]:
    """Median and max of some durations, in seconds."""
    if not xs:
        return {}
    ordered = sorted(xs)
    return {"median": round(ordered[len(ordered) // 2], 2), "max": round(ordered[-1], 2)}


def _crash_config(world: World) -> Path:
    """The soak's config on a one-second schedule (same journal, same endpoints)."""
    import re

    text = world.config_path.read_text()
    for key, value in (("sample_seconds", 1), ("reprice_seconds", 1), ("reconcile_seconds", 5)):
        text = re.sub(rf"^{key}\s*=.*$", f"{key} = {value}", text, flags=re.M)
    path = world.config_path.with_name("pricebot-crash.toml")
    path.write_text(text)
    return path


def _wait(probe: Callable[[], bool], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if probe():
            return True
        time.sleep(0.05)
    return False


class _Round:
    def __init__(self, world: World, config: Path, log: Path) -> None:
        self.world = world
        self.config = config
        self.log = log
        self.proc: BaseProcess | None = None
        self.log_start = log.stat().st_size if log.exists() else 0
        self.started_at = 0.0
        self.up_after: float | None = None  # seconds from start to "pricebot started"

    def start(self) -> None:
        self.log.touch()  # read before the forked process has opened it
        self.started_at = time.monotonic()
        self.proc = _launcher().Process(
            target=_run_bot,
            args=(str(self.config), self.world.info.bot_env(), str(self.log)),
            name="pricebot-run",
        )
        self.proc.start()

    def log_text(self) -> str:
        with self.log.open("rb") as f:
            f.seek(self.log_start)
            return f.read().decode(errors="replace")

    def started(self) -> bool:
        if self.up_after is not None:
            return True
        if "pricebot started" not in self.log_text():
            return False
        self.up_after = time.monotonic() - self.started_at
        return True

    def alive(self) -> bool:
        return self.proc is not None and self.proc.is_alive()

    def kill(self) -> None:
        """SIGKILL, as ``kill -9`` sends it."""
        if self.proc is not None and self.proc.pid is not None and self.proc.is_alive():
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.join(30)

    def stop(self) -> None:
        """SIGTERM, as systemd stops the service: the bot drains and exits by itself."""
        if self.proc is not None and self.proc.pid is not None and self.proc.is_alive():
            os.kill(self.proc.pid, signal.SIGTERM)
        if self.proc is not None:
            self.proc.join(60)


# What ``pricebot run`` imports before its first request: loaded once by the fork server, so
# each round's process starts from a copy of them instead of a cold interpreter (a crash round
# was mostly Python start-up under load: pydantic, httpx, eth-abi, APScheduler).
_PRELOAD = [
    "apscheduler.schedulers.background",  # the service builds its scheduler on first use
    "bot.app.cli",
    "bot.app.commands.service",
    "bot.app.service",
    "bot.ops",
    "bot.adapters.book_signatures",
    "bot.adapters.chain",
    "bot.adapters.chain_tasks",
    "bot.adapters.chain_wallet",
    "bot.adapters.core_metrics",
    "bot.adapters.market_api",
    "bot.adapters.signer",
    "bot.config.schema",
    "strategies",
]


@functools.cache
def _launcher() -> multiprocessing.context.ForkServerContext:
    """A fork server with the bot's modules loaded; each round's bot is forked from it.

    Each bot is still a process of its own (its own pid, memory, sockets and SQLite
    connection), killed with a real SIGKILL; only the interpreter's start-up is shared. The
    server itself is single-threaded (the soak's proxy threads are not copied)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def _run_bot(config: str, env: dict[str, str], log: str) -> None:
    """In the forked process: ``pricebot run --config CONFIG --live``, output to ``log``."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ.update(env)
    sys.argv = ["pricebot", "run", "--config", config, "--live"]
    from bot.app.cli import main

    main()


def _journal_unposted(world: World, journal: Path, known: set[str]) -> bool:
    """The journal holds a signed order (not in ``known``) the marketplace never received."""
    try:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
        try:
            signed = {str(r[0]) for r in db.execute("SELECT order_hash FROM signed_orders")}
        finally:
            db.close()
        market = sqlite3.connect(
            f"file:{world.state_dir / 'market.sqlite'}?mode=ro", uri=True, timeout=5
        )
        try:
            posted = {str(r[0]) for r in market.execute("SELECT order_hash FROM posted")}
        finally:
            market.close()
    except sqlite3.Error:
        return False
    return bool(signed - posted - known)


def _close_our_cheapest(world: World) -> bool:
    """Close our cheapest listed order on chain from outside the bot (the owner signs the CLOSE,
    the world's deployer key relays it): the bot must sign, journal and publish a new one."""
    from bot.adapters.chain import ChainSettings, RpcChain
    from bot.adapters.keys import as_secret
    from bot.adapters.signer import LocalKeySigner
    from bot.domain.networks import local_network
    from bot.domain.order_io import order_from_payload
    from bot.sandbox.stack import DEPLOYER_KEY, OWNER_KEY

    db = sqlite3.connect(f"file:{world.state_dir / 'market.sqlite'}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute(
            "SELECT o.order_hash, p.body FROM orders o JOIN posted p "
            "ON p.kind = o.kind AND p.order_hash = o.order_hash "
            "WHERE o.kind = 'workerpoolorder' AND o.workerpool = ? AND o.status = 'open' "
            "ORDER BY o.price LIMIT 1",
            (world.info.workerpool.lower(),),
        ).fetchone()
    finally:
        db.close()
    if row is None:
        return False
    import json

    signed = order_from_payload({**json.loads(row[1]), "orderHash": row[0]})
    net = local_network(world.info.chain_id, world.info.hub)
    chain = RpcChain.connect(
        net,
        rpc_urls=[world.anvil_url],
        signer=LocalKeySigner(net, as_secret(OWNER_KEY, "owner key")),
        gas_key=as_secret(DEPLOYER_KEY, "relay key"),
        settings=ChainSettings(relay=True),
    )
    chain.cancel(signed)
    return True


def _aim(
    world: World,
    phase: str,
    rnd: _Round,
    rng: random.Random,
    journal: Path,
    on_started: Callable[[], object],
) -> bool:
    """Arm the faults for ``phase``, start the bot, wait until it is inside it; True if reached.

    ``on_started`` runs once the new process has reconciled (its restart check), except in the
    ``reconcile`` phase, killed before that (the next round's start checks it)."""
    if phase == "reconcile":
        world.rpc_proxy.injected.clear()  # no bot is running: count the new one's from zero
        world.rpc_proxy.set(ProxyFault("latency", count=None, seconds=0.15))
        rnd.start()
        k = rng.randint(2, 10)
        return _wait(lambda: world.rpc_proxy.injected["latency"] >= k, 60) and not rnd.started()
    if phase in ("journal-publish", "mid-publish"):
        slow: dict[str, Any] = {"latency": 1.0}
        if phase == "journal-publish":
            # the login (if not cached) is slow and the publish is slow, then dropped unapplied:
            # whenever the kill lands, the marketplace never receives the journalled order
            routes = {"GET /challenge": slow, "POST /workerpoolorders": {**slow, "drop_rate": 1.0}}
        else:
            routes = {"POST /workerpoolorders": slow}  # in flight, completed after the kill
        known = _signed_hashes(journal)
        rnd.start()
        _wait(rnd.started, 60)
        on_started()
        world.market_faults(routes)
        _close_our_cheapest(world)  # the bot must sign, journal and publish a new order

        def inside() -> bool:
            if _journal_unposted(world, journal, known):
                return True
            # or it re-sends an order journalled by an earlier process (killed before its
            # publish): a publish of it was dropped, the marketplace still lacks it
            return (
                phase == "journal-publish"
                and world.market_injected().get("drop", 0) > 0
                and _journal_unposted(world, journal, set())
            )

        return _wait(inside, 20)
    if phase == "mid-cancel":
        rnd.start()
        _wait(rnd.started, 60)
        on_started()
        comp = Competitor(world)
        try:
            best, low = comp.undercut_us()
            _wait(lambda: (our_best_listed(world) or best) < low, 15)
            world.automine(False)
            comp.leave()  # the bot raises its price: the cheaper order must be closed
            return _wait(lambda: world.bot_pending_txs() > 0, 15)
        finally:
            comp.close()
    rnd.start()
    _wait(rnd.started, 60)
    on_started()
    time.sleep(rng.uniform(0.0, 2.0))
    return True


def _signed_hashes(journal: Path) -> set[str]:
    if not journal.exists():
        return set()
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
    try:
        return {str(r[0]) for r in db.execute("SELECT order_hash FROM signed_orders")}
    except sqlite3.Error:
        return set()
    finally:
        db.close()


def integrity(journal: Path) -> str:
    """``PRAGMA integrity_check`` of the journal through a read-only connection."""
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=30)
    try:
        return ", ".join(str(r[0]) for r in db.execute("PRAGMA integrity_check"))
    finally:
        db.close()


def run_crash_loop(
    world: World, *, crashes: int = 50, seed: int = 1, phases: tuple[str, ...] = PHASES
) -> CrashResult:
    """``crashes`` rounds of start, kill -9 in a phase; the next start is the restart.

    Each new process reconciles before anything else; once it says it started, the checker
    compares journal, marketplace and chain (nothing lost, orphaned or duplicated) and the
    journal must pass ``PRAGMA integrity_check``. A last process after the last kill is checked
    the same way, then stopped with SIGTERM. The first rounds take each of ``phases`` in turn,
    the rest draw one at random (seeded).
    """
    from bot.adapters.journal import journal_path

    result = CrashResult()
    rng = random.Random(seed + 2)
    config = _crash_config(world)
    journal = journal_path(world.journal_dir, live=True)
    log = world.config_path.with_name("crash-bot.log")
    checker = world.checker
    t0 = time.monotonic()

    def verify(label: str, finished: set[str]) -> int:
        found = checker.agree(journal, 10_000 + result.rounds, finished, bot_running=True)
        found += checker.check(10_000 + result.rounds, chain_healthy=True, at_rest=False)
        result.violations += [f"{label}: {v.rule}: {v.detail}" for v in found]
        check = integrity(journal)
        if check != "ok":
            result.integrity_failures.append(f"{label}: {check}")
        return len(found)

    previous = "start"
    for i in range(crashes + 1):
        finished = checker.finished()  # before this process's reconcile
        rnd = _Round(world, config, log)
        label = f"restart after round {i - 1} ({previous})" if i else "first start"
        if i == crashes:
            rnd.start()
            if not _wait(rnd.started, 120):
                result.violations.append(f"{label}: the bot did not start")
            verify(label, finished)
            rnd.stop()
            check = integrity(journal)
            if check != "ok":
                result.integrity_failures.append(f"after the last stop: {check}")
            break
        phase = phases[i] if i < len(phases) else rng.choice(phases)
        began = time.monotonic()
        try:
            on_started = functools.partial(verify, label, finished)
            reached = _aim(world, phase, rnd, rng, journal, on_started)
            if not rnd.alive():
                result.violations.append(f"round {i} ({phase}): the bot exited by itself")
        finally:
            rnd.kill()
            world.clear_faults()
        (result.killed_in if reached else result.missed)[phase] += 1
        if phase in ("journal-publish", "mid-publish"):
            time.sleep(1.5)  # the request the server was still serving completes, as in life
        result.rounds = i + 1
        result.round_seconds.setdefault(phase, []).append(time.monotonic() - began)
        if rnd.up_after is not None:
            result.startups.append(rnd.up_after)
        previous = phase
        print(f"  crash {i} ({phase}, reached={reached}): {len(result.violations)} violations")
    result.seconds = time.monotonic() - t0
    return result
