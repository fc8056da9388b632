"""Per-tick CPU cost of each stage of the shared cycle, inside a backtest.

Usage::

    .venv/bin/python bench/cycle_stages.py [SCENARIO_NAME] [STRATEGY] [DAYS]

Wraps the cycle's stage functions with CPU timers (``time.process_time``) for one run, then prints
milliseconds per tick for each; the rest of the run's CPU is the simulator and the recording.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import strategies
from bot.backtest import prepare_scenario
from bot.backtest.engine import simulate

ACC: dict[str, float] = defaultdict(float)


def _timed(label: str, f: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return f(*args, **kwargs)
        finally:
            ACC[label] += time.process_time() - start

    return wrapper


def main() -> None:
    import bot.engine.cycle
    import bot.engine.executor
    import bot.pricing.planner
    import bot.pricing.rails

    name = sys.argv[1] if len(sys.argv) > 1 else "stationary"
    strategy = sys.argv[2] if len(sys.argv) > 2 else "fixed"
    days = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    bot.engine.cycle.sample_snapshot = _timed(
        "samplers.sample_snapshot", bot.engine.cycle.sample_snapshot
    )  # type: ignore[attr-defined]
    # bot.engine.cycle imports the stage functions by name: wrap them where the cycle looks them up.
    bot.engine.cycle.run_fenced = _timed("strategy (run_fenced)", strategies.run_fenced)  # type: ignore[attr-defined]
    bot.engine.cycle.apply_rails = _timed("rails.apply_rails", bot.pricing.rails.apply_rails)  # type: ignore[attr-defined]
    bot.engine.cycle.plan = _timed("planner.plan", bot.pricing.planner.plan)  # type: ignore[attr-defined]
    bot.engine.executor.Executor.execute = _timed(
        "executor.execute", bot.engine.executor.Executor.execute
    )  # type: ignore[method-assign]
    scenario = prepare_scenario(f"config/scenarios/{name}.toml", days)
    out = simulate(scenario, strategy, record=True)
    n = max(1, out.ticks)
    print(f"{name} / {strategy}, {out.ticks} ticks: {1000 * out.cpu_s / n:.3f} ms CPU per tick")
    staged = 0.0
    for label, cpu in sorted(ACC.items(), key=lambda kv: -kv[1]):
        staged += cpu
        print(f"  {label:28s} {1000 * cpu / n:.3f} ms/tick")
    print(f"  {'simulator + recording':28s} {1000 * (out.cpu_s - staged) / n:.3f} ms/tick")


if __name__ == "__main__":
    main()
