"""The sandbox world: files it writes, agents trading for real, our pool's deals reaching /metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.config.schema import load_config
from bot.domain.model import WorkerpoolOrder, tag_to_bytes32
from bot.domain.signing import random_salt, sign_order
from bot.sandbox.agents_driver import MarketHttp, Wallet
from bot.sandbox.anvil import ANVIL_KEYS
from bot.sandbox.poco import hub_contract, network_of, web3_for
from bot.sandbox.stack import Sandbox, WorldSpec, is_running
from tests.support.sandbox_helpers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.chain, pytest.mark.xdist_group("sandbox-world")]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = Sandbox(
        tmp_path_factory.mktemp("world"), WorldSpec(seed=3, demand_per_min=40, adversary_share=0.6)
    )
    with sandbox:
        yield sandbox


def _publish_ours(world: Sandbox, price: int, volume: int) -> str:
    info = world.info
    assert info is not None
    signed = sign_order(
        network_of(world.deployment),
        WorkerpoolOrder(
            workerpool=info.workerpool,
            workerpoolprice=price,
            volume=volume,
            tag=tag_to_bytes32(0),
            category=0,
            trust=0,
            salt=random_salt(),
        ),
        info.owner_key,
    )
    market = MarketHttp(info.market_url, info.chain_id)
    try:
        market.publish_workerpool(signed, Wallet(info.owner_key, "10.9.0.1"))
    finally:
        market.close()
    return signed.order_hash


def test_state_files_describe_a_usable_sandbox(world: Sandbox) -> None:
    info = world.info
    assert info is not None
    state = Path(info.state_dir)
    data = json.loads((state / "sandbox.json").read_text())
    assert data["status"] == "ready"
    assert data["owner_key"] in ANVIL_KEYS and data["gas_key"] in ANVIL_KEYS
    assert data["owner_key"] != data["gas_key"]
    for url in (data["rpc_url"], data["market_url"], data["core_url"]):
        assert url.startswith("http://127.0.0.1:")
    config = load_config(state / "pricebot.toml", check_strategy=False)
    assert config.workerpool == info.workerpool
    assert config.hub == info.hub and config.chain_id == info.chain_id
    assert config.endpoints.market_url == info.market_url
    assert config.endpoints.core_url == info.core_url
    assert config.rpc_urls() == (info.rpc_url,)
    assert "0x" not in (state / "pricebot.toml").read_text().split("[keys]")[1].split("[")[0]
    env = (state / "env.sh").read_text()
    assert f"PRICEBOT_PRIVATE_KEY={info.owner_key}" in env
    assert is_running(info.pids["anvil"], "anvil")


def test_competitors_publish_and_requesters_match_on_chain(world: Sandbox) -> None:
    info = world.info
    assert info is not None
    pools = {c["workerpool"] for c in info.competitors}
    book = httpx.get(
        info.market_url + "/workerpoolorders", params={"chainId": info.chain_id, "category": 0}
    ).json()["orders"]
    assert len({o["order"]["workerpool"].lower() for o in book} & pools) >= 3
    matched = wait_for("a requester match", lambda: sum(world.driver.stats.matched_tasks.values()))
    assert matched > 0
    hub = hub_contract(web3_for(info.rpc_url), info.hub)
    locked = [
        hub.functions.viewAccount(web3_for(info.rpc_url).to_checksum_address(c["owner"])).call()[1]
        for c in info.competitors
    ]
    assert any(amount > 0 for amount in locked)  # PoCo locked stake for the matched tasks


def test_a_deal_for_our_pool_becomes_tasks_in_core_metrics(world: Sandbox) -> None:
    info = world.info
    assert info is not None
    _publish_ours(world, price=1_000_000, volume=3)  # far below every competitor
    deals = wait_for("a deal for our workerpool", lambda: world.feed.deals, timeout=40)
    assert deals[0].price == 1_000_000
    metrics = httpx.get(info.core_url + "/metrics").json()
    counts = metrics["currentTaskStatusesCount"]
    assert sum(counts.values()) >= deals[0].size
    assert metrics["dealsCount"] >= 1
    assert metrics["aliveRegisteredCpu"] == world.spec.pool.slots


def test_the_adversary_matches_an_unpublished_but_valid_order(world: Sandbox) -> None:
    info = world.info
    assert info is not None
    order_hash = _publish_ours(world, price=500_000, volume=200)
    wait_for("the adversary to see our order", lambda: order_hash in world.driver.seen_orders())
    market = MarketHttp(info.market_url, info.chain_id)
    try:
        market.unpublish_workerpool(order_hash, Wallet(info.owner_key, "10.9.0.1"))
    finally:
        market.close()
    before = world.driver.stats.adversarial_tasks
    wait_for(
        "an adversarial match",
        lambda: world.driver.stats.adversarial_tasks > before,
        timeout=60,
    )
    hub = hub_contract(web3_for(info.rpc_url), info.hub)
    assert hub.functions.viewConsumed(bytes.fromhex(order_hash[2:])).call() > 0


def test_a_production_domain_sandbox_signs_exactly_like_bellecour(tmp_path: Path) -> None:
    from bot.domain.networks import BELLECOUR
    from bot.domain.signing import domain_separator
    from bot.sandbox.stack import DOMAINS

    chain_id, hub = DOMAINS["bellecour"]
    spec = WorldSpec(chain_id=chain_id, production_hub=hub, competitors=False, requesters=False)
    with Sandbox(tmp_path, spec) as sandbox:
        info = sandbox.info
        assert info is not None
        assert (info.chain_id, info.hub) == (BELLECOUR.chain_id, BELLECOUR.hub)
        contract = hub_contract(web3_for(info.rpc_url), info.hub)
        onchain = "0x" + bytes(contract.functions.eip712domain_separator().call()).hex()
        assert onchain == domain_separator(BELLECOUR)  # the production separator, on our chain
        order_hash = _publish_ours(sandbox, price=10**7, volume=1)  # the market verified it
        listed = httpx.get(
            info.market_url + f"/workerpoolorders/{order_hash}", params={"chainId": chain_id}
        ).json()
        assert listed["status"] == "open"
