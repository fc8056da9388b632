"""Alerts: one event model, three webhook shapes, sent from a queue that never blocks a cycle.

Why one model: the owner picks where alerts go (a generic JSON receiver such as Alertmanager's
webhook shape, Slack, Discord) but every event means the same thing everywhere. Conditions that
can end (a source down, the kill switch, low stake) are sent as ``firing`` when they start and
``resolved`` when they end, computed from two consecutive views, so an ongoing condition is sent
once, not every tick. One-off events (publish failed...) are deduplicated over a window.

The service only enqueues; a daemon thread posts. A slow or dead webhook therefore costs a cycle
nothing. HTTP 429 ``Retry-After`` is honoured (capped). A webhook URL is a secret (anyone holding
it can post to the channel): it is read from the environment and never logged or shown.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from bot.domain.errors import ConfigError
from bot.ops._view import SOURCES, OpsView

__all__ = [
    "AlertDispatcher",
    "AlertEvent",
    "Sink",
    "events_between",
    "render",
    "sinks_from_config",
]

log = logging.getLogger("pricebot.alerts")

Status = Literal["firing", "resolved"]
Severity = Literal["info", "warning", "critical"]
ONE_OFF_WINDOW_SECONDS = 600.0
MAX_RETRY_AFTER_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """Something the owner should hear about. ``labels`` are bounded (never a hash or URL)."""

    name: str
    status: Status
    severity: Severity
    summary: str
    at: float
    labels: tuple[tuple[str, str], ...] = ()
    resolvable: bool = True

    @property
    def fingerprint(self) -> str:
        text = self.name + "|" + "|".join(f"{k}={v}" for k, v in sorted(self.labels))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stale_sources(view: OpsView) -> set[str]:
    from bot.ops._view import PART_SOURCE

    stale = getattr(view.snapshot, "stale", None) or ()
    return {PART_SOURCE.get(p, p) for p in stale}


def events_between(prev: OpsView, new: OpsView, workerpool: str = "") -> list[AlertEvent]:
    """The alert transitions from one view to the next (pure)."""
    at = new.last_tick_at or new.started_at
    out: list[AlertEvent] = []
    if new.snapshot is not None:
        before = _stale_sources(prev) if prev.snapshot is not None else set()
        after = _stale_sources(new)
        for source in SOURCES:
            if source in after and source not in before:
                out.append(
                    AlertEvent(
                        "source_down",
                        "firing",
                        "critical",
                        f"{source} is stale past {new.stale_limit_seconds}s: the bot is not "
                        "acting on its data",
                        at,
                        (("source", source),),
                    )
                )
            elif source in before and source not in after:
                out.append(
                    AlertEvent(
                        "source_down",
                        "resolved",
                        "critical",
                        f"{source} answers again",
                        at,
                        (("source", source),),
                    )
                )
    if new.cycles_ok > prev.cycles_ok:
        for step in new.steps:
            if step.kind in ("publish", "cancel") and step.outcome == "failed":
                category = "-" if step.category is None else str(step.category)
                out.append(
                    AlertEvent(
                        f"{step.kind}_failed",
                        "firing",
                        "warning",
                        f"{step.kind} failed after retries (category {category}): {step.detail}",
                        at,
                        (("category", category),),
                        resolvable=False,
                    )
                )
        if new.kill and not prev.kill:
            out.append(
                AlertEvent("kill_switch", "firing", "critical", f"kill switch: {new.kill}", at)
            )
        elif prev.kill and not new.kill:
            out.append(AlertEvent("kill_switch", "resolved", "critical", "kill switch off", at))
    low_before = _stake_low(prev)
    low_after = _stake_low(new)
    if low_after is not None and low_before is not True and low_after:
        free = new.snapshot.stake.free
        out.append(
            AlertEvent(
                "stake_low",
                "firing",
                "warning",
                f"free stake {free / 1e9:g} RLC below {new.low_stake_nrlc / 1e9:g} RLC: "
                "orders may go dead",
                at,
            )
        )
    elif low_before and low_after is False:
        out.append(AlertEvent("stake_low", "resolved", "warning", "stake back above the level", at))
    return out


def _stake_low(view: OpsView) -> bool | None:
    stake = getattr(view.snapshot, "stake", None)
    if stake is None or not view.low_stake_nrlc:
        return None
    return bool(stake.free < view.low_stake_nrlc)


def render(kind: str, event: AlertEvent, workerpool: str) -> dict[str, Any]:
    """The webhook body for one event, in the sink's shape."""
    mark = "RESOLVED" if event.status == "resolved" else event.severity.upper()
    text = f"[pricebot {mark}] {event.name}: {event.summary} (workerpool {workerpool})"
    if kind == "slack":
        return {"text": text}
    if kind == "discord":
        return {"content": text[:2000], "allowed_mentions": {"parse": []}}
    labels = {"alertname": event.name, "severity": event.severity, **dict(event.labels)}
    labels["workerpool"] = workerpool
    alert = {
        "status": event.status,
        "labels": labels,
        "annotations": {"summary": event.summary},
        "startsAt": _iso(event.at),
        "endsAt": _iso(event.at) if event.status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": event.fingerprint,
    }
    return {
        "version": "4",
        "receiver": "pricebot",
        "status": event.status,
        "alerts": [alert],
        "groupLabels": {"alertname": event.name},
        "commonLabels": labels,
        "commonAnnotations": {"summary": event.summary},
        "externalURL": "",
        "groupKey": f"pricebot:{event.fingerprint}",
        "truncatedAlerts": 0,
    }


@dataclass(frozen=True, slots=True)
class Sink:
    """A configured webhook: ``label`` (``slack#0``) is what logs and metrics show, never the URL."""

    kind: str
    label: str
    url: str

    def __repr__(self) -> str:
        return f"Sink({self.label})"


def sinks_from_config(alerts: Any, environ: Mapping[str, str] | None = None) -> tuple[Sink, ...]:
    """Resolve each sink's URL from its environment variable; refuse a missing or unsafe one."""
    from bot.config.schema import _check_url

    env = os.environ if environ is None else environ
    sinks = []
    for index, sink in enumerate(alerts.sinks):
        where = f"alerts.sinks[{index}].url_env"
        url = env.get(sink.url_env, "")
        if not url:
            raise ConfigError(f"{where}: environment variable {sink.url_env} is not set")
        try:
            _check_url(url)
        except ValueError:
            raise ConfigError(
                f"{where}: {sink.url_env} must hold an https:// URL (http:// only to this "
                "machine), without credentials"
            ) from None
        sinks.append(Sink(sink.kind, f"{sink.kind}#{index}", url))
    return tuple(sinks)


Post = Callable[[str, dict[str, Any], float], tuple[int, float | None]]
"""POST json to url with a timeout; return (status code, Retry-After seconds or None)."""


def _httpx_post(url: str, body: dict[str, Any], timeout: float) -> tuple[int, float | None]:
    import httpx

    response = httpx.post(url, json=body, timeout=timeout, follow_redirects=False)
    retry: float | None = None
    header = response.headers.get("retry-after")
    if header is not None:
        try:
            retry = float(header)
        except ValueError:
            retry = None
    return response.status_code, retry


class AlertDispatcher:
    """A queue and one daemon thread posting events to every sink; ``put`` never blocks."""

    def __init__(
        self,
        sinks: Sequence[Sink],
        *,
        workerpool: str,
        policy: Mapping[str, str] | None = None,
        timeout: float = 5.0,
        post: Post | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sinks = tuple(sinks)
        self.workerpool = workerpool
        self.policy = dict(policy or {})
        self.timeout = timeout
        self._post = post or _httpx_post
        self._clock = clock
        self._queue: queue.Queue[AlertEvent | None] = queue.Queue(maxsize=1000)
        self._recent: dict[str, float] = {}
        self._lock = threading.Lock()
        self._sent: dict[tuple[str, str], int] = {
            (s.label, o): 0 for s in self.sinks for o in ("ok", "failed")
        }
        self._thread: threading.Thread | None = None

    def sent(self) -> dict[tuple[str, str], int]:
        """(sink label, outcome) -> count, for /metrics."""
        with self._lock:
            return dict(self._sent)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pricebot-alerts", daemon=True)
            self._thread.start()

    def put(self, event: AlertEvent) -> None:
        mode = self.policy.get(event.name, "on")
        if mode == "off":
            return
        quiet = event.status == "resolved" or event.severity == "info"
        log.log(
            logging.INFO if quiet else logging.WARNING,
            "alert %s %s: %s",
            event.name,
            event.status,
            event.summary,
        )
        if mode == "silent" or not self.sinks:
            return
        if not event.resolvable:
            now = self._clock()
            last = self._recent.get(event.fingerprint)
            if last is not None and now - last < ONE_OFF_WINDOW_SECONDS:
                return
            self._recent[event.fingerprint] = now
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            log.warning("alert queue full: %s dropped", event.name)

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued (up to ``timeout``), then stop the thread."""
        if self._thread is None:
            return
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=1.0)
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            for sink in self.sinks:
                ok = self._send(sink, event)
                with self._lock:
                    key = (sink.label, "ok" if ok else "failed")
                    self._sent[key] = self._sent.get(key, 0) + 1

    def _send(self, sink: Sink, event: AlertEvent) -> bool:
        body = render(sink.kind, event, self.workerpool)
        for _attempt in range(3):
            try:
                code, retry_after = self._post(sink.url, body, self.timeout)
            except Exception as exc:  # the URL must not reach the log: type name only
                log.warning("alert %s to %s failed: %s", event.name, sink.label, type(exc).__name__)
                time.sleep(1.0)
                continue
            if code == 429:
                wait = min(MAX_RETRY_AFTER_SECONDS, retry_after if retry_after else 1.0)
                log.warning("alert to %s rate limited; retrying in %.1fs", sink.label, wait)
                time.sleep(wait)
                continue
            if 200 <= code < 300:
                return True
            log.warning("alert %s to %s refused: HTTP %s", event.name, sink.label, code)
            return False
        return False
