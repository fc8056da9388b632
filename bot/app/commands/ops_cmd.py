"""``pricebot health | pause | resume | reload | cancel | history | alert test``.

All but ``history`` are calls on the running service's ops server over loopback with the token:
one process owns the journal and the gas wallet's nonce, never a second one beside it.

``health`` is for cron and container checks: exit 0 when /healthz says 200, 1 otherwise (with
the reason on one line). ``pause`` keeps the bot sampling but stops it acting; the flag is
persisted, so a restarted bot stays paused until ``resume``. When the service is not running,
``pause``/``resume`` set or clear the flag it will read at start.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.config.schema import BotConfig

__all__ = [
    "alert_test",
    "register",
    "status_json_text",
]

ConfigOpt = Annotated[
    Path,
    typer.Option("--config", "-c", help="The pool owner's TOML config.", dir_okay=False),
]


def _load(config: Path) -> BotConfig:
    from bot.config.schema import load_config

    return load_config(config)


def _pause_or_resume(config: Path, action: str) -> None:
    from bot.domain.errors import TransientError
    from bot.ops import OpsClient, PauseFlag

    cfg = _load(config)
    client = OpsClient(cfg)
    try:
        body = client.control(action)
    except TransientError:
        flag = PauseFlag(cfg.service.journal_dir)
        if action == "pause":
            flag.set("paused by the owner while stopped (pricebot pause)", time.time())
        else:
            flag.clear()
        typer.echo(
            f"the service is not running: it will start {'paused' if action == 'pause' else 'acting'}"
        )
        return
    state = "paused (sampling, not acting)" if body.get("paused") is True else "acting"
    already = "" if body.get("changed") else " (it already was)"
    typer.echo(f"{state}{already}")


def register(app: typer.Typer) -> None:
    """Add ``health``, ``pause``, ``resume`` and ``alert test`` to ``pricebot``."""
    app.add_typer(alert_app, name="alert")

    @app.command("health")
    def health_cmd(config: ConfigOpt) -> None:
        """Exit 0 if the running service is healthy (/healthz 200), else 1, with the reason."""
        from bot.domain.errors import TransientError
        from bot.ops import OpsClient

        client = OpsClient(_load(config))
        try:
            code, body = client.get("/healthz")
        except TransientError as exc:
            typer.echo(f"unhealthy: {exc}", err=True)
            raise typer.Exit(1) from None
        reason = str(body.get("reason", ""))
        if code == 200:
            typer.echo(f"healthy: {reason}")
            return
        typer.echo(f"unhealthy: {reason}", err=True)
        raise typer.Exit(1)

    @app.command("pause")
    def pause_cmd(config: ConfigOpt) -> None:
        """Stop acting (keep sampling and reporting); persisted across restarts."""
        _pause_or_resume(config, "pause")

    @app.command("resume")
    def resume_cmd(config: ConfigOpt) -> None:
        """Act again after ``pricebot pause``."""
        _pause_or_resume(config, "resume")

    @app.command("reload")
    def reload_cmd(config: ConfigOpt) -> None:
        """Make the running service read its config again (as SIGHUP does).

        Rails, strategy params, offers, alerts and warning levels apply at once; network,
        workerpool, keys, journal, schedule and the ops listen address need a restart. A broken
        file is refused (exit 1) and the running config stays.
        """
        _control(config, "reload", "reload")

    @app.command("cancel")
    def cancel_cmd(
        config: ConfigOpt,
        order_hash: Annotated[
            str, typer.Argument(metavar="HASH", help="The order hash (or a unique prefix).")
        ],
    ) -> None:
        """Unpublish one order of ours and close it on chain, done by the running service."""
        _control(config, f"cancel/{order_hash}", "cancel")

    @app.command("history")
    def history_cmd(
        config: ConfigOpt,
        days: Annotated[int, typer.Option(help="Show the last N UTC days.", min=1)] = 14,
        fixed_price: Annotated[
            list[str] | None,
            typer.Option(
                "--fixed-price",
                help="CAT=PRICE (or PRICE for every offer) for the `fixed` baseline; default: "
                "the config's prices when its strategy is fixed.",
            ),
        ] = None,
        baseline: Annotated[
            bool, typer.Option(help="Replay the recorded snapshots with `fixed` (an estimate).")
        ] = True,
        dry_run_journal: Annotated[
            bool, typer.Option("--dry-run-journal", help="Read the dry-run journal instead.")
        ] = False,
    ) -> None:
        """Deals, tasks and RLC per UTC day from the journal; against `fixed` as a replay."""
        from bot.app.commands.history import history

        history(
            config,
            days=days,
            fixed_price=fixed_price or [],
            baseline=baseline,
            dry_run_journal=dry_run_journal,
        )


def _control(config: Path, path: str, what: str) -> None:
    """POST a control route that the service may refuse (409): print its answer, exit 1 then."""
    from bot.domain.errors import TransientError
    from bot.ops import OpsClient

    client = OpsClient(_load(config))
    try:
        body = client.control(path, refused_ok=True, timeout=600.0)
    except TransientError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    message = str(body.get("message", ""))
    if body.get("ok") is True:
        typer.echo(message)
        return
    typer.echo(f"{what} refused: {message}", err=True)
    raise typer.Exit(1)


def status_json_text(cfg: BotConfig) -> str | None:
    """The running service's /api/v1/status as JSON text, or None when it is not reachable."""
    from bot.domain.errors import TransientError
    from bot.ops import OpsClient

    try:
        code, body = OpsClient(cfg).get("/api/v1/status")
    except TransientError:
        return None
    if code != 200:
        return None
    return json.dumps(body, indent=2, sort_keys=True)


alert_app = typer.Typer(help="Alerts: send a test event to every configured sink.")


@alert_app.command("test")
def alert_test(config: ConfigOpt) -> None:
    """Send one ``test`` event to every sink in ``[alerts]`` and report each sink's outcome."""
    from bot.ops import AlertDispatcher, AlertEvent, sinks_from_config

    cfg = _load(config)
    sinks = sinks_from_config(cfg.alerts)
    if not sinks:
        typer.echo("no sinks configured ([alerts] sinks = [...])", err=True)
        raise typer.Exit(2)
    dispatcher = AlertDispatcher(
        sinks, workerpool=cfg.workerpool, timeout=cfg.alerts.timeout_seconds
    )
    dispatcher.start()
    dispatcher.put(
        AlertEvent(
            "test",
            "firing",
            "info",
            "test alert from pricebot alert test",
            time.time(),
            resolvable=False,
        )
    )
    dispatcher.close(timeout=3 * cfg.alerts.timeout_seconds + 70)
    sent = dispatcher.sent()
    failed = 0
    for sink in sinks:
        ok = sent.get((sink.label, "ok"), 0) > 0
        failed += not ok
        typer.echo(f"{sink.label}: {'sent' if ok else 'FAILED (see the log line above)'}")
    if failed:
        raise typer.Exit(1)
