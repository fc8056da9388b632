"""The ops HTTP server: Starlette routes served by uvicorn in a daemon thread.

Why a thread without signal handlers: the service owns SIGTERM/SIGINT (it drains the job in
flight, then applies ``on_exit``); uvicorn only installs handlers from the main thread, and we
run it elsewhere, so the process keeps one shutdown path (the Glances pattern).

Routes (GET unless noted):

- ``/``: the dashboard page (``ops._page``), with ``/api/v1/dashboard`` and ``/api/v1/prices``;
- ``/healthz``: 200 or 503 with ``{status, reason, last_success_ts, age_s}``; never needs a token
  (container and cron checks);
- ``/api/v1/ping``; ``/metrics`` (``ops.metrics``); ``/api/v1/status``, ``orders``, ``book``,
  ``pool``, ``decisions``, ``revenue``, ``config``, ``version``;
- ``/readyz``: the preflight checks of ``config check --online`` over the last sample, 200 when
  all pass, 503 with the failing ones;
- POST ``/api/v1/pause``, ``/api/v1/resume``, ``/api/v1/reload`` and ``/api/v1/cancel/{hash}``:
  always need the bearer token (404 when no token is configured, so an unconfigured bot has no
  control surface at all). Reload and cancel are done by the service, under its lock.

On loopback, reads are open (anyone who can reach 127.0.0.1 already runs code on the machine);
beyond it (``ops.allow_remote``) every route but ``/healthz`` needs the token.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config.schema import BotConfig
from bot.domain.errors import ConfigError
from bot.ops._api import (
    API_VERSION,
    book_json,
    config_json,
    decisions_json,
    orders_json,
    pool_json,
    revenue_json,
    status_json,
)
from bot.ops._health import health
from bot.ops._hub import OpsHub
from bot.ops._metrics import OpsCollector, registry_for
from bot.ops._page import page_routes
from bot.ops._preflight import readiness
from bot.ops._reader import JournalReader

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

__all__ = ["ENDPOINT_FILE", "OpsServer", "build_app"]

log = logging.getLogger("pricebot.ops")

ENDPOINT_FILE = "ops-endpoint.json"
"""Written next to the journal once listening: where ``pricebot health``/``pause`` find us."""
STARTUP_TIMEOUT_SECONDS = 10.0


def _limit(raw: str | None, default: int, top: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return max(1, min(top, value))


def build_app(
    hub: OpsHub,
    reader: JournalReader | None,
    config: BotConfig,
    *,
    token: str | None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The Starlette application (separate from the server so tests can call it directly)."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    remote = not config.ops.loopback
    alerts_sent = hub.alerts.sent if hub.alerts is not None else None
    registry = registry_for(OpsCollector(lambda: hub.view, reader, alerts_sent))

    def authorised(request: Request) -> bool:
        if token is None:
            return False
        got = request.headers.get("authorization", "")
        return hmac.compare_digest(got.encode(), f"Bearer {token}".encode())

    Handler = Callable[[Request], Awaitable[Response]]

    def read(handler: Callable[[Request], Response]) -> Handler:
        async def endpoint(request: Request) -> Response:
            if remote and not authorised(request):
                return JSONResponse({"error": "a bearer token is required"}, status_code=401)
            # Journal reads are blocking: run them off the event loop.
            return await asyncio.to_thread(handler, request)

        return endpoint

    def control(action: Callable[[Request], tuple[int, dict[str, object]]]) -> Handler:
        async def endpoint(request: Request) -> Response:
            if token is None:
                return JSONResponse({"error": "not found"}, status_code=404)
            if not authorised(request):
                return JSONResponse({"error": "a bearer token is required"}, status_code=401)
            code, body = await asyncio.to_thread(action, request)
            return JSONResponse(body, status_code=code)

        return endpoint

    async def healthz(request: Request) -> Response:
        verdict = health(hub.view, clock())
        return JSONResponse(verdict.to_json(), status_code=200 if verdict.ok else 503)

    def readyz(_: Request) -> Response:
        checks = readiness(hub.view)
        ok = all(c.ok for c in checks)
        body = {
            "status": "ready" if ok else "not ready",
            "failing": [c.name for c in checks if not c.ok],
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    def ping(_: Request) -> Response:
        return JSONResponse({"status": "pong"})

    def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    def status(_: Request) -> Response:
        return JSONResponse(status_json(hub.view, clock()))

    def orders(_: Request) -> Response:
        rows = reader.orders() if reader is not None else []
        return JSONResponse(orders_json(hub.view, rows, clock()))

    def book(request: Request) -> Response:
        return JSONResponse(book_json(hub.view, _limit(request.query_params.get("limit"), 20, 200)))

    def pool(_: Request) -> Response:
        return JSONResponse(pool_json(hub.view))

    def decisions(request: Request) -> Response:
        limit = _limit(request.query_params.get("limit"), 20, 500)
        rows = reader.decisions(limit) if reader is not None else []
        return JSONResponse(decisions_json(rows, clock()))

    def revenue(_: Request) -> Response:
        if reader is None:
            return JSONResponse(revenue_json({}))
        return JSONResponse(revenue_json(reader.deals_by_day(), reader.fills_by_day()))

    def show_config(_: Request) -> Response:
        return JSONResponse(config_json(hub.config or config))

    def version(_: Request) -> Response:
        v = hub.view
        return JSONResponse(
            {"version": v.version, "api_version": API_VERSION, "strategy": v.strategy}
        )

    def pause(_: Request) -> tuple[int, dict[str, object]]:
        changed = hub.pause("paused by the owner (pricebot pause)")
        return 200, {"paused": True, "changed": changed}

    def resume(_: Request) -> tuple[int, dict[str, object]]:
        changed = hub.resume()
        return 200, {"paused": False, "changed": changed}

    def reload(_: Request) -> tuple[int, dict[str, object]]:
        if hub.controls is None:
            return 503, {"ok": False, "message": "no service attached"}
        ok, message = hub.controls.reload()
        return (200 if ok else 409), {"ok": ok, "message": message}

    def cancel(request: Request) -> tuple[int, dict[str, object]]:
        if hub.controls is None:
            return 503, {"ok": False, "message": "no service attached"}
        ok, message = hub.controls.cancel(str(request.path_params["order_hash"]))
        return (200 if ok else 409), {"ok": ok, "message": message}

    routes = [
        Route("/healthz", healthz),
        Route("/api/v1/ping", read(ping)),
        Route("/api/v1/status", read(status)),
        Route("/api/v1/orders", read(orders)),
        Route("/api/v1/book", read(book)),
        Route("/api/v1/pool", read(pool)),
        Route("/api/v1/decisions", read(decisions)),
        Route("/api/v1/revenue", read(revenue)),
        Route("/api/v1/config", read(show_config)),
        Route("/api/v1/version", read(version)),
        Route("/api/v1/pause", control(pause), methods=["POST"]),
        Route("/api/v1/resume", control(resume), methods=["POST"]),
        Route("/readyz", read(readyz)),
        Route("/api/v1/reload", control(reload), methods=["POST"]),
        Route("/api/v1/cancel/{order_hash}", control(cancel), methods=["POST"]),
    ]
    if config.ops.metrics:
        routes.append(Route("/metrics", read(metrics)))
    routes += page_routes(hub, reader, config, clock, read)  # /, /api/v1/dashboard, prices
    return Starlette(routes=routes)


class OpsServer:
    """uvicorn serving :func:`build_app` in a daemon thread; ``start`` returns once listening."""

    def __init__(
        self,
        hub: OpsHub,
        config: BotConfig,
        *,
        journal_path: Path | None,
        token: str | None,
        endpoint_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not config.ops.loopback and not token:
            raise ConfigError(
                f"ops.token_env: {config.ops.token_env} must hold a token when ops.listen "
                "is not loopback"
            )
        self.config = config
        self.reader = JournalReader(journal_path) if journal_path is not None else None
        self.app = build_app(hub, self.reader, config, token=token, clock=clock)
        self.endpoint_file = None if endpoint_dir is None else endpoint_dir / ENDPOINT_FILE
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url: str | None = None

    def start(self) -> str | None:
        """Listen; return the base URL, or None (logged) when the address cannot be bound.

        A bind failure does not stop the bot: pricing the pool matters more than being watched,
        and the failure is visible (an ERROR line, and ``pricebot health`` cannot connect).
        """
        import uvicorn

        ops = self.config.ops

        class _Server(uvicorn.Server):
            def install_signal_handlers(self) -> None:  # older uvicorn: never from a thread
                return None

        server = _Server(
            uvicorn.Config(
                self.app,
                host=ops.listen,
                port=ops.port,
                log_level="warning",
                access_log=False,
                lifespan="off",
                ws="none",
                server_header=False,
            )
        )
        self._server = server
        thread = threading.Thread(target=server.run, name="pricebot-ops", daemon=True)
        thread.start()
        self._thread = thread
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not server.started:
            log.error(
                "ops server NOT started: cannot listen on %s:%s (in use?); the bot runs without "
                "/healthz and /metrics",
                ops.listen,
                ops.port,
            )
            self.stop()
            return None
        port = server.servers[0].sockets[0].getsockname()[1]
        host = f"[{ops.listen}]" if ":" in ops.listen else ops.listen
        self.url = f"http://{host}:{port}"
        if self.endpoint_file is not None:
            self.endpoint_file.parent.mkdir(parents=True, exist_ok=True)
            self.endpoint_file.write_text(json.dumps({"url": self.url}))
        log.info("ops server listening on %s (/healthz, /metrics, /api/v1)", self.url)
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10.0)
            self._thread = None
        if self.endpoint_file is not None and self.url is not None:
            self.endpoint_file.unlink(missing_ok=True)
        if self.reader is not None:
            self.reader.close()
