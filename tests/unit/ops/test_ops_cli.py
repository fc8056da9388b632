"""``pricebot health | pause | resume | status --json`` against the real ops server on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fakes import NETWORK, POOL, FakeWorld, rival_order
from tests.support.ops_helpers import TOKEN, Receiver, make_service


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "pricebot.toml"
    path.write_text(
        f'network = "local"\nchain_id = {NETWORK.chain_id}\nhub = "{NETWORK.hub}"\n'
        f'workerpool = "{POOL}"\n[[offers]]\ncategory = 0\n'
        f'[service]\njournal_dir = "{tmp_path}"\n[ops]\nport = 0\n'
    )
    return path


def cli(*args: str, token: str | None = TOKEN) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PRICEBOT_OPS_TOKEN"}
    if token is not None:
        env["PRICEBOT_OPS_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "bot.app.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def running(tmp_path: Path):
    receiver = Receiver()
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc, ops = make_service(tmp_path, world, receiver.url)
    assert ops.start() is not None
    svc.reconcile()
    svc.reprice()
    yield svc, ops, world, write_config(tmp_path)
    ops.stop()
    svc.runtime.close()
    receiver.close()


def test_health_exit_code_follows_healthz(running) -> None:
    _svc, _ops, world, config = running
    done = cli("health", "-c", str(config))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("healthy: cycles succeed")
    world.clock.t += 500  # no cycle for 500 s: more than two periods of 1 s
    done = cli("health", "-c", str(config))
    assert done.returncode == 1
    assert "unhealthy: no successful cycle for 500s" in done.stderr


def test_health_without_a_running_service_fails(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    text = config.read_text().replace("port = 0", "port = 1")
    config.write_text(text)
    done = cli("health", "-c", str(config))
    assert done.returncode == 1
    assert "cannot reach the running service" in done.stderr


def test_pause_and_resume_over_loopback_and_status_json(running) -> None:
    _svc, ops, _world, config = running
    assert "the service refused the token" in cli("pause", "-c", str(config), token="nope").stderr
    done = cli("pause", "-c", str(config))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "paused (sampling, not acting)"
    assert ops.hub.paused
    status = json.loads(cli("status", "--json", "-c", str(config)).stdout)
    assert status["state"] == "paused"
    assert status["workerpool"] == POOL
    assert status["last_success"].endswith("ago)")
    assert TOKEN not in json.dumps(status)
    assert cli("resume", "-c", str(config)).stdout.strip() == "acting"
    assert not ops.hub.paused


def test_pause_while_stopped_sets_the_flag_the_service_reads_at_start(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("port = 0", "port = 1"))
    done = cli("pause", "-c", str(config))
    assert done.stdout.strip() == "the service is not running: it will start paused"
    assert (tmp_path / "paused.json").exists()
    receiver = Receiver()
    try:
        svc, ops = make_service(tmp_path, FakeWorld(), receiver.url)
        assert ops.hub.paused
        svc.runtime.close()
    finally:
        receiver.close()


def test_alert_test_reaches_a_loopback_receiver(tmp_path: Path) -> None:
    receiver = Receiver()
    try:
        config = write_config(tmp_path)
        config.write_text(
            config.read_text() + '[alerts]\nsinks = [{ kind = "discord", url_env = "HOOK" }]\n'
        )
        env_hook = {"HOOK": receiver.url}
        done = subprocess.run(
            [sys.executable, "-m", "bot.app.cli", "alert", "test", "-c", str(config)],
            capture_output=True,
            text=True,
            env={**os.environ, **env_hook},
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "discord#0: sent"
        (body,) = receiver.wait_for(1)
        assert body["content"].startswith("[pricebot INFO] test:")
        assert receiver.url not in done.stdout + done.stderr
    finally:
        receiver.close()


def test_status_json_when_not_running_has_the_same_shape_from_a_fresh_sample(tmp_path: Path):
    from bot.app.commands.service import _offline_status_json
    from bot.engine.samplers import sample_snapshot

    receiver = Receiver()
    world = FakeWorld()
    world.book["r"] = rival_order(100_000)
    svc, _ops = make_service(tmp_path, world, receiver.url)
    try:
        state = svc.cycle.state
        snap = sample_snapshot(svc.runtime.ports, svc.runtime.settings, state.sampler)
        body = json.loads(
            _offline_status_json(svc.runtime.config, svc.runtime.settings, snap, state)
        )
    finally:
        svc.runtime.close()
        receiver.close()
    assert body["state"] == "not running" and "health" not in body
    assert body["offers"][0]["best_competitor_nrlc"] == 100_000
    assert body["sources"]["market"]["up"] is True
    assert body["stake"]["free_nrlc"] == world.stake_value.free
