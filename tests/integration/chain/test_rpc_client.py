"""The JSON-RPC client's batches over real loopback HTTP: order, errors in place, bad answers.

A scripted node answers each batch as the test says (out of order, with an error for one call,
without an id, or with one error object for the whole batch, as nodes without batches do).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.adapters.chain_rpc import BadResponse, Rpc, RpcError, translate
from bot.domain.errors import ChainRevert, TransientError
from tests.support.chain_helpers import send_json

Answer = Callable[[Any], Any]


class _Node(BaseHTTPRequestHandler):
    answer: Answer
    seen: list[Any]

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.seen.append(request)
        payload = json.dumps(type(self).answer(request)).encode()
        send_json(self, payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def node() -> Iterator[Callable[[Answer], tuple[Rpc, list[Any]]]]:
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Answer) -> tuple[Rpc, list[Any]]:
        seen: list[Any] = []
        handler = type("Node", (_Node,), {"answer": staticmethod(answer), "seen": seen})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return Rpc(f"http://127.0.0.1:{server.server_address[1]}", timeout_s=5.0), seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _ok(call: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": call["id"], "result": f"0x{len(call['params']):02x}"}


def test_a_batch_is_one_request_and_answers_come_back_in_call_order(node: Any) -> None:
    rpc, seen = node(lambda batch: list(reversed([_ok(c) for c in batch])))
    calls = [("eth_call", [1] * n) for n in (1, 2, 3)]
    assert rpc.batch(calls) == ["0x01", "0x02", "0x03"]
    assert len(seen) == 1 and [c["method"] for c in seen[0]] == ["eth_call"] * 3


def test_a_single_call_is_sent_without_the_batch_envelope(node: Any) -> None:
    rpc, seen = node(_ok)
    assert rpc.batch([("eth_chainId", [])]) == ["0x00"]
    assert isinstance(seen[0], dict)


def test_a_failed_call_keeps_its_place_when_settled_and_raises_otherwise(node: Any) -> None:
    revert = {"code": 3, "message": "execution reverted: iExecV5-matchOrders-0x05"}

    def answer(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"jsonrpc": "2.0", "id": c["id"], "error": revert} if c["method"] == "bad" else _ok(c)
            for c in batch
        ]

    rpc, _ = node(answer)
    calls = [("eth_call", []), ("bad", []), ("eth_call", [1])]
    first, failed, last = rpc.batch_settled(calls)
    assert (first, last) == ("0x00", "0x01")
    assert isinstance(failed, RpcError) and failed.code == 3
    with pytest.raises(RpcError) as info:
        rpc.batch(calls)
    err = translate(info.value, "matchOrders")
    assert isinstance(err, ChainRevert) and err.reason == "iExecV5-matchOrders-0x05"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda batch: [_ok(c) for c in batch[:-1]], "lacks ids"),
        (lambda batch: {"jsonrpc": "2.0", "id": None, "result": "0x1"}, "one object"),
        (lambda batch: [{"jsonrpc": "2.0", "id": c["id"]} for c in batch], "no result"),
    ],
    ids=["missing-id", "no-batches", "no-result"],
)
def test_a_garbled_batch_answer_is_transient(node: Any, answer: Answer, message: str) -> None:
    rpc, _ = node(answer)
    with pytest.raises(BadResponse, match=message) as info:
        rpc.batch([("eth_call", []), ("eth_call", [])])
    assert isinstance(translate(info.value, "read"), TransientError)


def test_a_node_without_batches_says_why(node: Any) -> None:
    error = {"code": -32600, "message": "batch requests are not supported"}
    rpc, _ = node(lambda batch: {"jsonrpc": "2.0", "id": None, "error": error})
    with pytest.raises(RpcError, match="not supported"):
        rpc.batch([("eth_call", []), ("eth_call", [])])
