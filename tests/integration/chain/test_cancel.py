"""The issue's "Done when", against the real PoCo contracts on anvil.

Relayed cancel (owner signs CLOSE offline, a separate gas wallet sends it): our hash is the one
the contract emits and viewConsumed == volume, on the local domain and on hubs relocated to the
Bellecour and Arbitrum One production domains; non-owner signatures, closed orders, and stuck or
dropped transactions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from web3 import Web3

from bot.adapters.chain import CLOSED_WORKERPOOL_ORDER_TOPIC, ChainSettings, RpcChain
from bot.adapters.signer import LocalKeySigner
from bot.domain.errors import ChainRevert, OwnershipError, TransientError
from bot.domain.model import ChainOrderStatus
from bot.domain.networks import ARBITRUM_MAINNET, BELLECOUR, Network
from bot.domain.signing import CLOSE, address_of, sign_operation
from bot.engine.ports import Chain, Signer
from bot.sandbox import poco as pc
from bot.sandbox.anvil import AnvilNode
from tests.plugins.chain import (
    APP_OWNER_KEY,
    OWNER_KEY,
    RELAYER_KEY,
    REQUESTER_KEY,
    STRANGER_KEY,
    RelocatedPoco,
)
from tests.support.chain_helpers import FAST_SETTINGS, connect, signed_order

pytestmark = pytest.mark.chain


def _closed_events(rpc_url: str, tx_hash: str) -> list[str]:
    receipt = pc.web3_for(rpc_url).eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    return [
        "0x" + bytes(log["data"]).hex()
        for log in receipt["logs"]
        if "0x" + bytes(log["topics"][0]).hex() == CLOSED_WORKERPOOL_ORDER_TOPIC
    ]


def _assert_relayed_cancel(network: Network, workerpool: str) -> None:
    chain, signer = connect(network)
    signed = signed_order(signer, workerpool, volume=7)
    assert isinstance(chain, Chain) and isinstance(signer, Signer)
    assert chain.order_status(signed) is ChainOrderStatus.OPEN
    relayer_nonce = pc.web3_for(network.rpc_url).eth.get_transaction_count(
        Web3.to_checksum_address(address_of(RELAYER_KEY))
    )
    owner_nonce = pc.web3_for(network.rpc_url).eth.get_transaction_count(
        Web3.to_checksum_address(signer.address)
    )

    outcome = chain.cancel(signed)

    assert not outcome.already_closed and outcome.tx_hash is not None
    assert _closed_events(network.rpc_url, outcome.tx_hash) == [signed.order_hash]
    assert chain.consumed(signed.order_hash) == 7
    assert chain.order_status(signed) is ChainOrderStatus.CLOSED
    w3 = pc.web3_for(network.rpc_url)
    tx = w3.eth.get_transaction(outcome.tx_hash)  # type: ignore[arg-type]
    assert str(tx["from"]).lower() == address_of(RELAYER_KEY)  # relayed: the owner sent nothing
    assert w3.eth.get_transaction_count(Web3.to_checksum_address(signer.address)) == owner_nonce
    assert (
        w3.eth.get_transaction_count(Web3.to_checksum_address(address_of(RELAYER_KEY)))
        == relayer_nonce + 1
    )


def test_relayed_cancel_on_the_local_domain(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    _assert_relayed_cancel(pc.network_of(poco), workerpool)


@pytest.mark.xdist_group("relocated-hubs")  # built once per worker: keep them on one
@pytest.mark.parametrize("production", [BELLECOUR, ARBITRUM_MAINNET], ids=lambda n: n.name)
def test_relayed_cancel_on_production_domains(
    relocated_poco: Callable[[int], RelocatedPoco], production: Network
) -> None:
    rig = relocated_poco(production.chain_id)
    # the real Network object of bot.domain.networks, only its RPC pointed at the local node
    network = replace(production, rpc_url=rig.node.rpc_url)
    snap = rig.node.snapshot()
    try:
        _assert_relayed_cancel(network, rig.workerpool)
    finally:
        rig.node.revert(snap)


def test_owner_may_send_the_cancel_itself(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    network = pc.network_of(poco)
    chain, signer = connect(
        network, gas_key=OWNER_KEY, settings=replace(FAST_SETTINGS, relay=False)
    )
    signed = signed_order(signer, workerpool, volume=3)
    outcome = chain.cancel(signed)
    assert outcome.tx_hash is not None and chain.consumed(signed.order_hash) == 3
    assert _closed_events(network.rpc_url, outcome.tx_hash) == [signed.order_hash]


def test_cancel_signed_by_a_non_owner_is_refused_before_sending(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    network = pc.network_of(poco)
    owner_chain, owner_signer = connect(network)
    signed = signed_order(owner_signer, workerpool)
    chain, _ = connect(network, owner_key=STRANGER_KEY)
    relayer = Web3.to_checksum_address(address_of(RELAYER_KEY))
    nonce = pc.web3_for(network.rpc_url).eth.get_transaction_count(relayer)
    with pytest.raises(OwnershipError, match=f"owned by {address_of(OWNER_KEY)}"):
        chain.cancel(signed)
    assert pc.web3_for(network.rpc_url).eth.get_transaction_count(relayer) == nonce
    assert owner_chain.order_status(signed) is ChainOrderStatus.OPEN


def test_owner_change_is_fatal_for_signing_and_cancelling(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    network = pc.network_of(poco)
    chain, signer = connect(network)
    signed = signed_order(signer, workerpool)
    pc.transfer_workerpool(poco, OWNER_KEY, workerpool, address_of(STRANGER_KEY))
    assert chain.owner(workerpool) == address_of(STRANGER_KEY)
    with pytest.raises(OwnershipError, match=f"owned by {address_of(STRANGER_KEY)}"):
        chain.ensure_owner(workerpool, signer.address)
    with pytest.raises(OwnershipError):
        chain.cancel(signed)
    assert chain.consumed(signed.order_hash) == 0


def test_contract_rejects_a_close_operation_signed_by_a_non_owner(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    network = pc.network_of(poco)
    chain, signer = connect(network)
    signed = signed_order(signer, workerpool)
    forged = sign_operation(network, signed.order, CLOSE, STRANGER_KEY)
    with pytest.raises(ChainRevert, match="invalid-sender-or-signature") as info:
        chain.send_close(signed.order, forged)
    assert info.value.reason == "invalid-sender-or-signature"
    with pytest.raises(ChainRevert, match="invalid-signature-format"):
        chain.send_close(signed.order, "0x")  # relayer is not the owner and carries no signature
    assert chain.consumed(signed.order_hash) == 0


def test_non_owner_wallet_sending_directly_is_refused(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    network = pc.network_of(poco)
    chain, signer = connect(
        network, gas_key=RELAYER_KEY, settings=replace(FAST_SETTINGS, relay=False)
    )
    with pytest.raises(OwnershipError, match="not by the signing key"):
        chain.cancel(signed_order(signer, workerpool))


def test_cancel_of_a_closed_order_is_a_no_op_that_says_so(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    chain, signer = connect(pc.network_of(poco))
    signed = signed_order(signer, workerpool)
    first = chain.cancel(signed)
    again = chain.cancel(signed)
    assert first.tx_hash is not None and not first.already_closed
    assert again.already_closed and again.tx_hash is None and again.gas_used == 0


def test_partly_filled_order_is_closed_for_its_remaining_volume(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    network = pc.network_of(poco)
    chain, signer = connect(network)
    signed = signed_order(signer, workerpool, volume=5, price=10**9)
    requester = address_of(REQUESTER_KEY)
    pc.fund_rlc(poco, requester, 10**12)
    pc.deposit_stake(poco, REQUESTER_KEY, 10**11)
    app = pc.create_app(poco, APP_OWNER_KEY)
    ao = pc.sign_app_order(poco, pc.app_order(app), APP_OWNER_KEY)
    ro = pc.sign_request_order(
        poco, pc.request_order(app, requester, workerpoolmaxprice=10**9, volume=2), REQUESTER_KEY
    )
    deal_id = pc.match_orders(poco, REQUESTER_KEY, ao, None, signed, ro)
    assert chain.order_status(signed) is ChainOrderStatus.PARTIAL
    assert chain.remaining(signed) == 3
    deals = chain.recent_deals(workerpool)
    assert chain.recent_deals(workerpool, from_block=0) == deals
    chunked = RpcChain.connect(
        pc.network_of(poco), settings=replace(FAST_SETTINGS, logs_chunk_blocks=3)
    )
    assert chunked.recent_deals(workerpool, from_block=0) == deals
    assert [(d.deal_id, d.price, d.volume, d.requester) for d in deals] == [
        (deal_id, 10**9, 2, requester)
    ]
    outcome = chain.cancel(signed)
    assert not outcome.already_closed
    assert chain.consumed(signed.order_hash) == 5 and chain.remaining(signed) == 0


# --- stuck and dropped transactions (anvil mining controls) ------------------------------------


def _pending_from(node: AnvilNode, address: str) -> list[dict[str, Any]]:
    content = node.call("txpool_content")
    out: list[dict[str, Any]] = []
    for bucket in ("pending", "queued"):
        for sender, by_nonce in content.get(bucket, {}).items():
            if sender.lower() == address:
                out.extend(by_nonce.values())
    return out


def _wait_for(predicate: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _cancel_in_thread(chain: RpcChain, signed: Any) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["outcome"] = chain.cancel(signed)
        except BaseException as exc:  # reported by the test below
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


@pytest.mark.parametrize("drop", [False, True], ids=["stuck", "dropped"])
def test_stuck_or_dropped_cancel_is_replaced_and_confirmed(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode, drop: bool
) -> None:
    node = chain_snapshot
    chain, signer = connect(pc.network_of(poco))
    signed = signed_order(signer, workerpool, volume=4)
    relayer = address_of(RELAYER_KEY)
    node.call("evm_setAutomine", False)
    thread, result = _cancel_in_thread(chain, signed)
    try:
        first = _wait_for(lambda: _pending_from(node, relayer), "the first broadcast")[0]
        if drop:
            node.call("anvil_dropTransaction", first["hash"])
        second = _wait_for(
            lambda: [t for t in _pending_from(node, relayer) if t["hash"] != first["hash"]],
            "a replacement broadcast",
        )[0]
        assert int(second["nonce"], 16) == int(first["nonce"], 16)
        assert int(second["maxFeePerGas"], 16) > int(first["maxFeePerGas"], 16)
    finally:
        node.call("evm_setAutomine", True)
        node.call("evm_mine")
        thread.join(20)
    assert "error" not in result, result.get("error")
    outcome = result["outcome"]
    assert outcome.tx_hash != first["hash"]
    assert pc.web3_for(node.rpc_url).eth.get_transaction_receipt(outcome.tx_hash)["status"] == 1
    assert chain.consumed(signed.order_hash) == 4


def test_unmined_cancel_gives_up_as_transient_and_resyncs_nonces(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    fees = replace(FAST_SETTINGS.fees, replace_after_s=0.1, receipt_timeout_s=0.5)
    chain, signer = connect(pc.network_of(poco), settings=replace(FAST_SETTINGS, fees=fees))
    signed = signed_order(signer, workerpool)
    chain_snapshot.call("evm_setAutomine", False)
    with pytest.raises(TransientError, match="not mined after"):
        chain.cancel(signed)
    chain_snapshot.call("evm_setAutomine", True)
    chain_snapshot.call("evm_mine")  # the last version broadcast is mined now
    assert chain.cancel(signed).already_closed  # idempotent retry by the executor


def test_concurrent_cancels_share_one_nonce_sequence(
    poco: pc.PocoDeployment, workerpool: str, chain_snapshot: AnvilNode
) -> None:
    chain, signer = connect(pc.network_of(poco))
    orders = [signed_order(signer, workerpool) for _ in range(4)]
    runs = [_cancel_in_thread(chain, s) for s in orders]
    for thread, _ in runs:
        thread.join(30)
    errors = [r["error"] for _, r in runs if "error" in r]
    assert not errors, errors
    w3 = pc.web3_for(chain_snapshot.rpc_url)
    nonces = sorted(int(w3.eth.get_transaction(r["outcome"].tx_hash)["nonce"]) for _, r in runs)
    assert nonces == list(range(nonces[0], nonces[0] + 4))
    assert all(chain.consumed(s.order_hash) == s.order.volume for s in orders)
    fresh = signed_order(signer, workerpool)
    hashes = [s.order_hash for s in orders] + [fresh.order_hash]
    assert chain.consumed_many(hashes) == {h: chain.consumed(h) for h in hashes}
    assert chain.consumed_many(hashes)[fresh.order_hash] == 0


def test_signer_for_another_network_is_refused(poco: pc.PocoDeployment) -> None:
    from bot.domain.errors import NetworkMismatch

    network = pc.network_of(poco)
    with pytest.raises(NetworkMismatch, match="signer signs for chain 134"):
        RpcChain(network, signer=LocalKeySigner(BELLECOUR, OWNER_KEY), settings=ChainSettings())
