"""The read-only JSON API's answers, as pure functions of the view, journal rows and ``now``.

Versioned (``/api/v1``): fields are only ever added within v1. Prices are integer nRLC (exact)
with an RLC string beside them for people; every time is Unix seconds plus a readable UTC time
with its age. Nothing here may carry a key, a token or a URL: the config answer is an explicit
allow-list (Freqtrade's ``show_config`` rule), not the config minus a deny-list.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit

from bot.ops._health import health
from bot.ops._text import when
from bot.ops._view import SOURCES, OpsView, offer_figures

__all__ = [
    "API_VERSION",
    "book_json",
    "config_json",
    "decisions_json",
    "orders_json",
    "pool_json",
    "revenue_json",
    "status_json",
]

API_VERSION = "1"


def _rlc(nrlc: int | None) -> str | None:
    if nrlc is None:
        return None
    from bot.domain.order_io import format_rlc

    return format_rlc(nrlc)


def status_json(view: OpsView, now: float) -> dict[str, Any]:
    """Mode, state, health, sources, per-offer figures, stake, last cycle."""
    verdict = health(view, now)
    snap = view.snapshot
    stake = getattr(snap, "stake", None)
    sources = {}
    for source in SOURCES:
        last = view.source_last_sample(source)
        sources[source] = {
            "up": view.source_up(source),
            "last_sample_ts": last,
            "last_sample": when(last, now),
        }
    offers = [
        {
            "category": f.category,
            "tag": hex(f.tag),
            "our_price_nrlc": f.our_price,
            "our_price": _rlc(f.our_price),
            "best_competitor_nrlc": f.best_competitor,
            "best_competitor": _rlc(f.best_competitor),
            "valid_volume": f.valid_volume,
            "capacity": f.capacity,
            "listed_orders": f.listed_orders,
            "unlisted_valid_orders": f.unlisted_valid_orders,
        }
        for f in offer_figures(view)
    ]
    required = sum(f.stake_required for f in offer_figures(view))
    return {
        "api_version": API_VERSION,
        "version": view.version,
        "mode": "live" if view.live else "dry-run",
        "state": "stopping" if view.stopping else "paused" if view.paused else "running",
        "network": view.network,
        "workerpool": view.workerpool,
        "strategy": view.strategy,
        "health": verdict.to_json(),
        "started_ts": view.started_at,
        "started": when(view.started_at, now),
        "last_cycle_ts": view.last_tick_at,
        "last_cycle": when(view.last_tick_at, now),
        "last_success_ts": view.last_success_at,
        "last_success": when(view.last_success_at, now),
        "next_cycle_ts": None
        if view.last_tick_at is None
        else view.last_tick_at + view.reprice_seconds,
        "cycles": {"ok": view.cycles_ok, "paused": view.cycles_paused, "error": view.cycles_error},
        "last_error": view.last_error,
        "kill_switch": view.kill,
        "strategy_error": view.strategy_error,
        "reason": view.reason,
        "stale": sorted(getattr(snap, "stale", ()) or ()),
        "sources": sources,
        "offers": offers,
        "stake": {
            "free_nrlc": None if stake is None else stake.free,
            "locked_nrlc": None if stake is None else stake.locked,
            "required_nrlc": required,
            "free": _rlc(None if stake is None else stake.free),
        },
    }


_JOURNAL_STATE = {
    "signed": "unlisted-valid",
    "published": "listed",
    "unpublished": "unlisted-valid",
    "closed": "closed",
}


def orders_json(view: OpsView, journal_rows: list[dict[str, Any]], now: float) -> dict[str, Any]:
    """Our orders with their true state: listed, unlisted but valid on chain, or closed.

    ``listed`` / ``unlisted-valid`` come from the last snapshot (the marketplace and the chain);
    an order the journal knows but the snapshot no longer holds has no volume left on chain
    (consumed or cancelled): ``closed``. An order signed or changed after the last sample (by
    that tick's actions) takes its state from the journal, which is newer. ``dead`` marks a listed order the marketplace says
    cannot be matched any more (its stake is not covered).
    """
    snap = view.snapshot
    live = {o.order_hash: o for o in getattr(snap, "own_orders", ()) or ()}
    out = []
    for row in journal_rows:
        o = live.get(row["hash"])
        remaining: int | None
        if snap is not None and max(row["signed_at"], row["updated_at"]) >= float(snap.at):
            # Changed by the actions that followed the last sample: the journal is newer.
            state = _JOURNAL_STATE.get(row["journal_state"], "unknown")
            remaining = o.remaining if o is not None else 0 if state == "closed" else row["volume"]
        elif o is not None:
            dead = str(getattr(o, "market_status", "") or "").lower() == "dead"
            state = "dead" if dead else "listed" if o.published else "unlisted-valid"
            remaining = o.remaining
        elif snap is None:
            state, remaining = "unknown", None
        else:
            state, remaining = "closed", 0
        out.append(
            {
                "hash": row["hash"],
                "short": row["hash"][:10] + "…",
                "category": row["category"],
                "price_nrlc": row["price_nrlc"],
                "price": _rlc(row["price_nrlc"]),
                "volume": row["volume"],
                "remaining": remaining,
                "state": state,
                "journal_state": row["journal_state"],
                "signed_ts": row["signed_at"],
                "signed": when(row["signed_at"], now),
            }
        )
    return {"api_version": API_VERSION, "orders": out}


def book_json(view: OpsView, limit: int) -> dict[str, Any]:
    """The competing book per offer, cheapest first (other pools' orders only)."""
    snap = view.snapshot
    offers = []
    for offer in view.offers:
        entries = [] if snap is None else list(snap.competitors_for(offer))[:limit]
        offers.append(
            {
                "category": offer.category,
                "tag": hex(offer.tag),
                "orders": [
                    {
                        "workerpool": e.workerpool,
                        "price_nrlc": e.price,
                        "price": _rlc(e.price),
                        "remaining": e.remaining,
                        "trust": e.trust,
                    }
                    for e in entries
                ],
            }
        )
    return {"api_version": API_VERSION, "offers": offers}


def pool_json(view: OpsView) -> dict[str, Any]:
    util = getattr(view.snapshot, "utilization", None)
    if util is None:
        return {"api_version": API_VERSION, "utilization": None}
    return {
        "api_version": API_VERSION,
        "utilization": {
            "registered_cpu": util.registered_cpu,
            "computing_cpu": util.computing_cpu,
            "registered_gpu": util.registered_gpu,
            "computing_gpu": util.computing_gpu,
            "backlog": util.backlog,
            "free_slots": util.free_slots,
            "alive_workers": util.alive_workers,
        },
    }


def decisions_json(rows: list[tuple[float, dict[str, Any]]], now: float) -> dict[str, Any]:
    """Recent decisions: each step's kind, outcome, price and the reason it was taken."""
    out = []
    for at, payload in rows:
        steps = [
            {
                "kind": s.get("kind"),
                "outcome": s.get("outcome"),
                "category": s.get("category"),
                "price_nrlc": s.get("price"),
                "volume": s.get("volume"),
                "reason": s.get("reason"),
                "detail": s.get("detail"),
            }
            for s in payload.get("steps", [])
        ]
        out.append(
            {
                "at_ts": at,
                "at": when(at, now),
                "kill": payload.get("kill"),
                "strategy_error": payload.get("strategy_error"),
                "steps": steps,
            }
        )
    return {"api_version": API_VERSION, "decisions": out}


def revenue_json(view: OpsView) -> dict[str, Any]:
    """Deals and revenue per UTC day, from the deals the last snapshot saw (the sampler's window)."""
    from datetime import UTC, datetime

    days: dict[str, dict[str, int]] = {}
    for d in getattr(view.snapshot, "deals", ()) or ():
        day = datetime.fromtimestamp(d.at, tz=UTC).strftime("%Y-%m-%d")
        row = days.setdefault(day, {"deals": 0, "tasks": 0, "revenue_nrlc": 0})
        row["deals"] += 1
        row["tasks"] += d.volume
        row["revenue_nrlc"] += d.price * d.volume
    return {
        "api_version": API_VERSION,
        "window": "deals in the sampler's window (schedule; not the full history)",
        "days": [
            {"day": day, **row, "revenue": _rlc(row["revenue_nrlc"])}
            for day, row in sorted(days.items())
        ],
    }


def _host_only(url: str | None) -> str | None:
    """A URL reduced to scheme://host[:port]: paths and queries may carry API keys."""
    if not url:
        return None
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def config_json(config: Any) -> dict[str, Any]:
    """An allow-listed view of the config: never a key, a token, a secret's name or a URL path."""
    return {
        "api_version": API_VERSION,
        "network": config.network,
        "workerpool": config.workerpool,
        "endpoints": {
            "rpc": [_host_only(u) for u in config.endpoints.rpc_urls],
            "market": _host_only(config.endpoints.market_url),
            "core": _host_only(config.endpoints.core_url),
        },
        "strategy": {"name": config.strategy.name, "params": dict(config.strategy.params)},
        "offers": [o.model_dump() for o in config.offers],
        "rails": dataclasses.asdict(config.rails),
        "schedule": config.schedule.model_dump(),
        "service": {k: v for k, v in config.service.model_dump().items() if k != "journal_dir"},
        "keys": {"cancel_sender": config.keys.cancel_sender},
        "ops": {
            "listen": config.ops.listen,
            "metrics": config.ops.metrics,
            "allow_remote": config.ops.allow_remote,
        },
        "alerts": {
            "sinks": [s.kind for s in config.alerts.sinks],
            "events": dict(config.alerts.events),
        },
    }
