"""The pure parts: the health verdict, alert transitions and shapes, the dispatcher's rules."""

from __future__ import annotations

import time
from dataclasses import replace
from types import SimpleNamespace

import pytest

from bot.domain.model import Stake
from bot.ops import (
    AlertDispatcher,
    AlertEvent,
    OpsView,
    Sink,
    age_text,
    events_between,
    health,
    render,
    when,
)

T0 = 1_700_000_000.0


def view(**kw: object) -> OpsView:
    base = OpsView(
        started_at=T0,
        workerpool="0x" + "ab" * 20,
        network="local",
        strategy="competitive",
        live=True,
        reprice_seconds=60,
        stale_limit_seconds=600,
        low_stake_nrlc=10**9,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def snap(at: float, stale: tuple[str, ...] = (), free: int = 10**12) -> SimpleNamespace:
    ages = {p: 0.0 for p in ("book", "requests", "deals", "utilization", "own_orders", "stake")}
    for p in stale:
        ages[p] = 700.0
    return SimpleNamespace(
        at=at, stale=frozenset(stale), ages=ages, stake=Stake(free=free, locked=0), deals=()
    )


@pytest.mark.parametrize(
    ("v", "now", "ok", "reason"),
    [
        (view(), T0 + 420, True, "starting"),  # 2 periods + 5 min for reconcile
        (view(), T0 + 421, False, "no successful cycle in 421s since start"),
        (view(last_success_at=T0, snapshot=snap(T0)), T0 + 120, True, "cycles succeed"),
        (view(last_success_at=T0, snapshot=snap(T0)), T0 + 121, False, "more than 2 periods"),
        (
            view(last_success_at=T0, snapshot=snap(T0), last_error="502 from the RPC"),
            T0 + 500,
            False,
            "last error: 502 from the RPC",
        ),
        (
            view(last_success_at=T0, snapshot=snap(T0, ("book",))),
            T0,
            False,
            "stale past the rails' limit of 600s: book (market, 700s old)",
        ),
        (view(last_success_at=T0, snapshot=snap(T0), paused=True), T0, True, "paused"),
        (view(last_success_at=T0, snapshot=snap(T0), stopping=True), T0, False, "stopping"),
    ],
)
def test_health_verdicts(v: OpsView, now: float, ok: bool, reason: str) -> None:
    verdict = health(v, now)
    assert verdict.ok is ok
    assert reason in verdict.reason


def test_transitions_fire_once_and_resolve() -> None:
    up = view(snapshot=snap(T0), cycles_ok=1, last_tick_at=T0)
    down = view(snapshot=snap(T0 + 60, ("book", "deals")), cycles_ok=2, last_tick_at=T0 + 60)
    still = replace(down, cycles_ok=3)
    fired = events_between(up, down)
    assert [(e.name, e.status, dict(e.labels)) for e in fired] == [
        ("source_down", "firing", {"source": "market"})
    ]
    assert events_between(down, still) == []  # an ongoing condition is not sent again
    back = events_between(still, replace(up, cycles_ok=4))
    assert [(e.name, e.status) for e in back] == [("source_down", "resolved")]
    assert back[0].fingerprint == fired[0].fingerprint


def test_stake_low_and_kill_switch_transitions() -> None:
    ok = view(snapshot=snap(T0), cycles_ok=1)
    low = view(snapshot=snap(T0, free=10**8), cycles_ok=2, kill="stale")
    names = {(e.name, e.status) for e in events_between(ok, low)}
    assert names == {("stake_low", "firing"), ("kill_switch", "firing")}
    names = {(e.name, e.status) for e in events_between(low, replace(ok, cycles_ok=3))}
    assert names == {("stake_low", "resolved"), ("kill_switch", "resolved")}


def test_publish_failed_comes_from_the_tick_steps() -> None:
    step = SimpleNamespace(kind="publish", outcome="failed", category=0, detail="HTTP 500")
    events = events_between(view(cycles_ok=1), view(cycles_ok=2, steps=(step,)))
    assert [(e.name, e.resolvable) for e in events] == [("publish_failed", False)]


def test_three_shapes_of_one_event() -> None:
    e = AlertEvent(
        "source_down", "firing", "critical", "market is stale", T0, (("source", "market"),)
    )
    am = render("json", e, "0xpool")
    assert am["version"] == "4" and am["status"] == "firing"
    assert am["alerts"][0]["labels"] == {
        "alertname": "source_down",
        "severity": "critical",
        "source": "market",
        "workerpool": "0xpool",
    }
    assert am["alerts"][0]["startsAt"] == "2023-11-14T22:13:20Z"
    assert render("slack", e, "0xpool") == {
        "text": "[pricebot CRITICAL] source_down: market is stale (workerpool 0xpool)"
    }
    discord = render("discord", e, "0xpool")
    assert discord["content"].startswith("[pricebot CRITICAL]")
    assert discord["allowed_mentions"] == {"parse": []}
    resolved = render("json", replace(e, status="resolved"), "0xpool")
    assert resolved["alerts"][0]["endsAt"] == "2023-11-14T22:13:20Z"


def _wait(cond, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_dispatcher_honours_retry_after_policy_and_dedup(caplog: pytest.LogCaptureFixture) -> None:
    answers = [(429, 0.2), (200, None), (200, None), (500, None)]
    posted: list[tuple[float, dict]] = []

    def post(url: str, body: dict, timeout: float) -> tuple[int, float | None]:
        posted.append((time.monotonic(), body))
        return answers.pop(0)

    sink = Sink("slack", "slack#0", "https://hooks.example.com/SECRET")
    d = AlertDispatcher(
        [sink], workerpool="0xpool", policy={"startup": "off", "paused": "silent"}, post=post
    )
    d.start()
    d.put(AlertEvent("startup", "firing", "info", "started", T0, resolvable=False))  # off
    d.put(AlertEvent("paused", "firing", "info", "paused", T0))  # silent: logged only
    one_off = AlertEvent("publish_failed", "firing", "warning", "x", T0, resolvable=False)
    d.put(one_off)
    d.put(one_off)  # within the window: dropped
    d.put(AlertEvent("kill_switch", "firing", "critical", "k", T0))
    d.put(AlertEvent("kill_switch", "resolved", "critical", "k", T0))
    d.close()
    assert [b["text"].split()[2] for _, b in posted] == [
        "publish_failed:",
        "publish_failed:",
        "kill_switch:",
        "kill_switch:",
    ]
    assert posted[1][0] - posted[0][0] >= 0.2  # waited Retry-After
    assert d.sent() == {("slack#0", "ok"): 2, ("slack#0", "failed"): 1}
    assert "SECRET" not in caplog.text


def test_times_for_people() -> None:
    assert (
        age_text(5) == "5s" and age_text(245) == "4m 05s" and age_text(3 * 3600 + 120) == "3h 02m"
    )
    assert when(T0, T0 + 12) == "2023-11-14 22:13:20 UTC (12s ago)"
    assert when(None, T0) is None
