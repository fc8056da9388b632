"""Connect-and-verify, RPC fail-over and error translation, against anvil and loopback HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from bot.adapters.chain import RpcChain
from bot.adapters.retrying import RetryPolicy
from bot.domain.errors import ChainRevert, NetworkMismatch, RateLimited, TransientError
from bot.domain.model import Category, Stake, WorkerpoolOrder
from bot.domain.networks import ARBITRUM_MAINNET, STANDARD_CATEGORIES, Network, local_network
from bot.domain.signing import CLOSE, address_of, sign_operation
from bot.sandbox import poco as pc
from bot.sandbox.anvil import AnvilNode, free_port
from tests.plugins.chain import OWNER_KEY, OWNER_STAKE_NRLC, RELAYER_KEY, STRANGER_KEY
from tests.support.chain_helpers import FAST_SETTINGS, connect, make_order, send_json

pytestmark = pytest.mark.chain


class RecordingSigner:
    """A Signer that must never be asked for anything in these tests."""

    address = address_of(OWNER_KEY)

    def __init__(self) -> None:
        self.calls: list[str] = []

    def sign_order(self, order: WorkerpoolOrder) -> Any:
        self.calls.append("sign_order")
        raise AssertionError("signed before verification")

    def sign_close(self, order: WorkerpoolOrder) -> str:
        self.calls.append("sign_close")
        raise AssertionError("signed before verification")

    def sign_gateway_challenge(self, chain_id: int, challenge: str) -> str:
        self.calls.append("sign_gateway_challenge")
        raise AssertionError("signed before verification")


def test_matching_network_connects_and_reads(poco: pc.PocoDeployment, workerpool: str) -> None:
    chain, signer = connect(pc.network_of(poco))
    assert chain.chain_id == 31337
    assert chain.owner(workerpool) == signer.address
    chain.ensure_owner(workerpool, signer.address)
    assert chain.stake(signer.address) == Stake(free=OWNER_STAKE_NRLC, locked=0)
    assert chain.categories() == list(STANDARD_CATEGORIES)
    assert chain.category_differences() == []
    assert chain.gas_balance() == pc.web3_for(poco.rpc_url).eth.get_balance(
        pc.web3_for(poco.rpc_url).to_checksum_address(address_of(RELAYER_KEY))
    )


def test_category_table_differences_are_named(poco: pc.PocoDeployment) -> None:
    table = (*STANDARD_CATEGORIES[:2], Category(2, "M", 7200), Category(9, "XXL", 99))
    network = replace(pc.network_of(poco), categories=table)
    chain, _ = connect(network)
    diffs = chain.category_differences()
    assert diffs == [
        "category 2 is M/3600s on chain, M/7200s in the local table",
        "category 9 (XXL) does not exist on chain",
    ]
    with pytest.raises(NetworkMismatch, match="category 9"):
        chain.verify_categories()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda dep: replace(pc.network_of(dep), chain_id=134), "serves chain id 31337"),
        (
            lambda dep: replace(ARBITRUM_MAINNET, rpc_url=dep.rpc_url),
            "network 'arbitrum-mainnet' is chain id 42161",
        ),
        (lambda dep: local_network(31337, "0x" + "42" * 20, rpc_url=dep.rpc_url), "no contract"),
        (lambda dep: local_network(31337, dep.rlc, rpc_url=dep.rpc_url), "not a PoCo hub"),
    ],
    ids=["chain-id", "production-network", "no-contract", "not-a-hub"],
)
def test_mismatch_is_refused_before_any_signing(
    poco: pc.PocoDeployment, make: Any, message: str
) -> None:
    network: Network = make(poco)
    signer = RecordingSigner()
    with pytest.raises(NetworkMismatch, match=message):
        RpcChain.connect(network, signer=signer, gas_key=RELAYER_KEY, settings=FAST_SETTINGS)
    assert signer.calls == []


def test_stale_domain_separator_is_refused(
    poco: pc.PocoDeployment, chain_snapshot: AnvilNode
) -> None:
    """A hub copied without updateDomainSeparator(): domain() is right, signatures would not be."""
    moved = pc.relocate_hub(poco, "0x" + "ab" * 20, update_domain=False)
    signer = RecordingSigner()
    with pytest.raises(NetworkMismatch, match="stored domain separator"):
        RpcChain.connect(pc.network_of(moved), signer=signer, settings=FAST_SETTINGS)
    assert signer.calls == []


# --- fail-over and transient errors over real loopback HTTP ------------------------------------


class _ScriptedProxy(BaseHTTPRequestHandler):
    """Answers with the next scripted reply, then forwards JSON-RPC to the real node.

    ``script`` holds HTTP failures ``(status, headers)`` for whatever comes next; ``rpc_errors``
    maps a JSON-RPC method to error messages returned (HTTP 200) the next times it is called.
    """

    script: list[tuple[int, dict[str, str]]]
    rpc_errors: dict[str, list[str]]
    upstream: str
    seen: list[str]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        request = json.loads(body)
        method = request.get("method", "batch") if isinstance(request, dict) else "batch"
        self.seen.append(method)
        if self.script:
            status, headers = self.script.pop(0)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if self.rpc_errors.get(method):
            message = self.rpc_errors[method].pop(0)
            err = {"code": -32000, "message": message}
            payload = json.dumps({"jsonrpc": "2.0", "id": request["id"], "error": err}).encode()
        else:
            payload = httpx.post(
                self.upstream, content=body, headers={"content-type": "application/json"}
            ).content
        send_json(self, payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def proxy(anvil: AnvilNode) -> Iterator[tuple[str, type[_ScriptedProxy]]]:
    handler = type(
        "Proxy",
        (_ScriptedProxy,),
        {"script": [], "rpc_errors": {}, "upstream": anvil.rpc_url, "seen": []},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_5xx_and_429_are_retried_then_succeed(
    poco: pc.PocoDeployment, proxy: tuple[str, type[_ScriptedProxy]]
) -> None:
    url, handler = proxy
    chain, signer = connect(replace(pc.network_of(poco), rpc_url=url))
    handler.seen.clear()
    handler.script.extend([(503, {}), (429, {"retry-after": "0"})])
    assert chain.stake(signer.address).free == OWNER_STAKE_NRLC
    assert handler.seen == ["eth_call", "eth_call", "eth_call"]


def test_persistent_5xx_gives_up_as_transient(
    poco: pc.PocoDeployment, proxy: tuple[str, type[_ScriptedProxy]]
) -> None:
    url, handler = proxy
    chain, signer = connect(replace(pc.network_of(poco), rpc_url=url))
    handler.script.extend([(502, {})] * 3)
    with pytest.raises(TransientError, match="HTTP 502"):
        chain.stake(signer.address)


def test_rate_limit_is_reported_as_rate_limited(
    poco: pc.PocoDeployment, proxy: tuple[str, type[_ScriptedProxy]]
) -> None:
    url, handler = proxy
    # The retries still honour a Retry-After, capped by the bot's own setting at 0.05 s (it
    # waited 2 x 7 s here): what is tested is the error and the server's figure in it.
    quick = replace(FAST_SETTINGS, retry=replace(FAST_SETTINGS.retry, max_retry_after=0.05))
    chain, signer = connect(replace(pc.network_of(poco), rpc_url=url), settings=quick)
    handler.script.extend([(429, {"retry-after": "7"})] * 3)
    with pytest.raises(RateLimited) as info:
        chain.stake(signer.address)
    assert info.value.retry_after == 7.0


def test_fail_over_to_the_next_rpc_when_one_is_down(
    poco: pc.PocoDeployment, workerpool: str
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    chain = RpcChain.connect(
        pc.network_of(poco), rpc_urls=[dead, poco.rpc_url], settings=FAST_SETTINGS
    )
    assert chain.rpc_url == poco.rpc_url
    assert chain.owner(workerpool) == address_of(OWNER_KEY)


def test_all_rpcs_down_is_transient_after_retries(poco: pc.PocoDeployment) -> None:
    dead = [f"http://127.0.0.1:{free_port()}" for _ in range(2)]
    settings = replace(FAST_SETTINGS, retry=RetryPolicy(attempts=2, initial_wait=0, max_wait=0))
    with pytest.raises(TransientError, match="ConnectError"):
        RpcChain.connect(pc.network_of(poco), rpc_urls=dead, settings=settings)


def test_fail_over_never_lands_on_another_network(
    poco: pc.PocoDeployment, proxy: tuple[str, type[_ScriptedProxy]]
) -> None:
    """The second RPC is a different chain: switching to it must raise, not silently proceed."""
    from bot.sandbox.anvil import run_anvil

    url, handler = proxy
    with run_anvil(chain_id=4242) as other:
        chain = RpcChain.connect(
            pc.network_of(poco), rpc_urls=[url, other.rpc_url], settings=FAST_SETTINGS
        )
        handler.script.extend([(503, {})])
        with pytest.raises(NetworkMismatch, match="serves chain id 4242"):
            chain.stake(address_of(OWNER_KEY))


def test_stale_nonce_is_resynced_and_the_cancel_goes_through(
    poco: pc.PocoDeployment,
    workerpool: str,
    chain_snapshot: AnvilNode,
    proxy: tuple[str, type[_ScriptedProxy]],
) -> None:
    url, handler = proxy
    chain, signer = connect(replace(pc.network_of(poco), rpc_url=url))
    signed = signer.sign_order(make_order(workerpool))
    handler.rpc_errors["eth_sendRawTransaction"] = ["nonce too low: next nonce 9, tx nonce 8"]
    handler.seen.clear()
    outcome = chain.cancel(signed)
    assert outcome.tx_hash is not None and chain.consumed(signed.order_hash) == 7
    assert handler.seen.count("eth_sendRawTransaction") == 2
    assert handler.seen.count("eth_getTransactionCount") == 2  # allocated, resynced, allocated


def test_underpriced_broadcast_is_bumped_and_goes_through(
    poco: pc.PocoDeployment,
    workerpool: str,
    chain_snapshot: AnvilNode,
    proxy: tuple[str, type[_ScriptedProxy]],
) -> None:
    url, handler = proxy
    chain, signer = connect(replace(pc.network_of(poco), rpc_url=url))
    signed = signer.sign_order(make_order(workerpool))
    handler.rpc_errors["eth_sendRawTransaction"] = ["replacement transaction underpriced"] * 2
    outcome = chain.cancel(signed)
    assert outcome.tx_hash is not None and chain.consumed(signed.order_hash) == 7
    assert handler.seen.count("eth_sendRawTransaction") == 3


def test_underpriced_at_the_fee_cap_is_transient(
    poco: pc.PocoDeployment,
    workerpool: str,
    chain_snapshot: AnvilNode,
    proxy: tuple[str, type[_ScriptedProxy]],
) -> None:
    url, handler = proxy
    fees = replace(FAST_SETTINGS.fees, max_fee_wei=3 * 10**9)
    chain, signer = connect(
        replace(pc.network_of(poco), rpc_url=url), settings=replace(FAST_SETTINGS, fees=fees)
    )
    signed = signer.sign_order(make_order(workerpool))
    handler.rpc_errors["eth_sendRawTransaction"] = ["transaction underpriced"] * 20
    with pytest.raises(TransientError, match="higher fee than the cap"):
        chain.cancel(signed)
    assert chain.consumed(signed.order_hash) == 0


def test_write_revert_is_never_retried(
    poco: pc.PocoDeployment,
    workerpool: str,
    chain_snapshot: AnvilNode,
    proxy: tuple[str, type[_ScriptedProxy]],
) -> None:
    url, handler = proxy
    chain, signer = connect(replace(pc.network_of(poco), rpc_url=url))
    signed = signer.sign_order(make_order(workerpool))
    forged = sign_operation(pc.network_of(poco), signed.order, CLOSE, STRANGER_KEY)
    handler.seen.clear()
    with pytest.raises(ChainRevert, match="invalid-sender-or-signature"):
        chain.send_close(signed.order, forged)
    assert handler.seen.count("eth_estimateGas") == 1
    assert "eth_sendRawTransaction" not in handler.seen
