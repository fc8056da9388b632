"""The bot end to end on the sandbox: real CLI processes, real marketplace, real chain.

The world's random agents are off here: each test moves one competitor by hand, runs the bot
(``pricebot once --live`` is one reconcile + one cycle, so no test waits on a schedule) and checks
the outcome where it really lives: the marketplace listing and ``viewConsumed`` on chain. Each
test has its own journal and ends with ``withdraw --cancel``, so tests do not see each other's
orders.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.adapters.journal import journal_path
from bot.domain.model import SignedWorkerpoolOrder, WorkerpoolOrder, tag_to_bytes32
from bot.domain.order_io import order_from_payload
from bot.domain.signing import random_salt, sign_order
from bot.sandbox.agents_driver import MarketHttp, Wallet
from bot.sandbox.poco import hub_contract, network_of, web3_for
from bot.sandbox.stack import COMPETITOR_KEYS, Sandbox, SandboxInfo, WorldSpec
from tests.support.sandbox_helpers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.chain, pytest.mark.xdist_group("sandbox-e2e")]

M = 1_000_000  # 0.001 RLC in nRLC
STEP = 1 * M  # config/sandbox.toml: undercut by 0.001 RLC
MAX_VOLUME = 6  # config/sandbox.toml: offers[0].max_volume


@pytest.fixture(scope="module")
def quiet_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    spec = WorldSpec(seed=5, competitors=False, requesters=False)
    with Sandbox(tmp_path_factory.mktemp("e2e-world"), spec) as sandbox:
        yield sandbox


@dataclass(frozen=True)
class CliResult:
    returncode: int
    output: str


@dataclass
class Bot:
    """One bot identity on the sandbox: its config (own journal) and CLI helpers."""

    info: SandboxInfo
    config: Path
    journal_dir: Path
    log: Path

    def cli(self, *args: str) -> CliResult:
        """Run a ``pricebot`` command in this process (the CLI code, without the interpreter
        start-up); only ``run``, which the tests kill, gets a process of its own."""
        from typer.testing import CliRunner

        from bot.app.cli import app

        result = CliRunner().invoke(
            app, [*args, "--config", str(self.config)], env=self.info.bot_env()
        )
        output = result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            output += f"\n{type(result.exception).__name__}: {result.exception}"
        with self.log.open("a") as f:
            f.write(f"$ pricebot {' '.join(args)} -> {result.exit_code}\n{output}")
        return CliResult(result.exit_code, output)

    def once(self) -> None:
        result = self.cli("once", "--live")
        assert result.returncode == 0, result.output

    def start(self) -> subprocess.Popen[bytes]:
        out = self.log.open("ab")
        try:
            return subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bot.app.cli",
                    "run",
                    "--config",
                    str(self.config),
                    "--live",
                ],
                env={**os.environ, **self.info.bot_env()},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        finally:
            out.close()

    def journal_orders(self) -> list[SignedWorkerpoolOrder]:
        path = journal_path(self.journal_dir, live=True)
        if not path.exists():
            return []
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            rows = db.execute("SELECT payload FROM signed_orders").fetchall()
        except sqlite3.OperationalError:
            return []  # created but not migrated yet
        finally:
            db.close()
        import json

        return [order_from_payload(json.loads(r[0])) for r in rows]


def _withdraw_in_process(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clean-up between tests through the service's Python API (no process start-up)."""
    from bot.app.service import build_runtime, withdraw
    from bot.config.schema import load_config
    from bot.engine.cycle import CycleState

    for name, value in bot.info.bot_env().items():
        monkeypatch.setenv(name, value)
    cfg = load_config(bot.config.schema)
    runtime = build_runtime(cfg, live=True)
    try:
        state = CycleState.restore(runtime.journal)
        withdraw(runtime.ports, cfg.workerpool, state, runtime.executor, cancel=True)
    finally:
        runtime.close()


@pytest.fixture
def bot(quiet_world: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bot]:
    info = quiet_world.info
    assert info is not None
    journal = tmp_path / "journal"
    text = Path(info.config).read_text()
    text, n = re.subn(r"^journal_dir\s*=.*$", f'journal_dir = "{journal}"', text, flags=re.M)
    assert n == 1
    config = tmp_path / "pricebot.toml"
    config.write_text(text)
    b = Bot(info, config, journal, tmp_path / "bot.log")
    try:
        yield b
    finally:
        quiet_world.market_server.set_faults(None)
        _withdraw_in_process(b, monkeypatch)
        _competitor(quiet_world).withdraw()


class _Competitor:
    """Competitor #0, moved by hand: one listed order at a time."""

    def __init__(self, world: Sandbox) -> None:
        info = world.info
        assert info is not None
        self.world = world
        self.info = info
        self.pool = info.competitors[0]["workerpool"]
        self.wallet = Wallet(COMPETITOR_KEYS[0], "10.0.7.1")

    def listed(self) -> list[str]:
        return [o["orderHash"] for o in _book(self.info) if o["order"]["workerpool"] == self.pool]

    def withdraw(self) -> None:
        market = MarketHttp(self.info.market_url, self.info.chain_id)
        try:
            for h in self.listed():
                market.unpublish_workerpool(h, self.wallet)
        finally:
            market.close()

    def post(self, price: int) -> None:
        """Replace whatever it lists by one order at ``price``."""
        self.withdraw()
        signed = sign_order(
            network_of(self.world.deployment),
            WorkerpoolOrder(
                workerpool=self.pool,
                workerpoolprice=price,
                volume=5,
                tag=tag_to_bytes32(0),
                category=0,
                trust=0,
                salt=random_salt(),
            ),
            self.wallet.key,
        )
        market = MarketHttp(self.info.market_url, self.info.chain_id)
        try:
            market.publish_workerpool(signed, self.wallet)
        finally:
            market.close()


def _competitor(world: Sandbox) -> _Competitor:
    return _Competitor(world)


def _book(info: SandboxInfo) -> list[dict[str, Any]]:
    resp = httpx.get(
        info.market_url + "/workerpoolorders",
        params={"chainId": info.chain_id, "category": 0, "pageSize": 1000},
        headers={"x-real-ip": "10.0.7.9"},
        timeout=10,
    )
    resp.raise_for_status()
    orders: list[dict[str, Any]] = resp.json()["orders"]
    for o in orders:
        o["order"]["workerpool"] = o["order"]["workerpool"].lower()
    return orders


def _ours(info: SandboxInfo) -> list[dict[str, Any]]:
    return [o for o in _book(info) if o["order"]["workerpool"] == info.workerpool]


def _consumed(info: SandboxInfo, order_hash: str) -> int:
    hub = hub_contract(web3_for(info.rpc_url), info.hub)
    return int(hub.functions.viewConsumed(bytes.fromhex(order_hash[2:])).call())


def _valid(info: SandboxInfo, orders: list[SignedWorkerpoolOrder]) -> dict[str, int]:
    """order hash -> remaining volume, for the orders still matchable on chain."""
    left = {s.order_hash: s.order.volume - _consumed(info, s.order_hash) for s in orders}
    return {h: n for h, n in left.items() if n > 0}


def test_the_bot_reprices_after_a_competitor_moves(quiet_world: Sandbox, bot: Bot) -> None:
    info = bot.info
    comp = _competitor(quiet_world)
    comp.post(30 * M)
    bot.once()
    ours = _ours(info)
    assert [int(o["order"]["workerpoolprice"]) for o in ours] == [30 * M - STEP]
    first = ours[0]["orderHash"]

    comp.post(26 * M)  # the competitor undercuts us
    bot.once()
    ours = _ours(info)
    assert [int(o["order"]["workerpoolprice"]) for o in ours] == [26 * M - STEP]
    assert ours[0]["orderHash"] != first
    assert first not in {o["orderHash"] for o in ours}


def test_after_a_price_increase_the_old_order_is_closed_on_chain(
    quiet_world: Sandbox, bot: Bot
) -> None:
    info = bot.info
    comp = _competitor(quiet_world)
    comp.post(26 * M)
    bot.once()
    (old,) = _ours(info)
    old_hash, old_price = old["orderHash"], int(old["order"]["workerpoolprice"])
    assert old_price == 26 * M - STEP
    assert _consumed(info, old_hash) == 0

    comp.post(30 * M)  # room to raise our price
    bot.once()
    (new,) = _ours(info)
    assert int(new["order"]["workerpoolprice"]) > old_price
    # Unpublishing alone would leave the cheaper order matchable by anyone who kept it.
    assert _consumed(info, old_hash) == int(old["order"]["volume"])


def test_kill_9_in_the_middle_of_a_publish_then_restart_leaves_no_stray_order(
    quiet_world: Sandbox, bot: Bot
) -> None:
    info = bot.info
    _competitor(quiet_world).post(30 * M)
    # Every publish now hangs in the marketplace long enough to kill the bot inside it.
    latency = 4.0
    quiet_world.market_server.set_faults(
        {"routes": {"POST /workerpoolorders": {"latency": latency}}}
    )
    proc = bot.start()
    try:
        signed = wait_for("the bot to journal a signed order", bot.journal_orders, timeout=60)
        posted_at = time.time()  # journalled just before the publish request went out
        assert not any(o["order"]["workerpool"] == info.workerpool for o in _book(info))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    quiet_world.market_server.set_faults(None)
    # The server may still complete the orphaned request: let it, so the restart sees either
    # outcome settled (a half-done publish is exactly what reconcile must sort out).
    time.sleep(max(0.0, posted_at + latency + 1.0 - time.time()))

    bot.once()  # restart: reconcile first, then one cycle

    journal = bot.journal_orders()
    known = {s.order_hash for s in journal}
    assert {s.order_hash for s in signed} <= known
    listed = [o["orderHash"] for o in _ours(info)]
    assert len(listed) == 1, listed  # no duplicate listing
    assert set(listed) <= known  # nothing listed that the bot does not track
    valid = _valid(info, journal)
    assert set(valid) <= known
    assert sum(valid.values()) <= MAX_VOLUME  # no duplicate valid order over-committing the pool
    for h in set(valid) - set(listed):
        # a valid order left unlisted must be one the bot would not regret being matched
        price = next(s.order.workerpoolprice for s in journal if s.order_hash == h)
        assert price >= int(_ours(info)[0]["order"]["workerpoolprice"])


def test_withdraw_cancel_leaves_zero_valid_orders_on_chain(quiet_world: Sandbox, bot: Bot) -> None:
    info = bot.info
    comp = _competitor(quiet_world)
    comp.post(30 * M)
    bot.once()
    comp.post(27 * M)  # a price move leaves an older order behind (unpublished or cancelled)
    bot.once()
    journal = bot.journal_orders()
    assert len(journal) >= 2
    assert _valid(info, journal)  # something to withdraw

    result = bot.app.cli("withdraw", "--cancel")
    assert result.returncode == 0, result.output

    assert _valid(info, bot.journal_orders()) == {}
    assert _ours(info) == []
