"""``pricebot health | pause | resume | status --json`` against the real ops server on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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


def test_cancel_and_reload_from_the_command_line(running, tmp_path: Path) -> None:
    import threading

    svc, _ops, world, config = running
    (h,) = world.listed
    svc.config_path = config
    stop = threading.Event()

    def main_thread() -> None:  # what run_forever's loop does between jobs
        while not stop.wait(0.05):
            svc.apply_pending_reloads()

    loop = threading.Thread(target=main_thread)
    loop.start()
    try:
        done = cli("reload", "-c", str(config))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"reloaded {config}:")
        good = config.read_text()
        running_rails = svc.runtime.settings.rails
        config.write_text(good + "[rails]\nfloor = -1\n")
        bad = cli("reload", "-c", str(config))
        # The command reads the file first (to find the service): refused there, exit 2.
        assert bad.returncode == 2
        assert bad.stderr.startswith("error: rails.floor:")
        assert svc.runtime.settings.rails == running_rails
        config.write_text(good)
    finally:
        stop.set()
        loop.join()
    unknown = cli("cancel", "-c", str(config), "0x" + "12" * 32)
    assert unknown.returncode == 1 and "not an order of ours" in unknown.stderr
    done = cli("cancel", "-c", str(config), h[:16])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{h}: unpublish ok, cancel ok"
    assert h not in world.listed


def test_history_per_day_and_the_fixed_estimate(running) -> None:
    from bot.domain.model import Deal

    svc, _ops, world, config = running
    config.write_text(
        config.read_text()
        + '[strategy]\nname = "fixed"\nparams = { price = 90000 }\n[rails]\nfloor = 1000\n'
    )
    for n in range(3):
        world.clock.t += 60
        if n == 1:  # a deal of ours between the first and the second recorded snapshot
            world.deals_list.append(
                Deal("0x" + "01" * 32, POOL, 95_000, 4, 0, 0, 0, world.clock.t - 30)
            )
        svc.reprice()
        svc.record()
    done = cli("history", "-c", str(config))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    day = time.strftime("%Y-%m-%d", time.gmtime(world.clock.t))
    assert day in out and "0.00038" in out  # 95,000 nRLC x 4 tasks
    assert "recorded: 0.00038 RLC for 4 task(s), 3 snapshots" in out
    # The replay offers that deal's requester (max price 95,000) our `fixed` 90,000: taken.
    assert "ESTIMATE, `fixed` (cat 0 at 0.00009 RLC): 0.00036 RLC for 4 task(s)" in out
    assert "recorded over the same span: 0.00038 RLC for 4 task(s)" in out
    assert "the bot earned 0.00002 RLC more than the estimate" in out
    other = cli("history", "-c", str(config), "--no-baseline")
    assert "ESTIMATE" not in other.stdout
