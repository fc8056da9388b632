"""A loopback HTTP proxy that injects faults: what a flaky RPC node or core endpoint does to a client.

The soak (``bench/soak``) puts one in front of anvil's JSON-RPC and one in front of the core's
``/metrics``, so faults hit the bot at its real boundaries (its own HTTP clients, retries and
timeouts) and nothing inside the bot is patched. The fault in force is one :class:`ProxyFault`,
replaced at any time with :meth:`FaultProxy.set`; ``count`` requests are hurt (then the proxy
forwards again), or every request while ``count`` is None (an outage).

Kinds:

- ``http_error``: answer 503 without forwarding;
- ``rpc_error``: answer a JSON-RPC error object (HTTP 200) without forwarding, as a node that
  lost its backend does ("header not found");
- ``latency``: wait ``seconds``, then forward;
- ``stall``: wait ``seconds``, then close the connection without answering (the client's read
  timeout fires first when ``seconds`` exceeds it);
- ``reset``: close the connection at once (RST), before reading the answer upstream;
- ``drop_tx``: a JSON-RPC ``eth_sendRawTransaction`` is answered with its hash but never
  forwarded: the transaction is lost on the way, as a node that dropped it from its pool. Other
  methods are forwarded and not counted.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import httpx
from eth_utils.crypto import keccak

__all__ = ["FaultKind", "FaultProxy", "ProxyFault"]

FaultKind = Literal["http_error", "rpc_error", "latency", "stall", "reset", "drop_tx"]


@dataclass(frozen=True, slots=True)
class ProxyFault:
    """One fault: its kind, how many requests it hurts (None: all, an outage), its delay."""

    kind: FaultKind
    count: int | None = 1
    seconds: float = 0.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, proxy: FaultProxy) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.proxy = proxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes: with Nagle on, the second waits for the
    # client's delayed ACK (~40 ms a request, 0.4 s of a soak cycle's 0.5 s).
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self._handle(self.rfile.read(length) if length else b"")

    def _reset(self) -> None:
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        sock.close()

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, body: bytes) -> None:
        proxy = self.server.proxy
        fault = proxy.take(body)
        if fault is not None:
            proxy.count(fault.kind)
            if fault.kind == "reset":
                self._reset()
                return
            if fault.kind == "stall":
                time.sleep(fault.seconds)
                self._reset()
                return
            if fault.kind == "http_error":
                self._answer(503, b'{"error": "Service Unavailable"}')
                return
            if fault.kind == "rpc_error":
                self._answer(200, _rpc_error(body))
                return
            if fault.kind == "drop_tx":
                self._answer(200, _fake_tx_hash(body))
                return
            time.sleep(fault.seconds)  # latency, then forward
        try:
            resp = proxy.forward(self.command, self.path, body, self.headers.get("content-type"))
        except httpx.HTTPError:
            self._reset()
            return
        self._answer(resp.status_code, resp.content)


def _requests(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return []
    items = data if isinstance(data, list) else [data]
    return [d for d in items if isinstance(d, dict)]


def _rpc_error(body: bytes) -> bytes:
    reqs = _requests(body)
    answers = [
        {
            "jsonrpc": "2.0",
            "id": r.get("id"),
            "error": {"code": -32000, "message": "header not found"},
        }
        for r in reqs
    ]
    return json.dumps(answers if len(answers) != 1 else answers[0]).encode()


def _fake_tx_hash(body: bytes) -> bytes:
    (req,) = _requests(body)
    raw = bytes.fromhex(str(req["params"][0]).removeprefix("0x"))
    return json.dumps(
        {"jsonrpc": "2.0", "id": req.get("id"), "result": "0x" + keccak(raw).hex()}
    ).encode()


def _is_send_raw(body: bytes) -> bool:
    reqs = _requests(body)
    return len(reqs) == 1 and reqs[0].get("method") == "eth_sendRawTransaction"


class FaultProxy:
    """Forward everything to ``upstream``, hurting requests as the fault in force says."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._lock = threading.Lock()
        self._fault: ProxyFault | None = None
        self._left: int | None = None
        self.injected: Counter[str] = Counter()
        self._client = httpx.Client(timeout=30.0)
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fault-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set(self, fault: ProxyFault | None) -> None:
        """Put ``fault`` in force (None: forward everything)."""
        with self._lock:
            self._fault = fault
            self._left = None if fault is None else fault.count

    def take(self, body: bytes) -> ProxyFault | None:
        """The fault for this request, if any (one of ``count`` used up)."""
        with self._lock:
            fault = self._fault
            if fault is None:
                return None
            if fault.kind == "drop_tx" and not _is_send_raw(body):
                return None
            if self._left is not None:
                if self._left <= 0:
                    return None
                self._left -= 1
            return fault

    def count(self, kind: str) -> None:
        with self._lock:
            self.injected[kind] += 1

    def forward(
        self, method: str, path: str, body: bytes, content_type: str | None
    ) -> httpx.Response:
        headers = {"content-type": content_type} if content_type else {}
        return self._client.request(
            method, self.upstream + path, content=body or None, headers=headers
        )
