"""The service's side of the ops surface: publishes the view, raises alerts, holds the pause flag.

The service calls :meth:`OpsHub.tick_done` / :meth:`tick_failed` after each reprice job (outside
its tick lock). Each call builds a new frozen :class:`~bot.ops._view.OpsView`, swaps it in (one
reference assignment, atomic for readers), and enqueues the alert transitions between the old and
the new view. The ops server only ever reads :attr:`OpsHub.view`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Protocol

from bot.config.schema import BotConfig
from bot.ops._alerts import AlertDispatcher, AlertEvent, events_between, owner_changed
from bot.ops._health import startup_limit
from bot.ops._history import with_price_point
from bot.ops._notify import SystemdNotifier
from bot.ops._pause import PauseFlag
from bot.ops._view import OpsView, ServiceFacts, TickOutcome, after_tick, after_tick_error
from bot.pricing.snapshot import MarketSnapshot

__all__ = ["Controls", "OpsHub"]

log = logging.getLogger("pricebot.ops")


class Controls(Protocol):
    """What the running service does on the owner's request (``pricebot reload`` / ``cancel``).

    Each returns (ok, a one-line answer for the owner). The service applies them under its own
    lock; the ops server only forwards the request.
    """

    def reload(self, timeout: float = ...) -> tuple[bool, str]: ...

    def cancel(self, order_hash: str) -> tuple[bool, str]: ...


class OpsHub:
    """Holds the current view; the only writer of it (the service thread, or a pause request)."""

    def __init__(
        self,
        view: OpsView,
        pause: PauseFlag,
        *,
        alerts: AlertDispatcher | None = None,
        clock: Callable[[], float],
        notifier: SystemdNotifier | None = None,
        config: BotConfig | None = None,
    ) -> None:
        self.config = config  # the running config (a reload replaces it): /api/v1/config
        self._write = threading.Lock()  # writers only; readers take self.view as it is
        self.pause_flag = pause
        self.alerts = alerts
        self.clock = clock
        self.notifier = notifier
        self.view = replace(view, paused=pause.is_set())
        self._stalled = False
        self.controls: Controls | None = None  # set by the service that publishes this hub

    def mark_reconciled(self) -> None:
        """The first reconcile succeeded: nothing is published before the views agree."""
        self._swap(lambda v: replace(v, reconciled=True))

    def reconfigured(self, build: Callable[[OpsView], OpsView]) -> None:
        """A reload changed what the view takes from the config (offers, limits)."""
        self._swap(lambda v: replace(build(v), config_generation=v.config_generation + 1))

    @property
    def paused(self) -> bool:
        return self.view.paused

    def _emit(self, events: list[AlertEvent]) -> None:
        if self.alerts is None:
            return
        for event in events:
            self.alerts.put(event)

    def _swap(self, build: Callable[[OpsView], OpsView]) -> None:
        with self._write:
            before = self.view
            after = build(before)
            self.view = after
        self._emit(events_between(before, after, after.workerpool))

    def tick_done(
        self,
        *,
        duration: float,
        snapshot: MarketSnapshot,
        outcome: TickOutcome | None,
        source_errors: Mapping[str, str],
        facts: ServiceFacts | None = None,
    ) -> None:
        """Publish the view after a job that ran; pause the bot if an invariant broke."""
        at = float(snapshot.at)
        got = facts if facts is not None else ServiceFacts()
        before = self.view.invariant_violations
        self._swap(
            lambda v: with_price_point(
                after_tick(
                    v,
                    at=at,
                    duration=duration,
                    snapshot=snapshot,
                    outcome=outcome,
                    source_errors=source_errors,
                    facts=got,
                )
            )
        )
        broken = [n for n, c in self.view.invariant_violations.items() if c > before.get(n, 0)]
        if broken and not self.view.paused:
            self.pause(f"invariant broken: {', '.join(broken)} (the bot paused itself)")
        if self.notifier is not None:  # only after a cycle that ran (systemd WatchdogSec)
            v = self.view
            state = "paused (sampling)" if v.paused else "pricing"
            self.notifier.watchdog(f"{state}; last cycle ok, {v.cycles_ok} since start")

    def owner_changed(self, owner: str) -> None:
        """The cycle found another owner on chain and raised: alert before the service stops."""
        self._emit([owner_changed(self.view.workerpool, owner, self.clock())])

    def daily_summary(self, text: str, at: float) -> None:
        self._emit([AlertEvent("daily_summary", "firing", "info", text, at, resolvable=False)])

    def tick_failed(self, *, duration: float, error: str) -> None:
        at = self.clock()
        self._swap(lambda v: after_tick_error(v, at=at, duration=duration, error=error))

    def check_stalled(self, now: float) -> bool:
        """Fire ``cycle_stalled`` when no cycle succeeded for two periods; resolve when one does.

        Called from a timer (the ops runtime's watcher), because a stalled service publishes no
        new view: the tick-to-tick transitions can never see it.
        """
        v = self.view
        if v.last_success_at is None:
            last, limit = v.started_at, startup_limit(v)
        else:
            last, limit = v.last_success_at, 2.0 * v.reprice_seconds
        stalled = not v.stopping and now - last > limit
        if stalled and not self._stalled:
            why = f"; last error: {v.last_error}" if v.last_error else ""
            self._emit(
                [
                    AlertEvent(
                        "cycle_stalled",
                        "firing",
                        "critical",
                        f"no successful cycle for {now - last:.0f}s (period "
                        f"{v.reprice_seconds}s){why}",
                        now,
                    )
                ]
            )
        elif self._stalled and not stalled and not v.stopping:
            self._emit(
                [AlertEvent("cycle_stalled", "resolved", "critical", "cycles run again", now)]
            )
        self._stalled = stalled
        return stalled

    def missed_run(self) -> None:
        self._swap(lambda v: replace(v, missed_runs=v.missed_runs + 1))

    def pause(self, reason: str) -> bool:
        """Stop acting from the next tick on (sampling goes on); persisted. False: already."""
        if self.view.paused:
            return False
        self.pause_flag.set(reason, self.clock())
        self._swap(lambda v: replace(v, paused=True))
        self._emit([AlertEvent("paused", "firing", "info", f"paused: {reason}", self.clock())])
        return True

    def resume(self) -> bool:
        """Act again from the next tick on. False: was not paused."""
        if not self.view.paused:
            return False
        self.pause_flag.clear()
        self._swap(lambda v: replace(v, paused=False))
        self._emit([AlertEvent("paused", "resolved", "info", "resumed", self.clock())])
        return True

    def startup(self) -> None:
        if self.notifier is not None:
            self.notifier.ready()
            problem = self.notifier.check_period(self.view.reprice_seconds)
            if problem is not None:
                log.warning("%s", problem)
        v = self.view
        mode = "LIVE" if v.live else "dry-run"
        state = " (paused)" if v.paused else ""
        self._emit(
            [
                AlertEvent(
                    "startup",
                    "firing",
                    "info",
                    f"pricebot {v.version} started ({mode}{state}), strategy {v.strategy}",
                    self.clock(),
                    resolvable=False,
                )
            ]
        )

    def shutdown(self, reason: str) -> None:
        if self.notifier is not None:
            self.notifier.stopping()
        self._swap(lambda v: replace(v, stopping=True))
        self._emit(
            [
                AlertEvent(
                    "shutdown",
                    "firing",
                    "info",
                    f"pricebot stopped: {reason}",
                    self.clock(),
                    resolvable=False,
                )
            ]
        )
