"""Properties of hashing and signing over generated orders, keys and networks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.model import MAX_UINT256, WorkerpoolOrder
from bot.domain.networks import get_network, local_network
from bot.domain.order_io import (
    order_from_mapping,
    order_to_iexec_json,
    order_to_json,
    read_order_document,
)
from bot.domain.signing import address_of, hash_order, recover_signer, sign_order, verify_order

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
bytes32 = st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex())
uint = st.integers(min_value=0, max_value=MAX_UINT256)

orders = st.builds(
    WorkerpoolOrder,
    workerpool=addresses,
    workerpoolprice=uint,
    volume=st.integers(min_value=1, max_value=MAX_UINT256),
    tag=bytes32,
    category=uint,
    trust=uint,
    apprestrict=addresses,
    datasetrestrict=addresses,
    requesterrestrict=addresses,
    salt=bytes32,
)
keys = st.integers(min_value=1, max_value=SECP256K1_N - 1).map(lambda k: "0x" + format(k, "064x"))
networks = st.one_of(
    st.sampled_from(
        [get_network(n) for n in ("arbitrum-mainnet", "arbitrum-sepolia-testnet", "bellecour")]
    ),
    st.builds(local_network, st.integers(min_value=1, max_value=2**64), addresses),
)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(order=orders, key=keys, network=networks)
def test_sign_then_recover_gives_the_signer(order: WorkerpoolOrder, key: str, network: Any) -> None:
    signed = sign_order(network, order, key)
    assert signed.order_hash == hash_order(network, order)
    assert recover_signer(signed.order_hash, signed.sign) == address_of(key)
    assert verify_order(network, signed) == address_of(key)
    # EIP-2098 compact form of the same signature recovers the same signer.
    raw = bytes.fromhex(signed.sign[2:])
    v_bit = raw[64] - 27
    vs = int.from_bytes(raw[32:64], "big") | (v_bit << 255)
    compact = "0x" + raw[:32].hex() + format(vs, "064x")
    assert recover_signer(signed.order_hash, compact) == address_of(key)


def _mutate(order: WorkerpoolOrder, name: str, data: st.DataObject) -> WorkerpoolOrder:
    current = getattr(order, name)
    if isinstance(current, int):
        low = 1 if name == "volume" else 0
        new = data.draw(
            st.integers(min_value=low, max_value=MAX_UINT256).filter(lambda x: x != current)
        )
    else:
        size = 32 if len(current) == 66 else 20
        new = data.draw(
            st.binary(min_size=size, max_size=size)
            .map(lambda b: "0x" + b.hex())
            .filter(lambda x: x != current)
        )
    return replace(order, **{name: new})


@FAST
@given(
    order=orders,
    network=networks,
    name=st.sampled_from(list(WorkerpoolOrder.__dataclass_fields__)),
    data=st.data(),
)
def test_changing_any_field_changes_the_hash(
    order: WorkerpoolOrder, network: Any, name: str, data: st.DataObject
) -> None:
    assert hash_order(network, _mutate(order, name, data)) != hash_order(network, order)


@FAST
@given(order=orders, a=networks, b=networks)
def test_hash_depends_on_the_domain(order: WorkerpoolOrder, a: Any, b: Any) -> None:
    same_domain = (a.chain_id, a.hub) == (b.chain_id, b.hub)
    assert (hash_order(a, order) == hash_order(b, order)) == same_domain


@FAST
@given(order=orders)
def test_json_shapes_round_trip(order: WorkerpoolOrder) -> None:
    assert order_from_mapping(order_to_json(order)) == order
    assert order_from_mapping(order_to_json(order, numbers="str")) == order
    assert read_order_document(order_to_iexec_json(order)).order == order
