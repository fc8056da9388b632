"""``pricebot bench-strategies``: every strategy on generated markets it was never tuned on.

The logic is ``bot.backtest.bench``; this only parses options, reports progress and prints the
table. Heavy imports happen inside the command so that ``pricebot --help`` stays fast.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.domain.errors import InputError

if TYPE_CHECKING:
    from bot.backtest.bench import MarketResult

__all__ = ["bench_strategies_cmd", "register"]


def _names(items: list[str] | None) -> list[str]:
    import strategies

    if not items:
        return list(strategies.BUILTINS)
    names = [n.strip() for item in items for n in item.split(",") if n.strip()]
    if not names:
        raise InputError("--strategies", "names no strategy")
    for n in names:
        strategies.get(n)  # an unknown name: InputError naming it (exit 2)
    return list(dict.fromkeys(names))


def bench_strategies_cmd(
    markets: Annotated[
        int, typer.Option("--markets", help="How many markets: the first N seeds of the split.")
    ],
    split: Annotated[
        str, typer.Option("--split", help="train (tuning) or test (reported figures).")
    ] = "test",
    strategies_: Annotated[
        list[str] | None,
        typer.Option(
            "--strategies",
            help="Strategy names, comma-separated or repeated (default: every built-in).",
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Parallel processes.")] = 1,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory (default .cache/bench-strategies/SPLIT-N)."),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="Where references are cached (default .cache/yardstick)."),
    ] = None,
    days: Annotated[
        float | None,
        typer.Option("--days", help="Shorten every market (quick looks; not the benchmark)."),
    ] = None,
) -> None:
    """Run strategies on generated markets; a table per market class and a plot.

    Scores are after-gas net revenue over the best fixed prices per category in hindsight
    (docs/generator.md, docs/backtesting.md). Results are appended as they come, so the same
    command resumes an interrupted run; references are cached per market.
    """
    from bot.backtest.bench import bench, strategy_specs, write_outputs
    from bot.backtest.yardstick import DEFAULT_CACHE_DIR
    from bot.sim.generator import GENERATOR_VERSION, split_seeds

    if split not in ("train", "test"):
        raise InputError("--split", "must be train or test", split)
    if markets < 1:
        raise InputError("--markets", "must be >= 1", markets)
    if not 1 <= workers <= 64:
        raise InputError("--workers", "must be between 1 and 64", workers)
    if days is not None and not 0 < days <= 3:
        raise InputError("--days", "must be in (0, 3]", days)
    names = _names(strategies_)
    seeds = split_seeds(split, markets)
    out_dir = out or Path(".cache") / "bench-strategies" / f"{split}-{markets}"
    started = time.perf_counter()
    typer.echo(
        f"{len(names)} strategies x {len(seeds)} {split} markets (seeds {seeds[0]}..{seeds[-1]},"
        f" generator v{GENERATOR_VERSION}), {workers} worker(s) -> {out_dir}"
    )

    def progress(done: int, total: int, batch: list[MarketResult]) -> None:
        typer.echo(f"  market {done}/{total} done ({time.perf_counter() - started:.0f} s)")

    results = bench(
        strategy_specs(names),
        seeds,
        out_dir=out_dir,
        workers=workers,
        cache_dir=cache_dir or DEFAULT_CACHE_DIR,
        days=days,
        progress=progress,
    )
    title = (
        f"bench-strategies: {split} split, {len(seeds)} markets (seeds {seeds[0]}..{seeds[-1]}),"
        f" generator v{GENERATOR_VERSION}"
        + ("" if days is None else f", shortened to {days:g} days")
    )
    table = write_outputs(results, out_dir, title)
    all_rows = table[table.market_class == "all"]
    for row in all_rows.itertuples(index=False):
        typer.echo(
            f"{row.strategy:>12}: median {row.score_median}, p10 {row.score_p10}, "
            f"min {row.score_min}, mean {row.score_mean} over {row.markets} markets"
        )
    typer.echo(f"table: {out_dir / 'table.md'}; plot: {out_dir / 'scores.png'}")


def register(app: typer.Typer) -> None:
    """Add ``bench-strategies`` to the ``pricebot`` app."""
    app.command("bench-strategies")(bench_strategies_cmd)
