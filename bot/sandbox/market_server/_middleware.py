"""ASGI middlewares: the per-client rate limit and fault injection.

Rate limit (upstream ``api/src/controllers/ratelimit.js``, koa-ratelimit's memory driver): a
fixed window of ``period`` seconds per client, every route counted (a write costs two requests:
challenge + write). The client is the configured header (``x-real-ip`` by default), then
``x-forwarded-for``, then the socket address. Over the limit: 429 ``Rate limit exceeded`` with
``Retry-After`` and the ``X-RateLimit-*`` headers.

Faults sit outside the rate limit, like a flaky proxy in front of the API. A dropped
connection is made by starting a response that announces a body and then aborting: uvicorn
closes the socket, and the client sees the connection die mid-response.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._faults import FaultConfig, route_key

__all__ = [
    "DroppedConnection",
    "FaultMiddleware",
    "FaultState",
    "RateLimitMiddleware",
    "RateLimiter",
    "client_key",
]

ADMIN_PREFIX = "/_admin"


def _json_response(
    status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> tuple[Message, Message]:
    raw = json.dumps(body).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(raw)).encode()),
            *headers,
        ],
    }
    return start, {"type": "http.response.body", "body": raw}


def client_key(scope: Scope, header: str) -> str:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    if headers.get(header):
        return str(headers[header]).strip()
    if headers.get("x-forwarded-for"):
        return str(headers["x-forwarded-for"]).split(",")[0].strip()
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


@dataclass
class _Window:
    reset_at: float
    count: int


class RateLimiter:
    """Fixed windows per client key; limits can be changed while running (admin route)."""

    def __init__(
        self, limit: int, period: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def configure(self, limit: int | None = None, period: float | None = None) -> None:
        with self._lock:
            if limit is not None:
                self.limit = limit
            if period is not None:
                self.period = period
            self._windows.clear()

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def hit(self, key: str) -> tuple[bool, int, float]:
        """Count one request; return (allowed, remaining, seconds until the window resets)."""
        now = self._clock()
        with self._lock:
            w = self._windows.get(key)
            if w is None or now >= w.reset_at:
                w = _Window(reset_at=now + self.period, count=0)
                self._windows[key] = w
            w.count += 1
            left = w.reset_at - now
            return w.count <= self.limit, max(0, self.limit - w.count), left


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RateLimiter, header: str) -> None:
        self.app = app
        self.limiter = limiter
        self.header = header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        allowed, remaining, left = self.limiter.hit(client_key(scope, self.header))
        reset = str(math.ceil(time.time() + left)).encode()
        headers = [
            (b"x-ratelimit-limit", str(self.limiter.limit).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
            (b"x-ratelimit-reset", reset),
        ]
        if not allowed:
            retry = (b"retry-after", str(max(1, math.ceil(left))).encode())
            start, body = _json_response(
                429, {"ok": False, "error": "Rate limit exceeded"}, [*headers, retry]
            )
            await send(start)
            await send(body)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class DroppedConnection(Exception):
    """Raised on purpose after a response has started: the server closes the connection."""


class FaultState:
    """The live fault settings, the seeded generator, the 429 burst counter, the read cache.

    ``served`` counts every request by route key since the faults were last set, faulted or
    not, so a test can count a client's attempts (``GET /challenge``, ``POST /workerpoolorders``).
    """

    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Message, bytes]] = {}
        self.injected: dict[str, int] = {}
        self.served: dict[str, int] = {}
        self.set(config)

    def set(self, config: FaultConfig) -> None:
        """Replace the faults; the generator, the counters and the stale-read cache start over."""
        with self._lock:
            self.config = config
            self.burst_left = config.burst_429
            self._rng = random.Random(config.seed)
            self._cache.clear()
            self.injected = {}
            self.served = {}

    def draw(self) -> float:
        with self._lock:
            return self._rng.random()

    def take_burst(self) -> bool:
        with self._lock:
            if self.burst_left <= 0:
                return False
            self.burst_left -= 1
            return True

    def count(self, what: str) -> None:
        with self._lock:
            self.injected[what] = self.injected.get(what, 0) + 1

    def count_served(self, key: str) -> None:
        with self._lock:
            self.served[key] = self.served.get(key, 0) + 1

    def remember(self, url: str, start: Message, body: bytes) -> None:
        with self._lock:
            self._cache[url] = (start, body)

    def cached(self, url: str) -> tuple[Message, bytes] | None:
        with self._lock:
            return self._cache.get(url)


class FaultMiddleware:
    def __init__(self, app: ASGIApp, state: FaultState, header: str) -> None:
        self.app = app
        self.state = state
        self.header = header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        key = route_key(scope["method"], scope["path"])
        self.state.count_served(key)
        cfg = self.state.config
        if cfg.clients and client_key(scope, self.header) not in cfg.clients:
            await self.app(scope, receive, send)
            return
        fault = cfg.for_route(key)
        if cfg.burst_429 and self.state.take_burst():
            self.state.count("429")
            start, body = _json_response(
                429,
                {"ok": False, "error": "Rate limit exceeded"},
                [(b"retry-after", str(cfg.retry_after).encode())],
            )
            await send(start)
            await send(body)
            return
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.latency > 0:
            await asyncio.sleep(fault.latency)
        if fault.drop_rate and self.state.draw() < fault.drop_rate:
            self.state.count("drop")
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"4096"),
                    ],
                }
            )
            await send(
                {"type": "http.response.body", "body": b'{"ok": true, "ord', "more_body": True}
            )
            raise DroppedConnection(key)
        if fault.error_rate and self.state.draw() < fault.error_rate:
            self.state.count(str(fault.error_status))
            message = (
                "Something went wrong, you should retry later."
                if fault.error_status == 500
                else "Service Unavailable"
            )
            start, body = _json_response(fault.error_status, {"ok": False, "error": message}, [])
            await send(start)
            await send(body)
            return
        if fault.applied_error_rate and self.state.draw() < fault.applied_error_rate:
            self.state.count(f"applied-{fault.error_status}")
            await self._applied_then_error(fault.error_status, scope, receive, send)
            return
        if fault.malformed_rate and self.state.draw() < fault.malformed_rate:
            self.state.count("malformed")
            start, body = _json_response(200, {"ok": True}, [])
            await send(start)
            await send(body)
            return
        url = scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")
        if scope["method"] == "GET" and fault.stale_rate:
            if self.state.draw() < fault.stale_rate:
                hit = self.state.cached(url)
                if hit is not None:
                    self.state.count("stale")
                    await send(hit[0])
                    await send({"type": "http.response.body", "body": hit[1]})
                    return
            await self._recording(url, scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _applied_then_error(
        self, status: int, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Let the app serve the request in full, throw its answer away, answer ``status``."""

        async def swallow(message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)
        start, body = _json_response(status, {"ok": False, "error": "Bad Gateway"}, [])
        await send(start)
        await send(body)

    async def _recording(self, url: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve normally and keep a copy of a 200 answer to replay it later as a stale read."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def tap(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and start is not None and start["status"] == 200:
                    self.state.remember(url, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, tap)
