"""Deals matched on the real local chain for our workerpool become tasks in the simulated pool."""

from __future__ import annotations

import pytest

from bot.domain.model import WorkerpoolOrder, tag_to_bytes32
from bot.domain.signing import address_of, random_salt, sign_order
from bot.sandbox.anvil import AnvilNode
from bot.sandbox.poco import (
    PocoDeployment,
    app_order,
    create_app,
    deposit_stake,
    fund_rlc,
    match_orders,
    network_of,
    request_order,
    sign_app_order,
    sign_request_order,
)
from bot.sandbox.pool import ChainDealFeed, PoolSpec, SimulatedPool
from tests.plugins.chain import APP_OWNER_KEY, DEPLOYER_KEY, OWNER_KEY, REQUESTER_KEY

pytestmark = pytest.mark.chain


def test_a_matched_deal_is_queued_once_with_its_volume(
    poco: PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    net = network_of(poco)
    app = create_app(poco, APP_OWNER_KEY, "feed-app")
    requester = address_of(REQUESTER_KEY)
    fund_rlc(poco, requester, 100 * 10**9, from_key=DEPLOYER_KEY)
    deposit_stake(poco, REQUESTER_KEY, 100 * 10**9)
    pool = SimulatedPool(PoolSpec(workers=1, slots_per_worker=1), start=0.0)
    feed = ChainDealFeed(poco.rpc_url, poco.hub, workerpool, pool, lambda: 0.0)
    feed.poll()  # nothing yet (deals of other tests were reverted)
    before = len(pool.tasks())

    wp = sign_order(
        net,
        WorkerpoolOrder(
            workerpool=workerpool,
            workerpoolprice=10**7,
            volume=3,
            tag=tag_to_bytes32(0),
            category=0,
            trust=0,
            salt=random_salt(),
        ),
        OWNER_KEY,
    )
    ao = sign_app_order(poco, app_order(app), APP_OWNER_KEY)
    ro = sign_request_order(
        poco, request_order(app, requester, workerpoolmaxprice=10**7, volume=2), REQUESTER_KEY
    )
    deal_id = match_orders(poco, REQUESTER_KEY, ao, None, wp, ro)

    new = feed.poll()
    assert [d.deal_id for d in new] == [deal_id]
    assert new[0].size == 2 and new[0].price == 10**7 and new[0].category == 0
    assert len(pool.tasks()) == before + 2
    assert feed.poll() == []  # the same logs are not read twice
    assert pool.metrics(0.0)["latestBlockMetric"]["blockNumber"] > 0
