"""Request, app and dataset orders: the hash recomputed from every field, the signer checked.

A fill sends a requester's signed order to ``matchOrders``; the bot must not trust the hash or
the signature it was handed (bot.domain.signing.signed_order_problem).
"""

from __future__ import annotations

import dataclasses

from bot.domain.fill_orders import AppOrder, RequestOrder, SignedOrder
from bot.domain.model import ZERO_ADDRESS
from bot.domain.signing import (
    address_of,
    hash_market_order,
    sign_market_order,
    signed_order_problem,
)
from tests.support.factories import request_order
from tests.support.fakes import NETWORK, OTHER_KEY, OWNER_KEY

REQUESTER = address_of(OWNER_KEY)
APP = "0x" + "d" * 40


def request(params: str = '{"iexec_args":"a"}') -> RequestOrder:
    return request_order(requester=REQUESTER, volume=3, params=params, salt="0x" + "ab" * 32)


def test_a_genuine_request_passes_and_every_field_is_in_the_hash() -> None:
    signed = sign_market_order(NETWORK, request(), OWNER_KEY)
    assert signed_order_problem(NETWORK, signed, REQUESTER) is None
    # params included: another params string is another order
    assert hash_market_order(NETWORK, request("x")) != signed.order_hash
    for name, value in [("workerpoolmaxprice", 5_001), ("volume", 4), ("params", "")]:
        forged = SignedOrder(
            dataclasses.replace(signed.order, **{name: value}), signed.sign, signed.order_hash
        )
        problem = signed_order_problem(NETWORK, forged, REQUESTER)
        assert problem is not None and "is not the hash of its fields" in problem


def test_a_request_signed_by_someone_else_is_refused() -> None:
    signed = sign_market_order(NETWORK, request(), OTHER_KEY)
    problem = signed_order_problem(NETWORK, signed, REQUESTER)
    assert problem == f"signed by {address_of(OTHER_KEY)}, not by its signer {REQUESTER}"


def test_app_orders_hash_like_the_sandbox_signer() -> None:
    from bot.sandbox import poco

    order = AppOrder(app=APP, appprice=7, volume=10, salt="0x" + "cd" * 32)
    signed = sign_market_order(NETWORK, order, OTHER_KEY)
    z = ZERO_ADDRESS
    dep = poco.PocoDeployment("http://127.0.0.1:1", NETWORK.chain_id, NETWORK.hub, z, z, z, z, z)
    theirs = poco.sign_app_order(dep, order.fields(), OTHER_KEY)
    assert theirs["orderHash"] == signed.order_hash and theirs["sign"] == signed.sign
