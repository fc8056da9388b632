"""Small builders shared by the chain tests."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from bot.adapters.chain import ChainSettings, RpcChain
from bot.adapters.chain_wallet import FeePolicy
from bot.adapters.retrying import RetryPolicy
from bot.adapters.signer import LocalKeySigner
from bot.domain.model import ZERO_BYTES32, SignedWorkerpoolOrder, WorkerpoolOrder
from bot.domain.networks import Network
from bot.domain.signing import random_salt
from tests.plugins.chain import OWNER_KEY, RELAYER_KEY

FAST_FEES = FeePolicy(
    max_fee_wei=100 * 10**9, replace_after_s=0.3, receipt_timeout_s=20.0, poll_interval_s=0.02
)
FAST_SETTINGS = ChainSettings(
    rpc_timeout_s=5.0,
    fees=FAST_FEES,
    retry=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05),
)


def make_order(workerpool: str, *, volume: int = 7, price: int = 10**9) -> WorkerpoolOrder:
    return WorkerpoolOrder(
        workerpool=workerpool,
        workerpoolprice=price,
        volume=volume,
        tag=ZERO_BYTES32,
        category=0,
        trust=0,
        salt=random_salt(),
    )


def connect(
    network: Network,
    *,
    owner_key: str = OWNER_KEY,
    gas_key: str | None = RELAYER_KEY,
    settings: ChainSettings = FAST_SETTINGS,
) -> tuple[RpcChain, LocalKeySigner]:
    signer = LocalKeySigner(network, owner_key)
    return RpcChain.connect(network, signer=signer, gas_key=gas_key, settings=settings), signer


def signed_order(signer: LocalKeySigner, workerpool: str, **kw: int) -> SignedWorkerpoolOrder:
    return signer.sign_order(make_order(workerpool, **kw))


def send_json(handler: BaseHTTPRequestHandler, payload: bytes) -> None:
    """Answer a loopback HTTP request with a JSON-RPC body (HTTP 200)."""
    handler.send_response(200)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)
