"""Test helpers: sign, authenticate and publish over real HTTP; act on the chain with web3."""

from __future__ import annotations

from typing import Any

import httpx
from eth_account import Account
from eth_utils.address import to_checksum_address

from bot.domain.model import ZERO_ADDRESS, ZERO_BYTES32, SignedWorkerpoolOrder, WorkerpoolOrder
from bot.domain.signing import address_of, random_salt, sign_gateway_challenge, sign_order
from bot.sandbox.market_server import MarketServer
from bot.sandbox.poco import PocoDeployment, hub_contract, network_of, web3_for

__all__ = [
    "auth_header",
    "cancel_on_chain",
    "make_order",
    "publish",
    "send_tx",
    "transfer_workerpool",
    "unpublish",
    "withdraw_stake",
]


def make_order(
    poco: PocoDeployment,
    workerpool: str,
    key: str,
    *,
    price: int = 1_000,
    volume: int = 5,
    category: int = 0,
    tag: str = ZERO_BYTES32,
    trust: int = 0,
    requesterrestrict: str = ZERO_ADDRESS,
    apprestrict: str = ZERO_ADDRESS,
    datasetrestrict: str = ZERO_ADDRESS,
) -> SignedWorkerpoolOrder:
    order = WorkerpoolOrder(
        workerpool=workerpool,
        workerpoolprice=price,
        volume=volume,
        tag=tag,
        category=category,
        trust=trust,
        apprestrict=apprestrict,
        datasetrestrict=datasetrestrict,
        requesterrestrict=requesterrestrict,
        salt=random_salt(),
    )
    return sign_order(network_of(poco), order, key)


def wire(signed: SignedWorkerpoolOrder) -> dict[str, Any]:
    body: dict[str, Any] = dict(signed.order.fields())
    body["sign"] = signed.sign
    return body


def auth_header(server: MarketServer, key: str, headers: dict[str, str] | None = None) -> str:
    address = to_checksum_address(address_of(key))
    got = server.client.get(
        "/challenge",
        params={"chainId": server.chain_id, "address": address},
        headers=headers or {},
        timeout=10,
    )
    assert got.status_code == 200, got.text
    data = got.json()["data"]
    text = data["message"]["challenge"]
    from bot.domain.signing import gateway_challenge_hash

    h = gateway_challenge_hash(server.chain_id, text)
    sig = sign_gateway_challenge(server.chain_id, text, key)
    return f"{h}_{sig}_{address}"


def publish(
    server: MarketServer,
    key: str,
    order: dict[str, Any] | SignedWorkerpoolOrder,
    kind: str = "workerpoolorder",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = wire(order) if isinstance(order, SignedWorkerpoolOrder) else order
    auth = auth_header(server, key, headers)
    return server.client.post(
        f"/{kind}s",
        params={"chainId": server.chain_id},
        json={"order": body},
        headers={"authorization": auth, **(headers or {})},
        timeout=10,
    )


def unpublish(
    server: MarketServer, key: str, body: dict[str, Any], kind: str = "workerpoolorder"
) -> httpx.Response:
    auth = auth_header(server, key)
    return server.client.put(
        f"/{kind}s",
        params={"chainId": server.chain_id},
        json=body,
        headers={"authorization": auth},
        timeout=10,
    )


def send_tx(poco: PocoDeployment, key: str, to: str, data: str) -> dict[str, Any]:
    w3 = web3_for(poco.rpc_url)
    sender = Account.from_key(key).address
    tx: dict[str, Any] = {"from": sender, "to": to_checksum_address(to), "data": data}
    tx["gas"] = int(w3.eth.estimate_gas(tx)) * 2  # type: ignore[arg-type]
    tx["gasPrice"] = w3.eth.gas_price
    tx["nonce"] = w3.eth.get_transaction_count(sender, "pending")
    tx["chainId"] = w3.eth.chain_id
    signed = Account.sign_transaction(tx, key)
    receipt = dict(
        w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
    )
    assert receipt["status"] == 1
    return receipt


def cancel_on_chain(poco: PocoDeployment, key: str, signed: SignedWorkerpoolOrder) -> None:
    """manageWorkerpoolOrder(CLOSE) sent by the owner, as the SDK's cancel does."""
    w3 = web3_for(poco.rpc_url)
    hub = hub_contract(w3, poco.hub)
    o = signed.order
    order_tuple = (
        to_checksum_address(o.workerpool),
        o.workerpoolprice,
        o.volume,
        bytes.fromhex(o.tag[2:]),
        o.category,
        o.trust,
        to_checksum_address(o.apprestrict),
        to_checksum_address(o.datasetrestrict),
        to_checksum_address(o.requesterrestrict),
        bytes.fromhex(o.salt[2:]),
        bytes.fromhex(signed.sign[2:]),
    )
    data = hub.encode_abi("manageWorkerpoolOrder", args=[(order_tuple, 1, b"")])
    send_tx(poco, key, poco.hub, data)


def consumed(poco: PocoDeployment, order_hash: str) -> int:
    hub = hub_contract(web3_for(poco.rpc_url), poco.hub)
    return int(hub.functions.viewConsumed(bytes.fromhex(order_hash[2:])).call())


def withdraw_stake(poco: PocoDeployment, key: str, amount: int) -> None:
    hub = hub_contract(web3_for(poco.rpc_url), poco.hub)
    send_tx(poco, key, poco.hub, hub.encode_abi("withdraw", args=[amount]))


def stake_of(poco: PocoDeployment, account: str) -> int:
    hub = hub_contract(web3_for(poco.rpc_url), poco.hub)
    return int(hub.functions.viewAccount(to_checksum_address(account)).call()[0])


_TRANSFER_ABI = [
    {
        "type": "function",
        "name": "transferFrom",
        "stateMutability": "nonpayable",
        "inputs": [
            {"name": "from", "type": "address"},
            {"name": "to", "type": "address"},
            {"name": "tokenId", "type": "uint256"},
        ],
        "outputs": [],
    }
]


def transfer_workerpool(poco: PocoDeployment, key: str, workerpool: str, to: str) -> None:
    """Move the workerpool NFT (and with it the ownership) to ``to``."""
    w3 = web3_for(poco.rpc_url)
    reg = w3.eth.contract(address=to_checksum_address(poco.workerpool_registry), abi=_TRANSFER_ABI)
    data = reg.encode_abi(
        "transferFrom",
        args=[
            to_checksum_address(address_of(key)),
            to_checksum_address(to),
            int(workerpool, 16),
        ],
    )
    send_tx(poco, key, poco.workerpool_registry, data)
