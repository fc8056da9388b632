"""Fills end to end on the sandbox (issue #15): the bot matches a waiting request itself.

Real parts only: anvil with PoCo, the local marketplace, the bot's CLI (``once --live``) and its
live adapters. A requester publishes a request order and waits (it never matches it); the bot
signs a workerpool order restricted to that requester and app and sends ``matchOrders`` from its
gas wallet. The deal on chain must name our pool, the policy's price and the requester; a request
someone else matched first must cost no transaction; a withdrawn request must not be filled.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.journal import journal_path
from bot.config.schema import load_config
from bot.domain.errors import ChainRevert
from bot.domain.model import ZERO_BYTES32, WorkerpoolOrder
from bot.domain.signing import address_of, random_salt, sign_order
from bot.pricing.fills import SizedFill, fill_terms
from bot.sandbox import poco as pc
from bot.sandbox.agents_driver import MarketHttp, Wallet
from bot.sandbox.stack import (
    APP_OWNER_KEY,
    COMPETITOR_KEYS,
    REQUESTER_KEYS,
    Sandbox,
    WorldSpec,
)
from tests.integration.sandbox.test_e2e import Bot
from tests.support.sandbox_helpers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.chain, pytest.mark.xdist_group("sandbox-fills")]

M = 10**6  # 1 mRLC in nRLC
CAP = 20 * M  # the requester's cap, below what the bot lists (its default price, 30 mRLC)
LISTED = 30 * M


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    spec = WorldSpec(seed=15, competitors=False, requesters=False)
    with Sandbox(tmp_path_factory.mktemp("fills-world"), spec) as sandbox:
        yield sandbox


def _fill_config(text: str, app: str, journal: Path) -> str:
    text, n = re.subn(r"^journal_dir\s*=.*$", f'journal_dir = "{journal}"', text, flags=re.M)
    assert n == 1
    assert f'fill_apps = ["{app}"]' in text  # the sandbox lists its app on the offer
    text, n = re.subn(r"^enabled = false", "enabled = true", text, flags=re.M)
    assert n == 1  # a world without publishers renders fills off
    return text


@pytest.fixture
def bot(world: Sandbox, tmp_path: Path) -> Bot:
    info = world.info
    assert info is not None
    journal = tmp_path / "journal"
    config = tmp_path / "pricebot.toml"
    config.write_text(_fill_config(Path(info.config).read_text(), info.app, journal))
    return Bot(info, config, journal, tmp_path / "bot.log")


def _request(world: Sandbox, key: str, cap: int, volume: int) -> dict[str, object]:
    """A signed request order published to the marketplace by a requester who then waits."""
    info, dep = world.info, world.deployment
    assert info is not None and dep is not None
    order = pc.sign_request_order(
        dep,
        pc.request_order(info.app, address_of(key), workerpoolmaxprice=cap, volume=volume),
        key,
    )
    market = MarketHttp(info.market_url, info.chain_id)
    try:
        market.publish_request(order, Wallet(key, "10.0.9.1"))
    finally:
        market.close()
    return order


def _fill_actions(bot: Bot) -> list[tuple[str, str, str]]:
    path = journal_path(bot.journal_dir, live=True)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        rows = db.execute(
            "SELECT kind, outcome, detail FROM actions WHERE kind LIKE 'fill%' ORDER BY id"
        ).fetchall()
    finally:
        db.close()
    return [(str(k), str(o), str(d)) for k, o, d in rows]


def _nonce(world: Sandbox, address: str) -> int:
    info = world.info
    assert info is not None
    from eth_utils.address import to_checksum_address

    w3 = pc.web3_for(info.rpc_url)
    return int(w3.eth.get_transaction_count(to_checksum_address(address)))


def test_the_bot_fills_a_waiting_request_at_the_policy_price(world: Sandbox, bot: Bot) -> None:
    info = world.info
    assert info is not None
    requester = REQUESTER_KEYS[0]
    request = _request(world, requester, CAP, 2)
    hub = pc.hub_contract(pc.web3_for(info.rpc_url), info.hub)
    bot.once()
    fills = [a for a in _fill_actions(bot) if a[0] == "fill" and a[1] == "ok"]
    assert len(fills) == 1, _fill_actions(bot)
    deal_id = re.search(r"deal (0x[0-9a-f]{64})", fills[0][2])
    assert deal_id is not None
    deal = hub.functions.viewDeal(bytes.fromhex(deal_id.group(1)[2:])).call()
    # viewDeal: (app, dataset, workerpool, trust, category, tag, requester, beneficiary, ...)
    workerpool, requester_on_chain = deal[2], deal[6]
    assert workerpool[0].lower() == info.workerpool  # pointer
    assert workerpool[2] == CAP  # price: min(cap, listed 30 mRLC) = the cap
    assert requester_on_chain.lower() == address_of(requester)
    # the request is consumed on chain; our restricted order was used up (nothing left valid)
    consumed = hub.functions.viewConsumed(bytes.fromhex(str(request["orderHash"])[2:])).call()
    assert consumed == 2
    assert "volume 2 price 20000000" in fills[0][2]
    gas = re.search(r"gas (\d+)", fills[0][2])
    assert gas is not None and 100_000 < int(gas.group(1)) < 1_000_000  # measured on anvil
    print(f"matchOrders gas measured on anvil (no dataset, volume 2): {gas.group(1)}")


def test_a_withdrawn_request_is_not_filled(world: Sandbox, bot: Bot) -> None:
    info = world.info
    assert info is not None
    key = REQUESTER_KEYS[1]
    request = _request(world, key, CAP, 1)
    market = MarketHttp(info.market_url, info.chain_id)
    try:
        market.unpublish_request(str(request["orderHash"]), Wallet(key, "10.0.9.2"))
    finally:
        market.close()
    bot.once()
    assert not [a for a in _fill_actions(bot) if a[0] == "fill" and a[1] == "ok"]
    hub = pc.hub_contract(pc.web3_for(info.rpc_url), info.hub)
    # still valid on chain (an unpublished request is not cancelled), and not filled by us
    assert hub.functions.viewConsumed(bytes.fromhex(str(request["orderHash"])[2:])).call() == 0


def test_a_request_matched_by_someone_else_first_costs_no_transaction(
    world: Sandbox, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: the bot reads the book, a rival pool matches the request, then the bot fills."""
    from bot.app.service import build_runtime
    from bot.engine.cycle import make_fill_executor

    info, dep = world.info, world.deployment
    assert info is not None and dep is not None
    key = REQUESTER_KEYS[0]
    request = _request(world, key, CAP, 1)
    for name, value in info.bot_env().items():
        monkeypatch.setenv(name, value)
    rt = build_runtime(load_config(bot.config), live=True)
    try:
        fills = make_fill_executor(rt.ports, rt.settings)
        assert fills is not None and rt.ports.fills is not None
        book = rt.ports.fills.reader.fill_book(info.workerpool)
        listed = book.by_hash[str(request["orderHash"])]
        cand = fill_terms(listed, book, rt.settings.offers, info.workerpool, 0)
        assert not isinstance(cand, str), cand
        # a rival pool matches it first, on chain
        rival_pool = world.info.competitors[0]["workerpool"] if world.info else ""
        rival = sign_order(
            pc.network_of(dep),
            WorkerpoolOrder(
                workerpool=str(rival_pool),
                workerpoolprice=CAP,
                volume=1,
                tag=ZERO_BYTES32,
                category=0,
                trust=0,
                salt=random_salt(),
            ),
            COMPETITOR_KEYS[0],
        )
        app = pc.sign_app_order(dep, pc.app_order(info.app), APP_OWNER_KEY)
        pc.match_orders(dep, key, app, None, rival, request)
        gas_wallet = address_of(os.environ["PRICEBOT_GAS_PRIVATE_KEY"])
        before = _nonce(world, gas_wallet)
        steps = fills.execute([SizedFill(cand, CAP, 1, "race")], [], None)
        assert [s.outcome for s in steps] == ["skipped"], steps
        print(f"race lost: {steps[0].detail}")
        assert _nonce(world, gas_wallet) == before  # no transaction was sent
        # and the estimate would indeed revert: the request has nothing left on chain
        hub = pc.hub_contract(pc.web3_for(info.rpc_url), info.hub)
        assert hub.functions.viewConsumed(bytes.fromhex(str(request["orderHash"])[2:])).call() == 1
    finally:
        rt.close()
    assert ChainRevert  # (the type the estimate raises; see bot.engine.fill_exec)
    wait_for("nothing", lambda: True)
