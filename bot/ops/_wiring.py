"""Build the ops surface for one service from its config: hub, alert dispatcher, HTTP server."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bot.config.schema import BotConfig
from bot.ops._alerts import AlertDispatcher, sinks_from_config
from bot.ops._hub import OpsHub
from bot.ops._notify import SystemdNotifier
from bot.ops._pause import PauseFlag
from bot.ops._reader import JournalReader
from bot.ops._server import OpsServer
from bot.ops._view import OpsView
from bot.pricing.snapshot import Offer

__all__ = ["OpsRuntime", "OpsSettings", "build_ops", "initial_view", "package_version"]

log = logging.getLogger("pricebot.ops")


class OpsSettings(Protocol):
    """The cycle settings the ops view reads (``bot.engine.cycle.CycleSettings`` is one)."""

    @property
    def live(self) -> bool: ...
    @property
    def offers(self) -> tuple[Offer, ...]: ...
    @property
    def low_stake_nrlc(self) -> int: ...
    @property
    def low_gas_wei(self) -> int: ...


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("iexec-pricebot")
    except PackageNotFoundError:
        return "unknown"


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d")


@dataclass
class OpsRuntime:
    """What ``pricebot run`` holds for the ops surface; ``start``/``stop`` around the service."""

    hub: OpsHub
    server: OpsServer | None
    alerts: AlertDispatcher | None
    clock: Callable[[], float] = time.time
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    reader: JournalReader | None = None
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _watcher: threading.Thread | None = field(default=None, init=False, repr=False)
    _summary_day: str | None = field(default=None, init=False, repr=False)

    def start(self) -> str | None:
        if self.alerts is not None:
            self.alerts.start()
        self._stop.clear()
        self._summary_day = _day(self.clock())
        self._watcher = threading.Thread(target=self._watch, name="pricebot-stall", daemon=True)
        self._watcher.start()
        return self.server.start() if self.server is not None else None

    def _watch(self) -> None:
        """Once per reprice period: a stalled service (OpsHub.check_stalled), the daily summary."""
        period = float(self.hub.view.reprice_seconds)
        while not self._stop.wait(period):
            now = self.clock()
            self.hub.check_stalled(now)
            self.daily_summary_due(now)

    def daily_summary_due(self, now: float) -> bool:
        """At the first check of a new UTC day, send the summary of the day that ended."""
        today = _day(now)
        ended = self._summary_day
        if ended is None or ended == today:
            self._summary_day = ended or today
            return False
        self._summary_day = today
        if self.reader is None:
            return False
        row = self.reader.day_summary(ended)
        self.hub.daily_summary(
            f"{ended} (UTC): {row.deals} deal(s), {row.tasks} task(s), "
            f"{row.revenue_nrlc / 1e9:g} RLC; {row.actions} action(s), "
            f"{row.failed} failed; {self.hub.view.cycles_ok} cycles since start",
            now,
        )
        return True

    def check_reload(self, config: BotConfig) -> None:
        """Raise ConfigError (naming the field) if the new alert sinks cannot be resolved."""
        sinks_from_config(config.alerts, self.environ)

    def reconfigure(self, config: BotConfig, settings: OpsSettings) -> None:
        """Apply a reloaded config's live parts: the view's offers and limits, alert policy."""
        if self.alerts is not None:
            self.alerts.reconfigure(
                sinks_from_config(config.alerts, self.environ),
                policy={str(k): str(v) for k, v in config.alerts.events.items()},
                timeout=config.alerts.timeout_seconds,
            )
        self.hub.config = config
        self.hub.reconfigured(
            lambda v: replace(
                v,
                offers=tuple(settings.offers),
                stale_limit_seconds=config.rails.stale_after_seconds,
                low_stake_nrlc=settings.low_stake_nrlc,
                low_gas_wei=settings.low_gas_wei,
                rails=config.rails,
            )
        )

    def stop(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5.0)
            self._watcher = None
        if self.server is not None:
            self.server.stop()
        if self.reader is not None:
            self.reader.close()
        if self.alerts is not None:
            self.alerts.close()


def initial_view(
    config: BotConfig,
    settings: OpsSettings,
    *,
    started_at: float,
    expected_owner: str | None = None,
) -> OpsView:
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
        chain_id=config.network_obj().chain_id,
        expected_owner=None if expected_owner is None else expected_owner.lower(),
        low_gas_wei=settings.low_gas_wei,
        rails=config.rails,
    )


def build_ops(
    config: BotConfig,
    settings: OpsSettings,
    *,
    journal_path: Path | None,
    clock: Callable[[], float],
    environ: Mapping[str, str] | None = None,
    expected_owner: str | None = None,
) -> OpsRuntime:
    """Everything from ``config.ops`` and ``config.alerts``; ConfigError names a bad field.

    ``expected_owner`` is the owner key's address (None in dry-run without a key).
    """
    env = dict(os.environ if environ is None else environ)
    journal_dir = Path(config.service.journal_dir)
    view = initial_view(config, settings, started_at=clock(), expected_owner=expected_owner)
    sinks = sinks_from_config(config.alerts, env)
    alerts = AlertDispatcher(
        sinks,
        workerpool=config.workerpool,
        policy={str(k): str(v) for k, v in config.alerts.events.items()},
        timeout=config.alerts.timeout_seconds,
    )
    hub = OpsHub(
        view,
        PauseFlag(journal_dir),
        alerts=alerts,
        clock=clock,
        notifier=SystemdNotifier(env),
        config=config,
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
    reader = JournalReader(journal_path) if journal_path is not None else None
    return OpsRuntime(hub, server, alerts, clock, env, reader)
