"""bot.domain.signing hashes and signs with eth-abi and eth-keys: eth-account is the oracle here.

The module stopped importing eth-account (its import computes BLS12-381 constants, issue #20);
every digest and signature it makes must still be the one eth-account's ``encode_typed_data`` and
``Account.sign_message`` make for the same typed data, whatever the fields.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.fill_orders import AppOrder, DatasetOrder, RequestOrder
from bot.domain.model import WorkerpoolOrder
from bot.domain.networks import Network
from bot.domain.signing import (
    ORDER_TYPES,
    WORKERPOOL_ORDER_TYPE,
    address_of,
    domain_separator,
    gateway_challenge_hash,
    hash_market_order,
    operation_hash,
    sign_gateway_challenge,
    sign_market_order,
    sign_operation,
    sign_order,
)
from tests.unit.domain.test_properties import FAST, addresses, bytes32, keys, networks, orders, uint


def _typed(fields: dict[str, Any], types: list[dict[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in types:
        value = fields[item["name"]]
        if item["type"] == "address":
            value = to_checksum_address(value)
        elif item["type"] == "bytes32":
            value = bytes.fromhex(value[2:])
        out[item["name"]] = value
    return out


def _domain(network: Network) -> dict[str, Any]:
    return {
        "name": "iExecODB",
        "version": "5.0.0",
        "chainId": network.chain_id,
        "verifyingContract": to_checksum_address(network.hub),
    }


def _oracle(domain: dict[str, Any], types: dict[str, Any], message: dict[str, Any], key: str):
    signable = encode_typed_data(domain_data=domain, message_types=types, message_data=message)
    signed = Account.sign_message(signable, key)
    return "0x" + bytes(signed.message_hash).hex(), "0x" + bytes(signed.signature).hex(), signable


@FAST
@given(networks, orders, keys, st.sampled_from([0, 1]))
def test_workerpool_orders_and_operations_as_eth_account(
    network: Network, order: WorkerpoolOrder, key: str, operation: int
) -> None:
    message = _typed(dict(order.fields()), WORKERPOOL_ORDER_TYPE)
    digest, sign, signable = _oracle(
        _domain(network), {"WorkerpoolOrder": WORKERPOOL_ORDER_TYPE}, message, key
    )
    signed = sign_order(network, order, key)
    assert (signed.order_hash, signed.sign) == (digest, sign)
    assert domain_separator(network) == "0x" + bytes(signable.header).hex()
    assert address_of(key) == Account.from_key(key).address.lower()
    op_types = {
        "WorkerpoolOrderOperation": [
            {"name": "order", "type": "WorkerpoolOrder"},
            {"name": "operation", "type": "uint256"},
        ],
        "WorkerpoolOrder": WORKERPOOL_ORDER_TYPE,
    }
    op_digest, op_sign, _ = _oracle(
        _domain(network), op_types, {"order": message, "operation": operation}, key
    )
    assert operation_hash(network, order, operation) == op_digest
    assert sign_operation(network, order, operation, key) == op_sign


requests = st.builds(
    RequestOrder,
    app=addresses,
    appmaxprice=uint,
    dataset=addresses,
    datasetmaxprice=uint,
    workerpool=addresses,
    workerpoolmaxprice=uint,
    requester=addresses,
    volume=st.integers(min_value=1, max_value=2**64),
    tag=bytes32,
    category=uint,
    trust=uint,
    beneficiary=addresses,
    callback=addresses,
    params=st.text(max_size=60),
    salt=bytes32,
)


def _resource(cls: type, name: str) -> st.SearchStrategy[Any]:
    fields = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, st.SearchStrategy[Any]] = {
        name: addresses,
        f"{name}price": uint,
        "volume": st.integers(min_value=1, max_value=2**64),
        "tag": bytes32,
        "salt": bytes32,
    }
    values.update({f: addresses for f in fields if f.endswith("restrict")})
    return st.builds(cls, **values)


@FAST
@given(
    networks,
    st.one_of(requests, _resource(AppOrder, "app"), _resource(DatasetOrder, "dataset")),
    keys,
)
def test_request_app_and_dataset_orders_as_eth_account(
    network: Network, order: RequestOrder | AppOrder | DatasetOrder, key: str
) -> None:
    primary = type(order).__name__
    types = ORDER_TYPES[primary]
    digest, sign, _ = _oracle(
        _domain(network), {primary: types}, _typed(dict(order.fields()), types), key
    )
    assert hash_market_order(network, order) == digest
    signed = sign_market_order(network, order, key)
    assert (signed.order_hash, signed.sign) == (digest, sign)


@FAST
@given(st.integers(min_value=1, max_value=2**64), st.text(max_size=80), keys)
def test_the_gateway_challenge_as_eth_account(chain_id: int, challenge: str, key: str) -> None:
    digest, sign, _ = _oracle(
        {"name": "iExec Gateway", "version": "1", "chainId": chain_id},
        {"Challenge": [{"name": "challenge", "type": "string"}]},
        {"challenge": challenge},
        key,
    )
    assert gateway_challenge_hash(chain_id, challenge) == digest
    assert sign_gateway_challenge(chain_id, challenge, key) == sign
