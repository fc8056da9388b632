"""Competing orders are checked as PoCo checks them at match time, on the real local chain.

Each case is a listed workerpool order with some ``sign``; ``BookSignatureCheck`` (over the real
``RpcChain``) must agree with the hub's own ``verifyPresignatureOrSignature(owner, hash, sign)``
on every one of them: 65- and 64-byte (EIP-2098) signatures, zero, garbage, high-s, v 0/1 and
foreign signatures, empty signs with and without a presignature, a contract owner (PoCo's
ERC1271Mock), and a workerpool that is not in the registry.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3

from bot.adapters.book_signatures import BookSignatureCheck
from bot.adapters.chain import RpcChain, encode_manage_workerpool_order
from bot.domain.model import SignedWorkerpoolOrder, WorkerpoolOrder, tag_to_bytes32
from bot.domain.signing import SIGN, address_of, hash_order, random_salt, sign_order
from bot.sandbox.poco import (
    PocoDeployment,
    create_workerpool,
    network_of,
    poco_artifacts_dir,
    transfer_workerpool,
    web3_for,
)
from tests.plugins.chain import DEPLOYER_KEY, OWNER_KEY, STRANGER_KEY

pytestmark = [pytest.mark.chain]

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class CountingChain:
    """The real chain adapter, counting the calls the check makes (cache assertions)."""

    def __init__(self, chain: RpcChain) -> None:
        self._chain = chain
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._chain, name)

        def call(*args: Any) -> Any:
            self.calls[name] += 1
            return target(*args)

        return call


def _order(pool: str, price: int = 1) -> WorkerpoolOrder:
    return WorkerpoolOrder(
        workerpool=pool,
        workerpoolprice=price,
        volume=5,
        tag=tag_to_bytes32(0),
        category=0,
        trust=0,
        salt=random_salt(),
    )


def _with_sign(dep: PocoDeployment, order: WorkerpoolOrder, sign: str) -> SignedWorkerpoolOrder:
    return SignedWorkerpoolOrder(order, sign, hash_order(network_of(dep), order))


def _compact(sign: str) -> str:
    raw = bytes.fromhex(sign[2:])
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    return "0x" + (r + ((v - 27) << 255 | s).to_bytes(32, "big")).hex()


def _high_s(sign: str) -> str:
    raw = bytes.fromhex(sign[2:])
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    return "0x" + (r + (N - s).to_bytes(32, "big") + bytes([55 - v])).hex()


def _v01(sign: str) -> str:
    raw = bytes.fromhex(sign[2:])
    return "0x" + (raw[:64] + bytes([raw[64] - 27])).hex()


def _hub_verdict(dep: PocoDeployment, owner: str, digest: str, sign: str) -> bool:
    """PoCo's own answer (a malformed signature reverts: invalid)."""
    w3 = web3_for(dep.rpc_url)
    data = keccak(text="verifyPresignatureOrSignature(address,bytes32,bytes)")[:4] + encode(
        ["address", "bytes32", "bytes"],
        [to_checksum_address(owner), bytes.fromhex(digest[2:]), bytes.fromhex(sign[2:])],
    )
    try:
        raw = w3.eth.call({"to": to_checksum_address(dep.hub), "data": "0x" + data.hex()})
    except Exception:
        return False
    return bool(decode(["bool"], bytes(raw))[0])


def _send(w3: Web3, sender: str, to: str | None, data: str) -> str:
    tx: dict[str, Any] = {"from": to_checksum_address(sender), "data": data, "gas": 3_000_000}
    if to is not None:
        tx["to"] = to_checksum_address(to)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))  # type: ignore[arg-type]
    assert receipt["status"] == 1
    return str(receipt["contractAddress"] or "")


def _presign(dep: PocoDeployment, owner_key: str, order: WorkerpoolOrder) -> None:
    _send(
        web3_for(dep.rpc_url),
        address_of(owner_key),
        dep.hub,
        encode_manage_workerpool_order(order, SIGN, "0x"),
    )


def _erc1271_mock(dep: PocoDeployment) -> str:
    path = Path(poco_artifacts_dir()) / "artifacts/contracts/tools/testing/ERC1271Mock.sol"
    artifact = json.loads((path / "ERC1271Mock.json").read_text())
    return _send(
        web3_for(dep.rpc_url), address_of(DEPLOYER_KEY), None, artifact["bytecode"]
    ).lower()


def test_the_check_agrees_with_poco_on_every_kind_of_sign(
    poco: PocoDeployment, workerpool: str, chain_snapshot: object, caplog: pytest.LogCaptureFixture
) -> None:
    net = network_of(poco)
    owner = address_of(OWNER_KEY)
    good = sign_order(net, _order(workerpool), OWNER_KEY)
    presigned_order = _order(workerpool)
    _presign(poco, OWNER_KEY, presigned_order)
    contract_pool = create_workerpool(poco, STRANGER_KEY, "erc1271-pool")
    mock = _erc1271_mock(poco)
    transfer_workerpool(poco, STRANGER_KEY, contract_pool, mock)
    unregistered = "0x" + "5a" * 20
    valid_1271 = "0x" + keccak(text="valid-signature").hex()
    invalid_1271 = "0x" + keccak(text="invalid-signature").hex()

    cases: dict[str, tuple[SignedWorkerpoolOrder, str, bool]] = {
        "65-byte by the owner": (good, owner, True),
        "64-byte EIP-2098 by the owner": (
            _with_sign(poco, good.order, _compact(good.sign)),
            owner,
            True,
        ),
        "zero": (_with_sign(poco, _order(workerpool), "0x" + "00" * 65), owner, False),
        "garbage": (_with_sign(poco, _order(workerpool), "0x" + "7f" * 65), owner, False),
        "30 bytes": (_with_sign(poco, _order(workerpool), "0x" + "11" * 30), owner, False),
        "high s": (_with_sign(poco, good.order, _high_s(good.sign)), owner, False),
        "v 0/1": (_with_sign(poco, good.order, _v01(good.sign)), owner, False),
        "another key": (sign_order(net, _order(workerpool), STRANGER_KEY), owner, False),
        "empty, not presigned": (_with_sign(poco, _order(workerpool), "0x"), owner, False),
        "empty, presigned": (_with_sign(poco, presigned_order, "0x"), owner, True),
        "garbage, presigned": (_with_sign(poco, presigned_order, "0x" + "7f" * 65), owner, True),
        "ERC-1271 valid": (_with_sign(poco, _order(contract_pool), valid_1271), mock, True),
        "ERC-1271 invalid": (_with_sign(poco, _order(contract_pool), invalid_1271), mock, False),
        "ERC-1271 reverts": (
            sign_order(net, _order(contract_pool), STRANGER_KEY),
            mock,
            False,
        ),
        "unregistered pool": (
            sign_order(net, _order(unregistered), OWNER_KEY),
            owner,
            False,
        ),
    }
    chain = CountingChain(RpcChain.connect(net, rpc_urls=[poco.rpc_url]))
    check = BookSignatureCheck(chain)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="bot.adapters.book_signatures"):
        verdicts = {name: check(signed) is None for name, (signed, _, _) in cases.items()}
        for name, (signed, signer, expected) in cases.items():
            poco_says = _hub_verdict(poco, signer, signed.order_hash, signed.sign)
            if name != "unregistered pool":  # PoCo refuses it in matchOrders, not here
                assert poco_says is expected, name
        assert verdicts == {name: expected for name, (_, _, expected) in cases.items()}

        # Cached: a second pass (every tick) makes no chain call and logs nothing new.
        before, logged = sum(chain.calls.values()), len(caplog.records)
        assert {name: check(s) is None for name, (s, _, _) in cases.items()} == verdicts
        assert sum(chain.calls.values()) == before
        assert len(caplog.records) == logged
    refused = sum(1 for ok in verdicts.values() if not ok)
    assert sum(check.dropped.values()) == refused == logged
    assert check.dropped["unsigned"] == 1
    assert check.dropped["signed by another key"] == 1
    assert check.dropped["rejected by the contract owner"] == 2
    assert check.dropped["unregistered workerpool"] == 1
    # owner look-ups are cached per workerpool: 3 pools, one registry/owner/code read each
    assert chain.calls["owner"] == 2 and chain.calls["workerpool_registered"] == 3


def test_a_transferred_pool_rechecks_its_orders(
    poco: PocoDeployment, chain_snapshot: object
) -> None:
    net = network_of(poco)
    pool = create_workerpool(poco, STRANGER_KEY, "moving-pool")
    signed = sign_order(net, _order(pool), STRANGER_KEY)
    now = [0.0]
    check = BookSignatureCheck(RpcChain.connect(net, rpc_urls=[poco.rpc_url]), clock=lambda: now[0])
    assert check(signed) is None
    transfer_workerpool(poco, STRANGER_KEY, pool, address_of(OWNER_KEY))
    assert check(signed) is None  # the owner look-up is still cached
    now[0] += 3600.0
    problem = check(signed)
    assert problem is not None and "not by the workerpool owner" in problem
