"""Replay a journal's recorded snapshots: what would this strategy have earned on that market?

The recorded market is put back in the simulator one snapshot at a time and the live cycle runs
against it at the recorded instants, exactly as in a simulated backtest. Our own recorded orders
are dropped: the strategy under test places its own, *in the recorded pool's place*.

Counterfactual fill model (stated in every replay summary). Observed demand comes from two
sources, and each recorded task is counted once:

1. **Request orders** seen in the book: one that was open in one snapshot and gone (or reduced)
   in the next was matched in between; it is replayed at the interval's middle with its recorded
   max price, restrictions, tag and trust. A request restricted to the recorded pool is
   restricted to us (we stand in that pool's place).
2. **The recorded pool's own deals** (``deals`` of each snapshot, deduplicated by deal id) that
   no such request explains (same requester, app and category, in the interval where the request
   disappeared): demand that matched the recorded pool directly, without waiting in the book
   (``iexec app run`` matches at once). Its max price was never revealed, only that it was at
   least the deal price: it is replayed at the deal's time with max price = the deal price (a
   lower bound, so a replay never credits us with an unobserved willingness to pay), open to any
   pool, with the deal's tag and trust (0 when the deal's is 1: PoCo raises trust 0 to 1).
   ``own_deals="captive"`` keeps it for us whatever the competitors quote (the recorded pool's
   requesters were captive); ``"ignore"`` drops it (the model before this one).

Each replayed request takes the cheapest compatible listed order, the recorded competitors' or
ours; on a price tie the recorded, earlier order wins (the marketplace sorts by price, then
publication time). Not observed, hence not replayed: requests matched directly with *other*
pools (only our pool's deals are journalled). The pool's capacity comes from the scenario's
``[pool]`` (not from the recorded utilization, which reflects what really ran).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.adapters.journal import iter_snapshots
from bot.backtest.engine import RunOutput, simulate
from bot.backtest.report import code_version, timeseries_frame, write_json
from bot.domain.errors import InputError
from bot.domain.model import ZERO_ADDRESS, BookEntry, MarketStatus
from bot.sim.agents import RequestIntent
from bot.sim.market_sim import MarketSim, _Order
from bot.sim.scenario import OUR_POOL, Scenario, parse_scenario

__all__ = [
    "OWN_DEALS_MODES",
    "REPLAY_FILL_MODEL",
    "OwnDeals",
    "ReplayDemand",
    "ReplaySim",
    "intents_from_snapshots",
    "replay",
    "replay_demand",
    "run_replay",
    "scenario_from_config",
]

REPLAY_FILL_MODEL = (
    "counterfactual: a recorded request that disappeared between two snapshots was matched in "
    "between by the cheapest compatible listed order; it would have matched us if our order was "
    "compatible and strictly cheaper than that order; a request restricted to the recorded pool "
    "is restricted to us; the recorded pool's own deals that no recorded request explains are "
    "replayed as requests at the deal's time with max price = the deal price (a lower bound)"
)

OwnDeals = Literal["open", "captive", "ignore"]
OWN_DEALS_MODES: tuple[OwnDeals, ...] = ("open", "captive", "ignore")

_DEFAULT = {
    "scenario": {"name": "replay", "days": 1},
    "bot": {
        "strategy": {"name": "fixed", "params": {}},
        "offers": [{"category": 0, "task_seconds": 300, "max_volume": 20}],
    },
}


def _book(payload: Mapping[str, Any], workerpool: str) -> list[BookEntry]:
    out = []
    for e in payload.get("book", ()):
        fields = dict(e)
        if str(fields.get("workerpool", "")).lower() == workerpool:
            continue
        fields["status"] = MarketStatus(fields.get("status", "open"))
        out.append(BookEntry(**fields))
    return out


@dataclass(slots=True)
class ReplayDemand:
    """The replayed demand and where each task of it was observed (for the summary)."""

    intents: list[RequestIntent] = field(default_factory=list)
    request_tasks: int = 0  # from request orders that left the book
    own_deal_tasks: int = 0  # from the recorded pool's deals no request explains
    own_deal_tasks_explained: int = 0  # recorded pool's deal tasks already counted as requests

    def as_dict(self) -> dict[str, int]:
        return {
            "from_requests_tasks": self.request_tasks,
            "from_recorded_pool_deals_tasks": self.own_deal_tasks,
            "recorded_pool_deal_tasks_matched_to_requests": self.own_deal_tasks_explained,
        }


def _recorded_pool(snapshots: Sequence[tuple[float, Mapping[str, Any]]]) -> str:
    return str(snapshots[0][1].get("workerpool", "")).lower() if snapshots else ""


def replay_demand(
    snapshots: Sequence[tuple[float, Mapping[str, Any]]], own_deals: OwnDeals = "open"
) -> ReplayDemand:
    """Every observed request, once: see the module docstring for the model."""
    if own_deals not in OWN_DEALS_MODES:
        raise InputError("--own-deals", f"must be one of {', '.join(OWN_DEALS_MODES)}", own_deals)
    pool = _recorded_pool(snapshots)
    out = ReplayDemand()
    # (t0, t1, requester, app, category) -> tasks taken then, not yet matched to a deal
    taken_by: dict[tuple[float, float, str, str, int], int] = {}
    for (t0, a), (t1, b) in itertools.pairwise(snapshots):
        later = {r["order_hash"]: int(r["remaining"]) for r in b.get("requests", ())}
        for r in a.get("requests", ()):
            taken = int(r["remaining"]) - later.get(r["order_hash"], 0)
            if taken <= 0:
                continue
            restrict = str(r["workerpool"]).lower()
            requester, app = str(r["requester"]).lower(), str(r["app"]).lower()
            out.intents.append(
                RequestIntent(
                    at=(t0 + t1) / 2.0,
                    requester=requester,
                    kind="capped",
                    category=int(r["category"]),
                    max_price=int(r["workerpoolmaxprice"]),
                    volume=taken,
                    tag=int(r["tag"]),
                    trust=int(r["trust"]),
                    workerpool=OUR_POOL if pool and restrict == pool else restrict,
                    app=app,
                    dataset=str(r["dataset"]).lower(),
                )
            )
            out.request_tasks += taken
            key = (t0, t1, requester, app, int(r["category"]))
            taken_by[key] = taken_by.get(key, 0) + taken
    if own_deals == "ignore" or len(snapshots) < 2:
        out.intents.sort(key=lambda i: i.at)
        return out
    first, last = snapshots[0][0], snapshots[-1][0]
    times = [t for t, _ in snapshots]
    seen: set[str] = set()
    for _, payload in snapshots:
        for d in payload.get("deals", ()):
            deal_id = str(d["deal_id"])
            at = float(d["at"])
            if deal_id in seen or str(d["workerpool"]).lower() != pool or not first < at <= last:
                continue
            seen.add(deal_id)
            volume = int(d["volume"])
            requester = str(d.get("requester", ZERO_ADDRESS)).lower()
            app = str(d.get("app", ZERO_ADDRESS)).lower()
            category = int(d["category"])
            i = bisect.bisect_left(times, at)  # the interval (times[i-1], times[i]] holds it
            key = (times[i - 1], times[i], requester, app, category)
            explained = min(volume, taken_by.get(key, 0))
            if explained:
                taken_by[key] -= explained
                out.own_deal_tasks_explained += explained
                volume -= explained
            if volume <= 0:
                continue
            trust = int(d["trust"])
            out.intents.append(
                RequestIntent(
                    at=at,
                    requester=requester,
                    kind="captive" if own_deals == "captive" else "capped",
                    category=category,
                    max_price=int(d["price"]),
                    volume=volume,
                    tag=int(d["tag"]),
                    trust=0 if trust <= 1 else trust,
                    workerpool=OUR_POOL if own_deals == "captive" else ZERO_ADDRESS,
                    app=app,
                )
            )
            out.own_deal_tasks += volume
    out.intents.sort(key=lambda i: i.at)
    return out


def intents_from_snapshots(
    snapshots: Sequence[tuple[float, Mapping[str, Any]]], own_deals: OwnDeals = "open"
) -> list[RequestIntent]:
    """The replayed demand stream (see :func:`replay_demand`), in time order."""
    return replay_demand(snapshots, own_deals).intents


class ReplaySim(MarketSim):
    """The simulator with the competing book replaced by the recorded one at each snapshot."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        intents: Sequence[RequestIntent],
        snapshots: Sequence[tuple[float, Mapping[str, Any]]],
    ) -> None:
        super().__init__(scenario, seed, intents=intents)
        self.competitors = []
        self._comp_next = []
        self._snapshots = {t: p for t, p in snapshots}
        self._recorded_pool = _recorded_pool(snapshots)

    def load_book(self, t: float) -> None:
        payload = self._snapshots.get(t)
        if payload is None:
            return
        for h in [h for h, o in self._orders.items() if o.signed is None]:
            del self._orders[h]
        for e in _book(payload, self._recorded_pool):
            if e.workerpool == OUR_POOL:
                continue
            self._orders[e.order_hash] = _Order(e)
        self._version += 1


def scenario_from_config(path: str | Path) -> Scenario:
    """A replay scenario carrying a pool owner's config (its network, strategy, offers, rails)."""
    import tomllib

    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError as exc:
        raise InputError("--config", "file not found", str(path)) from exc
    bot = {k: data[k] for k in ("network", "strategy", "offers", "rails") if k in data}
    if data.get("network") == "local":
        bot["network"] = "arbitrum-mainnet"  # the replay has no chain: only the tag rules matter
    return parse_scenario({"scenario": {"name": "replay", "days": 1}, "bot": bot}, Path(path).name)


def _load(journal: Path) -> list[tuple[float, dict[str, Any]]]:
    if not journal.exists():
        raise InputError("--replay", "journal file not found", str(journal))
    snaps = list(iter_snapshots(journal))
    if len(snaps) < 2:
        raise InputError("--replay", "needs at least two journalled snapshots", str(journal))
    return snaps


def replay(
    journal: str | Path,
    *,
    strategy: str | None = None,
    params: Mapping[str, Any] | None = None,
    scenario: Scenario | None = None,
    seed: int = 1,
    own_deals: OwnDeals = "open",
) -> tuple[RunOutput, Scenario, ReplayDemand]:
    snaps = _load(Path(journal))
    start, stop = snaps[0][0], snaps[-1][0]
    base = scenario or parse_scenario(dict(_DEFAULT), "replay")
    meta = base.scenario.model_copy(
        update={"start": start, "days": max(stop - start, 1.0) / 86_400.0}
    )
    s = base.model_copy(update={"scenario": meta, "competitors": [], "requesters": []})
    demand = replay_demand(snaps, own_deals)
    intents = demand.intents
    times = [t for t, _ in snaps]

    def factory(sc: Scenario, sd: int, its: Sequence[RequestIntent]) -> MarketSim:
        return ReplaySim(sc, sd, its, snaps)

    def before(sim: MarketSim, t: float) -> None:
        assert isinstance(sim, ReplaySim)
        sim.load_book(t)

    run = simulate(
        s,
        strategy,
        params,
        seed,
        intents=intents,
        sim_factory=factory,
        before_tick=before,
        times=times,
    )
    return run, s, demand


def run_replay(
    journal: str | Path,
    out: str | Path,
    *,
    strategy: str | None = None,
    params: Mapping[str, Any] | None = None,
    scenario: Scenario | None = None,
    own_deals: OwnDeals = "open",
) -> dict[str, Any]:
    """Replay and write ``summary.json`` and ``timeseries.csv`` to ``out``."""
    run, s, demand = replay(
        journal, strategy=strategy, params=params, scenario=scenario, own_deals=own_deals
    )
    c = run.counters
    gas = s.costs.gas_cost_nrlc(c.gas_used, c.cancels)
    summary: dict[str, Any] = {
        "journal": Path(journal).name,
        "strategy": run.strategy,
        "params": run.params,
        "snapshots": run.ticks,
        "from": s.scenario.start,
        "days": round(s.scenario.days, 6),
        "revenue_nrlc": run.net_revenue,
        "tasks_served": c.tasks_served,
        "tasks_failed": c.tasks_failed,
        "tasks_failed_deadline": c.tasks_failed_deadline,
        "tasks_failed_capacity_drop": c.tasks_failed_capacity_drop,
        "tasks_failed_random": c.tasks_failed_random,
        "stake_lost_nrlc": c.stake_lost,
        "tasks_matched": c.tasks_matched,
        "utilization": round(run.utilization, 6),
        "publishes": c.publishes,
        "unpublishes": c.unpublishes,
        "cancels": c.cancels,
        "api_requests_per_min_max": c.api_max_per_min,
        "fill_model": REPLAY_FILL_MODEL,
        "own_deals": own_deals,
        "replayed_demand": demand.as_dict(),
        "gas_used": c.gas_used,
        "gas_cost_nrlc": gas,
        "net_revenue_after_gas_nrlc": run.net_revenue - gas,
        "gas_assumption": s.costs.gas_assumption(),
        "manifest": {"code_version": code_version()},
    }
    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    write_json(dest / "summary.json", summary)
    timeseries_frame(run).to_csv(dest / "timeseries.csv", index=False)
    return summary
