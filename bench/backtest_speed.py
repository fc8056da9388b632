"""How fast is a backtest? 30 simulated days, one decision per minute, 5 categories.

Usage::

    .venv/bin/python bench/backtest_speed.py [--scenario config/scenarios/stationary.toml]
        [--strategy fixed] [--days 30] [--references] [--sim-only]

Reports CPU seconds (``time.process_time``, robust on a loaded machine) and wall seconds for the
strategy run, the simulator alone (a static order, no cycle) and, with ``--references``, the
hindsight references (timed separately, as the goal asks). Results go to docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from pathlib import Path

from compile_hot_path import source_digest

from bot.backtest import prepare_scenario
from bot.backtest.engine import intents_for, simulate
from bot.backtest.references import best_fixed, upper_bound
from bot.domain.model import WorkerpoolOrder, tag_to_bytes32
from bot.sim.market_sim import MarketSim
from bot.sim.scenario import OUR_POOL


def sim_only(scenario, seed: int) -> dict[str, float]:
    """The simulator's own cost: one static order per category, the market advanced each minute."""
    intents = intents_for(scenario, seed)
    sim = MarketSim(scenario, seed, intents=intents)
    for i, cat in enumerate(sorted({int(o["category"]) for o in scenario.bot.get("offers", [])})):
        order = WorkerpoolOrder(
            workerpool=OUR_POOL,
            workerpoolprice=25_000_000,
            volume=10**6,
            tag=tag_to_bytes32(0),
            category=cat,
            trust=0,
            salt="0x" + format(i + 1, "064x"),
        )
        sim.market.publish(sim.signer.sign_order(order))
    t, step = scenario.origin, scenario.scenario.step_s
    cpu, wall = time.process_time(), time.perf_counter()
    ticks = 0
    while t < scenario.end:
        sim.advance(t)
        sim.metrics.utilization()
        ticks += 1
        t += step
    return {
        "ticks": ticks,
        "cpu_s": time.process_time() - cpu,
        "wall_s": time.perf_counter() - wall,
        "intents": len(intents),
    }


def _hot_path() -> str:
    """'python', or 'compiled' when run on a fresh copy from bench/compile_hot_path.py."""
    import bot.engine.cycle

    if not bot.engine.cycle.__file__ or not bot.engine.cycle.__file__.endswith(".so"):
        return "python"
    copy = Path(bot.engine.cycle.__file__).resolve().parents[2]  # <copy>/bot/engine/cycle.so
    root = Path(__file__).resolve().parents[1]
    stamp = copy / "SOURCE_DIGEST"
    if not stamp.exists() or stamp.read_text().strip() != source_digest(root):
        raise SystemExit(f"{copy} is stale or unchecked: rerun `make compiled`")
    return "compiled"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="config/scenarios/stationary.toml")
    ap.add_argument("--strategy", default="fixed")
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--references", action="store_true")
    ap.add_argument("--sim-only", action="store_true")
    args = ap.parse_args()
    scenario = prepare_scenario(Path(args.scenario), args.days)
    random.seed(0)
    result: dict[str, object] = {
        "scenario": scenario.scenario.name,
        "days": args.days,
        "strategy": args.strategy,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "hot_path": _hot_path(),
    }
    result["sim_only"] = sim_only(scenario, args.seed)
    if not args.sim_only:
        intents = intents_for(scenario, args.seed)
        out = simulate(scenario, args.strategy, None, args.seed, intents=intents, record=True)
        result["strategy_run"] = {
            "ticks": out.ticks,
            "cpu_s": round(out.cpu_s, 2),
            "wall_s": round(out.elapsed_s, 2),
            "ms_per_tick_cpu": round(1000 * out.cpu_s / max(1, out.ticks), 3),
            "publishes": out.counters.publishes,
            "cancels": out.counters.cancels,
        }
        if args.references:
            cpu, wall = time.process_time(), time.perf_counter()
            upper_bound(scenario, args.seed, intents)
            ub = {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall}
            cpu, wall = time.process_time(), time.perf_counter()
            _, grid = best_fixed(scenario, args.seed, intents=intents)
            result["references"] = {
                "upper_bound": ub,
                "best_fixed_grid_points": len(grid),
                "best_fixed_cpu_s": time.process_time() - cpu,
                "best_fixed_wall_s": time.perf_counter() - wall,
            }
    print(json.dumps(result, indent=2, default=lambda v: round(v, 3)))


if __name__ == "__main__":
    main()
