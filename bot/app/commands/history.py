"""``pricebot history``: what the pool earned per UTC day, and what `fixed` would have (estimate).

The recorded figures come from the journal only (read-only, safe beside a running bot): our
pool's deals in the recorded snapshots, each deal once, and the actions per day. The baseline
is a replay backtest (``bot.backtest.replay``) of the `fixed` strategy over the same recorded
snapshots: a counterfactual under a stated fill model, so it is printed as an estimate, beside
the recorded revenue over the same span, never mixed with it (Hummingbot's ``history`` compares
with a "hold" baseline the same way).
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from bot.domain.errors import InputError

__all__ = ["fixed_baseline_params", "history"]


def fixed_baseline_params(
    cfg_strategy: str, raw: dict[str, object], given: list[str]
) -> dict[str, object] | None:
    """`fixed`'s params for the baseline: ``--fixed-price`` values, else the config's own
    prices when its strategy is `fixed`; None when neither names a price."""
    from bot.domain.order_io import parse_price

    if not given:
        if cfg_strategy != "fixed":
            return None
        return {k: v for k, v in raw.items() if k in ("price", "prices", "volume", "volumes")}
    prices: dict[int, int] = {}
    single: int | None = None
    for item in given:
        cat, sep, value = item.partition("=")
        if not sep:
            single = parse_price(item, "--fixed-price")
            continue
        if not cat.strip().isdigit():
            raise InputError("--fixed-price", "must be CAT=PRICE with a category id", item)
        prices[int(cat)] = parse_price(value, f"--fixed-price {cat}")
    out: dict[str, object] = {"prices": prices}
    if single is not None:
        out["price"] = single
    return out


def history(
    config: Path, *, days: int, fixed_price: list[str], baseline: bool, dry_run_journal: bool
) -> None:
    from rich.console import Console
    from rich.table import Table

    from bot.adapters.journal import check_journal_file, journal_path
    from bot.config.schema import load_config
    from bot.domain.order_io import format_rlc
    from bot.domain.timefmt import when
    from bot.ops import JournalReader

    cfg = load_config(config)
    path = journal_path(cfg.service.journal_dir, live=not dry_run_journal)
    if not path.exists():
        raise InputError("--config", f"no journal at {path} (nothing recorded yet)")
    check_journal_file(path)
    reader = JournalReader(path)
    try:
        per_day = reader.deals_by_day()
        span = reader.snapshot_span()
        actions = reader.actions_by_day()
        same = None if span is None else reader.deals_between(span[0], span[1])
    finally:
        reader.close()
    now = time.time()
    shown = sorted(set(per_day) | set(actions))[-days:]
    table = Table(
        title=f"history from {path.name} (UTC days; deals from the recorded snapshots)",
        title_justify="left",
    )
    for column in ("day", "deals", "tasks", "revenue", "actions", "failed"):
        table.add_column(column, justify="left" if column == "day" else "right")
    for day in shown:
        d = per_day.get(day)
        ok, failed = actions.get(day, (0, 0))
        table.add_row(
            day,
            str(0 if d is None else d.deals),
            str(0 if d is None else d.tasks),
            format_rlc(0 if d is None else d.revenue_nrlc),
            str(ok),
            str(failed),
        )
    console = Console(width=160)
    console.print(table)
    total = sum(d.revenue_nrlc for d in per_day.values())
    tasks = sum(d.tasks for d in per_day.values())
    if span is None:
        typer.echo("no snapshot recorded: nothing to compare (schedule.record_seconds)")
        return
    first, last, count = span
    typer.echo(
        f"recorded: {format_rlc(total)} for {tasks} task(s), {count} snapshots from "
        f"{when(first, now)} to {when(last, now)}"
    )
    if not baseline:
        return
    params = fixed_baseline_params(cfg.strategy.name, dict(cfg.strategy.params), fixed_price)
    if params is None:
        typer.echo(
            f"baseline: the strategy is {cfg.strategy.name}, not fixed; give --fixed-price "
            "CAT=PRICE to compare with `fixed`"
        )
        return
    if count < 2:
        typer.echo("baseline: needs at least two recorded snapshots")
        return
    from bot.backtest.replay import REPLAY_FILL_MODEL, replay, scenario_from_config

    run, _scenario, _demand = replay(
        path, strategy="fixed", params=params, scenario=scenario_from_config(config)
    )
    from bot.app.commands.config_cmd import fixed_prices

    offered = {o.category for o in cfg.offers}
    prices = fixed_prices(None, params, offered) or {}
    at = ", ".join(f"cat {c} at {format_rlc(p)}" for c, p in sorted(prices.items()) if c in offered)
    typer.echo(
        f"ESTIMATE, `fixed` ({at}): {format_rlc(run.net_revenue)} for "
        f"{run.counters.tasks_served} task(s) over the same {count} snapshots (replay backtest, "
        f"seed 1; fill model: {REPLAY_FILL_MODEL})"
    )
    assert same is not None
    typer.echo(
        f"recorded over the same span: {format_rlc(same.revenue_nrlc)} for {same.tasks} task(s)"
    )
    diff = same.revenue_nrlc - run.net_revenue
    sign = "more" if diff >= 0 else "less"
    typer.echo(f"the bot earned {format_rlc(abs(diff))} {sign} than the estimate for `fixed`")
