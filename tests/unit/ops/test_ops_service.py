"""The real ops server on loopback around the service on the fake world.

/healthz follows the marketplace going away and coming back; a webhook receiver on loopback gets
"source down" then "resolved"; /metrics parses with prometheus_client's parser and its figures
equal the journal's; pause stops acting, keeps sampling and survives a restart.
"""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from tests.support.fakes import FakeWorld, rival_order
from tests.support.ops_helpers import TOKEN, make_service, metric_samples, serving

MARKET_PARTS = {"book", "requests", "deals"}


def test_healthz_follows_the_marketplace_and_alerts_fire_then_resolve(tmp_path, receiver):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc, ops = make_service(tmp_path, world, receiver.url)
    url = ops.start()
    assert url is not None and url.startswith("http://127.0.0.1:")
    try:
        svc.reconcile()
        svc.reprice()
        ok = httpx.get(url + "/healthz")
        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "ok"

        world.fail_parts |= MARKET_PARTS  # the marketplace stops answering
        for _ in range(3):
            world.clock.t += 3
            svc.reprice()
        down = httpx.get(url + "/healthz")
        assert down.status_code == 503
        assert "book (market" in down.json()["reason"]
        status = httpx.get(url + "/api/v1/status").json()
        assert status["sources"]["market"]["up"] is False
        assert status["sources"]["chain"]["up"] is True

        world.fail_parts.clear()  # it returns
        world.clock.t += 1
        svc.reprice()
        assert httpx.get(url + "/healthz").status_code == 200

        bodies = receiver.wait_for(3)
        source = [b for b in bodies if b["alerts"][0]["labels"]["alertname"] == "source_down"]
        assert [b["status"] for b in source] == ["firing", "resolved"]
        assert source[0]["alerts"][0]["labels"]["source"] == "market"
        assert source[0]["version"] == "4"
        assert source[0]["alerts"][0]["fingerprint"] == source[1]["alerts"][0]["fingerprint"]
    finally:
        ops.stop()
        svc.runtime.close()


def test_metrics_parse_and_equal_the_journal(tmp_path, receiver):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    with serving(tmp_path, world, receiver.url) as (svc, _ops, url):
        svc.reconcile()
        for _ in range(3):
            world.clock.t += 1
            svc.reprice()
        text = httpx.get(url + "/metrics").text
    m = metric_samples(text)
    db = sqlite3.connect(tmp_path / "journal-live.sqlite")
    decisions = db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    assert decisions == 3
    assert m[("pricebot_cycles_total", (("result", "ok"),))] == decisions
    assert m[("pricebot_decisions_total", ())] == decisions
    assert m[("pricebot_cycle_duration_seconds_count", ())] == decisions
    for state, n in db.execute("SELECT state, COUNT(*) FROM signed_orders GROUP BY state"):
        assert m[("pricebot_journal_orders", (("state", state),))] == n
    for kind, outcome, n in db.execute(
        "SELECT kind, outcome, COUNT(*) FROM actions GROUP BY kind, outcome"
    ):
        key = ("pricebot_actions_total", (("action", kind), ("outcome", outcome.replace("-", "_"))))
        assert m[key] == n
    # pre-initialised combinations are there at zero
    assert m[("pricebot_actions_total", (("action", "cancel"), ("outcome", "failed")))] == 0
    assert m[("pricebot_cycles_total", (("result", "error"),))] == 0
    # our listed price and the competitor per offer, in RLC
    offer = (("category", "0"), ("tag", "0x0"))
    assert m[("pricebot_best_competitor_price_rlc", offer)] == pytest.approx(100_000 / 1e9)
    (listed,) = world.listed.values()
    assert m[("pricebot_order_price_rlc", offer)] == pytest.approx(
        listed.order.workerpoolprice / 1e9
    )
    assert m[("pricebot_valid_orders", tuple(sorted((*offer, ("listed", "true")))))] == 1
    assert m[("pricebot_source_up", (("source", "market"),))] == 1
    assert m[("pricebot_last_success_timestamp_seconds", ())] == world.clock.t
    assert "0x" + "ab" * 20 not in text  # no address (and so no order hash) as a label


def test_pause_keeps_sampling_stops_acting_and_survives_a_restart(tmp_path, receiver):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    with serving(tmp_path, world, receiver.url) as (svc, _ops, url):
        svc.reconcile()
        svc.reprice_or_sample()
        calls = len(world.calls)
        assert calls > 0
        refused = httpx.post(url + "/api/v1/pause", headers={"authorization": "Bearer wrong"})
        assert refused.status_code == 401
        paused = httpx.post(url + "/api/v1/pause", headers={"authorization": f"Bearer {TOKEN}"})
        assert paused.json() == {"paused": True, "changed": True}
        world.book["r"] = rival_order(50_000)  # would make the bot reprice
        world.clock.t += 1
        svc.reprice_or_sample()
        assert len(world.calls) == calls  # nothing done
        status = httpx.get(url + "/api/v1/status").json()
        assert status["state"] == "paused"
        assert status["cycles"]["paused"] == 1
        assert status["offers"][0]["best_competitor_nrlc"] == 50_000  # still sampling

    svc2, ops2 = make_service(tmp_path, world, receiver.url)  # a restart
    try:
        assert ops2.hub.paused
        svc2.reconcile()
        world.clock.t += 1
        svc2.reprice_or_sample()
        assert len(world.calls) == calls
        assert ops2.hub.resume()
        svc2.reprice_or_sample()
        assert len(world.calls) > calls
    finally:
        svc2.runtime.close()


def test_control_routes_need_a_configured_token(tmp_path, receiver):
    world = FakeWorld()
    with serving(tmp_path, world, receiver.url, token=None) as (_svc, _ops, url):
        assert httpx.post(url + "/api/v1/pause").status_code == 404
        assert httpx.get(url + "/api/v1/ping").json() == {"status": "pong"}


def test_config_answer_holds_no_token_url_path_or_key_source(tmp_path, receiver):
    world = FakeWorld()
    with serving(tmp_path, world, receiver.url) as (_svc, _ops, url):
        body = httpx.get(url + "/api/v1/config").text
        version = httpx.get(url + "/api/v1/version").json()
    assert TOKEN not in body
    assert receiver.url not in body and "/hook" not in body
    assert "TEST_HOOK_URL" not in body and "PRICEBOT_OPS_TOKEN" not in body
    assert str(tmp_path) not in body
    assert version["api_version"] == "1"


def test_beyond_loopback_every_route_but_healthz_needs_the_token(tmp_path, receiver):
    import asyncio

    from bot.ops import build_app

    world = FakeWorld()
    svc, ops = make_service(tmp_path, world, receiver.url, listen="0.0.0.0", allow_remote=True)
    app = build_app(ops.hub, None, svc.runtime.config, token=TOKEN, clock=world.clock.now)
    bearer = {"authorization": f"Bearer {TOKEN}"}

    async def codes() -> list[tuple[str, int, int]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pool-host") as client:
            out = [("/healthz", (await client.get("/healthz")).status_code, 0)]
            for path in ("/metrics", "/api/v1/status", "/api/v1/ping", "/api/v1/config"):
                bare = (await client.get(path)).status_code
                out.append((path, bare, (await client.get(path, headers=bearer)).status_code))
            return out

    try:
        got = asyncio.run(codes())
    finally:
        svc.runtime.close()
    assert got[0] == ("/healthz", 200, 0)  # starting: no token needed
    assert all((bare, auth) == (401, 200) for _, bare, auth in got[1:]), got


def test_systemd_hears_ready_then_a_watchdog_ping_per_cycle_then_stopping(receiver):
    import socket
    import tempfile
    from pathlib import Path

    short = Path(tempfile.mkdtemp(prefix="pb", dir="/tmp"))  # AF_UNIX paths are short
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(short / "notify"))
    sock.settimeout(5)
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc, _ops = make_service(
        short, world, receiver.url, extra_env={"NOTIFY_SOCKET": str(short / "notify")}
    )
    try:
        svc.start()  # reconcile, schedule, READY
        assert sock.recv(100).startswith(b"READY=1")
        # the first tick runs right away; a failed one would not ping
        assert sock.recv(200).startswith(b"WATCHDOG=1\nSTATUS=pricing; last cycle ok, 1 since")
        svc.stop()
        messages = []
        while True:
            try:
                messages.append(sock.recv(100))
            except TimeoutError:
                break
        assert messages[-1] == b"STOPPING=1"
    finally:
        svc.stop()
        svc.runtime.close()
        sock.close()


def test_a_watchdog_shorter_than_two_periods_is_named_at_start() -> None:
    from bot.ops import SystemdNotifier

    assert SystemdNotifier({"WATCHDOG_USEC": "180000000"}).check_period(60) is None
    problem = SystemdNotifier({"WATCHDOG_USEC": "90000000"}).check_period(60)
    assert problem is not None and problem.startswith("WatchdogSec=90s is under two")
    assert SystemdNotifier({}).check_period(60) is None


def test_orders_show_their_true_state_and_decisions_their_reasons(tmp_path, receiver):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    with serving(tmp_path, world, receiver.url) as (svc, ops, url):
        svc.reconcile()
        svc.reprice()
        (order,) = httpx.get(url + "/api/v1/orders").json()["orders"]
        assert (order["state"], order["remaining"], order["price_nrlc"]) == ("listed", 10, 99_000)
        world.consumed[order["hash"]] = 4  # 4 tasks matched on chain
        world.listed.clear()  # and the marketplace dropped it: still valid on chain
        ops.hub.pause("test")  # sample, but do not relist it
        world.clock.t += 1
        svc.reprice_or_sample()
        (order,) = httpx.get(url + "/api/v1/orders").json()["orders"]
        assert (order["state"], order["remaining"]) == ("unlisted-valid", 6)
        decisions = httpx.get(url + "/api/v1/decisions?limit=5").json()["decisions"]
        assert len(decisions) == 1  # paused: sampled, nothing decided
        first = decisions[0]["steps"][0]
        assert first["kind"] == "publish" and "undercut cheapest 100000" in first["reason"]
        assert decisions[0]["at"].endswith("ago)")


def test_a_stalled_service_is_alerted_by_the_timer_and_resolved_by_the_next_cycle(
    tmp_path, receiver
):
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc, ops = make_service(tmp_path, world, receiver.url)
    ops.alerts.start()
    try:
        svc.reconcile()
        svc.reprice()
        assert ops.hub.check_stalled(world.clock.now()) is False
        world.clock.t += 3  # reprice period 1 s: more than two periods without a cycle
        assert ops.hub.check_stalled(world.clock.now()) is True
        assert ops.hub.check_stalled(world.clock.now() + 1) is True  # sent once
        svc.reprice()
        assert ops.hub.check_stalled(world.clock.now()) is False
        bodies = receiver.wait_for(2)
    finally:
        ops.stop()
        svc.runtime.close()
    stalled = [b for b in bodies if b["alerts"][0]["labels"]["alertname"] == "cycle_stalled"]
    assert [b["status"] for b in stalled] == ["firing", "resolved"]
    assert "no successful cycle for 3s" in stalled[0]["alerts"][0]["annotations"]["summary"]
