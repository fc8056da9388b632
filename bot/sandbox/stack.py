"""The whole local iExec world in one supervisor: chain, marketplace, core, pool and agents.

``Sandbox`` starts, in order: anvil with PoCo deployed (our workerpool, an app, competitor pools
with stake, funded requesters), the local marketplace, the simulated pool with its deal feed and
its core ``/metrics`` endpoint, and the agents driver. Everything it starts is entered on one
``ExitStack``, so ``stop()`` (or an exception half-way through ``start()``) unwinds exactly what
was started, in reverse order.

It writes ``DIR/sandbox.json`` (where everything is, which keys to use — anvil's well-known public
test keys only — and the pids to stop), ``DIR/pricebot.toml`` (the bot config, from the
``config/sandbox.toml`` template) and ``DIR/env.sh`` (the key variables the bot reads).

``python -m bot.sandbox.stack --state-dir DIR`` runs a supervisor until SIGTERM/SIGINT; that is
what ``pricebot sandbox up --detach`` spawns and ``pricebot sandbox down`` stops.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.config.schema import load_config
from bot.domain.errors import ConfigError
from bot.domain.model import NRLC_PER_RLC
from bot.domain.signing import address_of
from bot.sandbox.anvil import ANVIL_KEYS, AnvilNode, repo_root, run_anvil
from bot.sandbox.pool import (
    ChainDealFeed,
    ChainTaskReporter,
    CoreMetricsServer,
    PoolSpec,
    SimulatedPool,
)
from bot.sim.agents import (
    EnteringLeaving,
    FixedCompetitor,
    IntDist,
    PriceDist,
    RandomWalkCompetitor,
    RequesterModel,
    UndercutCompetitor,
)

__all__ = [
    "CONFIG_TEMPLATE",
    "DOMAINS",
    "SANDBOX_FILE",
    "Sandbox",
    "SandboxInfo",
    "WorldSpec",
    "detached",
    "is_running",
    "main",
    "read_info",
    "render_config",
    "spawn_detached",
    "stop_detached",
    "wait_for_signal",
]

log = logging.getLogger(__name__)

SANDBOX_FILE = "sandbox.json"
CONFIG_FILE = "pricebot.toml"
ENV_FILE = "env.sh"
LOG_FILE = "sandbox.log"
ACTIVITY_FILE = "activity.json"
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0

# Roles of anvil's default-mnemonic accounts (public test keys) in the sandbox.
DEPLOYER_KEY = ANVIL_KEYS[0]
OWNER_KEY = ANVIL_KEYS[1]
GAS_KEY = ANVIL_KEYS[2]
COMPETITOR_KEYS = ANVIL_KEYS[3:7]
REQUESTER_KEYS = ANVIL_KEYS[7:9]
APP_OWNER_KEY = ANVIL_KEYS[9]
# The simulated pool's worker wallet (not an anvil account: funded at start, signs locally).
WORKER_KEY = "0x" + "5a" * 32

RLC = NRLC_PER_RLC

# ``--domain``: the EIP-712 domain the sandbox's hub has. "local" is anvil's chain id with the hub
# where it was deployed; the others clone it to the production hub on the production chain id, so
# what the bot signs in the sandbox is byte for byte what it would sign for that network.
DOMAINS: dict[str, tuple[int, str | None]] = {
    "local": (31337, None),
    "bellecour": (134, "0x3eca1b216a7df1c7689aeb259ffb83adfb894e7f"),
    "arbitrum-mainnet": (42161, "0x098bfcb1e50ebca0baa92c12ea0c3f045a1ad9f0"),
}


@dataclass(frozen=True, slots=True)
class WorldSpec:
    """The sandbox world: our pool's shape, stakes, agent pace and which agents exist."""

    seed: int = 1
    chain_id: int = 31337
    production_hub: str | None = None  # clone the hub there (with chain_id 134 or 42161)
    pool: PoolSpec = field(default_factory=lambda: PoolSpec(workers=3, slots_per_worker=2))
    owner_stake: int = 5_000 * RLC
    competitor_stake: int = 5_000 * RLC
    requester_funds: int = 5_000 * RLC
    agents_period: float = 1.0
    competitors: bool = True
    requesters: bool = True
    adversary_share: float = 0.3
    demand_per_min: float = 10.0  # request orders per minute, all requesters together


@dataclass(frozen=True, slots=True)
class SandboxInfo:
    """What ``sandbox.json`` holds: enough for the bot, the tests and ``sandbox down``."""

    rpc_url: str
    chain_id: int
    hub: str
    rlc: str
    market_url: str
    core_url: str
    workerpool: str
    owner: str
    owner_key: str
    gas_key: str
    app: str
    competitors: list[dict[str, str]]
    requesters: list[str]
    pids: dict[str, int]
    config: str
    state_dir: str
    status: str = "ready"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SandboxInfo:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})

    def bot_env(self) -> dict[str, str]:
        """The environment the bot needs to act for the sandbox pool."""
        return {"PRICEBOT_PRIVATE_KEY": self.owner_key, "PRICEBOT_GAS_PRIVATE_KEY": self.gas_key}


def read_info(state_dir: Path) -> SandboxInfo:
    path = Path(state_dir) / SANDBOX_FILE
    try:
        return SandboxInfo.from_json(json.loads(path.read_text()))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no sandbox here (run `pricebot sandbox up`)") from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: unreadable sandbox state: {exc}") from None


# --- the bot's config ----------------------------------------------------------------------------

CONFIG_TEMPLATE = repo_root() / "config" / "sandbox.toml"


def _replacer(value: str) -> Callable[[re.Match[str]], str]:
    def replace(m: re.Match[str]) -> str:
        return f"{m.group(1)}{value}{m.group(2) or ''}"

    return replace


def render_config(
    template: str,
    *,
    chain_id: int,
    hub: str,
    workerpool: str,
    rpc_url: str,
    market_url: str,
    core_url: str,
    journal_dir: str,
) -> str:
    """Fill the template's "filled in" lines, keeping its comments; every line must be found."""
    values: dict[str, str] = {
        "chain_id": str(chain_id),
        "hub": json.dumps(hub),
        "workerpool": json.dumps(workerpool),
        "rpc_urls": json.dumps([rpc_url]),
        "market_url": json.dumps(market_url),
        "core_url": json.dumps(core_url),
        "journal_dir": json.dumps(journal_dir),
    }
    text = template
    for key, value in values.items():
        pattern = re.compile(rf"^({re.escape(key)}\s*=\s*)[^#\n]*?(\s*#.*)?$", re.MULTILINE)
        text, count = pattern.subn(_replacer(value), text)
        if count != 1:
            raise ConfigError(f"{CONFIG_TEMPLATE}: expected one `{key} = ...` line, found {count}")
    return text


# --- agents ---------------------------------------------------------------------------------------


def _agents(
    spec: WorldSpec, pools: list[str], ours: str, origin: float
) -> tuple[list[Any], list[Any]]:
    """Four competitor behaviours and three requester populations, around 0.01-0.05 RLC.

    Takers and capped requesters shop for the cheapest order; captive requesters name our pool
    (as iExec's own dApp SDKs name theirs) and buy from it whenever its price is within their cap.
    """
    m = RLC // 1000  # 1 mRLC = 0.001 RLC
    competitors: list[Any] = []
    if spec.competitors:
        competitors = [
            FixedCompetitor(pool=pools[0], category=0, price=40 * m, volume=2, period_s=20.0),
            UndercutCompetitor(
                pool=pools[1],
                category=0,
                floor=12 * m,
                ceiling=45 * m,
                step=2 * m,
                volume=2,
                period_s=12.0,
            ),
            RandomWalkCompetitor(
                pool=pools[2],
                category=0,
                start=30 * m,
                floor=15 * m,
                ceiling=60 * m,
                sigma=0.15,
                volume=2,
                period_s=8.0,
            ),
            EnteringLeaving(
                inner=FixedCompetitor(pool=pools[3], category=0, price=18 * m, volume=1),
                origin=origin,
                windows=((45.0, 85.0),),
            ),
        ]
    requesters: list[Any] = []
    if spec.requesters:
        requesters = [
            RequesterModel(
                name="takers",
                kind="taker",
                category=0,
                rate_per_min=spec.demand_per_min * 0.48,
                max_price=PriceDist(kind="loguniform", low=10 * m, high=80 * m),
                volume=IntDist(1, 2),
                patience_s=20.0,
                adversarial_share=spec.adversary_share,
                origin=origin,
            ),
            RequesterModel(
                name="capped",
                kind="capped",
                category=0,
                rate_per_min=spec.demand_per_min * 0.32,
                max_price=PriceDist(kind="choice", values=(20 * m, 35 * m, 60 * m)),
                volume=IntDist(1, 1),
                patience_s=30.0,
                origin=origin,
            ),
            RequesterModel(
                name="captive",
                kind="captive",
                category=0,
                rate_per_min=spec.demand_per_min * 0.2,
                max_price=PriceDist(kind="choice", values=(30 * m, 50 * m)),
                volume=IntDist(1, 1),
                target_pool=ours,
                patience_s=30.0,
                origin=origin,
            ),
        ]
    return competitors, requesters


# --- the chain world, built once and cached -------------------------------------------------------

WORLD_CACHE_VERSION = 1


@dataclass(frozen=True, slots=True)
class _ChainWorld:
    """Everything the sandbox put on chain: PoCo, our pool, the app, the competitor pools."""

    deployment: Any
    workerpool: str
    app: str
    pools: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "deployment": asdict(self.deployment),
            "workerpool": self.workerpool,
            "app": self.app,
            "pools": self.pools,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _ChainWorld:
        from bot.sandbox.poco import PocoDeployment

        return cls(
            deployment=PocoDeployment(**data["deployment"]),
            workerpool=str(data["workerpool"]),
            app=str(data["app"]),
            pools=[str(p) for p in data["pools"]],
        )

    def check(self) -> bool:
        """The loaded chain really holds this world: contracts in place, our stake deposited."""
        from bot.sandbox import poco

        w3 = poco.web3_for(self.deployment.rpc_url)
        for address in (self.deployment.hub, self.workerpool, self.app, *self.pools):
            if not w3.eth.get_code(w3.to_checksum_address(address)):
                return False
        hub = poco.hub_contract(w3, self.deployment.hub)
        owner = w3.to_checksum_address(address_of(OWNER_KEY))
        return int(hub.functions.viewAccount(owner).call()[0]) > 0


POOL_DESCRIPTION = "pricebot-sandbox-pool"


def _world_cache_paths(spec: WorldSpec) -> tuple[Path, Path]:
    import hashlib

    from bot.sandbox.anvil import cache_dir
    from bot.sandbox.poco import POCO_VERSION

    key = json.dumps(
        [
            WORLD_CACHE_VERSION,
            POCO_VERSION,
            spec.chain_id,
            spec.production_hub,
            spec.owner_stake,
            spec.competitor_stake,
            spec.requester_funds,
            list(ANVIL_KEYS),
        ]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    base = cache_dir() / "sandbox-world"
    return base / f"{digest}.state.json", base / f"{digest}.world.json"


def _build_world(rpc_url: str, spec: WorldSpec) -> _ChainWorld:
    from bot.sandbox import poco

    dep = poco.deploy_poco(rpc_url, DEPLOYER_KEY)
    if spec.production_hub is not None:
        dep = poco.relocate_hub(dep, spec.production_hub, sender_key=DEPLOYER_KEY)
    workerpool = poco.create_workerpool(dep, OWNER_KEY, POOL_DESCRIPTION)
    poco.fund_rlc(dep, address_of(OWNER_KEY), spec.owner_stake, from_key=DEPLOYER_KEY)
    poco.deposit_stake(dep, OWNER_KEY, spec.owner_stake)
    app = poco.create_app(dep, APP_OWNER_KEY, "pricebot-sandbox-app")
    pools: list[str] = []
    for i, key in enumerate(COMPETITOR_KEYS):
        pools.append(poco.create_workerpool(dep, key, f"competitor-{i}"))
        poco.fund_rlc(dep, address_of(key), spec.competitor_stake, from_key=DEPLOYER_KEY)
        poco.deposit_stake(dep, key, spec.competitor_stake)
    for key in REQUESTER_KEYS:
        poco.fund_rlc(dep, address_of(key), spec.requester_funds, from_key=DEPLOYER_KEY)
        poco.deposit_stake(dep, key, spec.requester_funds)
    return _ChainWorld(deployment=dep, workerpool=workerpool, app=app, pools=pools)


def _save_world_cache(rpc_url: str, world: _ChainWorld, state_file: Path, world_file: Path) -> None:
    """Write anvil's state dump and the world's addresses; each file replaced atomically."""
    import gzip

    from bot.sandbox.anvil import rpc_call

    raw = str(rpc_call(rpc_url, "anvil_dumpState", timeout=60.0))
    state = gzip.decompress(bytes.fromhex(raw.removeprefix("0x")))
    state_file.parent.mkdir(parents=True, exist_ok=True)
    for path, data in ((state_file, state), (world_file, json.dumps(world.to_json()).encode())):
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)


# --- the stack ------------------------------------------------------------------------------------


class Sandbox:
    """Start and stop the whole world; ``info`` says where everything is."""

    def __init__(self, state_dir: Path, spec: WorldSpec | None = None) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.spec = spec or WorldSpec()
        self._stack = contextlib.ExitStack()
        self._stop = threading.Event()
        self.info: SandboxInfo | None = None
        self.node: AnvilNode | None = None
        self.pool: SimulatedPool | None = None
        self.feed: ChainDealFeed | None = None
        self.reporter: ChainTaskReporter | None = None
        self.driver: Any = None
        self.deployment: Any = None
        self.market_server: Any = None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> SandboxInfo:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> SandboxInfo:
        from bot.sandbox.agents_driver import (
            AgentsDriver,
            ChainOps,
            Competitor,
            MarketHttp,
            Requester,
            Wallet,
        )

        spec = self.spec
        self.state_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        world = self._chain_world(spec)
        dep, workerpool, app, pools = world.deployment, world.workerpool, world.app, world.pools
        node = self.node
        assert node is not None
        self.deployment = dep
        owner = address_of(OWNER_KEY)
        log.info("chain ready in %.1f s: hub %s", time.monotonic() - t0, dep.hub)

        market_url = self._start_market(dep)

        now = time.time
        pool = SimulatedPool(spec.pool, start=now())
        self.pool = pool
        core = self._stack.enter_context(CoreMetricsServer(pool, now))
        feed = ChainDealFeed(node.rpc_url, dep.hub, workerpool, pool, now)
        self.feed = feed
        self._thread(feed.run, "deal-feed", 0.5)
        reporter = ChainTaskReporter(dep, pool, OWNER_KEY, WORKER_KEY, now)
        self.reporter = reporter
        self._thread(reporter.run, "task-reporter", 0.5)

        market = MarketHttp(market_url, dep.chain_id)
        self._stack.callback(market.close)
        comp_models, req_models = _agents(spec, pools, workerpool, now())
        rng = random.Random(spec.seed)
        competitors = [
            Competitor(
                model=model,
                wallet=Wallet(key, f"10.0.1.{i + 1}"),
                rng=random.Random(rng.getrandbits(64)),
            )
            for i, (model, key) in enumerate(zip(comp_models, COMPETITOR_KEYS, strict=False))
        ]
        requesters = [
            Requester(
                model=model,
                wallet=Wallet(REQUESTER_KEYS[i % len(REQUESTER_KEYS)], f"10.0.2.{i + 1}"),
                rng=random.Random(rng.getrandbits(64)),
            )
            for i, model in enumerate(req_models)
        ]
        driver = AgentsDriver(
            deployment=dep,
            market=market,
            chain=ChainOps(dep),
            app=app,
            app_wallet=Wallet(APP_OWNER_KEY, "10.0.3.1"),
            competitors=competitors,
            requesters=requesters,
            watched_pool=workerpool,
            clock=now,
        )
        self.driver = driver
        driver.app_order()
        driver.step()  # competitors are in the book before anyone reads sandbox.json
        self._stack.callback(driver.withdraw_all)
        self._stack.callback(self.write_activity)  # the final figures, after the agents stopped
        self._thread(driver.run, "agents", spec.agents_period)
        self._thread(self._report, "activity", 2.0)

        config_path = self.state_dir / CONFIG_FILE
        config_path.write_text(
            render_config(
                CONFIG_TEMPLATE.read_text(),
                chain_id=dep.chain_id,
                hub=dep.hub,
                workerpool=workerpool,
                rpc_url=node.rpc_url,
                market_url=market_url,
                core_url=core.url,
                journal_dir=str(self.state_dir / "journal"),
            )
        )
        load_config(config_path, check_strategy=False)  # the rendered file must be valid
        info = SandboxInfo(
            rpc_url=node.rpc_url,
            chain_id=dep.chain_id,
            hub=dep.hub,
            rlc=dep.rlc,
            market_url=market_url,
            core_url=core.url,
            workerpool=workerpool,
            owner=owner,
            owner_key=OWNER_KEY,
            gas_key=GAS_KEY,
            app=app,
            competitors=[
                {
                    "workerpool": p,
                    "owner": address_of(k),
                    "kind": type(comp_models[i]).__name__ if i < len(comp_models) else "idle",
                }
                for i, (p, k) in enumerate(zip(pools, COMPETITOR_KEYS, strict=True))
            ],
            requesters=[address_of(k) for k in REQUESTER_KEYS],
            pids={"supervisor": os.getpid(), "anvil": node.pid},
            config=str(config_path),
            state_dir=str(self.state_dir),
        )
        (self.state_dir / ENV_FILE).write_text(
            "".join(f"export {k}={v}\n" for k, v in info.bot_env().items())
        )
        _write_json(self.state_dir / SANDBOX_FILE, info.to_json())
        self._stack.callback(self._mark_stopped)
        self.info = info
        log.info("sandbox ready in %.1f s", time.monotonic() - t0)
        return info

    def _chain_world(self, spec: WorldSpec) -> _ChainWorld:
        """Anvil with the world deployed: from the state cache when it has this world, else built.

        Deploying PoCo and staging the world is ~80 transactions; the cache (anvil's own state
        dump, in ``.cache/sandbox-world/``) loads in a fraction of a second. The cache key covers
        everything that shapes the chain, so a changed world is rebuilt, never reused.
        """
        from dataclasses import replace

        state_file, world_file = _world_cache_paths(spec)
        if state_file.exists() and world_file.exists():
            try:
                cached = _ChainWorld.from_json(json.loads(world_file.read_text()))
                node = self._stack.enter_context(
                    run_anvil(spec.chain_id, extra_args=["--load-state", str(state_file)])
                )
                self.node = node
                world = replace(cached, deployment=replace(cached.deployment, rpc_url=node.rpc_url))
                if world.check():
                    log.info("chain loaded from the world cache %s", state_file.name)
                    return world
            except Exception as exc:  # any doubt about the cache means: build the world afresh
                log.warning("world cache unusable (%s); rebuilding", exc)
            self._stack.close()  # drop the node started from a bad cache
            self._stack = contextlib.ExitStack()
        node = self._stack.enter_context(run_anvil(spec.chain_id))
        self.node = node
        world = _build_world(node.rpc_url, spec)
        with contextlib.suppress(OSError, ConfigError, ValueError):
            _save_world_cache(node.rpc_url, world, state_file, world_file)
        return world

    def _start_market(self, dep: Any) -> str:
        from bot.sandbox.market_server import MarketServer, MarketServerConfig

        config = MarketServerConfig(
            chain_id=dep.chain_id,
            rpc_url=dep.rpc_url,
            hub=dep.hub,
            db_path=str(self.state_dir / "market.sqlite"),
            watcher_interval=0.5,
            rate_limit_max=10_000,
        )
        server = self._stack.enter_context(MarketServer(config))
        self.market_server = server
        return str(server.url)

    def _thread(self, target: Any, name: str, period: float) -> None:
        thread = threading.Thread(target=target, args=(self._stop, period), name=name, daemon=True)
        thread.start()

        def join() -> None:
            self._stop.set()
            thread.join(timeout=10)

        self._stack.callback(join)

    def activity(self) -> dict[str, Any]:
        """What the world did so far: the agents' trades and our pool's deals and tasks."""
        stats = self.driver.stats if self.driver is not None else None
        ours = self.info.workerpool if self.info is not None else None
        out: dict[str, Any] = {}
        if stats is not None:
            out.update(
                request_orders=stats.intents,
                requested_tasks=stats.requested_tasks,
                tasks_bought={pool: n for pool, n in stats.matched_tasks.items()},
                tasks_bought_from_us=stats.matched_tasks.get(ours or "", 0),
                adversarial_tasks_on_unlisted_orders=stats.adversarial_tasks,
                competitor_publishes=stats.competitor_publishes,
                agent_errors=stats.errors,
            )
        if self.feed is not None:
            out["deals_for_our_pool"] = len(self.feed.deals)
        if self.pool is not None:
            out["our_task_statuses"] = {k: v for k, v in self.pool.status_counts().items() if v}
        return out

    def write_activity(self) -> None:
        with contextlib.suppress(OSError):
            _write_json(self.state_dir / ACTIVITY_FILE, self.activity())

    def _report(self, stop: threading.Event, period: float) -> None:
        while not stop.wait(period):
            self.write_activity()

    def _mark_stopped(self) -> None:
        path = self.state_dir / SANDBOX_FILE
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(path.read_text())
            data["status"] = "stopped"
            _write_json(path, data)

    def stop(self) -> None:
        self._stop.set()
        self._stack.close()

    def wait(self) -> None:
        """Block until SIGTERM or SIGINT, then return (the caller stops the sandbox)."""
        wait_for_signal()


def wait_for_signal() -> None:
    """Block until SIGTERM or SIGINT arrives (main thread only)."""
    done = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        done.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not done.wait(0.5):
            pass
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


# --- detached supervisor ----------------------------------------------------------------------------


def is_running(pid: int, name: str | None = None) -> bool:
    """True if ``pid`` lives (and its command line mentions ``name``, guarding pid reuse)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if name is None:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z" and name.encode() in cmdline


def spawn_detached(
    state_dir: Path,
    *,
    seed: int = 1,
    demand_per_min: float | None = None,
    agents: bool = True,
    domain: str = "local",
    timeout: float = READY_TIMEOUT_S,
) -> SandboxInfo:
    """Start a supervisor in its own session and wait until it has written a ready sandbox.json."""
    if domain not in DOMAINS:
        raise ConfigError(f"--domain: must be one of {sorted(DOMAINS)} (got {domain!r})")
    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    existing = state_dir / SANDBOX_FILE
    if existing.exists():
        info = read_info(state_dir)
        if info.status == "ready" and is_running(info.pids.get("supervisor", -1), "bot.sandbox"):
            raise ConfigError(f"{state_dir}: a sandbox is already running (pricebot sandbox down)")
        existing.unlink()
    (state_dir / ACTIVITY_FILE).unlink(missing_ok=True)  # a previous run's figures
    logfile = (state_dir / LOG_FILE).open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.sandbox.stack",
            "--state-dir",
            str(state_dir),
            "--seed",
            str(seed),
            *(["--demand-per-min", str(demand_per_min)] if demand_per_min is not None else []),
            *([] if agents else ["--no-agents"]),
            "--domain",
            domain,
        ],
        stdin=subprocess.DEVNULL,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=str(repo_root()),
    )
    logfile.close()
    (state_dir / "supervisor.pid").write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = (state_dir / LOG_FILE).read_text(errors="replace")[-2000:]
            raise ConfigError(f"the sandbox supervisor exited with {proc.returncode}:\n{tail}")
        if existing.exists():
            info = read_info(state_dir)
            if info.status == "ready" and info.pids.get("supervisor") == proc.pid:
                return info
        time.sleep(0.2)
    stop_detached(state_dir)
    raise ConfigError(f"the sandbox did not become ready within {timeout:.0f} s; see {LOG_FILE}")


def stop_detached(state_dir: Path, timeout: float = STOP_TIMEOUT_S) -> list[int]:
    """Stop the supervisor (SIGTERM, then SIGKILL) and any anvil it left; return pids stopped."""
    state_dir = Path(state_dir).resolve()
    pids: dict[str, int] = {}
    with contextlib.suppress(ConfigError):
        pids.update(read_info(state_dir).pids)
    pid_file = state_dir / "supervisor.pid"
    if pid_file.exists():
        with contextlib.suppress(ValueError):
            pids.setdefault("supervisor", int(pid_file.read_text().strip()))
    stopped: list[int] = []
    names = {"supervisor": "bot.sandbox", "anvil": "anvil"}
    for role in ("supervisor", "anvil"):
        pid = pids.get(role)
        if pid is None or not is_running(pid, names[role]):
            continue
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and is_running(pid, names[role]):
            time.sleep(0.1)
        if is_running(pid, names[role]):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if role == "supervisor":
                    os.killpg(pid, signal.SIGKILL)  # its session: anvil included
                os.kill(pid, signal.SIGKILL)
        stopped.append(pid)
    pid_file.unlink(missing_ok=True)
    return stopped


@contextlib.contextmanager
def detached(state_dir: Path, *, seed: int = 1) -> Iterator[SandboxInfo]:
    """A detached sandbox for the duration of a block (tests, the demo); always stopped."""
    try:
        yield spawn_detached(state_dir, seed=seed)
    finally:
        stop_detached(state_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox.stack")
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--demand-per-min", type=float, default=None)
    parser.add_argument("--no-agents", action="store_true")
    parser.add_argument("--domain", choices=sorted(DOMAINS), default="local")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per agent request is noise

    def terminate(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)  # unwinds start() half-way, stopping what it started

    signal.signal(signal.SIGTERM, terminate)
    chain_id, hub = DOMAINS[args.domain]
    spec = WorldSpec(
        seed=args.seed,
        chain_id=chain_id,
        production_hub=hub,
        competitors=not args.no_agents,
        requesters=not args.no_agents,
    )
    if args.demand_per_min is not None:
        if not args.demand_per_min >= 0:
            raise ConfigError(f"--demand-per-min: must be >= 0 (got {args.demand_per_min})")
        spec = replace(spec, demand_per_min=args.demand_per_min)
    sandbox = Sandbox(args.state_dir, spec)
    sandbox.start()
    try:
        sandbox.wait()
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
