"""Run the service's own cycle over the simulated market, one decision per scenario step.

Nothing here decides a price: the strategy object comes from the ``strategies`` registry, and the
tick is ``bot.engine.cycle.Cycle`` (samplers, fence, rails, planner, executor) exactly as the live service
runs it, wired to the simulator's ports instead of httpx / web3 / the core's ``/metrics``. The
executor runs in live mode (the simulated market is the one it acts on), with a deterministic salt
counter so that the same inputs give the same orders. Retries belong to the adapters, which the
simulator's ports emulate (``bot.sim.faults``); the deadlines are off (simulated time).
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.adapters.journal import MemoryJournal, SqliteJournal
from bot.config.schema import BotConfig, config_from_mapping
from bot.config.settings import cycle_settings, strategy_of
from bot.domain.errors import TransientError
from bot.engine.cycle import (
    Cycle,
    CyclePorts,
    CycleSettings,
    CycleState,
    make_executor,
    make_fill_executor,
)
from bot.engine.fill_ports import FillPorts
from bot.engine.ports import Journal
from bot.pricing.fills import DEFAULT_MATCH_GAS
from bot.sim.agents import RequestIntent, best_price
from bot.sim.faults import install_faults
from bot.sim.market_sim import (
    MarketSim,
    SimChain,
    SimCounters,
    SimMarket,
    SimPoolMetrics,
    SimSigner,
    SimTaskFeed,
    generate_intents,
)
from bot.sim.scenario import OUR_POOL, Scenario
from bot.sim.sim_fills import SIM_APP, FillCounters, sim_fill_ports
from strategies.base import Strategy

__all__ = [
    "RunOutput",
    "bot_config",
    "cycle_over",
    "intents_for",
    "sim_ports",
    "simulate",
    "simulated_settings",
]


def bot_config(
    scenario: Scenario,
    strategy: str | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    workerpool: str = OUR_POOL,
    fills: bool | None = None,
    fill_apps: Sequence[str] = (),
) -> BotConfig:
    """The pool owner's config for this scenario: its ``[bot]`` table, our simulated pool.

    ``strategy`` / ``params`` override the scenario's ``[bot.strategy]`` (params are merged onto
    the scenario's own params only when the strategy is the scenario's). ``workerpool``: another
    simulated pool the same owner config prices (self-play). ``fills`` overrides ``[bot.fills]
    enabled``; with fills on, every offer may fill the requests of the simulated apps
    (``fill_apps``: the apps of the run's requests; the simulated pool runs them all).
    """
    data: dict[str, Any] = {"network": "arbitrum-mainnet", **scenario.bot}
    if fills is not None:
        table = dict(data.get("fills", {}))
        if fills and "fills" not in data:
            # Fills turned on for a scenario that has no [bot.fills]: one match's gas priced as
            # the scenario prices gas, and no daily budget (the report shows the gas spent).
            costs = scenario.costs
            gas = DEFAULT_MATCH_GAS * costs.gas_price_wei * costs.nrlc_per_eth // 10**18
            table.update(match_gas_cost=gas, daily_gas_budget=10**12)
        data["fills"] = {**table, "enabled": fills}
    if dict(data.get("fills", {})).get("enabled"):
        data["offers"] = [
            {**o, "fill_apps": sorted({*o.get("fill_apps", ()), SIM_APP, *fill_apps})}
            for o in data.get("offers", ())
        ]
    data["workerpool"] = workerpool
    strat = dict(data.get("strategy", {}))
    if strategy is not None and strategy != strat.get("name"):
        strat = {"name": strategy, "params": {}}
    merged = dict(strat.get("params", {}))
    merged.update(params or {})
    strat["params"] = merged
    data["strategy"] = strat
    return config_from_mapping(data)


def simulated_settings(cfg: BotConfig) -> CycleSettings:
    """The service's settings for this config (``bot.config.settings.cycle_settings``), live: the
    simulated market is the one to act on. Only what makes no sense in a simulation differs:
    decisions are not kept (the summary counts them) and there are no real-time deadlines."""
    return cycle_settings(cfg, live=True, record_decisions=False, realtime_deadlines=False)


def intents_for(scenario: Scenario, seed: int) -> list[RequestIntent]:
    """The run's demand stream: fixed by scenario and seed, shared by runs and references."""
    models = [r.build(scenario.origin) for r in scenario.requesters]
    return generate_intents(models, scenario.origin, scenario.end, scenario.scenario.step_s, seed)


def sim_ports(
    sim: MarketSim,
    *,
    home: MarketSim | None = None,
    journal: Journal | None = None,
    fills: FillPorts | None = None,
) -> CyclePorts:
    """The cycle's ports over the simulated market ``sim`` (one place for every simulated pool).

    By default the pool is ``sim``'s own: its ports as they stand (``install_faults`` may have
    wrapped them). ``home``: a self-play peer pool, trading on ``sim``'s shared book and chain
    with its own stake, slots, tasks and counters. The journal defaults to one in memory that
    keeps no records (a simulated run does not replay itself).
    """
    journal = journal if journal is not None else MemoryJournal(keep_records=False)
    if home is None or home is sim:
        return CyclePorts(
            clock=sim.clock,
            market=sim.market,
            writer=sim.market,
            chain=sim.chain,
            signer=sim.signer,
            metrics=sim.metrics,
            journal=journal,
            tasks=sim.tasks,
            fills=fills,
        )
    return CyclePorts(
        clock=sim.clock,
        market=SimMarket(sim, home=home),
        writer=SimMarket(sim, home=home),
        chain=SimChain(sim, home=home),
        signer=SimSigner(home),
        metrics=SimPoolMetrics(home),
        journal=journal,
        tasks=SimTaskFeed(home),
        fills=fills,
    )


def cycle_over(
    ports: CyclePorts, settings: CycleSettings, instance: Strategy[object], seed: int
) -> Cycle:
    """The service's cycle over simulated ports, with the run's seeded strategy rng and salts
    (one place for every simulated pool: a backtest's, a self-play game's)."""
    salts = _Salts(seed)
    return Cycle(
        ports,
        settings,
        instance,
        rng=random.Random(f"{seed}:strategy"),
        state=CycleState(strategy_state=instance.initial_state()),
        executor=make_executor(ports, settings, salt=salts),
        fill_executor=make_fill_executor(ports, settings, salt=salts),
    )


def _default_sim(scenario: Scenario, seed: int, intents: Sequence[RequestIntent]) -> MarketSim:
    return MarketSim(scenario, seed, intents=intents)


@dataclass(slots=True)
class RunOutput:
    """One simulated run: counters, per-step rows, and how long the loop took (not in summaries)."""

    strategy: str
    params: dict[str, Any]
    seed: int
    counters: SimCounters
    ticks: int
    strategy_errors: int
    kills: int
    categories: tuple[int, ...]
    failed_ticks: int = 0  # ticks a TransientError ended (only with [faults])
    fills: FillCounters | None = None  # what our fills did (only with fills enabled)
    columns: tuple[str, ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    curve: list[tuple[float, int]] = field(default_factory=list)  # hourly (t, net revenue)
    elapsed_s: float = 0.0
    cpu_s: float = 0.0

    @property
    def net_revenue(self) -> int:
        return self.counters.revenue - self.counters.stake_lost

    @property
    def utilization(self) -> float:
        c = self.counters
        return c.busy_slot_seconds / c.slot_seconds if c.slot_seconds else 0.0


class _Salts:
    """Deterministic order salts: a counter (a real salt only has to be unique per order)."""

    def __init__(self, seed: int) -> None:
        self.n = seed * 1_000_000_007

    def __call__(self) -> str:
        self.n += 1
        return "0x" + format(self.n % 2**256, "064x")


def simulate(
    scenario: Scenario,
    strategy: str | None = None,
    params: Mapping[str, Any] | None = None,
    seed: int | None = None,
    *,
    intents: Sequence[RequestIntent] | None = None,
    record: bool = True,
    journal_path: str | Path | None = None,
    sim_factory: Callable[[Scenario, int, Sequence[RequestIntent]], MarketSim] | None = None,
    before_tick: Callable[[MarketSim, float], None] | None = None,
    times: Sequence[float] | None = None,
    fills: bool | None = None,
) -> RunOutput:
    """Run ``strategy`` (default: the scenario's) through the live cycle over the simulator.

    ``journal_path`` journals every snapshot to SQLite, as the live service's ``record`` does
    (slow; for producing replay input). ``sim_factory``, ``before_tick`` and ``times`` let the
    replay drive the same loop over recorded books at recorded instants.
    """
    seed = scenario.scenario.seed if seed is None else seed
    stream = intents if intents is not None else intents_for(scenario, seed)
    apps = sorted({i.app for i in stream if i.kind == "publisher"})
    cfg = bot_config(scenario, strategy, params, fills=fills, fill_apps=apps)
    settings = simulated_settings(cfg)
    if journal_path is not None:
        settings = dataclasses.replace(settings, record_snapshots=True)
    instance = strategy_of(cfg)
    sim = (sim_factory or _default_sim)(scenario, seed, stream)
    if scenario.faults.enabled:
        # Only then: without faults the ports stay the plain, fast ones (no per-call check).
        install_faults(sim, seed)
    journal: MemoryJournal | SqliteJournal = (
        MemoryJournal(keep_records=False) if journal_path is None else SqliteJournal(journal_path)
    )
    fill_ports, fill_counters = sim_fill_ports(sim) if settings.fills.enabled else (None, None)
    cycle = cycle_over(sim_ports(sim, journal=journal, fills=fill_ports), settings, instance, seed)
    cats = tuple(sorted({o.category for o in settings.offers}))
    tags = {o.category: o.tag for o in settings.offers}
    columns = (
        "t",
        *(f"price_c{c}" for c in cats),
        *(f"best_competitor_c{c}" for c in cats),
        "utilization",
        "backlog",
        "demand_tasks",
        "tasks_matched",
        "revenue_nrlc",
    )
    rows: list[tuple[Any, ...]] = []
    step = scenario.scenario.step_s
    end = scenario.end
    schedule = iter(times) if times is not None else None
    t = scenario.origin if schedule is None else next(schedule, end)
    ticks = errors = kills = failed = 0
    counters = sim.counters
    started = time.perf_counter()
    cpu_started = time.process_time()
    last_demand = 0
    sim_version = -1
    curve: list[tuple[float, int]] = []
    curve_every = max(1, round(3600.0 / step))
    prices: tuple[int | None, ...] = ()
    while t < end:
        sim.advance(t)
        if before_tick is not None:
            before_tick(sim, t)
        try:
            result = cycle.tick()
        except TransientError:
            # As the live service's job handler: log-worthy, the next tick retries. Only a
            # [faults] scenario gets here (e.g. the owner read failing before the first write).
            failed += 1
        else:
            errors += result.strategy_error is not None
            kills += result.kill is not None
        if ticks % curve_every == 0:
            curve.append((t - scenario.origin, counters.revenue - counters.stake_lost))
        ticks += 1
        if record:
            if sim_version != sim._version:  # the book changed: recompute the price columns
                sim_version = sim._version
                listed = sim.listed()
                ours: dict[int, int] = {}
                for e in listed:
                    if e.workerpool == OUR_POOL and (
                        e.category not in ours or e.price < ours[e.category]
                    ):
                        ours[e.category] = e.price
                prices = (
                    *(ours.get(c) for c in cats),
                    *(best_price(listed, c, tags[c], exclude_pool=OUR_POOL) for c in cats),
                )
            demand = sum(counters.demand_tasks.values())
            util = sim.utilization()
            rows.append(
                (
                    t - scenario.origin,
                    *prices,
                    util.ratio,
                    util.backlog,
                    demand - last_demand,
                    counters.tasks_matched,
                    counters.revenue - counters.stake_lost,
                )
            )
            last_demand = demand
        t = t + step if schedule is None else next(schedule, end)
    sim.advance(end)
    sim.drain()
    curve.append((end - scenario.origin, counters.revenue - counters.stake_lost))
    journal.close()
    return RunOutput(
        strategy=cfg.strategy.name,
        params=dict(cfg.strategy.params),
        seed=seed,
        counters=counters,
        ticks=ticks,
        strategy_errors=errors,
        kills=kills,
        failed_ticks=failed,
        fills=None if fill_counters is None else fill_counters.counters,
        categories=cats,
        columns=columns,
        rows=rows,
        curve=curve,
        elapsed_s=time.perf_counter() - started,
        cpu_s=time.process_time() - cpu_started,
    )
