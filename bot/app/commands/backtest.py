"""``pricebot backtest`` and ``pricebot sweep``: try a strategy before trusting it with a pool.

Heavy imports (pandas, matplotlib, the simulator) happen inside the commands so that
``pricebot --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.domain.errors import InputError

__all__ = [
    "backtest_cmd",
    "register",
    "sweep_cmd",
]


def _params(items: list[str] | None, option: str = "--param") -> dict[str, Any]:
    from bot.backtest.sweep import parse_value

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(option, "must look like KEY=VALUE", item)
        out[key.strip()] = parse_value(value.strip())
    return out


def _echo_summary(summary: dict[str, Any]) -> None:
    def rlc(v: Any) -> str:
        return "-" if v is None else f"{v / 1e9:.4f} RLC"

    typer.echo(
        f"{summary['scenario']} / {summary['strategy']} (seed {summary['seed']}): "
        f"revenue {rlc(summary['revenue_nrlc'])}, {summary['tasks_served']} tasks served, "
        f"{summary['tasks_failed']} failed ({summary['tasks_failed_deadline']} deadline, "
        f"{summary['tasks_failed_capacity_drop']} capacity drop, "
        f"{summary['tasks_failed_random']} random), utilization {summary['utilization']:.1%}"
    )
    if "best_fixed_revenue_nrlc" in summary:
        typer.echo(
            f"  best fixed in hindsight: {rlc(summary['best_fixed_price_nrlc'])}/task -> "
            f"{rlc(summary['best_fixed_revenue_nrlc'])} (ratio {summary['ratio_to_best_fixed']}); "
            f"upper bound {rlc(summary['upper_bound_revenue_nrlc'])} "
            f"(ratio {summary['ratio_to_upper_bound']})"
        )
    if "best_fixed_per_category_revenue_nrlc" in summary:
        prices = ", ".join(
            f"cat {c} {rlc(v)}" for c, v in summary["best_fixed_per_category_prices_nrlc"].items()
        )
        search = summary["best_fixed_per_category_search"]
        typer.echo(
            f"  best fixed per category: {prices} -> "
            f"{rlc(summary['best_fixed_per_category_revenue_nrlc'])} "
            f"(ratio {summary['ratio_to_best_fixed_per_category']}; "
            f"{search['price_vectors_evaluated']} price vectors, {search['rounds']} rounds)"
        )
    base = summary.get("fixed_baseline")
    if base:
        typer.echo(f"  fixed baseline {rlc(base['revenue_nrlc'])}")
    typer.echo(
        f"  publishes {summary['publishes']}, unpublishes {summary['unpublishes']}, "
        f"cancels {summary['cancels']}, max API requests/min {summary['api_requests_per_min_max']}"
    )
    if "gas_cost_nrlc" in summary:
        per = summary["gas_assumption"].get("cancel_cost_nrlc")
        after_best = summary.get("ratio_to_best_fixed_after_gas")
        typer.echo(
            f"  gas for cancels {rlc(summary['gas_cost_nrlc'])} "
            f"({rlc(per)} per cancel, assumed) -> revenue after gas "
            f"{rlc(summary['net_revenue_after_gas_nrlc'])}"
            + ("" if after_best is None else f" (ratio to best fixed after gas {after_best})")
        )
    faults = summary.get("faults")
    if faults:
        got = faults["injected"]
        tries = sum(v for k, v in got.items() if k in FAILED_TRIES)
        surfaced = faults["surfaced_to_bot"]
        shown = ", ".join(f"{k} {v}" for k, v in surfaced.items() if v) or "none"
        typer.echo(
            f"  faults: {tries} failed tries ({got['calls_retried_ok']} calls recovered by the "
            f"adapters' retries), {got['market_outages']} market and {got['chain_outages']} "
            f"chain outages; errors that reached the bot: {shown}"
        )


FAILED_TRIES = frozenset(
    f"market_{side}_{kind}"
    for side in ("read", "write")
    for kind in ("429", "5xx", "timeout", "outage")
) | {"chain_read_error", "cancel_error", "pool_metrics_error"}


def _quiet_bot_logs(verbose: bool) -> None:
    """The cycle logs every stale read and failed write; a backtest counts them instead."""
    import logging

    if verbose:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    else:
        logging.getLogger("pricebot").addHandler(logging.NullHandler())


def backtest_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Directory for summary.json, timeseries.csv, plots.")
    ],
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="Scenario TOML (config/scenarios/*.toml).")
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option("--replay", help="Replay the snapshots of this journal (SQLite) instead."),
    ] = None,
    strategy: Annotated[
        str | None, typer.Option("--strategy", help="Strategy name (default: the scenario's).")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Strategy parameter KEY=VALUE (repeatable).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (default: the scenario's).")
    ] = None,
    days: Annotated[float | None, typer.Option("--days", help="Shorten the scenario.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a scenario value: PATH=VALUE, e.g. competitors.prod-paid.price=5e7",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="With --replay: the pool owner's config (offers, rails)."),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", help="Processes for the reference grid.")] = 1,
    references: Annotated[
        bool, typer.Option("--references/--no-references", help="Compute the hindsight references.")
    ] = True,
    plots: Annotated[bool, typer.Option("--plots/--no-plots")] = True,
    per_category_reference: Annotated[
        bool,
        typer.Option(
            "--per-category-reference",
            help="Also search the best fixed price per category (coordinate search: many runs).",
        ),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Print the bot's warnings (stale data, ...).")
    ] = False,
    own_deals: Annotated[
        str,
        typer.Option(
            "--own-deals",
            help="With --replay: the recorded pool's own deals are demand open to any pool "
            "(open), ours whatever competitors quote (captive), or not replayed (ignore).",
        ),
    ] = "open",
) -> None:
    """Run the live cycle over a simulated market (or a recorded journal) and report."""
    _quiet_bot_logs(verbose)
    params = _params(param)
    if scenario is None and replay is None:
        raise InputError(
            "--scenario/--replay",
            "give one of them (with --replay, --scenario only supplies the pool and [bot] config)",
        )
    if replay is not None:
        from bot.backtest.replay import run_replay, scenario_from_config
        from bot.sim.scenario import load_scenario

        if scenario is not None and config is not None:
            raise InputError("--config", "give --scenario or --config with --replay, not both")
        base = (
            load_scenario(scenario)
            if scenario is not None
            else scenario_from_config(config)
            if config is not None
            else None
        )
        from bot.backtest.replay import OWN_DEALS_MODES

        mode = next((m for m in OWN_DEALS_MODES if m == own_deals), None)
        if mode is None:
            raise InputError(
                "--own-deals", f"must be one of {', '.join(OWN_DEALS_MODES)}", own_deals
            )
        summary = run_replay(
            replay, out, strategy=strategy, params=params, scenario=base, own_deals=mode
        )
        typer.echo(json.dumps(summary, indent=2, sort_keys=True))
        return
    from bot.backtest import run_backtest

    assert scenario is not None
    frame = run_backtest(
        scenario,
        strategy,
        params,
        seed,
        days=days,
        overrides=_params(set_, "--set"),
        references=references,
        jobs=jobs,
        out=out,
        plots=plots,
        per_category_reference=per_category_reference,
    )
    _echo_summary(frame.attrs["summary"])
    typer.echo(f"wrote {out}/summary.json, timeseries.csv" + (", *.png" if plots else ""))


def sweep_cmd(
    scenario: Annotated[Path, typer.Option("--scenario", help="Scenario TOML.")],
    out: Annotated[
        Path, typer.Option("--out", help="Directory for leaderboard.csv, summary.json.")
    ],
    grid: Annotated[
        list[str] | None, typer.Option("--grid", help="KEY=V1,V2,... (repeatable: a product).")
    ] = None,
    random_n: Annotated[
        int | None, typer.Option("--random", help="N random draws within the declared bounds.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    jobs: Annotated[int, typer.Option("--jobs", help="Parallel processes.")] = 1,
    days: Annotated[float | None, typer.Option("--days", help="Shorten the scenario.")] = None,
    dask: Annotated[
        str | None, typer.Option("--dask", help="Address of an existing Dask scheduler.")
    ] = None,
    references: Annotated[bool, typer.Option("--references/--no-references")] = True,
    strategy: Annotated[
        str | None, typer.Option("--strategy", help="Strategy name (not with --from-manifest).")
    ] = None,
    from_manifest: Annotated[
        Path | None,
        typer.Option("--from-manifest", help="Re-run the sweep whose summary.json this is."),
    ] = None,
) -> None:
    """Run many backtests of one strategy in parallel and write a leaderboard."""
    _quiet_bot_logs(False)
    from bot.backtest import rerun_sweep, run_sweep
    from bot.backtest.sweep import parse_grid

    if from_manifest is not None:
        board = rerun_sweep(from_manifest, scenario, jobs=jobs, dask=dask, out=out, progress=True)
        _echo_board(board, out)
        return
    if strategy is None:
        raise InputError("--strategy", "is required (unless --from-manifest)")
    if (not grid) == (random_n is None):
        raise InputError("--grid/--random", "give exactly one of them")
    board = run_sweep(
        scenario,
        strategy,
        grid=parse_grid(grid) if grid else None,
        random=random_n,
        seed=seed,
        days=days,
        jobs=jobs,
        references=references,
        dask=dask,
        out=out,
        progress=True,
    )
    _echo_board(board, out)


def _echo_board(board: Any, out: Path) -> None:
    cols = [c for c in ("rank", "params", "revenue_nrlc", "ratio_to_best_fixed") if c in board]
    typer.echo(board[cols].head(10).to_string(index=False))
    typer.echo(f"wrote {out}/leaderboard.csv, summary.json")


def register(app: typer.Typer) -> None:
    """Add this module's top-level commands to the ``pricebot`` app."""
    app.command("backtest")(backtest_cmd)
    app.command("sweep")(sweep_cmd)
