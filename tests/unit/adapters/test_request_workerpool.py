"""Whose request a deal was, from its match transaction (bot.adapters.chain_match): every path
that cannot tell is None, never an error. Real calldata and real EIP-712 hashes; no node."""

from __future__ import annotations

from dataclasses import replace

from eth_utils.crypto import keccak

from bot.adapters.chain import encode_manage_workerpool_order
from bot.adapters.chain_match import (
    DealMatch,
    MatchedRequest,
    encode_match_orders,
    matched_request_of,
    with_request,
)
from bot.domain.fill_orders import AppOrder
from bot.domain.model import ZERO_ADDRESS, Deal, SignedWorkerpoolOrder, WorkerpoolOrder
from bot.domain.networks import local_network
from bot.domain.signing import hash_market_order, hash_order, random_salt, sign_market_order
from bot.engine.fill_ports import MatchOrders
from tests.support.factories import APP, POOL, RIVAL, request_order

NET = local_network(65535, "0x" + "12" * 20)
KEY = "0x" + "11" * 32  # a well-known test key: signatures are not checked here, only hashes
TX = "0x" + "ee" * 32


def _match(named: str, cap: int = 100) -> tuple[bytes, str]:
    """matchOrders calldata for a request naming ``named`` with cap ``cap``, and its hash."""
    order = WorkerpoolOrder(
        workerpool=POOL,
        workerpoolprice=100,
        volume=3,
        tag="0x" + "00" * 32,
        category=0,
        trust=0,
        salt=random_salt(),
    )
    ours = SignedWorkerpoolOrder(order, "0x" + "00" * 65, hash_order(NET, order))
    app = sign_market_order(NET, AppOrder(app=APP, appprice=0, volume=9), KEY)
    request = sign_market_order(
        NET, request_order(workerpool=named, workerpoolmaxprice=cap, salt=random_salt()), KEY
    )
    calldata = encode_match_orders(MatchOrders(app, None, ours, request))
    return bytes.fromhex(calldata[2:]), hash_market_order(NET, request.order)


def _deal_id(request_hash: str, bot_first: int) -> str:
    return "0x" + keccak(bytes.fromhex(request_hash[2:]) + bot_first.to_bytes(32, "big")).hex()


def test_the_request_fields_are_read_when_its_hash_makes_the_deal_id() -> None:
    for named, cap in ((POOL, 100), (ZERO_ADDRESS, 7_000_000_000)):
        data, request_hash = _match(named, cap)
        deal = DealMatch(_deal_id(request_hash, 4), TX, 4, POOL)
        assert matched_request_of(NET, NET.hub, data, deal) == MatchedRequest(named, cap)
    data, request_hash = _match(POOL)
    deal = DealMatch(_deal_id(request_hash, 0), TX, 0, POOL.upper().replace("0X", "0x"))
    to = NET.hub.upper().replace("0X", "0x")
    assert matched_request_of(NET, to, data, deal) == MatchedRequest(POOL, 100)


def test_a_deal_takes_both_fields_or_neither() -> None:
    deal = Deal("0x" + "01" * 32, POOL, 90, 1, 0, 0, 1, 0.0)
    got = with_request(deal, MatchedRequest(ZERO_ADDRESS, 250))
    assert (got.request_workerpool, got.request_maxprice) == (ZERO_ADDRESS, 250)
    gone = with_request(got, None)
    assert (gone.request_workerpool, gone.request_maxprice) == (None, None)
    assert replace(gone, deal_id=deal.deal_id) == deal


def test_anything_else_is_not_known() -> None:
    data, request_hash = _match(POOL)
    deal = DealMatch(_deal_id(request_hash, 0), TX, 0, POOL)
    close = encode_manage_workerpool_order(
        WorkerpoolOrder(POOL, 1, 1, "0x" + "00" * 32, 0, 0, salt=random_salt()), 1, "0x"
    )
    cases = {
        "another contract": (RIVAL, data, deal),
        "a contract creation": ("", data, deal),
        "another hub function": (NET.hub, bytes.fromhex(close[2:]), deal),
        "cut calldata": (NET.hub, data[:200], deal),
        "no calldata": (NET.hub, b"", deal),
        "another botFirst": (NET.hub, data, DealMatch(deal.deal_id, TX, 1, POOL)),
        "another deal": (NET.hub, data, DealMatch("0x" + "01" * 32, TX, 0, POOL)),
        "another pool's deal": (NET.hub, data, DealMatch(deal.deal_id, TX, 0, RIVAL)),
        "a malformed deal id": (NET.hub, data, DealMatch("0x1234", TX, 0, POOL)),
        "a negative botFirst": (NET.hub, data, DealMatch(deal.deal_id, TX, -1, POOL)),
    }
    for why, (to, calldata, match) in cases.items():
        assert matched_request_of(NET, to, calldata, match) is None, why
