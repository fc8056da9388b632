"""Admission end to end on the sandbox: a pool saturated by long tasks sells no short ones.

Real parts only: the bot's CLI (``once --live``), the local marketplace, anvil with PoCo, and the
simulated pool whose tasks are initialized and contributed on chain by its task reporter. The
long tasks are a category-2 deal matched on chain for our pool; the bot learns of them through
its live task feed (``SchedulerNotice``, ``TaskInitialize``) and the core's ``/metrics``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.journal import journal_path
from bot.domain.model import ZERO_BYTES32, WorkerpoolOrder
from bot.domain.signing import address_of, random_salt, sign_order
from bot.sandbox import poco as pc
from bot.sandbox.pool import PoolSpec
from bot.sandbox.stack import APP_OWNER_KEY, OWNER_KEY, REQUESTER_KEYS, Sandbox, WorldSpec
from tests.integration.sandbox.test_e2e import Bot, _consumed, _ours, _valid
from tests.support.sandbox_helpers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.chain, pytest.mark.xdist_group("sandbox-admission")]

SLOTS = 4
LONG_S = 3000.0  # category-2 tasks: 50 minutes each, longer than XS's 35-minute window


@pytest.fixture(scope="module")
def long_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    pool = PoolSpec(
        workers=2, slots_per_worker=2, durations={0: 8.0, 2: LONG_S}, duration_sigma=0.0
    )
    spec = WorldSpec(seed=11, competitors=False, requesters=False, pool=pool)
    with Sandbox(tmp_path_factory.mktemp("admission-world"), spec) as sandbox:
        yield sandbox


@pytest.fixture
def bot(long_world: Sandbox, tmp_path: Path) -> Bot:
    info = long_world.info
    assert info is not None
    journal = tmp_path / "journal"
    text = Path(info.config).read_text()
    text, n = re.subn(r"^journal_dir\s*=.*$", f'journal_dir = "{journal}"', text, flags=re.M)
    assert n == 1
    config = tmp_path / "pricebot.toml"
    config.write_text(text)
    return Bot(info, config, journal, tmp_path / "bot.log")


def _deal(world: Sandbox, category: int, volume: int) -> str:
    """Match a deal of ``volume`` tasks in ``category`` on our pool, as a requester would."""
    info, dep = world.info, world.deployment
    assert info is not None and dep is not None
    order = WorkerpoolOrder(
        workerpool=info.workerpool,
        workerpoolprice=10**8,
        volume=volume,
        tag=ZERO_BYTES32,
        category=category,
        trust=0,
        salt=random_salt(),
    )
    signed = sign_order(pc.network_of(dep), order, OWNER_KEY)
    requester_key = REQUESTER_KEYS[0]
    app = pc.sign_app_order(dep, pc.app_order(info.app), APP_OWNER_KEY)
    request = pc.request_order(
        info.app,
        address_of(requester_key),
        workerpoolmaxprice=10**8,
        category=category,
        volume=volume,
    )
    ro = pc.sign_request_order(dep, request, requester_key)
    return pc.match_orders(dep, requester_key, app, None, signed, ro)


def test_a_pool_saturated_by_long_tasks_offers_no_short_task_volume(
    long_world: Sandbox, bot: Bot
) -> None:
    info = bot.info
    pool, reporter = long_world.pool, long_world.reporter
    assert pool is not None and reporter is not None

    # idle pool: XS volume is offered (the config's max_volume)
    bot.once()
    listed = _ours(info)
    assert sum(int(o["remaining"]) for o in listed) > 0

    # the simulated pool writes what a core and its workers would: a short task is initialized
    # and contributed on chain, and the bot's feed learns its run time from the events
    short = _deal(long_world, 0, 1)
    hub = pc.hub_contract(pc.web3_for(info.rpc_url), info.hub)
    short_task = bytes.fromhex(pc.task_id_of(short, 0)[2:])
    wait_for(
        "the short task to be contributed and finalized on chain",
        lambda: hub.functions.viewTask(short_task).call()[0] == 3,  # COMPLETED
    )

    deal_id = _deal(long_world, 2, SLOTS)

    def running_long() -> bool:
        pool.advance(time.time())
        tasks = [t for t in pool.tasks() if t.deal_id == deal_id]
        return len(tasks) == SLOTS and all(t.status == "RUNNING" for t in tasks)

    wait_for("the long tasks to run on every slot", running_long, timeout=60)

    def initialized_on_chain() -> bool:
        ids = [pc.task_id_of(deal_id, i) for i in range(SLOTS)]
        return all(hub.functions.viewTask(bytes.fromhex(t[2:])).call()[0] == 1 for t in ids)

    wait_for("the scheduler to initialize the long tasks on chain", initialized_on_chain)

    bot.once()
    # nothing of XS is listed, and nothing is left matchable on chain either
    assert sum(int(o["remaining"]) for o in _ours(info)) == 0
    signed = bot.journal_orders()
    assert signed, "the bot had signed XS orders before"
    assert _valid(info, signed) == {}
    for s in signed:
        assert _consumed(info, s.order_hash) == s.order.volume
    # and it was the admission test that said so: the strategy saw a window capacity of 0
    # where the count-based one would still give 4 x floor(2100 / 8) - 4 = 1044 tasks
    decision = _last_decision(bot)
    assert [q["volume"] for q in decision["decision"]["quotes"]] == [0]
    assert [q["volume"] for q in decision["rails"]["quotes"]] == [0]


def _last_decision(bot: Bot) -> dict[str, Any]:
    path = journal_path(bot.journal_dir, live=True)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        (raw,) = db.execute("SELECT payload FROM decisions ORDER BY rowid DESC LIMIT 1").fetchone()
    finally:
        db.close()
    decision: dict[str, Any] = json.loads(raw)
    return decision
