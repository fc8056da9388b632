"""The docs table: every built-in strategy on every shipped scenario, against the references.

Usage::

    .venv/bin/python bench/scenario_table.py [--days 7] [--jobs 2] [--seed 1] [--out table.md]
        [--scenario config/scenarios/X.toml ...] [--strategy NAME ...]

For each scenario: the hindsight references once (best fixed price over the scenario's grid, the
perfect-discrimination bound), then each built-in strategy with its default parameters (``fixed``
with the scenario's own prices). Prints a Markdown table (revenue in RLC, ratios to both).
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import strategies
from bot.backtest import prepare_scenario
from bot.backtest.engine import intents_for, simulate
from bot.backtest.references import compute_references

SCENARIOS = sorted(Path("config/scenarios").glob("*.toml"))


def _strategy_run(args: tuple[str, float, str, int]) -> dict[str, Any]:
    path, days, name, seed = args
    s = prepare_scenario(Path(path), days)
    out = simulate(s, name, None, seed, record=False)
    return {
        "scenario": s.scenario.name,
        "strategy": name,
        "revenue": out.net_revenue,
        "sold": out.counters.tasks_matched,
        "served": out.counters.tasks_served,
        "failed": out.counters.tasks_failed,
        "failed_deadline": out.counters.tasks_failed_deadline,
        "failed_capacity_drop": out.counters.tasks_failed_capacity_drop,
        "failed_random": out.counters.tasks_failed_random,
        "gross": out.counters.revenue,
        "stake_lost_deadline": out.counters.stake_lost_deadline,
        "cancels": out.counters.cancels,
        "errors": out.strategy_errors,
        "cpu_s": round(out.cpu_s, 1),
    }


def _refs(args: tuple[str, float, int]) -> dict[str, Any]:
    path, days, seed = args
    s = prepare_scenario(Path(path), days)
    r = compute_references(s, seed, intents=intents_for(s, seed))
    return {
        "scenario": s.scenario.name,
        "best_fixed_price": r.best_fixed_price,
        "best_fixed": r.best_fixed_revenue,
        "upper_bound": r.upper_bound_revenue,
    }


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole > 0 else "-"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None)
    ap.add_argument("--scenario", action="append", default=None)
    ap.add_argument("--strategy", action="append", default=None, help="default: every built-in")
    args = ap.parse_args()
    paths = [Path(p) for p in args.scenario] if args.scenario else SCENARIOS
    names = args.strategy or list(strategies.BUILTINS)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        refs = list(pool.map(_refs, [(str(p), args.days, args.seed) for p in paths]))
        runs = list(
            pool.map(
                _strategy_run, [(str(p), args.days, n, args.seed) for p in paths for n in names]
            )
        )
    by_ref = {r["scenario"]: r for r in refs}
    lines = [
        f"Seed {args.seed}, {args.days:g} simulated days, default parameters.",
        "",
        "Failed: deadline / capacity drop / random (`failure_rate`); deadline % = deadline"
        " failures / tasks sold, and their forfeited stake / gross revenue.",
        "",
        "| scenario | strategy | revenue (RLC) | / best fixed | / upper bound | served | failed"
        " d / c / r | deadline % sold | deadline stake % revenue | cancels |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        ref = by_ref[r["scenario"]]
        bf, ub = ref["best_fixed"], ref["upper_bound"]
        lines.append(
            f"| {r['scenario']} | {r['strategy']} | {r['revenue'] / 1e9:.3f} | "
            f"{r['revenue'] / bf if bf > 0 else float('nan'):.2f} | "
            f"{r['revenue'] / ub if ub > 0 else float('nan'):.3f} | {r['served']} | "
            f"{r['failed_deadline']} / {r['failed_capacity_drop']} / {r['failed_random']} | "
            f"{_pct(r['failed_deadline'], r['sold'])} | "
            f"{_pct(r['stake_lost_deadline'], r['gross'])} | {r['cancels']} |"
        )
    lines += [
        "",
        "| scenario | best fixed price (RLC) | best fixed (RLC) | upper bound (RLC) |",
        "|---|---:|---:|---:|",
    ]
    for ref in refs:
        lines.append(
            f"| {ref['scenario']} | {ref['best_fixed_price'] / 1e9:g} | {ref['best_fixed'] / 1e9:.3f} | "
            f"{ref['upper_bound'] / 1e9:.3f} |"
        )
    lines += [
        "",
        "| scenario | best adaptive strategy (ties: all) | / best fixed | / upper bound |",
        "|---|---|---:|---:|",
    ]
    for ref in refs:
        adaptive = [
            r for r in runs if r["scenario"] == ref["scenario"] and r["strategy"] != "fixed"
        ]
        if not adaptive:
            continue
        top = max(adaptive, key=lambda r: r["revenue"])
        tied = ", ".join(r["strategy"] for r in adaptive if r["revenue"] == top["revenue"])
        bf, ub = ref["best_fixed"], ref["upper_bound"]
        lines.append(
            f"| {ref['scenario']} | {tied} | "
            f"{top['revenue'] / bf if bf > 0 else float('nan'):.2f} | "
            f"{top['revenue'] / ub if ub > 0 else float('nan'):.3f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    print(json.dumps({"refs": refs, "runs": runs}))
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
