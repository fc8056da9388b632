"""``pricebot self-play`` and ``pricebot tune``: strategies against each other, and tuned.

Heavy imports (the simulator, Optuna, pandas) happen inside the commands so that
``pricebot --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.errors import InputError

__all__ = ["register"]


def _names(raw: str, option: str) -> list[str]:
    """A comma-separated list of strategy names, each checked against the registry."""
    import strategies

    names = [n.strip() for n in raw.split(",") if n.strip()]
    if not names:
        raise InputError(option, "must list strategy names separated by commas", raw)
    for name in names:
        strategies.get(name)  # an unknown name fails naming strategy.name and the known ones
    return names


def _rlc(v: Any) -> str:
    return "-" if v is None else f"{v / 1e9:.4f} RLC"


def self_play_cmd(
    strategies: Annotated[
        str,
        typer.Option(
            "--strategies", help="Comma-separated built-ins, one pool each (the first is 'ours')."
        ),
    ],
    scenario: Annotated[
        Path, typer.Option("--scenario", help="Scenario TOML: demand, pool and [bot] config.")
    ] = Path("config/scenarios/stationary.toml"),
    days: Annotated[float | None, typer.Option("--days", help="Shorten the scenario.")] = 3.0,
    seed: Annotated[int, typer.Option("--seed", help="Demand and pool seed.")] = 1,
    keep_competitors: Annotated[
        bool,
        typer.Option(
            "--keep-competitors/--no-competitors",
            help="Keep the scenario's scripted competitor pools in the market (default: only "
            "the self-play pools compete).",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for selfplay.json, prices.csv, price.png."),
    ] = None,
) -> None:
    """Several pools, each priced by a strategy through the live cycle, on one market."""
    import logging

    from bot.backtest import prepare_scenario
    from bot.backtest.selfplay import self_play

    logging.getLogger("pricebot").addHandler(logging.NullHandler())
    names = _names(strategies, "--strategies")
    s = prepare_scenario(scenario, days)
    report = self_play(s, names, seed, keep_competitors=keep_competitors, out=out)
    typer.echo(
        f"self-play on {report['scenario']} ({report['days']} days, seed {seed}); baseline: "
        f"every pool 'fixed' at {report['fixed_baseline_params'] or 'its defaults'}"
    )
    for p in report["pools"]:
        typer.echo(
            f"  {p['pool']:<11} {p['strategy']:<12} net {_rlc(p['net_revenue_nrlc'])} "
            f"vs all-fixed {_rlc(p['all_fixed_net_revenue_nrlc'])} "
            f"(ratio {p['ratio_to_all_fixed']})"
        )
    typer.echo(
        f"  all pools: {_rlc(report['total_net_revenue_nrlc'])} vs all-fixed "
        f"{_rlc(report['all_fixed_total_net_revenue_nrlc'])} "
        f"(ratio {report['total_ratio_to_all_fixed']})"
    )
    for c, cat in report["categories"].items():
        m = cat["market"]
        typer.echo(
            f"category {c}: {m['verdict']} (market price median {_rlc(m['median'])}, "
            f"spread {m['spread']}, {m['reversals']} reversals; floor {_rlc(cat['floor_nrlc'])})"
        )
    if out is not None:
        typer.echo(f"wrote {out}/selfplay.json, prices.csv, price.png")


def register(app: typer.Typer) -> None:
    """Add this module's top-level commands to the ``pricebot`` app."""
    app.command("self-play")(self_play_cmd)
