"""The read-only JSON API's answers, as pure functions of the view, journal rows and ``now``.

Versioned (``/api/v1``): fields are only ever added within v1. Prices are integer nRLC (exact)
with an RLC string beside them for people; every time is Unix seconds plus a readable UTC time
with its age. Nothing here may carry a key, a token or a URL: the config answer is an explicit
allow-list (Freqtrade's ``show_config`` rule), not the config minus a deny-list.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from bot.config.schema import BotConfig
from bot.domain.timefmt import when
from bot.ops._health import health
from bot.ops._reader import DealTotals, FillTotals, JournalOrder
from bot.ops._view import SOURCES, OpsView, offer_figures

JsonObject = dict[str, object]

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


def status_json(view: OpsView, now: float) -> JsonObject:
    """Mode, state, health, sources, per-offer figures, stake, last cycle."""
    verdict = health(view, now)
    snap = view.snapshot
    stake = None if snap is None else snap.stake
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
    next_cycle = None if view.last_tick_at is None else view.last_tick_at + view.reprice_seconds
    facts = view.facts
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
        "next_cycle_ts": next_cycle,
        "next_cycle": when(next_cycle, now),
        "cycles": {"ok": view.cycles_ok, "paused": view.cycles_paused, "error": view.cycles_error},
        "last_error": view.last_error,
        "kill_switch": view.kill,
        "strategy_error": view.strategy_error,
        "reason": view.reason,
        "stale": sorted(() if snap is None else snap.stale),
        "sources": sources,
        "offers": offers,
        "stake": {
            "free_nrlc": None if stake is None else stake.free,
            "locked_nrlc": None if stake is None else stake.locked,
            "required_nrlc": required,
            "free": _rlc(None if stake is None else stake.free),
        },
        "gas_wallet": _gas_wallet(view),
        "owner": facts.owner,
        "invariant_violations": dict(view.invariant_violations),
        "task_deadline_misses": len(view.missed_tasks_seen),
        "rate_limited": dict(facts.rate_limited),
    }


def _gas_wallet(view: OpsView) -> JsonObject:
    """The gas wallet's balance against its warning level, with a level and a line for people
    (``ok`` / ``warn``; ``unknown`` when not watched: no gas wallet, or no warning level)."""
    gas, low, error = view.facts.gas_wei, view.low_gas_wei, view.facts.gas_error
    if gas is not None:
        eth = f"{gas / 1e18:.6f} ETH"
        level = "warn" if low and gas < low else "ok"
        text = f"{eth} (warning below {low / 1e18:g} ETH)" if low else eth
    elif error is not None:
        level, text = "warn", f"balance unreadable: {error}"
    else:
        level, text = "unknown", "not watched (no gas wallet, or no warning level)"
    return {
        "balance_wei": gas,
        "balance_eth": None if gas is None else f"{gas / 1e18:.6f}",
        "warning_wei": low,
        "error": error,
        "level": level,
        "text": text,
    }


_JOURNAL_STATE = {
    "signed": "unlisted-valid",
    "published": "listed",
    "unpublished": "unlisted-valid",
    "closed": "closed",
}


def orders_json(view: OpsView, journal_rows: list[JournalOrder], now: float) -> JsonObject:
    """Our orders with their true state: listed, unlisted but valid on chain, or closed.

    ``listed`` / ``unlisted-valid`` come from the last snapshot (the marketplace and the chain);
    an order the journal knows but the snapshot no longer holds has no volume left on chain
    (consumed or cancelled): ``closed``. An order signed or changed after the last sample (by
    that tick's actions) takes its state from the journal, which is newer. ``dead`` marks a listed order the marketplace says
    cannot be matched any more (its stake is not covered).
    """
    snap = view.snapshot
    live = {o.order_hash: o for o in (() if snap is None else snap.own_orders)}
    out: list[JsonObject] = []
    for row in journal_rows:
        o = live.get(row.hash)
        remaining: int | None
        if snap is not None and max(row.signed_at, row.updated_at) >= float(snap.at):
            # Changed by the actions that followed the last sample: the journal is newer.
            state = _JOURNAL_STATE.get(row.journal_state, "unknown")
            remaining = o.remaining if o is not None else 0 if state == "closed" else row.volume
        elif o is not None:
            dead = o.market_status is not None and str(o.market_status).lower() == "dead"
            state = "dead" if dead else "listed" if o.published else "unlisted-valid"
            remaining = o.remaining
        elif snap is None:
            state, remaining = "unknown", None
        else:
            state, remaining = "closed", 0
        out.append(
            {
                "hash": row.hash,
                "short": row.hash[:10] + "…",
                "category": row.category,
                "price_nrlc": row.price_nrlc,
                "price": _rlc(row.price_nrlc),
                "volume": row.volume,
                "remaining": remaining,
                "state": state,
                "journal_state": row.journal_state,
                "signed_ts": row.signed_at,
                "signed": when(row.signed_at, now),
                "updated_ts": row.updated_at,
                "updated": when(row.updated_at, now),
            }
        )
    return {"api_version": API_VERSION, "orders": out}


def book_json(view: OpsView, limit: int) -> JsonObject:
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


def pool_json(view: OpsView) -> JsonObject:
    util = None if view.snapshot is None else view.snapshot.utilization
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


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def decisions_json(rows: list[tuple[float, dict[str, object]]], now: float) -> JsonObject:
    """Recent decisions: each step's kind, outcome, price and the reason it was taken."""
    out: list[JsonObject] = []
    for at, payload in rows:
        raw = payload.get("steps")
        steps: list[JsonObject] = [
            {
                "kind": _opt_str(s.get("kind")),
                "outcome": _opt_str(s.get("outcome")),
                "category": _opt_int(s.get("category")),
                "price_nrlc": _opt_int(s.get("price")),
                "price": _rlc(_opt_int(s.get("price"))),
                "volume": _opt_int(s.get("volume")),
                "reason": _opt_str(s.get("reason")),
                "detail": _opt_str(s.get("detail")),
            }
            for s in (raw if isinstance(raw, list) else [])
            if isinstance(s, dict)
        ]
        out.append(
            {
                "at_ts": at,
                "at": when(at, now),
                "kill": _opt_str(payload.get("kill")),
                "strategy_error": _opt_str(payload.get("strategy_error")),
                "steps": steps,
            }
        )
    return {"api_version": API_VERSION, "decisions": out}


def _fills_json(t: FillTotals) -> JsonObject:
    return {
        "fills": t.fills,
        "fill_tasks": t.tasks,
        "fill_revenue_nrlc": t.revenue_nrlc,
        "fill_revenue": _rlc(t.revenue_nrlc),
        "match_gas": t.gas,
    }


def revenue_json(
    days: dict[str, DealTotals], fills: dict[str, FillTotals] | None = None
) -> JsonObject:
    """Deals, tasks and revenue per UTC day over the whole journal (its recorded snapshots), and
    the part of it our fills made (journalled fill actions), with the match gas they cost."""
    fills = fills or {}
    total = DealTotals(
        sum(d.deals for d in days.values()),
        sum(d.tasks for d in days.values()),
        sum(d.revenue_nrlc for d in days.values()),
    )
    fill_total = FillTotals(
        sum(f.fills for f in fills.values()),
        sum(f.tasks for f in fills.values()),
        sum(f.revenue_nrlc for f in fills.values()),
        sum(f.gas for f in fills.values()),
    )
    return {
        "api_version": API_VERSION,
        "window": "the journal's whole history: our pool's deals in its recorded snapshots, "
        "each deal once (price x volume, before the scheduler's share); fills are the deals "
        "our bot made itself with matchOrders (from its journal), match gas in gas units",
        "days": [
            {
                "day": day,
                "deals": row.deals,
                "tasks": row.tasks,
                "revenue_nrlc": row.revenue_nrlc,
                "revenue": _rlc(row.revenue_nrlc),
                **_fills_json(fills.get(day, FillTotals())),
            }
            for day, row in sorted({d: days.get(d, DealTotals()) for d in {*days, *fills}}.items())
        ],
        "total": {
            "deals": total.deals,
            "tasks": total.tasks,
            "revenue_nrlc": total.revenue_nrlc,
            "revenue": _rlc(total.revenue_nrlc),
            **_fills_json(fill_total),
        },
    }


def _host_only(url: str | None) -> str | None:
    """A URL reduced to scheme://host[:port]: paths and queries may carry API keys."""
    if not url:
        return None
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def config_json(config: BotConfig) -> JsonObject:
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
            "events": {str(k): str(v) for k, v in config.alerts.events.items()},
        },
    }
