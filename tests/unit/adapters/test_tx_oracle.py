"""The gas wallet's transactions are byte-identical to eth-account's (the oracle).

``bot.adapters.chain_tx`` signs with eth-keys + rlp so that the live path never imports
eth-account (issue #20); eth-account (a test dependency here) is the reference: the same fields
must give the same raw bytes, hence the same transaction hash, for both shapes the wallet sends
(EIP-1559 type 2 and legacy EIP-155) on every chain the bot runs on.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils.address import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.chain_tx import Transaction, sign_transaction, transaction_hash
from bot.domain.errors import InputError

KEYS = (
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",  # anvil #1
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",  # anvil #2
)
CHAIN_IDS = (134, 421614, 42161, 31337)

_uint = st.integers(min_value=0, max_value=2**256 - 1)


@st.composite
def transactions(draw: st.DrawFn) -> Transaction:
    max_fee = draw(st.one_of(st.integers(0, 10**12), _uint))
    legacy = draw(st.booleans())
    return Transaction(
        chain_id=draw(st.sampled_from(CHAIN_IDS)),
        nonce=draw(st.one_of(st.integers(0, 1_000), st.integers(0, 2**64 - 2))),
        to="0x" + draw(st.binary(min_size=20, max_size=20)).hex(),
        data=draw(st.binary(max_size=600)),
        gas=draw(st.one_of(st.integers(21_000, 30_000_000), _uint)),
        max_fee=max_fee,
        priority_fee=None if legacy else draw(st.integers(0, max_fee)),
        value=draw(st.one_of(st.just(0), _uint)),
    )


def _reference(tx: Transaction, key: str) -> tuple[bytes, str]:
    fields: dict[str, object] = {
        "chainId": tx.chain_id,
        "nonce": tx.nonce,
        "to": to_checksum_address(tx.to),
        "data": "0x" + tx.data.hex(),
        "gas": tx.gas,
        "value": tx.value,
    }
    if tx.priority_fee is None:
        fields["gasPrice"] = tx.max_fee
    else:
        fields["maxFeePerGas"] = tx.max_fee
        fields["maxPriorityFeePerGas"] = tx.priority_fee
        fields["type"] = 2
    signed = Account.sign_transaction(fields, key)
    return bytes(signed.raw_transaction), "0x" + bytes(signed.hash).hex()


@settings(max_examples=300, deadline=None)
@given(tx=transactions(), key=st.sampled_from(KEYS))
def test_raw_bytes_equal_eth_accounts(tx: Transaction, key: str) -> None:
    raw = sign_transaction(tx, bytes.fromhex(key[2:]))
    reference, reference_hash = _reference(tx, key)
    assert raw == reference
    assert transaction_hash(raw) == reference_hash
    assert (raw[0] == 2) is (tx.priority_fee is not None)  # legacy RLP starts at 0xc0 or above


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"nonce": -1}, "transaction.nonce"),
        ({"gas": 2**256}, "transaction.gas"),
        ({"priority_fee": 11}, "transaction.priority_fee"),
        ({"to": "0x1234"}, "transaction.to"),
        ({"to": "0x" + "zz" * 20}, "transaction.to"),
    ],
)
def test_bad_fields_are_refused_by_name(fields: dict[str, object], name: str) -> None:
    base: dict[str, object] = {
        "chain_id": 134,
        "nonce": 0,
        "to": "0x" + "11" * 20,
        "data": b"",
        "gas": 21_000,
        "max_fee": 10,
        "priority_fee": 1,
    }
    with pytest.raises(InputError, match=name):
        Transaction(**{**base, **fields})  # type: ignore[arg-type]
