"""``pricebot self-play`` and ``pricebot tune``: strategies against each other, and tuned.

Heavy imports (the simulator, Optuna, pandas) happen inside the commands so that
``pricebot --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.domain.errors import InputError

__all__ = ["register", "self_play_cmd", "tune_cmd"]


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
    market: Annotated[
        int | None,
        typer.Option("--market", help="Or a generated market: its seed (bot.sim.generator)."),
    ] = None,
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
    if market is not None:
        from bot.sim.generator import generate

        s = prepare_scenario(generate(market), days)
    else:
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


def _seeds(raw: str, option: str) -> list[int]:
    """``1-4``, ``1,2,7`` or a mix (``1-3,9``): distinct seeds, in the order given."""
    out: list[int] = []
    for part in (p.strip() for p in raw.split(",")):
        low, sep, high = part.partition("-")
        try:
            seeds = range(int(low), int(high) + 1) if sep else [int(part)]
        except ValueError:
            raise InputError(option, "must look like 1-4 or 1,2,7", raw) from None
        out.extend(s for s in seeds if s not in out)
    if not out:
        raise InputError(option, "names no seed", raw)
    return out


def tune_cmd(
    strategy: Annotated[str, typer.Argument(help="The strategy whose parameters to search.")],
    out: Annotated[
        Path,
        typer.Option("--out", help="Directory: study.sqlite3 (resumable), tune.json, params.toml."),
    ],
    markets: Annotated[
        int | None,
        typer.Option(
            "--markets",
            help="Tune on the first N generated markets of the frozen train split (and report "
            "on the test split's).",
        ),
    ] = None,
    test_markets: Annotated[
        int | None,
        typer.Option("--test-markets", help="With --markets: test markets (default: N)."),
    ] = None,
    classes: Annotated[
        str | None,
        typer.Option("--classes", help="With --markets: only these market classes (a,b)."),
    ] = None,
    scenario: Annotated[
        list[Path] | None,
        typer.Option("--scenario", help="Or: scenario TOML files x seeds (repeatable)."),
    ] = None,
    train_seeds: Annotated[
        str, typer.Option("--train-seeds", help="With --scenario: train seeds, e.g. 1-6.")
    ] = "1-4",
    test_seeds: Annotated[
        str, typer.Option("--test-seeds", help="Seeds of the test markets (never searched on).")
    ] = "101-104",
    days: Annotated[
        float | None,
        typer.Option("--days", help="Shorten every market (default: generated 3, files 3)."),
    ] = None,
    trials: Annotated[
        int, typer.Option("--trials", help="Trial budget of the study (resumed ones count).")
    ] = 40,
    seed: Annotated[int, typer.Option("--seed", help="The TPE sampler's seed.")] = 1,
    jobs: Annotated[int, typer.Option("--jobs", help="Parallel worker processes.")] = 1,
    aggregate: Annotated[
        str,
        typer.Option("--aggregate", help="Objective over the train markets: cvar50, mean or min."),
    ] = "cvar50",
    only: Annotated[
        str | None, typer.Option("--only", help="Search only these parameters (comma-separated).")
    ] = None,
) -> None:
    """Search a strategy's declared parameters with Optuna on train markets, report on test."""
    import shlex
    import sys

    import strategies
    from bot.backtest.tune import AGGREGATES, generated_markets, markets_of, tune

    strategies.get(strategy)
    kind = next((a for a in AGGREGATES if a == aggregate), None)
    if kind is None:
        raise InputError("--aggregate", f"must be one of {', '.join(AGGREGATES)}", aggregate)
    if jobs < 1:
        raise InputError("--jobs", "must be >= 1", jobs)
    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    if (markets is None) == (not scenario):
        raise InputError("--markets/--scenario", "give exactly one of them")
    if markets is not None:
        from bot.sim.generator import MARKET_CLASSES

        wanted = [c.strip() for c in classes.split(",") if c.strip()] if classes else None
        for c in wanted or ():
            if c not in MARKET_CLASSES:
                raise InputError("--classes", f"must be among {', '.join(MARKET_CLASSES)}", c)
        if markets < 1 or (test_markets is not None and test_markets < 1):
            raise InputError("--markets/--test-markets", "must be >= 1")
        train = generated_markets("train", markets, days, wanted)
        test = generated_markets("test", test_markets or markets, days, wanted)
    else:
        assert scenario is not None
        for path in scenario:
            if not path.is_file():
                raise InputError("--scenario", "file not found", str(path))
        length = 3.0 if days is None else days  # a shipped scenario runs 7 to 30 days
        train = markets_of(scenario, _seeds(train_seeds, "--train-seeds"), length)
        test = markets_of(scenario, _seeds(test_seeds, "--test-seeds"), length)
    report = tune(
        strategy,
        train,
        test,
        out,
        trials=trials,
        seed=seed,
        jobs=jobs,
        kind=kind,
        only=names,
        command="pricebot " + shlex.join(sys.argv[1:]),
    )
    t = report["trials"]
    typer.echo(
        f"{strategy}: {t['total']} trials ({t['complete']} complete, {t['pruned']} pruned, "
        f"{t['failed']} failed; {t['resumed_from']} from before), objective {kind} of the "
        f"per-market score ({report['score']})"
    )
    typer.echo(f"{'':<10}{'train':>10}{'test':>10}   ({len(train)} train, {len(test)} test)")
    for label in ("chosen", "default"):
        typer.echo(
            f"{label:<10}{report[f'{label}_train']['aggregate']:>10}"
            f"{report[f'{label}_test']['aggregate']:>10}"
        )
    gain = report["gain_over_default"]
    typer.echo(
        f"overfit gap (chosen, train - test): {report['overfit_gap']}; gain over the defaults: "
        f"train {gain['train']:+}, test {gain['test']:+}"
    )
    typer.echo(f"wrote {out}/tune.json, params.toml (study: {out}/study.sqlite3)")


def register(app: typer.Typer) -> None:
    """Add this module's top-level commands to the ``pricebot`` app."""
    app.command("self-play")(self_play_cmd)
    app.command("tune")(tune_cmd)
