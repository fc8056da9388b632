"""The soak's parts: the independent checker catches what it is there to catch, the fault proxy
hurts requests as told, and the marketplace can apply a write and still answer an error.

Each checker test makes the world break one invariant by hand (our pool's key publishing through
the real marketplace, closing on the real chain) and asserts the checker names it; a checker that
never fails would make the soak's "0 violations" meaningless.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.domain.errors import RejectedError
from bot.domain.model import SignedWorkerpoolOrder, WorkerpoolOrder, tag_to_bytes32
from bot.domain.signing import random_salt, sign_order
from bot.sandbox.agents_driver import MarketHttp, Wallet
from bot.sandbox.checker import Checker, CheckerLimits
from bot.sandbox.fault_proxy import FaultProxy, ProxyFault
from bot.sandbox.poco import network_of
from bot.sandbox.stack import OWNER_KEY, Sandbox, WorldSpec

pytestmark = [pytest.mark.slow, pytest.mark.chain, pytest.mark.xdist_group("sandbox-checker")]

M = 1_000_000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    spec = WorldSpec(seed=9, competitors=False, requesters=False)
    with Sandbox(tmp_path_factory.mktemp("checker-world"), spec) as sandbox:
        yield sandbox


class Owner:
    """Our pool's owner acting by hand: sign, publish, unpublish through the marketplace."""

    def __init__(self, world: Sandbox) -> None:
        assert world.info is not None
        self.world = world
        self.info = world.info
        self.wallet = Wallet(OWNER_KEY, "10.0.9.1")
        self.market = MarketHttp(self.info.market_url, self.info.chain_id)
        self.made: list[SignedWorkerpoolOrder] = []

    def sign(self, price: int, volume: int) -> SignedWorkerpoolOrder:
        order = WorkerpoolOrder(
            workerpool=self.info.workerpool,
            workerpoolprice=price,
            volume=volume,
            tag=tag_to_bytes32(0),
            category=0,
            trust=0,
            salt=random_salt(),
        )
        signed = sign_order(network_of(self.world.deployment), order, OWNER_KEY)
        self.made.append(signed)
        return signed

    def publish(self, price: int, volume: int = 1) -> SignedWorkerpoolOrder:
        signed = self.sign(price, volume)
        self.market.publish_workerpool(signed, self.wallet)
        return signed

    def unpublish(self, signed: SignedWorkerpoolOrder) -> None:
        self.market.unpublish_workerpool(signed.order_hash, self.wallet)

    def cancel_all(self) -> None:
        """Close every order this owner made that is still valid (tests share one world)."""
        from bot.sandbox.agents_driver import ChainOps

        ops = ChainOps(self.world.deployment)
        for signed in self.made:
            if ops.consumed(signed.order_hash) < signed.order.volume:
                self.cancel(signed)

    def cancel(self, signed: SignedWorkerpoolOrder) -> None:
        from bot.adapters.chain import ChainSettings, RpcChain
        from bot.adapters.keys import as_secret
        from bot.adapters.signer import LocalKeySigner

        net = network_of(self.world.deployment)
        chain = RpcChain.connect(
            net,
            rpc_urls=[self.info.rpc_url],
            signer=LocalKeySigner(net, as_secret(OWNER_KEY, "owner key")),
            gas_key=as_secret(OWNER_KEY, "owner key"),
            settings=ChainSettings(relay=False),
        )
        chain.cancel(signed)


@pytest.fixture
def owner(world: Sandbox) -> Iterator[Owner]:
    o = Owner(world)
    try:
        yield o
    finally:
        for rec in _listed(world):
            try:
                o.market.unpublish_workerpool(rec, o.wallet)
            except RejectedError as exc:
                # the sandbox's requesters may match the order between the read and this call:
                # nothing is left to unpublish (CI on 9dd4cff failed in teardown this way)
                if "is not published" not in str(exc):
                    raise
        o.market.close()
        o.cancel_all()


def _listed(world: Sandbox) -> list[str]:
    assert world.info is not None
    db = sqlite3.connect(f"file:{world.state_dir / 'market.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT order_hash FROM orders WHERE kind = 'workerpoolorder' AND workerpool = ? "
            "AND status = 'open'",
            (world.info.workerpool.lower(),),
        ).fetchall()
    finally:
        db.close()
    return [str(r[0]) for r in rows]


def _checker(world: Sandbox, **limits: int) -> Checker:
    info = world.info
    assert info is not None
    lim = {"max_volume_per_slot": 6, "max_volume_total": 50, "max_listed_per_slot": 4}
    lim.update(limits)
    return Checker(
        market_db=world.state_dir / "market.sqlite",
        rpc_url=info.rpc_url,
        hub=info.hub,
        workerpool=info.workerpool,
        owner=info.owner,
        core_url=info.core_url,
        limits=CheckerLimits(**lim),
    )


def _rules(checker: Checker) -> list[str]:
    return [v.rule for v in checker.violations]


def test_a_cheaper_order_left_valid_after_a_price_rise_is_flagged(
    world: Sandbox, owner: Owner
) -> None:
    checker = _checker(world)
    try:
        cheap = owner.publish(20 * M)
        checker.check(0, chain_healthy=True, at_rest=True)
        owner.unpublish(cheap)  # unpublished only: still matchable on chain by anyone who kept it
        dear = owner.publish(30 * M)
        for cycle in (1, 2):
            checker.check(cycle, chain_healthy=True, at_rest=True)
        assert _rules(checker) == []  # within the grace
        checker.check(3, chain_healthy=True, at_rest=True)
        assert _rules(checker) == ["price-rise"]
        assert cheap.order_hash[:10] in checker.violations[0].detail

        owner.cancel(cheap)  # closing it is what the bot must do; an unhealthy cycle: no grace
        owner.unpublish(dear)
    finally:
        checker.close()


def test_an_outage_delays_the_price_rise_deadline(world: Sandbox, owner: Owner) -> None:
    checker = _checker(world)
    try:
        cheap = owner.publish(20 * M)
        checker.check(0, chain_healthy=True, at_rest=True)
        owner.unpublish(cheap)
        owner.publish(30 * M)
        for cycle in range(1, 6):  # the chain unreachable: a cancel could not be sent
            checker.check(cycle, chain_healthy=False, at_rest=False)
        assert _rules(checker) == []
        owner.cancel(cheap)
        for cycle in range(6, 9):
            checker.check(cycle, chain_healthy=True, at_rest=True)
        assert _rules(checker) == []
    finally:
        checker.close()


def test_valid_volume_over_the_cap_and_too_many_listed_orders_are_flagged(
    world: Sandbox, owner: Owner
) -> None:
    checker = _checker(world, max_volume_per_slot=3, max_listed_per_slot=1)
    try:
        a = owner.publish(25 * M, volume=2)
        b = owner.publish(25 * M, volume=2)
        checker.check(0, chain_healthy=True, at_rest=False)
        assert _rules(checker) == ["volume"]  # not at rest: the listing count is not judged
        checker.check(1, chain_healthy=True, at_rest=True)
        assert sorted(_rules(checker)) == ["at-rest", "volume", "volume"]
        owner.cancel(a)
        owner.cancel(b)
        checker.check(2, chain_healthy=True, at_rest=True)
        assert len(checker.violations) == 3  # closed on chain: nothing new
    finally:
        checker.close()


def test_journal_disagreement_is_lost_or_orphaned(
    world: Sandbox, owner: Owner, tmp_path: Path
) -> None:
    from bot.adapters.journal import SqliteJournal

    checker = _checker(world)
    journal = tmp_path / "journal.sqlite"
    j = SqliteJournal(journal)
    try:
        tracked = owner.publish(25 * M)
        j.record_signed(tracked, 1.0)
        j.set_order_state(tracked.order_hash, "published", 1.0)
        untracked = owner.publish(26 * M)  # listed, unknown to the journal
        forgotten = owner.sign(27 * M, 1)  # journalled as closed, yet valid on chain
        j.record_signed(forgotten, 1.0)
        j.set_order_state(forgotten.order_hash, "closed", 1.0)
        owner.market.publish_workerpool(forgotten, owner.wallet)
        owner.unpublish(forgotten)
        found = checker.agree(journal, 0, checker.finished())
        assert sorted(v.rule for v in found) == ["lost", "lost", "orphaned"]
        assert {v.detail.split()[1] for v in found} == {
            untracked.order_hash[:10],
            forgotten.order_hash[:10],
        }
        for s in (tracked, untracked, forgotten):
            owner.cancel(s)
        assert checker.agree(journal, 1, checker.finished()) == [
            v for v in checker.violations if v.cycle == 1
        ]
        stale = [v for v in checker.violations if v.rule == "stale"]
        assert [v.detail.split()[1] for v in stale] == [tracked.order_hash[:10]]
    finally:
        j.close()
        checker.close()


def test_the_fault_proxy_hurts_as_many_requests_as_told(world: Sandbox) -> None:
    info = world.info
    assert info is not None
    body = {"jsonrpc": "2.0", "id": 7, "method": "eth_chainId", "params": []}
    with FaultProxy(info.rpc_url) as proxy, httpx.Client(timeout=2.0) as client:
        assert client.post(proxy.url, json=body).json()["result"] == hex(info.chain_id)
        proxy.set(ProxyFault("http_error", count=2))
        assert [client.post(proxy.url, json=body).status_code for _ in range(3)] == [503, 503, 200]
        proxy.set(ProxyFault("rpc_error", count=1))
        assert client.post(proxy.url, json=body).json()["error"]["message"] == "header not found"
        proxy.set(ProxyFault("reset", count=1))
        with pytest.raises(httpx.TransportError):
            client.post(proxy.url, json=body)
        proxy.set(ProxyFault("stall", count=1, seconds=3.0))
        with pytest.raises(httpx.ReadTimeout):
            client.post(proxy.url, json=body)
        proxy.set(ProxyFault("drop_tx", count=1))
        assert client.post(proxy.url, json=body).json()["id"] == 7  # not a send: forwarded
        assert dict(proxy.injected) == {"http_error": 2, "rpc_error": 1, "reset": 1, "stall": 1}


def test_a_publish_applied_but_answered_502_is_stored(world: Sandbox, owner: Owner) -> None:
    from bot.domain.errors import BotError

    world.market_server.set_faults(
        {"routes": {"POST /workerpoolorders": {"applied_error_rate": 1.0, "error_status": 502}}}
    )
    try:
        signed = owner.sign(25 * M, 1)
        with pytest.raises((BotError, httpx.HTTPError)):
            owner.market.publish_workerpool(signed, owner.wallet)
    finally:
        world.market_server.set_faults(None)
    assert signed.order_hash in _listed(world)
    db = sqlite3.connect(f"file:{world.state_dir / 'market.sqlite'}?mode=ro", uri=True)
    try:
        (body,) = db.execute(
            "SELECT body FROM posted WHERE order_hash = ?", (signed.order_hash,)
        ).fetchone()
    finally:
        db.close()
    assert int(json.loads(body)["workerpoolprice"]) == 25 * M
    owner.unpublish(signed)
    assert signed.order_hash not in _listed(world)
    owner.cancel(signed)
