"""The backtester: the live cycle over a simulated or replayed market, with hindsight references.

Notebook API (both return pandas DataFrames)::

    from bot.backtest import run_backtest, run_sweep
    ts = run_backtest("config/scenarios/stationary.toml", "competitive", days=3)
    ts.attrs["summary"]["ratio_to_best_fixed"]
    board = run_sweep("config/scenarios/price_war.toml", "competitive",
                      grid={"undercut": [0.01, 0.05]}, days=3, jobs=2)
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bot.sim.scenario import Scenario, load_scenario

__all__ = ["load_scenario", "prepare_scenario", "rerun_sweep", "run_backtest", "run_sweep"]


def prepare_scenario(
    scenario: str | Path | Scenario,
    days: float | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """Load a scenario file (or take one), apply ``overrides``, optionally shorten it to ``days``.

    ``overrides`` maps dotted paths to values (``{"competitors.prod-paid.price": 50_000_000}``).
    """
    if isinstance(scenario, Scenario):
        s = scenario
        if overrides:
            from bot.sim.scenario import apply_override, parse_scenario

            data = s.model_dump(mode="json")
            for key, value in overrides.items():
                apply_override(data, key, value)
            s = parse_scenario(data, s.scenario.name)
    else:
        s = load_scenario(scenario, overrides)
    if days is not None:
        s = s.model_copy(update={"scenario": s.scenario.model_copy(update={"days": days})})
    return s


def run_backtest(
    scenario: str | Path | Scenario,
    strategy: str | None = None,
    params: Mapping[str, Any] | None = None,
    seed: int | None = None,
    *,
    days: float | None = None,
    overrides: Mapping[str, Any] | None = None,
    references: bool = True,
    baseline: bool = True,
    jobs: int = 1,
    out: str | Path | None = None,
    plots: bool = True,
    per_category_reference: bool = False,
) -> pd.DataFrame:
    """Run one backtest; returns the per-step time series, its summary in ``.attrs["summary"]``.

    With ``out`` the contract files are written there (summary.json, timeseries.csv, PNGs).
    ``per_category_reference`` adds the best fixed prices per category (coordinate search: many
    runs, see ``bot.backtest.references.best_fixed_per_category``).
    """
    from bot.backtest.engine import bot_config, intents_for, simulate
    from bot.backtest.references import best_fixed_per_category, compute_references
    from bot.backtest.report import make_summary, timeseries_frame, write_report

    s = prepare_scenario(scenario, days, overrides)
    seed = s.scenario.seed if seed is None else seed
    intents = intents_for(s, seed)
    timing: dict[str, float] = {}
    run = simulate(s, strategy, params, seed, intents=intents)
    timing["strategy_run_s"] = run.elapsed_s
    refs = None
    if references:
        t0 = time.perf_counter()
        refs = compute_references(s, seed, jobs=jobs, intents=intents)
        timing["references_s"] = time.perf_counter() - t0
    per_cat = None
    if per_category_reference:
        t0 = time.perf_counter()
        per_cat = best_fixed_per_category(
            s,
            seed,
            start=refs.best_fixed_point if refs is not None else None,
            intents=intents,
            jobs=jobs,
        )
        timing["per_category_reference_s"] = time.perf_counter() - t0
    base = None
    if baseline:
        default = bot_config(s).strategy
        fixed_params = dict(default.params) if default.name == "fixed" else {}
        if run.strategy == "fixed" and run.params == fixed_params:
            base = run
        else:
            t0 = time.perf_counter()
            base = simulate(s, "fixed", fixed_params, seed, intents=intents, record=False)
            timing["baseline_s"] = time.perf_counter() - t0
    if out is not None:
        summary = write_report(
            Path(out), s, run, refs, base, plots=plots, timing=timing, per_category=per_cat
        )
    else:
        summary = make_summary(s, run, refs, base, per_category=per_cat)
    frame = timeseries_frame(run)
    frame.attrs["summary"] = summary
    frame.attrs["timing"] = timing
    return frame


def run_sweep(
    scenario: str | Path | Scenario,
    strategy: str,
    *,
    grid: Mapping[str, Sequence[Any]] | None = None,
    random: int | None = None,
    seed: int | None = None,
    days: float | None = None,
    jobs: int = 1,
    references: bool = True,
    dask: str | None = None,
    out: str | Path | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Sweep ``grid`` (every combination) or ``random`` draws within the declared bounds.

    Returns the leaderboard, best first, with the sweep summary in ``.attrs["summary"]``.
    """
    from bot.backtest.sweep import grid_points, random_points, sweep

    s = prepare_scenario(scenario, days)
    seed = s.scenario.seed if seed is None else seed
    if (grid is None) == (random is None):
        raise ValueError("give exactly one of grid= or random=")
    points = (
        grid_points(grid) if grid is not None else random_points(strategy, int(random or 0), seed)
    )
    spec: dict[str, Any] = {"days": s.scenario.days}
    if grid is not None:
        spec["grid"] = {k: list(v) for k, v in grid.items()}
    else:
        spec["random"] = random
    frame, summary = sweep(
        s,
        strategy,
        points,
        seed=seed,
        jobs=jobs,
        references=references,
        dask=dask,
        out=Path(out) if out is not None else None,
        progress=progress,
        spec=spec,
    )
    frame.attrs["summary"] = summary
    return frame


def rerun_sweep(
    manifest: str | Path,
    scenario: str | Path,
    *,
    jobs: int = 1,
    dask: str | None = None,
    out: str | Path | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run a sweep again from the ``summary.json`` it wrote: same scenario, seed, parameter sets.

    The scenario file must be the one the manifest names by hash (a different file is refused).
    """
    import json

    from bot.backtest.sweep import sweep
    from bot.domain.errors import InputError
    from bot.sim.scenario import scenario_hash

    data = json.loads(Path(manifest).read_text())
    man = data["manifest"]
    s = prepare_scenario(scenario, man["spec"].get("days"))
    if scenario_hash(s) != man["scenario_sha256"]:
        raise InputError(
            "--scenario", "is not the scenario this manifest was run on (hash differs)"
        )
    frame, summary = sweep(
        s,
        data["strategy"],
        man["param_sets"],
        seed=int(data["seed"]),
        jobs=jobs,
        references="best_fixed_revenue_nrlc" in data,
        dask=dask,
        out=Path(out) if out is not None else None,
        progress=progress,
        spec=man["spec"],
    )
    frame.attrs["summary"] = summary
    return frame
