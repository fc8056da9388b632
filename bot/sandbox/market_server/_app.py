"""HTTP routes (Starlette): the iexec-market-api surface plus ``/_admin`` test controls.

Handlers only parse the request and call the Marketplace in a worker thread (its chain reads
block); every ApiError becomes ``{"ok": false, "error": ...}`` with the upstream status code.
Admin routes (``/_admin/...``) are not part of the real API; they let tests and the sandbox set
faults and limits and force a watcher pass. They skip the rate limit and the faults.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.domain.safe_json import loads_bounded

from . import _validate as v
from ._errors import ApiError, ValidationError
from ._faults import FaultConfig
from ._middleware import FaultMiddleware, FaultState, RateLimiter, RateLimitMiddleware
from ._service import Marketplace
from ._watcher import Watcher

__all__ = ["Limits", "build_app"]

_log = logging.getLogger(__name__)
Handler = Callable[[Request], Awaitable[Response]]


class Limits(BaseModel):
    """Body of ``POST /_admin/limits``: any subset of the server's limits."""

    model_config = ConfigDict(extra="forbid")

    rate_limit_max: int | None = Field(default=None, ge=1)
    rate_limit_period: float | None = Field(default=None, gt=0)
    max_open_orders: int | None = Field(default=None, ge=1)


def _ok(payload: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"ok": True, **payload} if "ok" not in payload else payload)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


async def _json_body(request: Request) -> object:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return loads_bounded(raw)
    except ValueError as exc:
        raise ValidationError("invalid JSON body") from exc


def build_app(
    market: Marketplace, watcher: Watcher, faults: FaultState, limiter: RateLimiter
) -> Any:
    """The ASGI application: faults -> rate limit -> routes (upstream order: errors, CORS,
    rate limit, router)."""

    def guarded(fn: Handler) -> Handler:
        async def wrapper(request: Request) -> Response:
            try:
                return await fn(request)
            except ApiError as exc:
                return _error(exc.status, exc.public_message)
            except ClientDisconnect:
                # The client went away mid-request (a killed bot): nothing to answer, no alarm.
                _log.debug("client disconnected on %s %s", request.method, request.url.path)
                return _error(400, "client disconnected")
            except Exception:
                _log.exception("unexpected error on %s %s", request.method, request.url.path)
                return _error(500, "Internal error")

        return wrapper

    def q(request: Request) -> dict[str, str]:
        return dict(request.query_params)

    async def version(request: Request) -> Response:
        return _ok({"version": market.config.version})

    async def challenge(request: Request) -> Response:
        data = await run_in_threadpool(market.challenge, q(request))
        return _ok({"data": data})

    def order_routes(kind: v.OrderKind) -> list[Route]:
        plural = f"/{kind}s"

        async def list_(request: Request) -> Response:
            return _ok(await run_in_threadpool(market.list_orders, kind, q(request)))

        async def one(request: Request) -> Response:
            got = await run_in_threadpool(
                market.get_order, kind, q(request), request.path_params["order_hash"]
            )
            return _ok(got)

        async def publish(request: Request) -> Response:
            query = q(request)
            address = await run_in_threadpool(
                market.authorize, query, request.headers.get("authorization")
            )
            body = await _json_body(request)
            published = await run_in_threadpool(market.publish, kind, body, address)
            return _ok({"published": published})

        async def unpublish(request: Request) -> Response:
            query = q(request)
            address = await run_in_threadpool(
                market.authorize, query, request.headers.get("authorization")
            )
            body = await _json_body(request)
            hashes = await run_in_threadpool(market.unpublish, kind, body, address)
            return _ok({"unpublished": hashes})

        return [
            Route(plural, guarded(list_), methods=["GET"]),
            Route(plural, guarded(publish), methods=["POST"]),
            Route(plural, guarded(unpublish), methods=["PUT"]),
            Route(plural + "/{order_hash}", guarded(one), methods=["GET"]),
        ]

    async def deals(request: Request) -> Response:
        return _ok(await run_in_threadpool(market.deals, q(request)))

    async def deal(request: Request) -> Response:
        got = await run_in_threadpool(market.deal, q(request), request.path_params["dealid"])
        return _ok(got)

    async def ohlc(request: Request) -> Response:
        return _ok({"ohlc": await run_in_threadpool(market.ohlc, q(request))})

    async def categories(request: Request) -> Response:
        return _ok(await run_in_threadpool(market.categories, q(request)))

    async def category(request: Request) -> Response:
        got = await run_in_threadpool(market.category, q(request), request.path_params["catid"])
        return _ok(got)

    async def metrics(request: Request) -> Response:
        v.chain_id(q(request), market.config.chain_id)
        counts = {}
        for kind in ("apporder", "datasetorder", "workerpoolorder", "requestorder"):
            _, n = market.storage.find_orders(kind, [("status = 'open'", [])], "order_hash", 0, 0)
            counts[f"{kind}s"] = n
        last = await run_in_threadpool(market.chain.block_number)
        return _ok({"lastBlock": last, "checkpointBlock": watcher.checkpoint, **counts})

    # --- admin ------------------------------------------------------------------------------

    async def admin_faults_get(request: Request) -> Response:
        return _ok(
            {
                "faults": faults.config.model_dump(),
                "burst_left": faults.burst_left,
                "injected": dict(faults.injected),
            }
        )

    async def admin_faults_set(request: Request) -> Response:
        try:
            cfg = FaultConfig.model_validate(await _json_body(request))
        except PydanticError as exc:
            raise ValidationError(str(exc)) from exc
        faults.set(cfg)
        return _ok({"faults": cfg.model_dump()})

    async def admin_limits(request: Request) -> Response:
        try:
            limits = Limits.model_validate(await _json_body(request))
        except PydanticError as exc:
            raise ValidationError(str(exc)) from exc
        limiter.configure(limits.rate_limit_max, limits.rate_limit_period)
        if limits.max_open_orders is not None:
            market.max_open_orders = limits.max_open_orders
        return _ok(
            {
                "rate_limit_max": limiter.limit,
                "rate_limit_period": limiter.period,
                "max_open_orders": market.max_open_orders,
            }
        )

    async def admin_sync(request: Request) -> Response:
        block = await run_in_threadpool(watcher.sync)
        return _ok({"checkpointBlock": block})

    routes = [
        Route("/version", guarded(version), methods=["GET"]),
        Route("/challenge", guarded(challenge), methods=["GET"]),
        Route("/deals", guarded(deals), methods=["GET"]),
        Route("/deals/{dealid}", guarded(deal), methods=["GET"]),
        Route("/ohlc", guarded(ohlc), methods=["GET"]),
        Route("/categories", guarded(categories), methods=["GET"]),
        Route("/categories/{catid}", guarded(category), methods=["GET"]),
        Route("/metrics", guarded(metrics), methods=["GET"]),
    ]
    for kind in ("workerpoolorder", "requestorder", "apporder", "datasetorder"):
        routes += order_routes(kind)  # type: ignore[arg-type]
    if market.config.admin_routes:
        routes += [
            Route("/_admin/faults", guarded(admin_faults_get), methods=["GET"]),
            Route("/_admin/faults", guarded(admin_faults_set), methods=["POST"]),
            Route("/_admin/limits", guarded(admin_limits), methods=["POST"]),
            Route("/_admin/sync", guarded(admin_sync), methods=["POST"]),
        ]
    app = Starlette(routes=routes)
    limited = RateLimitMiddleware(app, limiter, market.config.client_ip_header)
    return FaultMiddleware(limited, faults, market.config.client_ip_header)
