"""``pricebot run | once | status | withdraw | record``: the service's commands.

Dry-run is the default everywhere the bot would act by itself (``run``, ``once``): it samples,
decides and records what it would do, changing nothing. ``--live`` on the command line is the only
way to act for real; no config key can switch it on. ``withdraw`` is the kill switch and acts for
real unless ``--dry-run`` is given.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from bot.engine.cycle import TickResult

__all__ = [
    "plan_rows",
    "register",
]

ConfigOpt = Annotated[
    Path,
    typer.Option("--config", "-c", help="The pool owner's TOML config.", dir_okay=False),
]
LiveOpt = Annotated[
    bool,
    typer.Option("--live", help="Act for real (sign, publish, cancel). Default: dry-run."),
]


def _setup_logging(verbose: bool = False) -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"
            )
        )
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("httpx", "httpcore", "apscheduler", "web3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _rlc(nrlc: int | None) -> str:
    if nrlc is None:
        return "-"
    from bot.domain.order_io import format_rlc

    return format_rlc(nrlc)


def _table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*r)
    Console(width=160).print(table)


def plan_rows(result: TickResult) -> list[list[str]]:
    """category, our price, best competitor, utilization, action, reason: one row per step."""
    snap = result.snapshot
    util = snap.utilization
    util_text = "-" if util is None else f"{util.ratio:.0%} ({util.free_slots} free)"
    best: dict[int, int] = {}
    for (category, _tag), entries in snap.competitors.items():
        prices = [e.price for e in entries]
        if prices:
            best[category] = min(best.get(category, prices[0]), min(prices))
    rows = []
    for step in result.report.steps:
        cat = step.category
        rows.append(
            [
                "-" if cat is None else str(cat),
                _rlc(step.price),
                _rlc(best.get(cat)) if cat is not None else "-",
                util_text,
                f"{step.kind} ({step.outcome})",
                step.reason + (f" [{step.detail}]" if step.detail else ""),
            ]
        )
    if not rows:
        rows.append(["-", "-", "-", util_text, "nothing", "no order wanted and none held"])
    return rows


def _load(config: Path) -> Any:
    from bot.config.schema import load_config

    return load_config(config)


def _offline_status_json(cfg: Any, settings: Any, snap: Any, state: Any) -> str:
    """``status --json`` when the service is not running: the same shape, from a fresh sample."""
    import json
    from dataclasses import replace

    from bot.ops import initial_view, status_json

    view = initial_view(cfg, settings, started_at=float(snap.at))
    view = replace(view, snapshot=snap, source_errors=dict(state.sampler.errors))
    body = status_json(view, time.time())
    body["state"] = "not running"
    body.pop("health", None)
    return json.dumps(body, indent=2, sort_keys=True)


def register(app: typer.Typer) -> None:
    """Add the service commands at the top level of ``pricebot``."""

    @app.command("run")
    def run(
        config: ConfigOpt,
        live: LiveOpt = False,
        seed: Annotated[int | None, typer.Option(help="Seed handed to the strategy.")] = None,
        verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    ) -> None:
        """Run the bot until SIGTERM/SIGINT: sample, reprice, reconcile and record on schedule."""
        from bot.app.service import PricebotService, build_runtime
        from bot.domain.errors import OwnershipError
        from bot.ops import build_ops

        _setup_logging(verbose)
        cfg = _load(config)
        runtime = build_runtime(cfg, live=live)
        try:
            signer = runtime.ports.signer
            ops = build_ops(
                cfg,
                runtime.settings,
                journal_path=runtime.journal.path,
                clock=time.time,
                expected_owner=None if signer is None else signer.address,
            )
            service = PricebotService(runtime, seed=seed, ops=ops, config_path=config)
            service.run_forever()
        except OwnershipError as exc:
            # Not a crash to restart from: the pool changed hands or the key is wrong.
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        finally:
            runtime.close()

    @app.command("once")
    def once(
        config: ConfigOpt,
        live: LiveOpt = False,
        seed: Annotated[int | None, typer.Option(help="Seed handed to the strategy.")] = None,
        verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    ) -> None:
        """Reconcile, run one cycle and print the plan as a table."""
        from bot.app.service import PricebotService, build_runtime
        from bot.domain.timefmt import when

        _setup_logging(verbose)
        cfg = _load(config)
        runtime = build_runtime(cfg, live=live)
        try:
            service = PricebotService(runtime, seed=seed)
            service.reconcile()
            result = service.reprice()
            mode = "LIVE" if live else "dry-run (nothing changed; --live to act)"
            _table(
                f"plan at {when(result.at, time.time())} - {mode}",
                ["category", "our price", "best competitor", "utilization", "action", "reason"],
                plan_rows(result),
            )
            if result.kill:
                typer.echo(f"kill switch: {result.kill}", err=True)
        finally:
            runtime.close()

    @app.command("status")
    def status(
        config: ConfigOpt,
        as_json: Annotated[
            bool, typer.Option("--json", help="The running service's /api/v1/status as JSON.")
        ] = False,
    ) -> None:
        """Our orders, the competing book, utilization, stake, gas-wallet balance, last cycle."""
        from bot.adapters.journal import SqliteJournal, journal_path
        from bot.app.service import build_runtime
        from bot.domain.timefmt import when
        from bot.engine.cycle import CycleState
        from bot.engine.samplers import sample_snapshot

        _setup_logging(False)
        logging.getLogger().setLevel(logging.WARNING)
        cfg = _load(config)
        if as_json:
            from bot.app.commands.ops_cmd import status_json_text

            text = status_json_text(cfg)
            if text is not None:
                typer.echo(text)
                return
        live_path = journal_path(cfg.service.journal_dir, live=True)
        # Status reads the live journal if there is one; it never creates one.
        journal = SqliteJournal(live_path if live_path.exists() else ":memory:", create=False)
        runtime = build_runtime(
            cfg, live=True, need_owner_key=False, need_gas_key=False, journal=journal
        )
        try:
            state = CycleState.restore(runtime.journal)
            snap = sample_snapshot(runtime.ports, runtime.settings, state.sampler)
            if as_json:
                typer.echo(_offline_status_json(cfg, runtime.settings, snap, state))
                return
            rows = [
                [
                    o.order_hash[:18] + "…",
                    str(o.category),
                    _rlc(o.price),
                    f"{o.remaining}/{o.signed.order.volume}",
                    "listed" if o.published else "unlisted (valid on chain)",
                ]
                for o in snap.own_orders
            ]
            _table("our valid orders", ["hash", "category", "price", "remaining", "state"], rows)
            book_rows = []
            for (category, tag), entries in sorted(snap.competitors.items()):
                for e in entries[:5]:
                    book_rows.append(
                        [str(category), hex(tag), _rlc(e.price), str(e.remaining), e.workerpool]
                    )
            _table(
                "competing book (5 cheapest per offer)",
                ["category", "tag", "price", "remaining", "workerpool"],
                book_rows,
            )
            u = snap.utilization
            drops: dict[str, int] = getattr(runtime.ports.market, "signature_drops", {})
            lines = (
                []
                if not drops
                else [
                    f"competing book: left out {sum(drops.values())} order(s) PoCo would refuse ("
                    + ", ".join(f"{kind}: {n}" for kind, n in sorted(drops.items()))
                    + ")"
                ]
            )
            lines += [
                "utilization: "
                + (
                    "unknown"
                    if u is None
                    else f"{u.computing_cpu}/{u.registered_cpu} CPU slots computing, "
                    f"backlog {u.backlog}, {u.free_slots} free"
                ),
                "stake: "
                + (
                    "unknown"
                    if snap.stake is None
                    else f"{_rlc(snap.stake.free)} free, {_rlc(snap.stake.locked)} locked"
                ),
            ]
            try:
                gas = runtime.ports.chain.gas_balance()
                lines.append(f"gas wallet: {gas / 10**18:.6f} ETH")
            except Exception as exc:
                lines.append(f"gas wallet: unavailable ({exc})")
            if snap.stale:
                lines.append("stale: " + ", ".join(sorted(snap.stale)))
            for live in (True, False):
                path = journal_path(cfg.service.journal_dir, live=live)
                if not path.exists():
                    continue
                j = runtime.journal if live else SqliteJournal(path, create=False)
                last = j.last_decision()
                label = "live" if live else "dry-run"
                if last is None:
                    lines.append(f"last cycle ({label}): none")
                else:
                    at, payload = last
                    steps = payload.get("steps", [])
                    summary = ", ".join(f"{s['kind']} {s['outcome']}" for s in steps) or "nothing"
                    lines.append(f"last cycle ({label}) at {when(at, time.time())}: {summary}")
                if not live:
                    j.close()
            for line in lines:
                typer.echo(line)
        finally:
            runtime.close()

    @app.command("withdraw")
    def withdraw_cmd(
        config: ConfigOpt,
        cancel: Annotated[
            bool, typer.Option("--cancel", help="Also close every valid order on chain.")
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Only show what would be done.")
        ] = False,
    ) -> None:
        """Kill switch: unpublish all our orders; with --cancel close every valid one on chain."""
        from bot.adapters.journal import SqliteJournal, journal_path
        from bot.app.service import build_runtime, withdraw
        from bot.engine.cycle import CycleState

        _setup_logging(False)
        cfg = _load(config)
        runtime = build_runtime(
            cfg, live=not dry_run, need_owner_key=True, need_gas_key=cancel and not dry_run
        )
        try:
            live_path = journal_path(cfg.service.journal_dir, live=True)
            if dry_run and live_path.exists():
                # The preview must see the orders the live bot journalled, not the dry-run file's.
                live_journal = SqliteJournal(live_path, create=False)
                try:
                    state = CycleState.restore(live_journal)
                finally:
                    live_journal.close()
            else:
                state = CycleState.restore(runtime.journal)
            report = withdraw(runtime.ports, cfg.workerpool, state, runtime.executor, cancel=cancel)
            for step in report.steps:
                typer.echo(f"{step.kind} {step.order_hash} -> {step.outcome} {step.detail}")
            failed = report.failures
            typer.echo(
                f"unpublished {report.count('unpublish')}, cancelled {report.count('cancel')}, "
                f"failed {len(failed)}"
            )
            if failed:
                raise typer.Exit(1)
        finally:
            runtime.close()

    @app.command("prune")
    def prune(
        config: ConfigOpt,
        keep_days: Annotated[
            float | None,
            typer.Option(
                min=0.0,
                max=36_500.0,  # as service.journal_keep_days; refuses inf (nan fails min)
                help="Keep this many days of history (default: service.journal_keep_days).",
            ),
        ] = None,
        vacuum: Annotated[
            bool, typer.Option(help="Give the freed space back to the file system (slower).")
        ] = False,
    ) -> None:
        """Delete old journal history: snapshots, decisions, closed orders and their actions.

        Orders that may still be valid on chain keep their rows and every action.
        """
        import time

        from bot.adapters.journal import journal_path, open_journal

        _setup_logging(False)
        cfg = _load(config)
        days = cfg.service.journal_keep_days if keep_days is None else keep_days
        if days <= 0:
            typer.echo(
                "nothing to do: give --keep-days N (N > 0) or set service.journal_keep_days",
                err=True,
            )
            raise typer.Exit(2)
        found = False
        for live in (True, False):  # the live journal and the dry-run one, where they exist
            path = journal_path(cfg.service.journal_dir, live=live)
            if not path.exists():
                continue
            found = True
            journal = open_journal(cfg.service.journal_dir, live=live, create=False)
            try:
                deleted = journal.prune(time.time() - days * 86_400, vacuum=vacuum)
            finally:
                journal.close()
            summary = ", ".join(f"{n} {table}" for table, n in deleted.items())
            typer.echo(f"pruned {path} (older than {days:g} days): {summary}")
        if not found:
            typer.echo(f"no journal in {cfg.service.journal_dir}", err=True)
            raise typer.Exit(2)

    @app.command("record")
    def record(
        config: ConfigOpt,
        count: Annotated[
            int, typer.Option(help="Stop after this many snapshots (0 = until SIGTERM).")
        ] = 0,
    ) -> None:
        """Journal live snapshots (no decision, no action) for replay backtests."""
        import signal
        import threading

        from bot.app.service import build_runtime
        from bot.engine.cycle import CycleState
        from bot.engine.samplers import sample_snapshot
        from bot.engine.snapshot_codec import snapshot_to_payload

        _setup_logging(False)
        cfg = _load(config)
        runtime = build_runtime(cfg, live=False)
        stop = threading.Event()
        previous = {
            sig: signal.signal(sig, lambda *_: stop.set())
            for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            state = CycleState.restore(runtime.journal)
            n = 0
            while not stop.is_set():
                snap = sample_snapshot(runtime.ports, runtime.settings, state.sampler)
                runtime.journal.record_snapshot(snap.at, snapshot_to_payload(snap))
                n += 1
                logging.getLogger("pricebot.record").info(
                    "snapshot %d recorded (stale: %s)", n, ", ".join(sorted(snap.stale)) or "none"
                )
                if count and n >= count:
                    break
                stop.wait(cfg.schedule.record_seconds)
            typer.echo(f"{n} snapshots in {runtime.journal.path}")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            runtime.close()
