""" "My Workerpool Dashboard": the one read-only page at ``/`` of the ops server.

Why one JSON model rendered into HTML: every figure on the page is a field of
``/api/v1/dashboard``, which is itself made of the very answers of ``/api/v1/status``,
``orders``, ``book``, ``pool``, ``decisions``, ``revenue`` and ``prices`` (the same functions,
on the same frozen view, at the same ``now``), plus a few derived figures computed here once.
So the page and the API cannot disagree, and the browser test checks each number element
against the JSON by its ``data-api`` path.

Server-rendered with Jinja2 (templates ship as package data), charts as inline SVG
(:mod:`bot.ops._chart`), no JavaScript at all: it refreshes itself with a meta refresh and a
Content-Security-Policy forbids anything but its own inline styles, so nothing is fetched from
elsewhere (an owner's node may be offline).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from bot.domain.timefmt import when
from bot.ops._api import (
    API_VERSION,
    book_json,
    decisions_json,
    orders_json,
    pool_json,
    revenue_json,
    status_json,
)
from bot.ops._chart import price_chart_svg
from bot.ops._history import prices_json
from bot.ops._reader import JournalReader
from bot.ops._view import OpsView

__all__ = [
    "BOOK_ROWS",
    "CLOSED_ROWS",
    "DECISION_ROWS",
    "PAGE_HEADERS",
    "dashboard_json",
    "page_routes",
    "refresh_seconds",
    "render_dashboard",
]

BOOK_ROWS = 5
"""Competing orders shown per offer (the cheapest; ``/api/v1/book?limit=5`` is the same list)."""
DECISION_ROWS = 6
"""Decisions shown, each with its steps (``/api/v1/decisions?limit=6``): a demo-speed bot takes
three steps a cycle, and a longer list made the page a scroll of reasons."""
CLOSED_ROWS = 5
"""Closed orders shown below the valid ones (the newest); the API lists them all."""

PAGE_HEADERS = {
    # Nothing but this page's own inline styles and inline SVG: no script, no font, no fetch.
    "content-security-policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


def refresh_seconds(view: OpsView) -> int:
    """How often the page reloads itself: once per reprice period, between 30 s and 5 min."""
    return max(30, min(300, int(view.reprice_seconds)))


def _rlc(nrlc: int | None) -> str | None:
    if nrlc is None:
        return None
    from bot.domain.order_io import format_rlc

    return format_rlc(nrlc)


def _check(level: str, what: str, text: str) -> dict[str, str]:
    return {"level": level, "what": what, "text": text}


def _health_checks(view: OpsView, status: dict[str, Any]) -> list[dict[str, str]]:
    """The owner's checklist, worst first: ``bad`` (acting is impaired), ``warn``, ``ok``, then
    ``unknown`` for what this service does not report."""
    checks = []
    verdict = status["health"]
    checks.append(
        _check("ok" if verdict["status"] == "ok" else "bad", "healthz", verdict["reason"])
    )
    if status["state"] == "paused":
        checks.append(_check("warn", "paused", "paused by the owner: sampling, not acting"))
    elif status["state"] == "stopping":
        checks.append(_check("bad", "paused", "the service is stopping"))
    else:
        checks.append(_check("ok", "paused", "no: acting every cycle"))
    kill = status["kill_switch"]
    checks.append(
        _check("bad", "kill switch", f"engaged ({kill}): the rails saw stale or absurd data")
        if kill
        else _check("ok", "kill switch", "off")
    )
    stale = set(status["stale"])
    for name, source in status["sources"].items():
        last = source["last_sample"] or "never read"
        parts = sorted(p for p in stale if _source_of(p) == name)
        if parts:
            checks.append(_check("bad", f"{name} source", f"stale ({', '.join(parts)}); {last}"))
        elif not source["up"]:
            checks.append(_check("warn", f"{name} source", f"last read failed; {last}"))
        else:
            checks.append(_check("ok", f"{name} source", f"up; last read {last}"))
    stake = status["stake"]
    free, required = stake["free_nrlc"], stake["required_nrlc"]
    if free is None:
        checks.append(_check("unknown", "stake cover", "stake not read yet"))
    elif free < 0 or (required and free < required):
        checks.append(
            _check(
                "bad",
                "stake cover",
                f"free {_rlc(free)} < {_rlc(required)} required: orders may go dead",
            )
        )
    elif view.low_stake_nrlc and free < view.low_stake_nrlc:
        checks.append(
            _check(
                "warn",
                "stake cover",
                f"free {_rlc(free)} below the warning level {_rlc(view.low_stake_nrlc)}",
            )
        )
    else:
        checks.append(
            _check("ok", "stake cover", f"free {_rlc(free)} covers {_rlc(required)} required")
        )
    for what, key in (("gas wallet", "gas_wallet"), ("API budget", "api_budget")):
        # Not in the view yet (the sampler only logs them): shown from ``status[key]`` as soon
        # as the status answer carries it, as {"level": ..., "text": ...} or any value.
        got = status.get(key)
        if got is None:
            checks.append(_check("unknown", what, "not reported by this service (see its log)"))
        elif isinstance(got, dict):
            checks.append(_check(str(got.get("level", "ok")), what, str(got.get("text", got))))
        else:
            checks.append(_check("ok", what, str(got)))
    if status["strategy_error"]:
        checks.append(_check("bad", "strategy", str(status["strategy_error"])))
    if status["last_error"]:
        checks.append(_check("bad", "last cycle", str(status["last_error"])))
    order = {"bad": 0, "warn": 1, "ok": 2, "unknown": 3}
    return sorted(checks, key=lambda c: order.get(c["level"], 3))


def _source_of(part: str) -> str:
    from bot.ops._view import PART_SOURCE

    return PART_SOURCE.get(part, part)


def _figures(
    view: OpsView, status: dict[str, Any], revenue: dict[str, Any], now: float
) -> dict[str, Any]:
    """The few figures the page shows that no other answer has: derived here, once."""
    util = getattr(view.snapshot, "utilization", None)
    pool = None
    if util is not None:
        pool = {
            "workers": util.alive_workers,
            "slots": util.registered_cpu + util.registered_gpu,
            "busy": util.computing_cpu + util.computing_gpu,
            "utilization_percent": round(100.0 * util.ratio, 1),
        }
    stake = status["stake"]
    days = revenue["days"]
    total = sum(d["revenue_nrlc"] for d in days)
    last = view.last_success_at
    return {
        # Green while the last success is within two periods (the /healthz rule for cycles);
        # a stale source is a separate check, not a late cycle.
        "cycle_on_time": last is not None and now - last <= 2 * view.reprice_seconds,
        "pool": pool,
        "deadline_misses": status["task_deadline_misses"],
        "stake": {
            "free": stake["free"],
            "locked": _rlc(stake["locked_nrlc"]),
            "required": _rlc(stake["required_nrlc"]),
        },
        "revenue": {
            "deals": sum(d["deals"] for d in days),
            "tasks": sum(d["tasks"] for d in days),
            "revenue_nrlc": total,
            "revenue": _rlc(total),
        },
    }


def dashboard_json(
    view: OpsView,
    reader: JournalReader | None,
    config: Any,
    now: float,
) -> dict[str, Any]:
    """Everything the page shows: the API's own answers under their names, plus ``figures``
    (derived totals) and ``checks`` (health and warnings)."""
    status = status_json(view, now)
    revenue = (
        revenue_json(reader.deals_by_day(), reader.fills_by_day())
        if reader is not None
        else revenue_json({})
    )
    return {
        "api_version": API_VERSION,
        "generated_ts": now,
        "generated": when(now, now),
        "refresh_seconds": refresh_seconds(view),
        "status": status,
        "pool": pool_json(view),
        "orders": orders_json(view, reader.orders() if reader is not None else [], now),
        "book": book_json(view, BOOK_ROWS),
        "decisions": decisions_json(
            reader.decisions(DECISION_ROWS) if reader is not None else [], now
        ),
        "revenue": revenue,
        "prices": prices_json(
            view, floor=config.rails.floor, ceiling=config.rails.ceiling, now=now
        ),
        "figures": _figures(view, status, revenue, now),
        "checks": _health_checks(view, status),
    }


def _split_when(text: str | None) -> tuple[str, str]:
    """``"2026-12-04 14:05:35 UTC (12s ago)"`` -> the date and ``"(12s ago)"`` (phones hide the
    date; the element's text stays the API's string)."""
    if not text:
        return "", ""
    date, sep, age = text.partition(" (")
    return (date, "(" + age) if sep else (text, "")


@functools.cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("bot.ops", "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["v"] = lambda value: "—" if value is None else value
    env.filters["split_when"] = _split_when
    return env


def _visible_orders(orders: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Valid orders (listed, unlisted-valid, dead, unknown) and the newest closed ones, with
    their index in the API's list (the ``data-api`` path)."""
    valid = [(i, o) for i, o in enumerate(orders) if o["state"] != "closed"]
    closed = [(i, o) for i, o in enumerate(orders) if o["state"] == "closed"][:CLOSED_ROWS]
    return valid + closed


def render_dashboard(data: dict[str, Any]) -> str:
    """The page, from :func:`dashboard_json`'s answer."""
    prices = data["prices"]
    charts = [
        price_chart_svg(
            [(p["at_ts"], p["our_price_nrlc"], p["best_competitor_nrlc"]) for p in offer["points"]],
            floor=prices["floor_nrlc"],
            ceiling=prices["ceiling_nrlc"],
            label=f"category {offer['category']} tag {offer['tag']}: our price, best competitor, "
            "floor and ceiling over time (RLC)",
        )
        for offer in prices["offers"]
    ]
    orders = data["orders"]["orders"]
    return str(
        _environment()
        .get_template("dashboard.html")
        .render(
            d=data,
            charts=charts,
            visible_orders=_visible_orders(orders),
            hidden_closed=sum(o["state"] == "closed" for o in orders)
            - sum(o["state"] == "closed" for _, o in _visible_orders(orders)),
            steps=[
                (i, j, decision, step)
                for i, decision in enumerate(data["decisions"]["decisions"])
                for j, step in enumerate(decision["steps"])
            ],
        )
    )


Read = Callable[[Callable[[Any], Any]], Any]


def page_routes(
    hub: Any, reader: JournalReader | None, config: Any, clock: Callable[[], float], read: Read
) -> list[Any]:
    """``/`` (the page), ``/api/v1/dashboard`` (its model) and ``/api/v1/prices`` (the charts'
    points), each behind the server's ``read`` rule (open on loopback, the token beyond it)."""
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    def running() -> Any:
        return hub.config or config  # a reload replaces the running config (rails: the charts)

    def page(_: Request) -> Response:
        data = dashboard_json(hub.view, reader, running(), clock())
        return HTMLResponse(render_dashboard(data), headers=PAGE_HEADERS)

    def dashboard(_: Request) -> Response:
        return JSONResponse(dashboard_json(hub.view, reader, running(), clock()))

    def prices(_: Request) -> Response:
        view, cfg = hub.view, running()
        return JSONResponse(
            prices_json(view, floor=cfg.rails.floor, ceiling=cfg.rails.ceiling, now=clock())
        )

    return [
        Route("/", read(page)),
        Route("/api/v1/dashboard", read(dashboard)),
        Route("/api/v1/prices", read(prices)),
    ]
