"""`pricebot run` on the real local chain and marketplace, watched through its ops server.

The marketplace starts failing every request: /healthz turns 503 once the book is stale past the
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
from tests.support.ops_helpers import Receiver

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
    pricebot = Path(sys.executable).parent / "pricebot"
    proc = subprocess.Popen(
        [str(pricebot), "run", "--config", str(stack.config_path), "--live"],
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

        stack.market.set_faults({"routes": {"*": {"error_rate": 1.0, "error_status": 503}}})
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
        stack.market.set_faults({})
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
