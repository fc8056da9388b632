"""Build the ops surface for one service from its config: hub, alert dispatcher, HTTP server."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.ops._alerts import AlertDispatcher, sinks_from_config
from bot.ops._hub import OpsHub
from bot.ops._notify import SystemdNotifier
from bot.ops._pause import PauseFlag
from bot.ops._server import OpsServer
from bot.ops._view import OpsView

__all__ = [
    "OpsRuntime",
    "build_ops",
    "initial_view",
    "package_version",
]

log = logging.getLogger("pricebot.ops")


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("iexec-pricebot")
    except PackageNotFoundError:
        return "unknown"


@dataclass
class OpsRuntime:
    """What ``pricebot run`` holds for the ops surface; ``start``/``stop`` around the service."""

    hub: OpsHub
    server: OpsServer | None
    alerts: AlertDispatcher | None
    clock: Callable[[], float] = time.time
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _watcher: threading.Thread | None = field(default=None, init=False, repr=False)

    def start(self) -> str | None:
        if self.alerts is not None:
            self.alerts.start()
        self._stop.clear()
        self._watcher = threading.Thread(target=self._watch, name="pricebot-stall", daemon=True)
        self._watcher.start()
        return self.server.start() if self.server is not None else None

    def _watch(self) -> None:
        """Check for a stalled service once per reprice period (see OpsHub.check_stalled)."""
        period = float(self.hub.view.reprice_seconds)
        while not self._stop.wait(period):
            self.hub.check_stalled(self.clock())

    def stop(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5.0)
            self._watcher = None
        if self.server is not None:
            self.server.stop()
        if self.alerts is not None:
            self.alerts.close()


def initial_view(config: Any, settings: Any, *, started_at: float) -> OpsView:
    """The view before any tick: what the config fixes (the running service and the offline
    ``status --json`` both start from it, so they show the same fields)."""
    return OpsView(
        started_at=started_at,
        workerpool=config.workerpool,
        network=config.network,
        strategy=config.strategy.name,
        live=settings.live,
        reprice_seconds=config.schedule.reprice_seconds,
        stale_limit_seconds=config.rails.stale_after_seconds,
        low_stake_nrlc=config.service.low_stake_warning,
        version=package_version(),
        offers=tuple(settings.offers),
    )


def build_ops(
    config: Any,
    settings: Any,
    *,
    journal_path: Path | None,
    clock: Callable[[], float],
    environ: Mapping[str, str] | None = None,
) -> OpsRuntime:
    """Everything from ``config.ops`` and ``config.alerts``; ConfigError names a bad field."""
    env = os.environ if environ is None else environ
    journal_dir = Path(config.service.journal_dir)
    view = initial_view(config, settings, started_at=clock())
    sinks = sinks_from_config(config.alerts, env)
    alerts = AlertDispatcher(
        sinks,
        workerpool=config.workerpool,
        policy=dict(config.alerts.events),
        timeout=config.alerts.timeout_seconds,
    )
    hub = OpsHub(
        view, PauseFlag(journal_dir), alerts=alerts, clock=clock, notifier=SystemdNotifier(env)
    )
    server = None
    if config.ops.enabled:
        token = env.get(config.ops.token_env) if config.ops.token_env else None
        server = OpsServer(
            hub,
            config,
            journal_path=journal_path,
            token=token or None,
            endpoint_dir=journal_dir,
            clock=clock,
        )
    return OpsRuntime(hub, server, alerts, clock)
