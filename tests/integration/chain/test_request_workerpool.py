"""Whose request a deal was (issue #14), read by the chain adapter against anvil with real PoCo.

``recent_deals`` reads each deal's match transaction and takes the request order's own
``workerpool`` field (and its ``workerpoolmaxprice``: the buyer's cap) when its EIP-712 hash
(bot.domain.signing) gives the deal id: our pool for a buyer who named it, the zero address for one
open to any pool; through ``matchOrders`` and
``sponsorMatchOrders`` alike. A deal whose transaction cannot say is None, never an error.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from eth_utils.crypto import keccak

from bot.adapters.chain import RpcChain
from bot.adapters.chain_match import (
    MATCH_ORDERS_SIGNATURE,
    DealMatch,
    MatchedRequest,
    encode_match_orders,
)
from bot.adapters.chain_wallet import GasWallet
from bot.domain.fill_orders import AppOrder, RequestOrder, SignedOrder
from bot.domain.model import ZERO_ADDRESS, SignedWorkerpoolOrder
from bot.domain.signing import address_of, random_salt, sign_market_order
from bot.engine.fill_ports import MatchOrders
from bot.sandbox import poco as pc
from bot.sandbox.anvil import AnvilNode
from tests.plugins.chain import APP_OWNER_KEY, RELAYER_KEY, REQUESTER_KEY
from tests.support.chain_helpers import FAST_SETTINGS, connect, send_json, signed_order
from tests.support.factories import request_order

pytestmark = pytest.mark.chain

PRICE = 10**9


def _orders(
    poco: pc.PocoDeployment, app: str, ours: SignedWorkerpoolOrder, named: str
) -> MatchOrders:
    network = pc.network_of(poco)
    requester = address_of(REQUESTER_KEY)
    app_order: SignedOrder[AppOrder] = sign_market_order(
        network, AppOrder(app=app, appprice=0, volume=1_000, salt=random_salt()), APP_OWNER_KEY
    )
    request: SignedOrder[RequestOrder] = sign_market_order(
        network,
        request_order(
            app=app,
            requester=requester,
            workerpool=named,
            workerpoolmaxprice=PRICE,
            salt=random_salt(),
        ),
        REQUESTER_KEY,
    )
    return MatchOrders(app=app_order, dataset=None, workerpool=ours, request=request)


def _sponsor_match(chain: RpcChain, orders: MatchOrders) -> str:
    """``sponsorMatchOrders`` (same arguments as ``matchOrders``): the sender pays the deal."""
    data = encode_match_orders(orders)
    selector = keccak(text=MATCH_ORDERS_SIGNATURE.replace("matchOrders", "sponsorMatchOrders"))
    wallet = GasWallet(chain.rpc, RELAYER_KEY, FAST_SETTINGS.fees, chain_id=chain.chain_id)
    sent = wallet.send(chain.network.hub, "0x" + selector[:4].hex() + data[10:], "sponsor")
    return sent.tx_hash


def test_recent_deals_read_the_request_workerpool_from_the_match_calldata(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    requester = address_of(REQUESTER_KEY)
    pc.fund_rlc(poco, requester, 10**12)
    pc.deposit_stake(poco, REQUESTER_KEY, 10**11)
    pc.fund_rlc(poco, address_of(RELAYER_KEY), 10**12)
    pc.deposit_stake(poco, RELAYER_KEY, 10**11)
    chain, owner = connect(pc.network_of(poco))
    app = pc.create_app(poco, APP_OWNER_KEY)
    ours = signed_order(owner, workerpool, volume=5, price=PRICE)
    named_receipt = chain.match(_orders(poco, app, ours, workerpool))
    named, named_tx = named_receipt.deal_id, named_receipt.tx_hash
    anyone = chain.match(_orders(poco, app, ours, ZERO_ADDRESS)).deal_id
    sponsored_tx = _sponsor_match(chain, _orders(poco, app, ours, workerpool))

    deals = {d.deal_id: d for d in chain.recent_deals(workerpool, from_block=0)}
    assert len(deals) == 3
    sponsored = next(d for d in deals if d not in (named, anyone))
    assert deals[named].request_workerpool == workerpool.lower()
    assert deals[anyone].request_workerpool == ZERO_ADDRESS
    assert deals[sponsored].request_workerpool == workerpool.lower()
    # the buyer's cap, from the same decoded request order (issue #14, robust item 40)
    assert {d.request_maxprice for d in deals.values()} == {PRICE}
    # read once per deal: a fresh adapter reads the same, the cached one answers the same again
    fresh, _ = connect(pc.network_of(poco))
    assert fresh.recent_deals(workerpool, from_block=0) == chain.recent_deals(
        workerpool, from_block=0
    )

    # the marketplace path: a deal named by (id, transaction, botFirst, pool); each request
    # here was matched whole, so its deal's botFirst is 0. Anything off is None, not an error.
    assert chain.matched_requests([DealMatch(sponsored, sponsored_tx, 0, workerpool)]) == {
        sponsored: MatchedRequest(workerpool.lower(), PRICE)
    }
    ask = connect(pc.network_of(poco))[0].matched_requests  # nothing cached
    assert ask([DealMatch(named, sponsored_tx, 0, workerpool)]) == {named: None}  # not its tx
    assert ask([DealMatch(sponsored, sponsored_tx, 1, workerpool)]) == {sponsored: None}
    assert ask([DealMatch(sponsored, sponsored_tx, 0, requester)]) == {sponsored: None}
    assert ask([DealMatch(anyone, "0x" + "ab" * 32, 0, workerpool)]) == {anyone: None}  # unknown
    assert ask([DealMatch(anyone, "", 0, workerpool)]) == {anyone: None}
    # a read the node refuses (not a hash) fails alone: the batch's other deal is still read
    assert ask(
        [DealMatch(anyone, "0x1234", 0, workerpool), DealMatch(named, named_tx, 0, workerpool)]
    ) == {anyone: None, named: MatchedRequest(workerpool.lower(), PRICE)}
    # a hub transaction that is not a match (a cancel) says nothing either
    cancel_tx = chain.cancel(signed_order(owner, workerpool, volume=1, price=PRICE)).tx_hash
    assert cancel_tx is not None
    assert ask([DealMatch(anyone, cancel_tx, 0, workerpool)]) == {anyone: None}


class _Gate(BaseHTTPRequestHandler):
    """A loopback proxy in front of anvil that answers 503 to transaction reads while shut."""

    upstream = ""
    shut = True

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.shut and b"eth_getTransactionByHash" in body:
            self.send_response(503)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        answer = httpx.post(
            self.upstream, content=body, headers={"content-type": "application/json"}
        )
        send_json(self, answer.content)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_node_that_fails_the_reads_leaves_the_field_unknown_then_it_is_read_again(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    requester = address_of(REQUESTER_KEY)
    pc.fund_rlc(poco, requester, 10**12)
    pc.deposit_stake(poco, REQUESTER_KEY, 10**11)
    chain, owner = connect(pc.network_of(poco))
    app = pc.create_app(poco, APP_OWNER_KEY)
    ours = signed_order(owner, workerpool, volume=1, price=PRICE)
    deal_id = chain.match(_orders(poco, app, ours, workerpool)).deal_id
    gate = type("Gate", (_Gate,), {"upstream": poco.rpc_url, "shut": True})
    server = ThreadingHTTPServer(("127.0.0.1", 0), gate)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        behind, _ = connect(replace(pc.network_of(poco), rpc_url=url))
        deals = behind.recent_deals(workerpool, from_block=0)  # retried, then given up: no raise
        assert [(d.deal_id, d.request_workerpool) for d in deals] == [(deal_id, None)]
        gate.shut = False  # a failed read is not remembered: the next sample reads it
        deals = behind.recent_deals(workerpool, from_block=0)
        assert [(d.deal_id, d.request_workerpool) for d in deals] == [(deal_id, workerpool.lower())]
    finally:
        server.shutdown()
        server.server_close()
