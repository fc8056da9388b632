"""`pricebot run` on the real local chain and marketplace, watched through its ops server.

The marketplace is stopped: /healthz turns 503 once the book is stale past the
(short) rails limit, and a webhook receiver on loopback gets "source down"; the marketplace
comes back: /healthz is 200 again and the receiver gets "resolved".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.ops import ENDPOINT_FILE
from tests.integration.sandbox.test_live_local import RIVAL_PRICE, Stack
from tests.integration.sandbox.test_live_local import stack as stack  # the fixture
from tests.support.ops_helpers import Receiver, metric_samples

pytestmark = [pytest.mark.chain]


def _wait(what: str, probe, timeout: float, proc: subprocess.Popen[str]):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the bot exited ({proc.returncode}) while waiting for {what}")
        got = probe()
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _health(url: str) -> int | None:
    try:
        return httpx.get(url + "/healthz", timeout=5).status_code
    except httpx.HTTPError:
        return None


def test_healthz_and_alerts_follow_the_marketplace_going_down_and_back(stack: Stack) -> None:
    stack.publish_rival(RIVAL_PRICE)
    text = stack.config_path.read_text()
    # 5 s periods keep the bot inside the production request budget (90/min).
    text = text.replace("sample_seconds = 1", "sample_seconds = 5")
    text = text.replace("reprice_seconds = 1", "reprice_seconds = 5")
    text = text.replace("deadband = 0.02", "deadband = 0.02\nstale_after_seconds = 3")
    text += '\n[ops]\nport = 0\n\n[alerts]\nsinks = [{ kind = "json", url_env = "TEST_HOOK" }]\n'
    stack.config_path.write_text(text)
    receiver = Receiver()
    env = {**os.environ, **stack.env, "TEST_HOOK": receiver.url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.app.cli", "run", "--config", str(stack.config_path), "--live"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    endpoint = stack.journal_dir / ENDPOINT_FILE
    try:
        _wait("the ops server", endpoint.exists, 60, proc)
        url = json.loads(endpoint.read_text())["url"]
        _wait("a healthy cycle", lambda: _health(url) == 200 and stack.our_listed(), 90, proc)

        stack.market.stop()  # the marketplace is stopped: connections are refused
        _wait("/healthz 503", lambda: _health(url) == 503, 90, proc)
        # Either the book went stale, or the market client's retries made the tick outlast
        # two periods: both are 503 with the reason.
        reason = httpx.get(url + "/healthz", timeout=5).json()["reason"]
        assert "market" in reason or "no successful cycle" in reason, reason

        def alerts(status: str) -> bool:
            return any(
                b.get("status") == status and b["alerts"][0]["labels"]["alertname"] == "source_down"
                for b in receiver.bodies
            )

        _wait("source_down firing", lambda: alerts("firing"), 30, proc)
        stack.market.start()  # it returns, on the same port
        _wait("/healthz 200 again", lambda: _health(url) == 200, 90, proc)
        _wait("source_down resolved", lambda: alerts("resolved"), 30, proc)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        receiver.close()
    assert proc.returncode == 0, err[-3000:]
    assert not endpoint.exists()  # removed at shutdown
    names = [b["alerts"][0]["labels"]["alertname"] for b in receiver.bodies]
    assert names[0] == "startup" and names[-1] == "shutdown"
    assert receiver.url not in err


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _journal_figures(path: Path) -> dict[str, object]:
    """The journal's own figures, read with plain SQL and JSON (not through bot.ops)."""
    import sqlite3

    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        deals: dict[str, tuple[int, int]] = {}
        for (payload,) in db.execute("SELECT payload FROM snapshots"):
            for d in json.loads(payload).get("deals", []):
                deals[d["deal_id"]] = (d["price"], d["volume"])
        return {
            "decisions": db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0],
            "actions": {
                (k, o.replace("-", "_")): n
                for k, o, n in db.execute(
                    "SELECT kind, outcome, COUNT(*) FROM actions GROUP BY kind, outcome"
                )
            },
            "orders": dict(db.execute("SELECT state, COUNT(*) FROM signed_orders GROUP BY state")),
            "deals": len(deals),
            "revenue_nrlc": sum(p * v for p, v in deals.values()),
        }
    finally:
        db.close()


def _metrics(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return metric_samples(httpx.get(url + "/metrics", timeout=5).text)


def _buy(stack: Stack, order, volume: int) -> str:
    """A requester buys ``volume`` tasks of one of our listed orders on chain (a real deal)."""
    from bot.domain.signing import address_of
    from bot.sandbox.poco import (
        app_order,
        create_app,
        deposit_stake,
        fund_rlc,
        match_orders,
        request_order,
        sign_app_order,
        sign_request_order,
    )
    from tests.plugins.chain import APP_OWNER_KEY, DEPLOYER_KEY, REQUESTER_KEY

    poco = stack.poco
    app = create_app(poco, APP_OWNER_KEY, "ops-app")
    requester = address_of(REQUESTER_KEY)
    fund_rlc(poco, requester, 100 * 10**9, from_key=DEPLOYER_KEY)
    deposit_stake(poco, REQUESTER_KEY, 100 * 10**9)
    ao = sign_app_order(poco, app_order(app), APP_OWNER_KEY)
    ro = sign_request_order(
        poco,
        request_order(app, requester, workerpoolmaxprice=order.price, volume=volume),
        REQUESTER_KEY,
    )
    deal = match_orders(poco, REQUESTER_KEY, ao, None, order.signed, ro)
    stack.market.sync()
    return deal


def test_metrics_equal_the_journal_pause_survives_a_restart_and_reload_applies_a_rail(
    stack: Stack, tmp_path: Path
) -> None:
    stack.publish_rival(RIVAL_PRICE)
    text = stack.config_path.read_text()
    text = text.replace("sample_seconds = 1", "sample_seconds = 5")
    text = text.replace("reprice_seconds = 1", "reprice_seconds = 5")
    text = text.replace("deadband = 0.02", "deadband = 0.02\nstale_after_seconds = 30")
    text += "\n[ops]\nport = 0\n"
    stack.config_path.write_text(text)
    env = {**os.environ, **stack.env, "PRICEBOT_OPS_TOKEN": "live-ops-token-42"}
    config = str(stack.config_path)
    endpoint = stack.journal_dir / ENDPOINT_FILE
    journal = stack.journal_dir / "journal-live.sqlite"
    logs = [tmp_path / "run1.log", tmp_path / "run2.log"]

    def start(log: Path) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.app.cli", "run", "--config", config, "--live"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
            text=True,
        )

    def status(url: str) -> dict:
        return httpx.get(url + "/api/v1/status", timeout=5).json()

    proc = start(logs[0])
    try:
        _wait("the ops server", endpoint.exists, 60, proc)
        url = json.loads(endpoint.read_text())["url"]
        _wait("a listed order", lambda: _health(url) == 200 and stack.our_listed(), 90, proc)
        ready = httpx.get(url + "/readyz", timeout=5)
        assert ready.status_code == 200, ready.text

        (ours,) = stack.our_listed()
        _buy(stack, ours, 2)
        paused = _cli(env, "pause", "-c", config)
        assert paused.stdout.strip() == "paused (sampling, not acting)", paused.stderr
        # Paused: no decision or action is journalled any more; a sampled snapshot carrying the
        # deal is recorded.
        _wait("a paused cycle", lambda: status(url)["cycles"]["paused"] >= 1, 60, proc)
        _wait("the deal in the journal", lambda: _journal_figures(journal)["deals"] == 1, 60, proc)
        m = _metrics(url)
        j = _journal_figures(journal)
        assert j["decisions"] >= 1
        assert m[("pricebot_decisions_total", ())] == j["decisions"]
        assert m[("pricebot_cycles_total", (("result", "ok"),))] == j["decisions"]
        assert m[("pricebot_cycle_duration_seconds_count", ())] == sum(
            m[("pricebot_cycles_total", (("result", r),))] for r in ("ok", "paused", "error")
        )
        for (kind, outcome), n in j["actions"].items():
            assert m[("pricebot_actions_total", (("action", kind), ("outcome", outcome)))] == n
        for state, n in j["orders"].items():
            assert m[("pricebot_journal_orders", (("state", state),))] == n
        assert m[("pricebot_deals_total", (("category", "0"),))] == j["deals"] == 1
        assert m[("pricebot_revenue_rlc_total", (("category", "0"),))] == pytest.approx(
            j["revenue_nrlc"] / 1e9
        )
        assert j["revenue_nrlc"] == ours.price * 2
        for source in ("market", "core", "chain"):  # every client counts what it sent
            assert m[("pricebot_http_requests_total", (("source", source),))] > 0
            assert m[("pricebot_rate_limited_total", (("source", source),))] == 0
        assert m[("pricebot_gas_wallet_balance_eth", ())] > 0
        revenue = httpx.get(url + "/api/v1/revenue", timeout=5).json()
        assert revenue["total"]["revenue_nrlc"] == j["revenue_nrlc"]

        proc.send_signal(signal.SIGTERM)  # on_exit = cancel: our orders are closed
        proc.wait(timeout=120)
        assert proc.returncode == 0
        assert not stack.our_listed()

        proc = start(logs[1])  # the restart: still paused, samples, acts not
        _wait("the ops server again", endpoint.exists, 60, proc)
        url = json.loads(endpoint.read_text())["url"]
        _wait("paused cycles", lambda: status(url)["cycles"]["paused"] >= 2, 60, proc)
        assert status(url)["state"] == "paused"
        assert status(url)["cycles"]["ok"] == 0
        assert not stack.our_listed()
        assert _cli(env, "resume", "-c", config).stdout.strip() == "acting"
        _wait("a listed order", lambda: stack.our_listed(), 60, proc)
        assert stack.our_listed()[0].price == RIVAL_PRICE - 1_000_000

        # Reload (SIGHUP): a floor above the rival applies at once.
        good = stack.config_path.read_text().replace('floor = "0.001 RLC"', 'floor = "0.07 RLC"')
        stack.config_path.write_text(good)
        proc.send_signal(signal.SIGHUP)
        _wait(
            "our price at the new floor",
            lambda: [o.price for o in stack.our_listed()] == [70_000_000],
            60,
            proc,
        )
        shown = httpx.get(url + "/api/v1/config", timeout=5).json()
        assert shown["rails"]["floor"] == 70_000_000
        # A broken file: refused by SIGHUP and by `pricebot reload`; the running one stays.
        stack.config_path.write_text(good.replace("[rails]", "[rails"))
        proc.send_signal(signal.SIGHUP)
        _wait("the refusal", lambda: "reload refused" in logs[1].read_text(), 30, proc)
        refused = _cli(env, "reload", "-c", config)
        assert refused.returncode == 2 and "not valid TOML" in refused.stderr
        assert _health(url) == 200
        assert httpx.get(url + "/api/v1/config", timeout=5).json()["rails"]["floor"] == 70_000_000
        stack.config_path.write_text(good)
        reloaded = _cli(env, "reload", "-c", config)
        assert reloaded.returncode == 0, reloaded.stderr
        assert "nothing changed" in reloaded.stdout
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, logs[1].read_text()[-3000:]
    assert "live-ops-token-42" not in logs[0].read_text() + logs[1].read_text()
