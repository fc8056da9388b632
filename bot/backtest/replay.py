"""Replay a journal's recorded snapshots: what would this strategy have earned on that market?

The recorded market is put back in the simulator one snapshot at a time and the live cycle runs
against it at the recorded instants, exactly as in a simulated backtest. Our own recorded orders
are dropped: the strategy under test places its own.

Counterfactual fill model (stated in every replay summary): a request order that was open in one
snapshot and gone (or reduced) in the next was matched in between, by the cheapest compatible
order then listed. It would have matched us instead if our order was compatible (category, tag,
trust, restrictions, its max price) and cheaper than what it actually took (strictly: on a tie the
recorded, earlier order wins, as the marketplace sorts). Requests matched directly on chain
without ever being listed, and the recorded pool's own deals, are not replayed. The pool's
capacity comes from the scenario's ``[pool]`` (not from the recorded utilization, which reflects
what really ran).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.backtest.engine import RunOutput, simulate
from bot.backtest.report import code_version, timeseries_frame, write_json
from bot.errors import InputError
from bot.journal import iter_snapshots
from bot.model import BookEntry, MarketStatus
from bot.sim.agents import RequestIntent
from bot.sim.market_sim import MarketSim, _Order
from bot.sim.scenario import OUR_POOL, Scenario, parse_scenario

__all__ = [
    "REPLAY_FILL_MODEL",
    "ReplaySim",
    "intents_from_snapshots",
    "run_replay",
    "scenario_from_config",
]

REPLAY_FILL_MODEL = (
    "counterfactual: a recorded request that disappeared between two snapshots was matched in "
    "between by the cheapest compatible listed order; it would have matched us if our order was "
    "compatible and strictly cheaper than that order"
)

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


def intents_from_snapshots(
    snapshots: Sequence[tuple[float, Mapping[str, Any]]],
) -> list[RequestIntent]:
    """Requests that were taken between consecutive snapshots, placed at the interval's middle."""
    out: list[RequestIntent] = []
    for (t0, a), (t1, b) in itertools.pairwise(snapshots):
        later = {r["order_hash"]: int(r["remaining"]) for r in b.get("requests", ())}
        for r in a.get("requests", ()):
            taken = int(r["remaining"]) - later.get(r["order_hash"], 0)
            if taken <= 0:
                continue
            out.append(
                RequestIntent(
                    at=(t0 + t1) / 2.0,
                    requester=str(r["requester"]).lower(),
                    kind="capped",
                    category=int(r["category"]),
                    max_price=int(r["workerpoolmaxprice"]),
                    volume=taken,
                    tag=int(r["tag"]),
                    trust=int(r["trust"]),
                    workerpool=str(r["workerpool"]).lower(),
                    app=str(r["app"]).lower(),
                    dataset=str(r["dataset"]).lower(),
                )
            )
    out.sort(key=lambda i: i.at)
    return out


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
        self._recorded_pool = str(snapshots[0][1].get("workerpool", "")).lower()

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
) -> tuple[RunOutput, Scenario]:
    snaps = _load(Path(journal))
    start, stop = snaps[0][0], snaps[-1][0]
    base = scenario or parse_scenario(dict(_DEFAULT), "replay")
    meta = base.scenario.model_copy(
        update={"start": start, "days": max(stop - start, 1.0) / 86_400.0}
    )
    s = base.model_copy(update={"scenario": meta, "competitors": [], "requesters": []})
    intents = intents_from_snapshots(snaps)
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
    return run, s


def run_replay(
    journal: str | Path,
    out: str | Path,
    *,
    strategy: str | None = None,
    params: Mapping[str, Any] | None = None,
    scenario: Scenario | None = None,
) -> dict[str, Any]:
    """Replay and write ``summary.json`` and ``timeseries.csv`` to ``out``."""
    run, s = replay(journal, strategy=strategy, params=params, scenario=scenario)
    c = run.counters
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
        "tasks_matched": c.tasks_matched,
        "utilization": round(run.utilization, 6),
        "publishes": c.publishes,
        "unpublishes": c.unpublishes,
        "cancels": c.cancels,
        "api_requests_per_min_max": c.api_max_per_min,
        "fill_model": REPLAY_FILL_MODEL,
        "manifest": {"code_version": code_version()},
    }
    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    write_json(dest / "summary.json", summary)
    timeseries_frame(run).to_csv(dest / "timeseries.csv", index=False)
    return summary
