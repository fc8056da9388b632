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
from typing import Any

from bot.ops._alerts import AlertDispatcher, AlertEvent, events_between
from bot.ops._health import startup_limit
from bot.ops._history import with_price_point
from bot.ops._notify import SystemdNotifier
from bot.ops._pause import PauseFlag
from bot.ops._view import OpsView, after_tick, after_tick_error

__all__ = ["OpsHub"]

log = logging.getLogger("pricebot.ops")


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
    ) -> None:
        self._write = threading.Lock()  # writers only; readers take self.view as it is
        self.pause_flag = pause
        self.alerts = alerts
        self.clock = clock
        self.notifier = notifier
        self.view = replace(view, paused=pause.is_set())
        self._stalled = False

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
        snapshot: Any,
        result: Any | None,
        source_errors: Mapping[str, str],
    ) -> None:
        at = float(getattr(snapshot, "at", self.clock()))
        self._swap(
            lambda v: with_price_point(
                after_tick(
                    v,
                    at=at,
                    duration=duration,
                    snapshot=snapshot,
                    result=result,
                    source_errors=source_errors,
                )
            )
        )
        if self.notifier is not None:
            self.notifier.watchdog()  # only after a cycle that ran (systemd WatchdogSec)

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
