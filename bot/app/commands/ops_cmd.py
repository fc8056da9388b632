"""``pricebot health | pause | resume``: calls on the running service's ops server.

``health`` is for cron and container checks: exit 0 when /healthz says 200, 1 otherwise (with
the reason on one line). ``pause`` keeps the bot sampling but stops it acting; the flag is
persisted, so a restarted bot stays paused until ``resume``. When the service is not running,
``pause``/``resume`` set or clear the flag it will read at start.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = [
    "alert_test",
    "register",
    "status_json_text",
]

ConfigOpt = Annotated[
    Path,
    typer.Option("--config", "-c", help="The pool owner's TOML config.", dir_okay=False),
]


def _load(config: Path) -> Any:
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
    state = "paused (sampling, not acting)" if body.get("paused") else "acting"
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
        reason = body.get("reason", "") if isinstance(body, dict) else ""
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


def status_json_text(cfg: Any) -> str | None:
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
