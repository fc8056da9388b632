"""``pricebot config``: validate a pool owner's configuration and show what it means in RLC.

A price per task means little to an owner who thinks in hours of machine time, so ``check``
prints each price in nRLC, in RLC per task and in RLC per hour of the category's reference time
(workClockTimeRef): the same price is a very different hourly rate on XS (300 s) and on XL (10 h).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.domain.errors import BotError, InputError

if TYPE_CHECKING:
    from bot.config.schema import BotConfig

__all__ = [
    "app",
    "check_cmd",
    "fixed_prices",
    "price_lines",
]

app = typer.Typer(no_args_is_help=True, help="Check a pool-owner configuration.")


def _per_hour(price: int, ref_seconds: int) -> str:
    from bot.domain.order_io import format_rlc

    scaled, rest = divmod(price * 3600, ref_seconds)
    return ("" if rest == 0 else "~") + format_rlc(scaled) + "/h"


def price_lines(label: str, price: int, categories: Mapping[int, tuple[str, int]]) -> list[str]:
    """One line per category: nRLC, RLC per task and RLC per hour of workClockTimeRef."""
    from bot.domain.order_io import format_rlc

    lines = []
    for cat_id, (name, ref) in sorted(categories.items()):
        lines.append(
            f"  {label:<9} cat {cat_id} ({name}, {ref} s): {price} nRLC = "
            f"{format_rlc(price)}/task = {_per_hour(price, ref)}"
        )
    return lines


def _as_int_key(key: object) -> int | None:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.strip().isascii() and key.strip().isdigit():
        return int(key)
    return None


def fixed_prices(params: Any, raw: Mapping[str, Any], offered: set[int]) -> dict[int, int] | None:
    """The fixed strategy's price per category, from its typed params or the raw table.

    ``prices`` (category -> price) wins; ``price`` applies to every offered category not in the
    table. None when neither is set. Prices go through :func:`bot.domain.order_io.parse_price`.
    """
    from bot.domain.order_io import parse_price

    def get(key: str) -> Any:
        if params is not None and getattr(params, key, None) is not None:
            return getattr(params, key)
        return raw.get(key)

    out: dict[int, int] = {}
    table = get("prices")
    if isinstance(table, Mapping):
        for key, value in table.items():
            cat = _as_int_key(key)
            if cat is None:
                raise InputError("strategy.params.prices", "keys must be category ids", key)
            out[cat] = parse_price(value, f"strategy.params.prices.{key}")
    single = get("price")
    if single is not None:
        price = parse_price(single, "strategy.params.price")
        out.update({cat: price for cat in offered if cat not in out})
    return out or None


@app.command("check")
def check_cmd(
    file: Annotated[Path, typer.Argument(help="The TOML config to check.", show_default=False)],
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Also read the chain, marketplace and core /metrics the config names (reads "
            "only: nothing is signed, published or sent).",
        ),
    ] = False,
) -> None:
    """Validate FILE and print its rails and, for the fixed strategy, its prices.

    Exit 0 if valid; exit 2 with `error: <key.path>: <rule>` on stderr if not. Without
    `--online` no key is read and nothing is contacted: this only checks the file. With it,
    every endpoint is read once as a tick would (chain domain, workerpool owner against the
    owner key, stake, gas wallet, order book, request book, deals, /metrics); each failure is a
    `FAIL` line and the exit code is 1.
    """
    from bot.domain.errors import exit_code_for

    try:
        for line in _check(file):
            typer.echo(line)
        if online:
            failures = 0
            for ok, line in _online(file):
                typer.echo(("ok   " if ok else "FAIL ") + line)
                failures += not ok
            if failures:
                typer.echo(f"error: {failures} online check(s) failed", err=True)
                raise typer.Exit(1)
    except BotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exit_code_for(exc)) from None


def _online(file: Path) -> list[tuple[bool, str]]:
    """Read every endpoint once, as a dry-run tick would, and say what answered.

    The checks themselves are ``bot.ops.preflight_checks``: ``/readyz`` shows the same lines
    over the running service's last sample.
    """
    from bot.adapters.journal import SqliteJournal, journal_path
    from bot.app.service import build_runtime
    from bot.config.schema import load_config
    from bot.engine.cycle import CycleState
    from bot.engine.samplers import sample_snapshot
    from bot.ops import PreflightInput, preflight_checks

    cfg = load_config(file)
    # The chain adapter checks the chain id and the hub's EIP-712 domain when it connects.
    runtime = build_runtime(
        cfg, live=False, need_owner_key=False, need_gas_key=False, journal=SqliteJournal(":memory:")
    )
    try:
        ports, settings = runtime.ports, runtime.settings
        memory = CycleState().sampler
        live_journal = journal_path(cfg.service.journal_dir, live=True)
        if live_journal.exists():  # the orders a restart would track (never creates the file)
            journal = SqliteJournal(live_journal, create=False)
            try:
                memory.track_from_journal(journal)
            finally:
                journal.close()
        tracked = len(memory.tracked)
        snap = sample_snapshot(ports, settings, memory)
        what = f"{tracked} open in {live_journal}" if tracked else "none in the journal"
        checks = preflight_checks(
            PreflightInput(
                chain_id=ports.chain.chain_id,
                part_errors=dict(memory.errors),
                core_configured=ports.metrics is not None,
                own_orders_line=f"{what}, {len(snap.own_orders)} still valid",
                owner=memory.owner,
                signer=None if ports.signer is None else ports.signer.address,
                stake=snap.stake,
                low_gas_wei=settings.low_gas_wei,
                gas_wei=memory.gas_wei,
                gas_error=memory.gas_error,
                utilization=snap.utilization,
            )
        )
    finally:
        runtime.close()
    return [(c.ok, c.line) for c in checks]


def _check(file: Path) -> list[str]:
    from bot.config.schema import load_config, validate_strategy
    from bot.domain.model import tag_names
    from bot.domain.order_io import format_rlc

    cfg = load_config(file, check_strategy=False)
    params = validate_strategy(cfg)
    net = cfg.network_obj()
    offered = {o.category for o in cfg.offers}
    cats = {c.id: (c.name, c.work_clock_time_ref) for c in net.categories if c.id in offered}
    lines = [
        f"{file}: OK",
        f"network   {net.name} (chain {net.chain_id}, hub {net.hub})",
        f"workerpool {cfg.workerpool}",
        f"strategy  {cfg.strategy.name}",
        "offers:",
    ]
    for offer in cfg.offers:
        tags = ",".join(tag_names(offer.tag)) or "standard"
        lines.append(
            f"  category {offer.category} tag {tags} trust {offer.trust} "
            f"max_volume {offer.max_volume} task {offer.task_seconds} s"
        )
    demand = cfg.market_demand()
    lines.append(
        f"marketplace: {demand.explain()}; budget {cfg.market_budget_per_minute():g}/min "
        "(schedule.market_budget_per_minute)"
    )
    lines.append(
        f"rails: floor {cfg.rails.floor} nRLC ({format_rlc(cfg.rails.floor)}/task), "
        f"ceiling {cfg.rails.ceiling} nRLC ({format_rlc(cfg.rails.ceiling)}/task)"
    )
    lines += price_lines("floor", cfg.rails.floor, cats)
    lines += price_lines("ceiling", cfg.rails.ceiling, cats)
    lines.append(_gate_line(cfg))
    if cfg.fills.enabled:
        lines.append(_fills_line(cfg))
    if cfg.strategy.name == "fixed":
        prices = fixed_prices(params, cfg.strategy.params, offered)
        if prices is None:
            lines.append("fixed prices: none found in strategy.params")
        else:
            lines.append("fixed prices:")
            for cat_id, price in sorted(prices.items()):
                try:
                    cat = net.category(cat_id)
                except InputError:
                    raise InputError(
                        f"strategy.params.prices.{cat_id}",
                        f"category {cat_id} is not in {net.name}'s table",
                    ) from None
                targets = {cat.id: (cat.name, cat.work_clock_time_ref)}
                lines += price_lines("price", price, targets)
                if not cfg.rails.floor <= price <= cfg.rails.ceiling:
                    lines.append(
                        f"  warning: {format_rlc(price)} is outside the rails; "
                        "the rails will clamp it"
                    )
    return lines


def _fills_line(cfg: BotConfig) -> str:
    """The fill policy (bot.pricing.fills.FillPolicy): the price and, with ``listed``, the
    listing rule's settings."""
    f = cfg.fills
    head = f"fills: on, at {'the cap' if f.price == 'cap' else 'min(cap, listed)'}, "
    head += f"at most {f.max_per_tick} per tick and {f.daily_gas_budget} gas a day; "
    head += (
        f"a fill must earn its gas and {f.displacement:g} x the posted sales it displaces"
        if f.displacement > 0
        else "posted sales a fill displaces not counted (displacement 0)"
    )
    if f.displacement > 0 and f.busy_posted_only:
        head += " (the pool's busy share: its posted sales' part only)"
    if f.idle_under_listing:
        head += "; a fill under the listing only into slots expected idle over its run time"
    if f.price != "listed":
        return head
    return (
        f"{head}; listing raised when fills earn {f.raise_margin:g} x the posted sales at "
        f"risk, priced on {f.memory_hours:g} h of waiting requests (a slot with fewer than "
        f"{f.min_revealed}: its last {f.min_revealed}, back to {f.thin_memory_hours:g} h; "
        f"{f.min_revealed_unsold} where nothing sold posted)"
        + (
            f"; raised before {f.memory_hours:g} h once {f.open_revealed} requests were seen"
            if f.open_revealed
            else ""
        )
        + ("; a request above a climbing listing waits for it" if f.wait_for_listing else "")
    )


def _gate_line(cfg: BotConfig) -> str:
    """The raise gate the rails apply (bot.pricing.rails.gate_raise): whose factor, what gas."""
    from bot.domain.order_io import format_rlc
    from strategies import get

    factor = cfg.rails.raise_gain_factor
    whose = "rails.raise_gain_factor"
    if factor is None:
        factor, whose = get(cfg.strategy.name).raise_gain_factor, f"{cfg.strategy.name}'s own"
    gas = cfg.rails.cancel_gas_cost
    if not factor:
        return f"raise gate: off (factor 0, {whose})"
    return (
        f"raise gate: a raise must gain {factor:g} x its cancels' gas ({whose}), "
        f"{gas} nRLC ({format_rlc(gas)}) per cancel"
    )
