"""The real iExec SDK (npm iexec@9.0.1) against the local marketplace and the local chain.

This is the proof that the local server is faithful: the SDK's own orderbook, publish,
unpublish and cancel calls work against it, and orders cross both ways between the SDK and the
bot's market client. Node scripts live next to this file (sdk_market.mjs); the SDK is loaded
from ``.cache/npm/node_modules`` (``make setup``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.market_api import MarketApiClient
from bot.adapters.signer import LocalKeySigner
from bot.domain.model import MarketStatus, WorkerpoolOrder
from bot.domain.signing import hash_order, random_salt
from bot.engine.ports import BookQuery
from bot.sandbox.anvil import repo_root
from bot.sandbox.market_server import MarketServer
from bot.sandbox.poco import PocoDeployment, network_of
from tests.plugins.chain import OWNER_KEY
from tests.support.market_server_helpers import consumed

pytestmark = [pytest.mark.sdk, pytest.mark.chain, pytest.mark.xdist_group("market-sdk")]

SCRIPT = Path(__file__).with_name("sdk_market.mjs")
NODE_MODULES = repo_root() / ".cache" / "npm" / "node_modules"


class SdkDriver:
    """One node process running sdk_market.mjs; commands go in on stdin, answers come out."""

    def __init__(self, server: MarketServer, poco: PocoDeployment) -> None:
        conf = {"rpc": poco.rpc_url, "hub": poco.hub, "gateway": server.url, "key": OWNER_KEY}
        self._proc = subprocess.Popen(
            [shutil.which("node") or "node", str(SCRIPT), json.dumps(conf)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        )
        assert self._read() == "ready"

    def _read(self) -> Any:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            err = self._proc.stderr.read() if self._proc.stderr else ""
            raise AssertionError(f"the SDK driver died: {err.strip()}")
        answer = json.loads(line)
        assert answer["ok"], f"SDK call failed: {answer['error']}"
        return answer["result"]

    def __call__(self, **command: Any) -> dict[str, Any]:
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(command) + "\n")
        self._proc.stdin.flush()
        result: dict[str, Any] = self._read()
        return result

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


@pytest.fixture
def sdk(market_server: MarketServer, poco: PocoDeployment) -> Iterator[SdkDriver]:
    driver = SdkDriver(market_server, poco)
    try:
        yield driver
    finally:
        driver.close()


@pytest.fixture(scope="module", autouse=True)
def _sdk_installed() -> None:
    if not (NODE_MODULES / "iexec" / "package.json").exists():
        pytest.fail("the iExec SDK is missing from .cache/npm: run `make setup`")


def test_orders_cross_between_the_sdk_and_our_client(
    market_server: MarketServer, poco: PocoDeployment, workerpool: str, sdk: SdkDriver
) -> None:
    network = network_of(poco)
    client = MarketApiClient(
        market_server.url,
        poco.chain_id,
        signer=LocalKeySigner(network, OWNER_KEY),
        hub=poco.hub,
    )
    with client:
        # ours -> SDK: published by the bot's client, listed by the SDK's orderbook call
        ours = LocalKeySigner(network, OWNER_KEY).sign_order(
            WorkerpoolOrder(
                workerpool=workerpool,
                workerpoolprice=1_000,
                volume=5,
                tag="0x" + "0" * 64,
                category=0,
                trust=0,
                salt=random_salt(),
            )
        )
        assert client.publish(ours) == ours.order_hash
        book = sdk(action="orderbook", workerpool=workerpool, category=0)
        assert book["orders"] == [ours.order_hash] and book["count"] == 1

        # SDK -> ours: published by the SDK (which forces tag |= 0x9), read by our client
        published = sdk(
            action="publish",
            workerpool=workerpool,
            price=0,
            volume=3,
            category=0,
        )
        theirs = published["orderHash"]
        entry = client.workerpool_order(theirs)
        assert entry is not None
        assert (entry.price, entry.volume, entry.remaining, entry.tag) == (0, 3, 3, 0x9)
        sdk_order = published["order"]
        recomputed = hash_order(
            network,
            WorkerpoolOrder(
                workerpool=sdk_order["workerpool"],
                workerpoolprice=int(sdk_order["workerpoolprice"]),
                volume=int(sdk_order["volume"]),
                tag=sdk_order["tag"],
                category=int(sdk_order["category"]),
                trust=int(sdk_order["trust"]),
                apprestrict=sdk_order["apprestrict"],
                datasetrestrict=sdk_order["datasetrestrict"],
                requesterrestrict=sdk_order["requesterrestrict"],
                salt=sdk_order["salt"],
            ),
        )
        assert recomputed == theirs  # the SDK, the server and bot.domain.signing agree on the hash
        listed = [e.order_hash for e in client.workerpool_orders(BookQuery(workerpool=workerpool))]
        assert listed == [theirs, ours.order_hash]  # cheapest first

        # the SDK unpublishes the order our client published (same owner wallet)
        gone = sdk(action="unpublish", orderHash=ours.order_hash)
        assert gone["unpublished"] == ours.order_hash  # the SDK returns unpublished[0]
        assert client.workerpool_order(ours.order_hash) is None
        assert consumed(poco, ours.order_hash) == 0  # unpublished, still valid on chain

        # the SDK cancels its order on chain; the watcher marks it canceled
        sdk(action="cancel", orderHash=theirs)
        assert consumed(poco, theirs) == 3
        market_server.sync()
        after = client.workerpool_order(theirs)
        assert after is not None and after.status == MarketStatus.CANCELED
        book = sdk(action="orderbook", workerpool=workerpool, category=0)
        assert book == {"count": 0, "orders": []}

        # unpublish all: every open order of this pool signed by the caller
        first = sdk(action="publish", workerpool=workerpool, price=5, volume=1, category=1)
        second = sdk(action="publish", workerpool=workerpool, price=6, volume=1, category=1)
        everything = sdk(action="unpublishAll", workerpool=workerpool)
        assert sorted(everything["unpublished"]) == sorted(
            [first["orderHash"], second["orderHash"]]
        )
        assert client.workerpool_orders(BookQuery(workerpool=workerpool)) == []
