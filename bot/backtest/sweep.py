"""Many backtests of one strategy over a parameter grid or random draws, in parallel.

Each point is an independent process-level job (``ProcessPoolExecutor``), or a task on an existing
Dask distributed scheduler when the owner passes its address (the optional ``dask`` extra), so a
sweep larger than one machine runs on a cluster the owner already has. The references (best fixed
price, upper bound) are computed once per sweep. The leaderboard is sorted by net revenue; the
manifest lists every parameter set tried, so ``pricebot sweep`` can be re-run to the same file.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import pandas as pd

from bot.backtest.engine import intents_for, simulate
from bot.backtest.references import References, compute_references
from bot.backtest.report import code_version, write_json
from bot.domain.errors import InputError
from bot.sim.scenario import Scenario, scenario_hash

__all__ = [
    "SweepPoint",
    "grid_points",
    "parse_grid",
    "parse_value",
    "random_points",
    "sweep",
]

SweepPoint = dict[str, Any]


def parse_value(text: str) -> Any:
    """A command-line value: JSON if it parses (numbers, true/false, tables), else a string.

    Nested deeper than MAX_JSON_DEPTH it stays a string (parsing it could overflow the C stack
    once eth_account has lifted the recursion limit); so does an integer over 4,300 digits.
    The strategy's parameter check then refuses it by name.
    """
    from bot.domain.safe_json import MAX_JSON_DEPTH, nesting_exceeds

    if nesting_exceeds(text.encode("utf-8", "replace"), MAX_JSON_DEPTH):
        return text
    try:
        return json.loads(text)
    except ValueError:  # JSONDecodeError, or int() refusing more than 4,300 digits
        return text


def parse_grid(specs: Iterable[str]) -> dict[str, list[Any]]:
    """``KEY=V1,V2,...`` options to ``{key: [values]}`` (a value may not contain a comma)."""
    grid: dict[str, list[Any]] = {}
    for spec in specs:
        key, sep, values = spec.partition("=")
        if not sep or not key or not values:
            raise InputError("--grid", "must look like KEY=V1,V2,...", spec)
        grid[key.strip()] = [parse_value(v.strip()) for v in values.split(",")]
    return grid


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[SweepPoint]:
    keys = sorted(grid)
    return [
        dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))
    ]


def random_points(strategy: str, n: int, seed: int) -> list[SweepPoint]:
    """``n`` draws, uniform within each numeric parameter's declared bounds (seeded)."""
    import strategies

    specs = [
        s
        for s in strategies.get(strategy).param_specs()
        if s.kind in ("int", "float") and s.min is not None and s.max is not None
    ]
    if not specs:
        raise InputError("--random", f"strategy {strategy!r} declares no bounded numeric parameter")
    rng = random.Random(f"sweep:{seed}")
    points = []
    for _ in range(n):
        point: SweepPoint = {}
        for s in specs:
            assert s.min is not None and s.max is not None
            if s.kind == "int":
                point[s.name] = rng.randint(int(s.min), int(s.max))
            else:
                point[s.name] = round(rng.uniform(s.min, s.max), 6)
        points.append(point)
    return points


def _job(args: tuple[Scenario, str, SweepPoint, int, int]) -> dict[str, Any]:
    scenario, strategy, params, seed, index = args
    out = simulate(scenario, strategy, params, seed, record=False)
    c = out.counters
    gas = scenario.costs.gas_cost_nrlc(c.gas_used, c.cancels)
    return {
        "index": index,
        "params": json.dumps(params, sort_keys=True),
        **{f"param.{k}": v for k, v in sorted(params.items())},
        "revenue_nrlc": out.net_revenue,
        "tasks_served": c.tasks_served,
        "tasks_failed": c.tasks_failed,
        "tasks_failed_deadline": c.tasks_failed_deadline,
        "utilization": round(out.utilization, 6),
        "publishes": c.publishes,
        "cancels": c.cancels,
        "api_requests_per_min_max": c.api_max_per_min,
        "strategy_errors": out.strategy_errors,
        "gas_cost_nrlc": gas,
        "revenue_after_gas_nrlc": out.net_revenue - gas,
    }


def _run_local(
    work: list[tuple[Scenario, str, SweepPoint, int, int]],
    jobs: int,
    tick: Callable[[], None],
) -> list[dict[str, Any]]:
    rows = []
    if jobs <= 1:
        for w in work:
            rows.append(_job(w))
            tick()
        return rows
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_job, w) for w in work]
        for f in as_completed(futures):
            rows.append(f.result())
            tick()
    return rows


def _run_dask(
    work: list[tuple[Scenario, str, SweepPoint, int, int]], address: str, tick: Callable[[], None]
) -> list[dict[str, Any]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:
        raise InputError(
            "--dask", "needs the optional extra: pip install 'iexec-pricebot[dask]'"
        ) from exc
    rows = []
    # distributed ships without complete annotations (checked only when the extra is installed)
    with Client(address) as client:  # type: ignore[no-untyped-call]
        futures = client.map(_job, work, pure=False)
        for f in dask_completed(futures):  # type: ignore[no-untyped-call]
            rows.append(f.result())
            tick()
    return rows


def sweep(
    scenario: Scenario,
    strategy: str,
    points: Sequence[SweepPoint],
    *,
    seed: int | None = None,
    jobs: int = 1,
    references: bool = True,
    dask: str | None = None,
    out: Path | None = None,
    progress: bool = False,
    spec: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run every point; returns the leaderboard (best first) and the sweep summary."""
    import strategies

    seed = scenario.scenario.seed if seed is None else seed
    cls = strategies.get(strategy)
    for p in points:  # fail fast, naming the key, before spawning anything
        cls.params_from_mapping(p)
    work = [(scenario, strategy, dict(p), seed, i) for i, p in enumerate(points)]
    refs: References | None = None

    def run(tick: Callable[[], None]) -> list[dict[str, Any]]:
        nonlocal refs
        if references:
            refs = compute_references(
                scenario, seed, jobs=jobs, intents=None if jobs > 1 else intents_for(scenario, seed)
            )
            tick()
        if dask:
            return _run_dask(work, dask, tick)
        return _run_local(work, jobs, tick)

    total = len(work) + (1 if references else 0)
    if progress:
        from rich.progress import Progress

        with Progress() as bar:
            task = bar.add_task(f"sweep {strategy} on {scenario.scenario.name}", total=total)
            rows = run(lambda: bar.advance(task))
    else:
        rows = run(lambda: None)

    frame = pd.DataFrame(rows)
    if len(frame):
        frame = frame.sort_values(["revenue_nrlc", "index"], ascending=[False, True])
        frame = frame.reset_index(drop=True)
        frame.insert(0, "rank", range(1, len(frame) + 1))
    if refs is not None and len(frame):
        bf, ub = refs.best_fixed_revenue, refs.upper_bound_revenue
        frame["ratio_to_best_fixed"] = (frame["revenue_nrlc"] / bf).round(6) if bf > 0 else None
        frame["ratio_to_upper_bound"] = (frame["revenue_nrlc"] / ub).round(6) if ub > 0 else None
    best = frame.iloc[0].to_dict() if len(frame) else {}
    summary: dict[str, Any] = {
        "scenario": scenario.scenario.name,
        "strategy": strategy,
        "seed": seed,
        "points": len(work),
        "best": {
            "params": json.loads(best["params"]) if best else None,
            "revenue_nrlc": int(best["revenue_nrlc"]) if best else None,
        },
        "manifest": {
            "scenario_sha256": scenario_hash(scenario),
            "code_version": code_version(),
            "spec": dict(spec or {}),
            "param_sets": [dict(p) for p in points],
        },
    }
    if refs is not None:
        summary.update(
            {
                "best_fixed_price_nrlc": refs.best_fixed_price,
                "best_fixed_revenue_nrlc": refs.best_fixed_revenue,
                "upper_bound_revenue_nrlc": refs.upper_bound_revenue,
            }
        )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out / "leaderboard.csv", index=False)
        write_json(out / "summary.json", summary)
    return frame, summary
