"""The live TaskFeed against the real PoCo: a deal of ours, tasks initialized and contributed."""

from __future__ import annotations

import pytest

from bot.adapters.chain_tasks import ChainTaskFeed
from bot.domain.model import ZERO_BYTES32, WorkerpoolOrder
from bot.domain.signing import address_of, random_salt, sign_order
from bot.engine.ports import TaskFeed
from bot.sandbox import poco as pc
from bot.sandbox.anvil import AnvilNode, rpc_call
from tests.plugins.chain import APP_OWNER_KEY, OWNER_KEY, REQUESTER_KEY
from tests.support.chain_helpers import connect

pytestmark = pytest.mark.chain

WORKER_KEY = "0x" + "7e" * 32  # not an anvil account: funded below, signs its own transactions


def _deal(poco: pc.PocoDeployment, workerpool: str, volume: int) -> str:
    requester = address_of(REQUESTER_KEY)
    pc.fund_rlc(poco, requester, 10**12)
    pc.deposit_stake(poco, REQUESTER_KEY, 10**11)
    app = pc.create_app(poco, APP_OWNER_KEY)
    order = WorkerpoolOrder(
        workerpool=workerpool,
        workerpoolprice=10**9,
        volume=volume,
        tag=ZERO_BYTES32,
        category=0,
        trust=0,
        salt=random_salt(),
    )
    signed = sign_order(pc.network_of(poco), order, OWNER_KEY)
    ao = pc.sign_app_order(poco, pc.app_order(app), APP_OWNER_KEY)
    ro = pc.request_order(app, requester, workerpoolmaxprice=10**9, volume=volume)
    return pc.match_orders(
        poco, REQUESTER_KEY, ao, None, signed, pc.sign_request_order(poco, ro, REQUESTER_KEY)
    )


def test_feed_reads_deals_initializes_and_contributions(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    rpc_call(poco.rpc_url, "anvil_setBalance", [address_of(WORKER_KEY), hex(10**20)])
    chain, _ = connect(pc.network_of(poco))
    feed = ChainTaskFeed.for_chain(chain, chunk_blocks=50)
    assert isinstance(feed, TaskFeed)
    assert feed.pool_tasks(workerpool, since=0.0) == []

    deal_id = _deal(poco, workerpool, volume=3)
    t0 = pc.initialize_task(poco, OWNER_KEY, deal_id, 0)
    t1 = pc.initialize_task(poco, OWNER_KEY, deal_id, 1)
    assert t0 == pc.task_id_of(deal_id, 0)
    pc.contribute_and_finalize(poco, WORKER_KEY, OWNER_KEY, t0)

    tasks = {t.task_id: t for t in feed.pool_tasks(workerpool, since=0.0)}
    hub = pc.hub_contract(pc.web3_for(poco.rpc_url), poco.hub)
    start = hub.functions.viewDeal(bytes.fromhex(deal_id[2:])).call()[10]
    assert set(tasks) == {t0, t1, pc.task_id_of(deal_id, 2)}
    for t in tasks.values():
        assert t.category == 0 and t.deal_start == start
        assert t.contribution_deadline == start + 7 * 300  # XS: 35 minutes from the match
        assert t.started_at is None  # the chain does not say
    assert tasks[t0].initialized_at is not None and tasks[t0].contributed_at is not None
    assert tasks[t1].initialized_at is not None and tasks[t1].contributed_at is None
    assert tasks[pc.task_id_of(deal_id, 2)].initialized_at is None
    # the deadline the feed states is the one the contract enforces
    view = hub.functions.viewTask(bytes.fromhex(t1[2:])).call()
    assert view[4] == tasks[t1].contribution_deadline

    # incremental: a later contribution is seen by the same feed; another pool sees nothing
    pc.contribute_and_finalize(poco, WORKER_KEY, OWNER_KEY, t1)
    again = {t.task_id: t for t in feed.pool_tasks(workerpool, since=0.0)}
    assert again[t1].contributed_at is not None
    assert ChainTaskFeed.for_chain(chain).pool_tasks("0x" + "42" * 20, since=0.0) == []
    # nothing older than since
    assert feed.pool_tasks(workerpool, since=start + 1) == []
