"""Turn a run and its references into files: summary.json, timeseries.csv and PNG plots.

``summary.json`` is a contract (issue #7): the same scenario, strategy, params, seed and code give
the same bytes. So it holds no wall-clock time and no path; floats are rounded; keys are sorted.
Timings go to ``timing.json`` beside it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from bot.backtest.engine import RunOutput
from bot.backtest.references import PER_CATEGORY_METHOD, PerCategoryFixed, References
from bot.sim.scenario import Scenario, scenario_hash

__all__ = [
    "FILL_MODEL",
    "code_version",
    "config_hash",
    "fault_summary",
    "make_summary",
    "timeseries_frame",
    "write_json",
    "write_plots",
    "write_report",
]

FILL_MODEL = (
    "simulated market: each request takes the cheapest compatible listed orders (price, then "
    "publication time, then hash); adversarial requests may also take our unpublished but "
    "uncancelled orders; our pool's slots go to the earliest contribution deadline first; "
    "revenue is the price of completed tasks minus stake forfeited by failed tasks (not "
    "contributed before their contribution deadline, or failed at random)"
)

_ROOT = Path(__file__).resolve().parents[2]


def code_version() -> dict[str, str]:
    """Package version and a digest of the bot and strategies sources (no git needed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        pkg = version("iexec-pricebot")
    except PackageNotFoundError:
        pkg = "unknown"
    digest = hashlib.sha256()
    for folder in ("bot", "strategies"):
        for path in sorted((_ROOT / folder).rglob("*.py")):
            digest.update(str(path.relative_to(_ROOT)).encode())
            digest.update(path.read_bytes())
    return {"package": pkg, "source_sha256": digest.hexdigest()}


def config_hash(strategy: str, params: Mapping[str, Any], seed: int) -> str:
    blob = json.dumps({"strategy": strategy, "params": params, "seed": seed}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


MATCH_GAS_SOURCE = (
    "measured on anvil: matchOrders without a dataset, PoCo 6.1.0 (tests/sandbox/"
    "test_fills_e2e.py); no Arbitrum L1 data charge; priced at the scenario's gas price"
)


def _ratio(a: int, b: int) -> float | None:
    return None if b <= 0 else round(a / b, 6)


def make_summary(
    scenario: Scenario,
    run: RunOutput,
    refs: References | None,
    baseline: RunOutput | None = None,
    *,
    version: Mapping[str, str] | None = None,
    per_category: PerCategoryFixed | None = None,
) -> dict[str, Any]:
    c = run.counters
    revenue = run.net_revenue
    out: dict[str, Any] = {
        "scenario": scenario.scenario.name,
        "strategy": run.strategy,
        "params": run.params,
        "seed": run.seed,
        "days": scenario.scenario.days,
        "ticks": run.ticks,
        "revenue_nrlc": revenue,
        "gross_revenue_nrlc": c.revenue,
        "stake_lost_nrlc": c.stake_lost,
        "revenue_by_category_nrlc": {str(k): v for k, v in sorted(c.revenue_by_category.items())},
        "tasks_matched": c.tasks_matched,
        "tasks_served": c.tasks_served,
        "tasks_failed": c.tasks_failed,
        "tasks_failed_deadline": c.tasks_failed_deadline,
        "tasks_failed_capacity_drop": c.tasks_failed_capacity_drop,
        "tasks_failed_random": c.tasks_failed_random,
        "stake_lost_deadline_nrlc": c.stake_lost_deadline,
        "stake_lost_capacity_drop_nrlc": c.stake_lost_capacity_drop,
        "stake_lost_random_nrlc": c.stake_lost_random,
        "tasks_matched_unpublished": c.tasks_matched_hidden,
        "demand_tasks": sum(c.demand_tasks.values()),
        "utilization": round(run.utilization, 6),
        "publishes": c.publishes,
        "unpublishes": c.unpublishes,
        "cancels": c.cancels,
        "gas_used": c.gas_used,
        "api_requests": c.api_requests,
        "api_requests_per_min_max": c.api_max_per_min,
        "strategy_errors": run.strategy_errors,
        "kill_switch_ticks": run.kills,
        **({"failed_ticks": run.failed_ticks} if run.failed_ticks else {}),
        "fill_model": FILL_MODEL,
    }
    costs = scenario.costs
    gas_cost = costs.gas_cost_nrlc(c.gas_used, c.cancels)
    if run.fills is not None:
        # Fills (issue #15): only with fills enabled, so the goldens of other runs keep their keys.
        f = run.fills
        match_cost = f.match_gas_used * costs.gas_price_wei * costs.nrlc_per_eth // 10**18
        out.update(
            {
                "fills": f.fills,
                "fill_tasks": f.fill_tasks,
                "fill_revenue_nrlc": f.fill_revenue_nrlc,
                "fill_races_lost": f.races_lost,
                "match_gas_used": f.match_gas_used,
                "match_gas_source": MATCH_GAS_SOURCE,
                "match_gas_cost_nrlc": match_cost,
            }
        )
        gas_cost += match_cost
    out.update(
        {
            "gas_cost_nrlc": gas_cost,
            "net_revenue_after_gas_nrlc": revenue - gas_cost,
            "gas_assumption": costs.gas_assumption(),
        }
    )
    if c.faults is not None:
        out["faults"] = fault_summary(scenario, c.faults)
    if refs is not None:
        out.update(
            {
                "best_fixed_price_nrlc": refs.best_fixed_price,
                "best_fixed_revenue_nrlc": refs.best_fixed_revenue,
                "upper_bound_revenue_nrlc": refs.upper_bound_revenue,
                "upper_bound_tasks": refs.upper_bound_tasks,
                "ratio_to_best_fixed": _ratio(revenue, refs.best_fixed_revenue),
                "ratio_to_upper_bound": _ratio(revenue, refs.upper_bound_revenue),
                **_best_fixed_after_gas(scenario, refs, revenue - gas_cost),
                "fixed_price_grid": [
                    {
                        "price_nrlc": g.price,
                        "revenue_nrlc": g.revenue,
                        "tasks_served": g.tasks_served,
                    }
                    for g in refs.grid
                ],
            }
        )
    if per_category is not None:
        pc = per_category
        pc_after = pc.revenue - costs.gas_cost_nrlc(pc.gas_used, pc.cancels)
        out.update(
            {
                "best_fixed_per_category_prices_nrlc": {str(c): p for c, p in pc.prices},
                "best_fixed_per_category_revenue_nrlc": pc.revenue,
                "best_fixed_per_category_after_gas_nrlc": pc_after,
                "ratio_to_best_fixed_per_category": _ratio(revenue, pc.revenue),
                "best_fixed_per_category_search": {
                    "method": PER_CATEGORY_METHOD,
                    "price_vectors_evaluated": pc.runs,
                    "rounds": pc.rounds,
                },
            }
        )
    if baseline is not None:
        b = baseline.counters
        out["fixed_baseline_after_gas_nrlc"] = baseline.net_revenue - costs.gas_cost_nrlc(
            b.gas_used, b.cancels
        )
        out["fixed_baseline"] = {
            "params": baseline.params,
            "revenue_nrlc": baseline.net_revenue,
            "ratio_to_best_fixed": (
                _ratio(baseline.net_revenue, refs.best_fixed_revenue) if refs else None
            ),
            "ratio_to_upper_bound": (
                _ratio(baseline.net_revenue, refs.upper_bound_revenue) if refs else None
            ),
        }
    out["manifest"] = {
        "scenario_sha256": scenario_hash(scenario),
        "config_sha256": config_hash(run.strategy, run.params, run.seed),
        "code_version": dict(version) if version is not None else code_version(),
    }
    return out


def _best_fixed_after_gas(scenario: Scenario, refs: References, ours: int) -> dict[str, Any]:
    """The best fixed price's run after its own cancels' gas, and our ratio to it (both net)."""
    best = refs.best_fixed_point
    if best is None:
        return {}
    after = best.revenue - scenario.costs.gas_cost_nrlc(best.gas_used, best.cancels)
    return {
        "best_fixed_revenue_after_gas_nrlc": after,
        "ratio_to_best_fixed_after_gas": _ratio(ours, after),
    }


def fault_summary(scenario: Scenario, counts: Mapping[str, int]) -> dict[str, Any]:
    """What the fault model injected, what reached the bot after the adapters' retries, and the
    rates that produced them."""
    injected = {k: v for k, v in sorted(counts.items()) if not k.startswith("surfaced_")}
    surfaced = {
        k.removeprefix("surfaced_"): v
        for k, v in sorted(counts.items())
        if k.startswith("surfaced_")
    }
    return {
        "injected": injected,
        "surfaced_to_bot": surfaced,
        "config": scenario.faults.model_dump(mode="json"),
    }


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, sort_keys=True, indent=2) + "\n")


def timeseries_frame(run: RunOutput) -> pd.DataFrame:
    """One row per decision: our price and the best competitor per category, load, demand, money."""
    return pd.DataFrame.from_records(run.rows, columns=list(run.columns))


def write_plots(
    out: Path,
    frame: pd.DataFrame,
    run: RunOutput,
    refs: References | None,
    per_category: PerCategoryFixed | None = None,
) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    hours = frame["t"] / 3600.0
    meta = {"Software": None}

    fig, ax = plt.subplots(figsize=(10, 4))
    for c in run.categories:
        ax.step(hours, frame[f"price_c{c}"] / 1e9, where="post", label=f"ours, cat {c}")
        ax.step(
            hours,
            frame[f"best_competitor_c{c}"] / 1e9,
            where="post",
            linestyle="--",
            label=f"best competitor, cat {c}",
        )
    ax.set_xlabel("hours")
    ax.set_ylabel("price (RLC per task)")
    ax.set_yscale("log")
    ax.set_title(f"{run.strategy}: our price against the cheapest competing order")
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    paths.append(out / "price.png")
    fig.savefig(paths[-1], dpi=90, metadata=meta)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(10, 3))
    ax.plot(hours, frame["utilization"], linewidth=0.7)
    ax.set_xlabel("hours")
    ax.set_ylabel("busy slots / slots (backlog included)")
    ax.set_title("pool utilization")
    fig.tight_layout()
    paths.append(out / "utilization.png")
    fig.savefig(paths[-1], dpi=90, metadata=meta)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(10, 4))
    t, rev = zip(*run.curve, strict=True) if run.curve else ((), ())
    ax.plot([x / 3600 for x in t], [r / 1e9 for r in rev], label=run.strategy)
    if refs is not None:
        for label, curve in (
            (f"best fixed ({refs.best_fixed_price / 1e9:g} RLC)", refs.best_fixed_curve),
            ("perfect-discrimination bound", refs.upper_bound_curve),
        ):
            if curve:
                ct, cr = zip(*curve, strict=True)
                ax.plot([x / 3600 for x in ct], [r / 1e9 for r in cr], linestyle="--", label=label)
    if per_category is not None and per_category.curve:
        ct, cr = zip(*per_category.curve, strict=True)
        ax.plot(
            [x / 3600 for x in ct],
            [r / 1e9 for r in cr],
            linestyle=":",
            label="best fixed per category",
        )
    ax.set_xlabel("hours")
    ax.set_ylabel("cumulative net revenue (RLC)")
    ax.set_title("revenue against the hindsight references")
    ax.legend(fontsize="small")
    fig.tight_layout()
    paths.append(out / "revenue.png")
    fig.savefig(paths[-1], dpi=90, metadata=meta)
    plt.close(fig)
    return paths


def write_report(
    out: Path,
    scenario: Scenario,
    run: RunOutput,
    refs: References | None,
    baseline: RunOutput | None = None,
    *,
    plots: bool = True,
    timing: Mapping[str, float] | None = None,
    per_category: PerCategoryFixed | None = None,
) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    summary = make_summary(scenario, run, refs, baseline, per_category=per_category)
    write_json(out / "summary.json", summary)
    frame = timeseries_frame(run)
    frame.to_csv(out / "timeseries.csv", index=False)
    if plots and len(frame):
        write_plots(out, frame, run, refs, per_category)
    if timing is not None:
        write_json(out / "timing.json", {k: round(v, 3) for k, v in timing.items()})
    return summary
