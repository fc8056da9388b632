"""The service against the real local chain (anvil + PoCo) and the local marketplace.

Fixtures ``poco``, ``workerpool`` and ``market_server`` come from tests/plugins/ (CHAIN and
MARKET-SERVER engineers); the core /metrics comes from the sandbox's simulated pool. Everything
a test starts is stopped by its fixture, even on failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.adapters.chain import RpcChain
from bot.adapters.journal import SqliteJournal, journal_path
from bot.adapters.market_api import MarketApiClient
from bot.adapters.signer import LocalKeySigner
from bot.app.service import PricebotService, build_runtime
from bot.config.schema import load_config
from bot.domain.model import WorkerpoolOrder, tag_to_bytes32
from bot.domain.signing import address_of, random_salt
from bot.engine.ports import BookQuery
from bot.sandbox.poco import create_workerpool, deposit_stake, fund_rlc, network_of
from bot.sandbox.pool import CoreMetricsServer, PoolSpec, SimulatedPool
from tests.plugins.chain import DEPLOYER_KEY, OWNER_KEY, RELAYER_KEY, STRANGER_KEY

pytestmark = [pytest.mark.chain]

RIVAL_PRICE = 50_000_000  # 0.05 RLC


@dataclass
class Stack:
    config_path: Path
    journal_dir: Path
    workerpool: str
    rival_pool: str
    market: object
    poco: object
    env: dict[str, str]

    def chain(self) -> RpcChain:
        net = network_of(self.poco)
        return RpcChain.connect(net, rpc_urls=[self.poco.rpc_url])

    def rival_client(self) -> MarketApiClient:
        net = network_of(self.poco)
        return MarketApiClient(
            self.market.url,
            net.chain_id,
            signer=LocalKeySigner(net, STRANGER_KEY),
            hub=net.hub,
            headers={"x-real-ip": "10.0.0.9"},
        )

    def publish_rival(self, price: int) -> str:
        net = network_of(self.poco)
        order = WorkerpoolOrder(
            workerpool=self.rival_pool,
            workerpoolprice=price,
            volume=10,
            tag=tag_to_bytes32(0),
            category=0,
            trust=0,
            salt=random_salt(),
        )
        signed = LocalKeySigner(net, STRANGER_KEY).sign_order(order)
        client = self.rival_client()
        try:
            client.unpublish_all(self.rival_pool)
            client.publish(signed)
        finally:
            client.close()
        return signed.order_hash

    def our_listed(self) -> list:
        client = MarketApiClient(self.market.url, network_of(self.poco).chain_id)
        try:
            return client.our_orders(self.workerpool)
        finally:
            client.close()

    def journal_orders(self) -> list:
        j = SqliteJournal(journal_path(self.journal_dir, live=True))
        try:
            return j.signed_orders()
        finally:
            j.close()


@pytest.fixture
def stack(poco, workerpool, market_server, tmp_path, monkeypatch) -> Iterator[Stack]:
    rival_pool = create_workerpool(poco, STRANGER_KEY, "rival-pool")
    fund_rlc(poco, address_of(STRANGER_KEY), 100 * 10**9, from_key=DEPLOYER_KEY)
    deposit_stake(poco, STRANGER_KEY, 100 * 10**9)
    pool = SimulatedPool(PoolSpec(workers=2, slots_per_worker=2))
    core = CoreMetricsServer(pool, lambda: 0.0).start()
    journal_dir = tmp_path / "state"
    config = tmp_path / "pricebot.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            network = "local"
            chain_id = {poco.chain_id}
            hub = "{poco.hub}"
            workerpool = "{workerpool}"

            [endpoints]
            rpc_urls = ["{poco.rpc_url}"]
            market_url = "{market_server.url}"
            core_url = "{core.url}"

            [keys]
            owner = {{ env = "PRICEBOT_PRIVATE_KEY" }}
            gas = {{ env = "PRICEBOT_GAS_PRIVATE_KEY" }}

            [strategy]
            name = "competitive"
            [strategy.params]
            step = 1000000
            floor = 1000000

            [[offers]]
            category = 0
            task_seconds = 300
            max_volume = 5

            [rails]
            floor = "0.001 RLC"
            ceiling = "1 RLC"
            max_step = 0.5
            deadband = 0.02

            [schedule]
            sample_seconds = 1
            reprice_seconds = 1
            reconcile_seconds = 60
            record_seconds = 1
            misfire_grace_seconds = 5

            [service]
            journal_dir = "{journal_dir}"
            on_exit = "cancel"
            """
        )
    )
    env = {"PRICEBOT_PRIVATE_KEY": OWNER_KEY, "PRICEBOT_GAS_PRIVATE_KEY": RELAYER_KEY}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    try:
        yield Stack(config, journal_dir, workerpool, rival_pool, market_server, poco, env)
    finally:
        core.stop()


def _service(stack: Stack, *, live: bool = True) -> PricebotService:
    from bot.adapters.rate_budget import RateBudget

    # The production budget (90/min) would make these tests sleep; the local market allows more.
    budget = RateBudget(per_minute=6000, burst=200)
    runtime = build_runtime(load_config(stack.config_path), live=live, market_budget=budget)
    return PricebotService(runtime, seed=1)


def test_once_live_publishes_and_prints_the_plan(stack):
    from bot.app.cli import app

    stack.publish_rival(RIVAL_PRICE)
    result = CliRunner().invoke(app, ["once", "--config", str(stack.config_path), "--live"])
    assert result.exit_code == 0, result.output
    assert "publish (ok)" in result.output
    assert "best competitor" in result.output
    listed = stack.our_listed()
    assert len(listed) == 1
    assert listed[0].price == RIVAL_PRICE - 1_000_000
    assert {o.order_hash for o in stack.journal_orders()} == {listed[0].order_hash}
    assert OWNER_KEY[2:] not in result.output


def test_dry_run_once_changes_nothing(stack):
    from bot.app.cli import app

    stack.publish_rival(RIVAL_PRICE)
    result = CliRunner().invoke(app, ["once", "--config", str(stack.config_path)])
    assert result.exit_code == 0, result.output
    assert "publish (dry-run)" in result.output
    assert stack.our_listed() == []
    assert not journal_path(stack.journal_dir, live=True).exists()


def test_reprice_after_competitor_moves_and_increase_closes_old_order(stack):
    stack.publish_rival(RIVAL_PRICE)
    service = _service(stack)
    chain = stack.chain()
    try:
        service.reconcile()
        service.reprice()
        (first,) = stack.our_listed()
        # the competitor moves up: we follow, and the cheaper old order is closed on chain
        stack.publish_rival(RIVAL_PRICE + 10_000_000)
        service.reprice()
        (second,) = stack.our_listed()
        assert second.price == RIVAL_PRICE + 10_000_000 - 1_000_000
        assert chain.consumed(first.order_hash) == first.signed.order.volume
        # the competitor undercuts us: we reprice down
        stack.publish_rival(RIVAL_PRICE - 10_000_000)
        service.reprice()
        (third,) = stack.our_listed()
        assert third.price == RIVAL_PRICE - 11_000_000
    finally:
        service.runtime.close()


def _list_unchecked(stack: Stack, price: int, sign: str) -> str:
    """Put a rival order straight into the local marketplace's store, as a marketplace that
    does not check signatures would list it (the real server refuses it on POST)."""
    import time as _time

    from eth_utils.address import to_checksum_address

    from bot.domain.signing import hash_order
    from bot.sandbox.market_server._service import _iso
    from bot.sandbox.market_server._storage import OrderRecord

    order = WorkerpoolOrder(
        workerpool=stack.rival_pool,
        workerpoolprice=price,
        volume=10,
        tag=tag_to_bytes32(0),
        category=0,
        trust=0,
        salt=random_salt(),
    )
    order_hash = hash_order(network_of(stack.poco), order)
    now = _time.time()
    stack.market.storage.save_order(
        OrderRecord(
            kind="workerpoolorder",
            order_hash=order_hash,
            order={**order.fields(), "sign": sign},
            signer=to_checksum_address(address_of(STRANGER_KEY)),
            status="open",
            remaining=10,
            published_at=now,
            published_iso=_iso(now),
        )
    )
    return order_hash


@pytest.mark.parametrize("sign", ["0x" + "00" * 65, "0x" + "7f" * 65, "0x"])
def test_an_unsigned_competitor_does_not_drag_the_price_to_the_floor(stack, sign, caplog):
    import logging

    stack.publish_rival(RIVAL_PRICE)
    fake = _list_unchecked(stack, 1, sign)
    unchecked = stack.rival_client()
    try:  # a client without the check sees it: the marketplace lists it
        assert any(o.order_hash == fake for o in unchecked.workerpool_orders(BookQuery()))
    finally:
        unchecked.close()
    service = _service(stack)
    try:
        with caplog.at_level(logging.WARNING):
            service.reconcile()
            first = service.reprice()
            service.reprice()
        book = [e for entries in first.snapshot.competitors.values() for e in entries]
        assert [e.price for e in book] == [RIVAL_PRICE]
        (ours,) = stack.our_listed()
        assert ours.price == RIVAL_PRICE - 1_000_000
        left_out = [r.getMessage() for r in caplog.records if fake in r.getMessage()]
        assert len(left_out) == 1, left_out  # logged once, not on every tick
        assert sum(service.runtime.ports.market.signature_drops.values()) == 1
    finally:
        service.runtime.close()
    from bot.app.cli import app

    status = CliRunner().invoke(app, ["status", "--config", str(stack.config_path)])
    assert status.exit_code == 0, status.output
    kind = "unsigned" if sign == "0x" else "malformed signature"
    assert f"left out 1 order(s) PoCo would refuse ({kind}: 1)" in status.output


def test_restore_drill_a_lost_journal_comes_back_and_nothing_is_untracked(stack):
    """Backup, unlist our order (valid on chain, known only to the journal), lose the journal:
    the bot refuses to start on the empty file; restore; reconcile tracks the order again."""
    from bot.adapters.journal import JournalRefused
    from bot.app.cli import app

    runner = CliRunner()
    cfg = ["--config", str(stack.config_path)]
    stack.publish_rival(RIVAL_PRICE)
    once = runner.invoke(app, ["once", *cfg, "--live"])
    assert once.exit_code == 0, once.output
    (ours,) = stack.our_listed()
    backup = runner.invoke(app, ["journal", "backup", *cfg])
    assert backup.exit_code == 0, backup.output
    withdrawn = runner.invoke(app, ["withdraw", *cfg])  # unlisted, still valid on chain
    assert withdrawn.exit_code == 0, withdrawn.output
    assert stack.our_listed() == []
    chain = stack.chain()
    assert chain.consumed(ours.order_hash) == 0

    path = journal_path(stack.journal_dir, live=True)
    path.write_bytes(b"")  # the journal is lost
    refused = runner.invoke(app, ["once", *cfg, "--live"])
    assert isinstance(refused.exception, JournalRefused), refused.output
    assert path.read_bytes() == b""
    assert chain.consumed(ours.order_hash) == 0 and stack.our_listed() == []

    restored = runner.invoke(app, ["journal", "restore", *cfg])
    assert restored.exit_code == 0, restored.output
    service = _service(stack)
    try:
        service.reconcile()
        assert ours.order_hash in service.cycle.state.sampler.tracked
        service.reprice()
        # tracked again, so handled: relisted at the wanted price, or closed on chain
        relisted = {o.order_hash for o in stack.our_listed()}
        closed = chain.consumed(ours.order_hash) == ours.signed.order.volume
        assert ours.order_hash in relisted or closed
        # nothing untracked: every order of ours still valid on chain is known
        for signed in stack.journal_orders():
            if chain.consumed(signed.order_hash) < signed.order.volume:
                assert signed.order_hash in service.cycle.state.sampler.tracked
    finally:
        service.runtime.close()


def test_withdraw_cancel_leaves_zero_valid_orders(stack):
    from bot.app.cli import app

    stack.publish_rival(RIVAL_PRICE)
    service = _service(stack)
    try:
        service.reconcile()
        service.reprice()
        stack.publish_rival(RIVAL_PRICE - 20_000_000)
        service.reprice()  # a dearer order may stay valid but unlisted
    finally:
        service.runtime.close()
    known = stack.journal_orders()
    assert known
    listed = stack.our_listed()
    preview = CliRunner().invoke(
        app, ["withdraw", "--config", str(stack.config_path), "--cancel", "--dry-run"]
    )
    assert preview.exit_code == 0, preview.output
    assert "dry-run" in preview.output
    chain = stack.chain()
    valid = [s for s in known if chain.consumed(s.order_hash) < s.order.volume]
    assert preview.output.count("cancel 0x") == len(valid) >= 1
    assert [o.order_hash for o in stack.our_listed()] == [o.order_hash for o in listed]
    result = CliRunner().invoke(app, ["withdraw", "--config", str(stack.config_path), "--cancel"])
    assert result.exit_code == 0, result.output
    assert all(chain.consumed(s.order_hash) == s.order.volume for s in known)
    assert stack.our_listed() == []


def test_service_runs_on_schedule_and_on_exit_cancels(stack):
    stack.publish_rival(RIVAL_PRICE)
    service = _service(stack)
    try:
        service.start()
        assert service.stopped.wait(0.01) is False
        deadline = __import__("time").time() + 20
        while service.ticks < 2 and __import__("time").time() < deadline:
            service.stopped.wait(0.2)
        assert service.ticks >= 2
        jobs = {j.id: j for j in service.scheduler.get_jobs()}
        assert set(jobs) >= {"reprice", "reconcile", "record"}
        assert all(j.max_instances == 1 and j.coalesce for j in jobs.values())
        assert all(j.misfire_grace_time == 5 for j in jobs.values())
        service.request_stop("test")
    finally:
        service.stop()
        service.runtime.close()
    chain = stack.chain()
    known = stack.journal_orders()
    assert known
    assert all(chain.consumed(s.order_hash) == s.order.volume for s in known)
    assert stack.our_listed() == []


CRASH_SCRIPT = """
import os, signal, sys
from bot.config.schema import load_config
from bot.app.service import PricebotService, build_runtime

when = sys.argv[2]
runtime = build_runtime(load_config(sys.argv[1]), live=True)
market = runtime.ports.writer
real_publish = market.publish

def publish(signed):
    if when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    out = real_publish(signed)
    os.kill(os.getpid(), signal.SIGKILL)
    return out

market.publish = publish  # the executor holds this very client
service = PricebotService(runtime, seed=1)
service.reconcile()
service.reprice()
print("not killed", flush=True)
"""


@pytest.mark.parametrize("when", ["before", "after"])
def test_kill_9_mid_publish_then_restart_leaves_nothing_untracked(stack, when):
    stack.publish_rival(RIVAL_PRICE)
    env = {**os.environ, **stack.env}
    proc = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(stack.config_path), when],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    journalled = stack.journal_orders()
    assert len(journalled) == 1  # the order was journalled before the publish attempt
    listed_before = {o.order_hash for o in stack.our_listed()}
    assert listed_before == (set() if when == "before" else {journalled[0].order_hash})

    service = _service(stack)
    try:
        service.reconcile()
        service.reprice()
    finally:
        service.runtime.close()
    chain = stack.chain()
    known = {s.order_hash: s for s in stack.journal_orders()}
    listed = stack.our_listed()
    assert len(listed) == 1  # no duplicate
    assert {o.order_hash for o in listed} <= set(known)  # nothing listed and untracked
    valid = [h for h, s in known.items() if chain.consumed(h) < s.order.volume]
    assert valid == [listed[0].order_hash]  # the only valid order of ours is the listed one


def test_run_live_stops_cleanly_on_sigterm_and_applies_on_exit(stack):
    import time

    stack.publish_rival(RIVAL_PRICE)
    # One tick is enough here; a 1 s period would only spend the request budget.
    text = stack.config_path.read_text()
    text = text.replace("sample_seconds = 1", "sample_seconds = 60")
    stack.config_path.write_text(text.replace("reprice_seconds = 1", "reprice_seconds = 60"))
    env = {**os.environ, **stack.env}
    pricebot = Path(sys.executable).parent / "pricebot"
    proc = subprocess.Popen(
        [str(pricebot), "run", "--config", str(stack.config_path), "--live"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 60
        while not stack.our_listed() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.3)
        assert stack.our_listed(), "the bot never published"
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-3000:]
    assert "signal SIGTERM" in err
    assert "decision: publish" in err
    assert OWNER_KEY[2:] not in err and RELAYER_KEY[2:] not in err
    chain = stack.chain()
    known = stack.journal_orders()
    assert known and all(chain.consumed(s.order_hash) == s.order.volume for s in known)
    assert stack.our_listed() == []


def test_status_and_record(stack, monkeypatch):
    from bot.adapters.journal import iter_snapshots
    from bot.app.cli import app

    stack.publish_rival(RIVAL_PRICE)
    runner = CliRunner()
    once = runner.invoke(app, ["once", "--config", str(stack.config_path), "--live"])
    assert once.exit_code == 0, once.output
    status = runner.invoke(app, ["status", "--config", str(stack.config_path)])
    assert status.exit_code == 0, status.output
    assert "our valid orders" in status.output
    assert "listed" in status.output
    assert "competing book" in status.output
    assert "stake:" in status.output and "gas wallet:" in status.output
    assert "last cycle (live)" in status.output
    # status never sends a transaction: it works without the gas wallet key
    monkeypatch.delenv("PRICEBOT_GAS_PRIVATE_KEY")
    status = runner.invoke(app, ["status", "--config", str(stack.config_path)])
    assert status.exit_code == 0, status.output
    assert "gas wallet: unavailable" in status.output
    rec = runner.invoke(app, ["record", "--config", str(stack.config_path), "--count", "2"])
    assert rec.exit_code == 0, rec.output
    snaps = list(iter_snapshots(journal_path(stack.journal_dir, live=False)))
    assert len(snaps) == 2
    assert snaps[0][1]["workerpool"] == stack.workerpool
    assert any(e["price"] == RIVAL_PRICE for e in snaps[0][1]["book"])


def test_status_creates_no_journal(stack):
    from bot.app.cli import app

    stack.publish_rival(RIVAL_PRICE)
    status = CliRunner().invoke(app, ["status", "--config", str(stack.config_path)])
    assert status.exit_code == 0, status.output
    assert "competing book" in status.output
    assert not stack.journal_dir.exists()


def test_config_check_online_reads_every_endpoint_and_names_failures(stack, monkeypatch):
    from bot.adapters.journal import journal_path
    from bot.app.cli import app

    runner = CliRunner()
    good = runner.invoke(app, ["config", "check", str(stack.config_path), "--online"])
    assert good.exit_code == 0, good.output
    for label in ("marketplace order book", "core /metrics"):
        assert f"ok   {label}: answered" in good.output
    assert "ok   our orders on chain: none in the journal, 0 still valid" in good.output
    assert f"workerpool owner {stack.workerpool}" not in good.output  # the owner, not the pool
    assert "is the owner key" in good.output
    assert not journal_path(stack.journal_dir, live=False).exists()  # a check leaves no file
    assert not journal_path(stack.journal_dir, live=True).exists()
    stack.publish_rival(RIVAL_PRICE)
    once = runner.invoke(app, ["once", "--config", str(stack.config_path), "--live"])
    assert once.exit_code == 0, once.output
    tracked = runner.invoke(app, ["config", "check", str(stack.config_path), "--online"])
    assert tracked.exit_code == 0, tracked.output
    assert "our orders on chain: 1 open in" in tracked.output
    assert "1 still valid" in tracked.output

    monkeypatch.setenv("PRICEBOT_PRIVATE_KEY", STRANGER_KEY)
    broken = stack.config_path.read_text().replace(
        'core_url = "', 'core_url = "http://127.0.0.1:9/unused" # was "'
    )
    stack.config_path.write_text(broken)
    bad = runner.invoke(app, ["config", "check", str(stack.config_path), "--online"])
    assert bad.exit_code == 1, bad.output
    assert "FAIL core /metrics:" in bad.output
    assert "is NOT the owner key" in bad.output
    assert "online check(s) failed" in bad.output


def test_after_a_withdraw_the_next_tick_relists_the_same_signed_order(stack):
    """Unpublished but still valid on chain and still wanted: listed again, no cancel, no gas."""
    from bot.app.cli import app

    stack.publish_rival(RIVAL_PRICE)
    service = _service(stack)
    try:
        service.reconcile()
        service.reprice()
        (first,) = stack.our_listed()
        withdrawn = CliRunner().invoke(app, ["withdraw", "--config", str(stack.config_path)])
        assert withdrawn.exit_code == 0, withdrawn.output
        assert stack.our_listed() == []
        result = service.reprice()
    finally:
        service.runtime.close()
    steps = [(s.kind, s.outcome, s.order_hash) for s in result.report.steps]
    assert steps == [("relist", "ok", first.order_hash)]
    assert [o.order_hash for o in stack.our_listed()] == [first.order_hash]
    assert stack.chain().consumed(first.order_hash) == 0  # never closed
