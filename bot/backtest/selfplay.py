"""Self-play: several pools, each priced by a strategy through the service's own cycle, one market.

Every pool is a full simulated pool (slots, task durations, stake, deadlines: a
:class:`~bot.sim.market_sim.MarketSim`), and every pool's bot is ``bot.engine.cycle.Cycle`` built by
:func:`bot.backtest.engine.cycle_over` exactly as a backtest builds its own: snapshot, fenced
strategy, rails, planner, executor. The first pool is the simulator's own; the others are its
``peers``, sharing its clock, book and demand: a request takes the cheapest compatible order of
any pool, and a fill on a peer's order becomes a task on the peer's slots. Nothing here prices:
the strategies come from the registry, as in the live bot.

Within a step the pools' bots act one after another in an order drawn afresh each step (seeded),
so no pool always moves first (ties in the book go to the earliest published order).

The report answers two questions on the same demand stream (scenario + seed):

- **where prices go** (:func:`classify`): collapse to the floor, cycle, settle, or drift, judged on
  the market price (the cheapest pool's listed price) over the last third of the run;
- **what each pool earns** against the same game with every pool running ``fixed`` at the
  scenario's own fixed prices.
"""

from __future__ import annotations

import itertools
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.backtest.engine import (
    bot_config,
    cycle_over,
    intents_for,
    sim_ports,
    simulated_settings,
)
from bot.config.settings import strategy_of
from bot.domain.errors import InputError, TransientError
from bot.sim.market_sim import MarketSim
from bot.sim.scenario import OUR_POOL, Scenario, pool_address

__all__ = [
    "COLLAPSE_MARGIN",
    "CYCLE_REVERSALS",
    "SETTLE_SPREAD",
    "Game",
    "PoolResult",
    "Verdict",
    "classify",
    "play",
    "self_play",
]

Verdict = Literal["collapse", "cycle", "settle", "drift", "no price"]

COLLAPSE_MARGIN = 0.05
"""Collapse: the window's median market price is within 5 % above the rails floor."""
SETTLE_SPREAD = 0.10
"""Settle: the window's (p90 - p10) / median of the market price is at most 10 %."""
CYCLE_REVERSALS = 4
"""Cycle: a spread above ``SETTLE_SPREAD`` and at least 4 reversals of direction (two swings)."""
MOVE_THRESHOLD = 0.01
"""Price moves below 1 % of the median are noise for counting reversals."""


def _quantile(sorted_values: Sequence[int], q: float) -> float:
    """Linear-interpolation quantile of an already sorted sequence (numpy's default)."""
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def classify(prices: Sequence[int | None], floor: int) -> dict[str, Any]:
    """Where a price series went, judged on its last third (the start is the search).

    ``collapse``: median <= floor x (1 + COLLAPSE_MARGIN); else ``settle``: (p90 - p10) / median
    <= SETTLE_SPREAD; else ``cycle``: at least CYCLE_REVERSALS changes of direction among moves
    larger than MOVE_THRESHOLD x median; else ``drift`` (large moves, mostly one way). Steps with
    no listed price are left out; a series with none is ``no price``.
    """
    series = [p for p in prices[len(prices) - len(prices) // 3 :] if p is not None]
    if not series:
        return {"verdict": "no price", "median": None, "spread": None, "reversals": 0}
    ordered = sorted(series)
    median = float(statistics.median(ordered))
    spread = (_quantile(ordered, 0.9) - _quantile(ordered, 0.1)) / median if median else 0.0
    reversals = 0
    last_sign = 0
    for a, b in itertools.pairwise(series):
        move = b - a
        if abs(move) <= MOVE_THRESHOLD * median:
            continue
        sign = 1 if move > 0 else -1
        if last_sign and sign != last_sign:
            reversals += 1
        last_sign = sign
    verdict: Verdict
    if median <= floor * (1 + COLLAPSE_MARGIN):
        verdict = "collapse"
    elif spread <= SETTLE_SPREAD:
        verdict = "settle"
    elif reversals >= CYCLE_REVERSALS:
        verdict = "cycle"
    else:
        verdict = "drift"
    return {
        "verdict": verdict,
        "median": median,
        "spread": round(spread, 4),
        "reversals": reversals,
    }


@dataclass(slots=True)
class PoolResult:
    """One pool of a game: who priced it and what it earned (net of forfeited stake)."""

    name: str
    workerpool: str
    strategy: str
    params: dict[str, Any]
    net_revenue: int
    tasks_served: int
    tasks_failed: int
    publishes: int
    cancels: int
    strategy_errors: int


@dataclass(slots=True)
class Game:
    """A self-play run: the pools and, per category, each pool's cheapest listed price per step."""

    seed: int
    categories: tuple[int, ...]
    floors: dict[int, int]
    pools: list[PoolResult]
    times: list[float] = field(default_factory=list)
    prices: dict[int, list[list[int | None]]] = field(default_factory=dict)  # cat -> pool -> step

    def market_price(self, category: int) -> list[int | None]:
        """The cheapest pool's listed price at each step (None: no pool listed)."""
        out: list[int | None] = []
        for step in zip(*self.prices[category], strict=True):
            listed = [p for p in step if p is not None]
            out.append(min(listed) if listed else None)
        return out


def play(
    scenario: Scenario,
    pools: Sequence[tuple[str, Mapping[str, Any]]],
    seed: int,
) -> Game:
    """Run one game: ``pools`` are (strategy, params), the first priced on the simulator's own
    pool, the others on peers. The scenario's demand, pool and ``[bot]`` config serve every pool;
    its scripted competitors stay in the market as they are (drop them before, for pure play)."""
    if len(pools) < 2:
        raise InputError("--strategies", "self-play needs at least two pools", len(pools))
    if scenario.faults.enabled:
        raise InputError("--scenario", "self-play runs without a [faults] table")
    intents = intents_for(scenario, seed)
    shared = MarketSim(scenario, seed, intents=intents)
    alone = scenario.model_copy(update={"competitors": []})
    sims = [shared]
    for index in range(1, len(pools)):
        name = f"selfplay-{index}"
        peer = MarketSim(
            alone,
            seed * 1_000 + index,  # its own task durations and failures
            intents=[],
            pool=pool_address(name),
            owner=pool_address("owner:" + name),
            clock=shared.clock,
        )
        shared.peers[peer.pool] = peer
        sims.append(peer)
    cycles = []
    configs = []
    for index, ((strategy, params), sim) in enumerate(zip(pools, sims, strict=True)):
        cfg = bot_config(scenario, strategy, params, workerpool=sim.pool)
        settings = simulated_settings(cfg)
        ports = sim_ports(shared, home=sim)
        cycles.append(cycle_over(ports, settings, strategy_of(cfg), seed * 1_000 + index))
        configs.append(cfg)
    offers = simulated_settings(configs[0]).offers
    cats = tuple(sorted({o.category for o in offers}))
    floors = {c: configs[0].rails.floor for c in cats}
    game = Game(
        seed=seed,
        categories=cats,
        floors=floors,
        pools=[],
        prices={c: [[] for _ in sims] for c in cats},
    )
    order_rng = random.Random(f"{seed}:selfplay-order")
    order = list(range(len(sims)))
    errors = [0] * len(sims)
    index_of = {sim.pool: i for i, sim in enumerate(sims)}
    t = scenario.origin
    step = scenario.scenario.step_s
    while t < scenario.end:
        shared.advance(t)
        for peer in sims[1:]:
            peer.advance(t)
        order_rng.shuffle(order)
        for i in order:
            try:
                result = cycles[i].tick()
            except TransientError:
                continue
            errors[i] += result.strategy_error is not None
        cheapest: dict[tuple[int, int], int] = {}
        for e in shared.listed():
            i = index_of.get(e.workerpool, -1)
            key = (e.category, i)
            if i >= 0 and (key not in cheapest or e.price < cheapest[key]):
                cheapest[key] = e.price
        game.times.append(t - scenario.origin)
        for c in cats:
            for i in range(len(sims)):
                game.prices[c][i].append(cheapest.get((c, i)))
        t += step
    shared.advance(scenario.end)
    for peer in sims[1:]:
        peer.advance(scenario.end)
    for sim in sims:
        sim.drain()
    for index, (sim, cfg) in enumerate(zip(sims, configs, strict=True)):
        counts = sim.counters
        game.pools.append(
            PoolResult(
                name="ours" if sim.pool == OUR_POOL else f"selfplay-{index}",
                workerpool=sim.pool,
                strategy=cfg.strategy.name,
                params=dict(cfg.strategy.params),
                net_revenue=counts.revenue - counts.stake_lost,
                tasks_served=counts.tasks_served,
                tasks_failed=counts.tasks_failed,
                publishes=counts.publishes,
                cancels=counts.cancels,
                strategy_errors=errors[index],
            )
        )
    return game


def _fixed_params(scenario: Scenario) -> dict[str, Any]:
    """The scenario's own fixed prices (its ``[bot.strategy]`` when that is ``fixed``)."""
    default = bot_config(scenario).strategy
    return dict(default.params) if default.name == "fixed" else {}


def self_play(
    scenario: Scenario,
    strategies: Sequence[str],
    seed: int,
    *,
    keep_competitors: bool = False,
    out: Path | None = None,
) -> dict[str, Any]:
    """The self-play report (JSON-ready): the game, its verdicts, and the all-fixed baseline.

    ``keep_competitors``: leave the scenario's scripted pools in the market (default: only the
    self-play pools compete). With ``out``, writes ``selfplay.json``, ``prices.csv`` and
    ``price.png`` there.
    """
    if not keep_competitors:
        scenario = scenario.model_copy(update={"competitors": []})
    game = play(scenario, [(s, {}) for s in strategies], seed)
    fixed = _fixed_params(scenario)
    base = play(scenario, [("fixed", fixed)] * len(strategies), seed)
    pools = []
    for p, b in zip(game.pools, base.pools, strict=True):
        pools.append(
            {
                "pool": p.name,
                "strategy": p.strategy,
                "net_revenue_nrlc": p.net_revenue,
                "all_fixed_net_revenue_nrlc": b.net_revenue,
                "ratio_to_all_fixed": round(p.net_revenue / b.net_revenue, 4)
                if b.net_revenue
                else None,
                "tasks_served": p.tasks_served,
                "tasks_failed": p.tasks_failed,
                "publishes": p.publishes,
                "cancels": p.cancels,
                "strategy_errors": p.strategy_errors,
            }
        )
    total = sum(p.net_revenue for p in game.pools)
    base_total = sum(b.net_revenue for b in base.pools)
    categories = {}
    for c in game.categories:
        market = classify(game.market_price(c), game.floors[c])
        per_pool = {
            p.name: classify(game.prices[c][i], game.floors[c]) for i, p in enumerate(game.pools)
        }
        categories[str(c)] = {"floor_nrlc": game.floors[c], "market": market, "pools": per_pool}
    report: dict[str, Any] = {
        "scenario": scenario.scenario.name,
        "days": scenario.scenario.days,
        "seed": seed,
        "strategies": list(strategies),
        "scripted_competitors": keep_competitors,
        "fixed_baseline_params": fixed,
        "criterion": {
            "window": "last third of the run",
            "collapse": f"median <= floor x {1 + COLLAPSE_MARGIN}",
            "settle": f"(p90 - p10) / median <= {SETTLE_SPREAD}",
            "cycle": f"else >= {CYCLE_REVERSALS} reversals of moves > {MOVE_THRESHOLD} x median",
            "drift": "else",
        },
        "pools": pools,
        "total_net_revenue_nrlc": total,
        "all_fixed_total_net_revenue_nrlc": base_total,
        "total_ratio_to_all_fixed": round(total / base_total, 4) if base_total else None,
        "categories": categories,
    }
    if out is not None:
        _write(out, game, report)
    return report


def _write(out: Path, game: Game, report: dict[str, Any]) -> None:
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    (out / "selfplay.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    columns: dict[str, list[Any]] = {"t": game.times}
    for c in game.categories:
        for i, p in enumerate(game.pools):
            columns[f"price_c{c}_{p.name}_{p.strategy}"] = game.prices[c][i]
    frame = pd.DataFrame(columns)
    frame.to_csv(out / "prices.csv", index=False)
    fig, axes = plt.subplots(len(game.categories), 1, figsize=(10, 2.6 * len(game.categories)))
    axes_list = list(axes) if len(game.categories) > 1 else [axes]
    for ax, c in zip(axes_list, game.categories, strict=True):
        for i, p in enumerate(game.pools):
            ax.step(
                [t / 3600 for t in game.times],
                [None if v is None else v / 1e9 for v in game.prices[c][i]],
                where="post",
                label=f"{p.name} ({p.strategy})",
            )
        ax.axhline(game.floors[c] / 1e9, color="grey", linestyle=":", label="floor")
        verdict = report["categories"][str(c)]["market"]["verdict"]
        ax.set_title(f"category {c}: {verdict}")
        ax.set_ylabel("RLC / task")
        ax.set_yscale("log")
        ax.legend(fontsize="small", loc="upper right")
    axes_list[-1].set_xlabel("hours")
    fig.tight_layout()
    fig.savefig(out / "price.png", dpi=90)
    plt.close(fig)
