"""Every public vector of poco-contracts.md §6 and the golden vector of test-rigs.md §4."""

from __future__ import annotations

import pytest

from bot.domain.networks import get_network
from bot.domain.order_io import order_from_mapping
from bot.domain.signing import (
    CLOSE,
    SIGN,
    domain_separator,
    hash_order,
    operation_hash,
    recover_signer,
    sign_operation,
    sign_order,
    verify_order,
)
from tests.support import vectors as v

LOCAL_133 = get_network("local", chain_id=133, hub=v.BELLECOUR_HUB)


@pytest.mark.parametrize("name", ["bellecour", "arbitrum-mainnet", "arbitrum-sepolia-testnet"])
def test_domain_separators_public_networks(name: str) -> None:
    assert domain_separator(get_network(name)) == v.DOMAIN_SEPARATORS[name]


def test_domain_separator_chain_133() -> None:
    assert domain_separator(LOCAL_133) == v.DOMAIN_SEPARATORS["local-133"]


@pytest.mark.parametrize("name", sorted(v.SDK_HASH))
def test_sdk_vector_hash(name: str) -> None:
    order = order_from_mapping(v.SDK_ORDER)
    assert hash_order(get_network(name), order) == v.SDK_HASH[name]


def test_sdk_vector_sign_recovers_over_bellecour_digest() -> None:
    assert recover_signer(v.SDK_HASH["bellecour"], v.SDK_SIGN) == v.SDK_SIGNER_BELLECOUR


def test_commons_poco_full_signature_chain_133() -> None:
    order = order_from_mapping(v.COMMONS_ORDER)
    signed = sign_order(LOCAL_133, order, v.COMMONS_KEY)
    assert signed.order_hash == v.COMMONS_DIGEST
    assert signed.sign == v.COMMONS_SIGN
    assert verify_order(LOCAL_133, signed) == v.COMMONS_ADDRESS


def test_commons_poco_eip2098_compact_form_recovers() -> None:
    assert recover_signer(v.COMMONS_DIGEST, v.COMMONS_SIGN_2098) == v.COMMONS_ADDRESS
    assert recover_signer(v.COMMONS_DIGEST, v.COMMONS_SIGN) == v.COMMONS_ADDRESS


@pytest.mark.parametrize(
    ("operation", "vector"), [(SIGN, v.COMMONS_SIGN_OP), (CLOSE, v.COMMONS_CLOSE_OP)]
)
def test_commons_poco_operation_vectors(operation: int, vector: dict[str, str]) -> None:
    order = order_from_mapping(v.COMMONS_ORDER)
    assert operation_hash(LOCAL_133, order, operation) == vector["digest"]
    assert sign_operation(LOCAL_133, order, operation, v.COMMONS_KEY) == vector["sig"]
    assert recover_signer(vector["digest"], vector["sig"]) == v.COMMONS_ADDRESS


def test_golden_vector_via_order_io() -> None:
    net = get_network("bellecour")
    signed = sign_order(net, order_from_mapping(v.GOLDEN_ORDER), v.ANVIL_KEY_1)
    assert (signed.order_hash, signed.sign) == (v.GOLDEN_HASH, v.GOLDEN_SIGN)
    assert verify_order(net, signed) == v.ANVIL_ADDR_1


def test_same_order_hashes_differently_per_network() -> None:
    order = order_from_mapping(v.SDK_ORDER)
    hashes = {hash_order(get_network(n), order) for n in v.SDK_HASH}
    hashes.add(hash_order(LOCAL_133, order))
    assert len(hashes) == 4
