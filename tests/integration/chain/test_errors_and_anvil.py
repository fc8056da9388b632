"""Error translation by remedy, the nonce manager, and the anvil runner's lifecycle."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import httpx
import pytest
from eth_abi.abi import encode

from bot.adapters.chain_rpc import BadResponse, RpcError, translate
from bot.adapters.chain_wallet import FeePolicy, NonceManager
from bot.domain.errors import (
    ChainError,
    ChainRevert,
    ConfigError,
    InputError,
    RateLimited,
    TransientError,
)
from bot.sandbox.anvil import anvil_binary, rpc_call, run_anvil
from bot.sandbox.poco import poco_artifacts_dir


def _http_error(status: int, headers: dict[str, str] | None = None) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "http://rpc.invalid")
    resp = httpx.Response(status, headers=headers or {}, request=request)
    return httpx.HTTPStatusError(f"{status}", request=request, response=resp)


@pytest.mark.parametrize(
    ("exc", "kind", "text"),
    [
        (httpx.ConnectError("refused"), TransientError, "ConnectError"),
        (httpx.ReadTimeout("slow"), TransientError, "ReadTimeout"),
        (BadResponse("not JSON"), TransientError, "not JSON"),
        (_http_error(503), TransientError, "HTTP 503"),
        (_http_error(429, {"retry-after": "3"}), RateLimited, "HTTP 429"),
        (_http_error(403), ChainError, "HTTP 403"),
        (
            RpcError(3, "execution reverted: invalid-sender-or-signature"),
            ChainRevert,
            "invalid-sender-or-signature",
        ),
        (RpcError(-32000, "daily request count exceeded"), RateLimited, "exceeded"),
        (RpcError(-32005, "slow down"), RateLimited, "slow down"),
        (RpcError(-32000, "header not found"), TransientError, "header not found"),
        (RpcError(-32000, "nonce too low"), ChainError, "nonce too low"),
    ],
)
def test_transport_errors_map_to_remedies(exc: Exception, kind: type, text: str) -> None:
    err = translate(exc, "call")
    assert type(err) is kind
    assert text in str(err)


def test_retry_after_is_kept() -> None:
    err = translate(_http_error(429, {"retry-after": "3"}), "call")
    assert isinstance(err, RateLimited) and err.retry_after == 3.0


def test_revert_reason_is_kept_without_prefix() -> None:
    err = translate(RpcError(3, "execution reverted: iExecV5-matchOrders-0x05"), "match")
    assert isinstance(err, ChainRevert) and err.reason == "iExecV5-matchOrders-0x05"


def test_revert_reason_is_decoded_from_the_error_data() -> None:
    """Nodes word the message differently; ``Error(string)`` in the data is the reason."""
    data = "0x08c379a0" + encode(["string"], ["iExecV5-matchOrders-0x05"]).hex()
    err = translate(RpcError(3, "execution reverted: revert: something else", data), "match")
    assert isinstance(err, ChainRevert) and err.reason == "iExecV5-matchOrders-0x05"
    panic = "0x4e487b71" + encode(["uint256"], [0x11]).hex()
    err = translate(RpcError(3, "execution reverted", panic), "call")
    assert isinstance(err, ChainRevert) and err.reason == "Panic(0x11)"


def test_nonce_manager_hands_out_distinct_nonces_and_resyncs() -> None:
    chain_count = [5]
    nonces = NonceManager(lambda: chain_count[0])
    got: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(50):
            n = nonces.allocate()
            with lock:
                got.append(n)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(5, 205))
    chain_count[0] = 7  # e.g. two of ours were dropped and the node's count fell back
    nonces.resync()
    assert nonces.allocate() == 7
    chain_count[0] = 20  # someone else used the key: the node's count wins
    assert nonces.allocate() == 20


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_fee_wei": 0}, "max_fee_wei"),
        ({"bump_percent": 5}, "bump_percent"),
        ({"replace_after_s": 0}, "replace_after_s"),
    ],
)
def test_fee_policy_rejects_bad_values(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InputError, match=field):
        FeePolicy(**kwargs)  # type: ignore[arg-type]


def test_missing_cache_says_to_run_make_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRICEBOT_CACHE", str(tmp_path))
    with pytest.raises(ConfigError, match="make setup"):
        anvil_binary()
    with pytest.raises(ConfigError, match="make setup"):
        poco_artifacts_dir()


@pytest.mark.chain
def test_anvil_answers_with_its_chain_id_and_is_stopped_even_on_failure() -> None:
    pid = 0
    url = ""
    with pytest.raises(RuntimeError, match="boom"), run_anvil(chain_id=134) as node:
        pid, url = node.pid, node.rpc_url
        assert url.startswith("http://127.0.0.1:")
        assert int(rpc_call(url, "eth_chainId"), 16) == 134
        raise RuntimeError("boom")
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(TransientError):
        rpc_call(url, "eth_chainId", timeout=1.0)


def test_bad_chain_id_is_refused() -> None:
    with pytest.raises(InputError, match="chain_id"), run_anvil(chain_id=0):
        pass


@pytest.mark.chain
def test_a_busy_port_is_refused_rather_than_borrowing_another_node() -> None:
    with (
        run_anvil() as node,
        pytest.raises(ConfigError, match="already in use"),
        run_anvil(port=node.port),
    ):
        pass
