"""`pricebot sandbox up --detach` / `down`: everything started is stopped, even after a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app.cli import app
from bot.sandbox.stack import is_running, read_info, spawn_detached, stop_detached
from tests.support.sandbox_helpers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.chain]


@dataclass(frozen=True)
class Ran:
    returncode: int
    output: str


def _cli(*args: str) -> Ran:
    """A ``pricebot`` command run in-process (the sandbox it starts is still its own process)."""
    result = CliRunner().invoke(app, list(args))
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        output += f"\n{type(result.exception).__name__}: {result.exception}"
    return Ran(result.exit_code, output)


def test_up_detach_status_down_leave_no_process(tmp_path: Path) -> None:
    state = tmp_path / "sbx"
    try:
        up = _cli("sandbox", "up", "--detach", "--state-dir", str(state))
        assert up.returncode == 0, up.output
        info = read_info(state)
        pids = dict(info.pids)
        assert is_running(pids["supervisor"], "bot.sandbox")
        assert is_running(pids["anvil"], "anvil")
        assert _cli("sandbox", "status", "--state-dir", str(state)).returncode == 0
        again = _cli("sandbox", "up", "--detach", "--state-dir", str(state))
        assert again.returncode != 0 and "already running" in again.output
    finally:
        down = _cli("sandbox", "down", "--state-dir", str(state))
    assert down.returncode == 0, down.output
    assert not is_running(pids["supervisor"], "bot.sandbox")
    assert not is_running(pids["anvil"], "anvil")
    assert read_info(state).status == "stopped"
    assert _cli("sandbox", "status", "--state-dir", str(state)).returncode == 1


def test_down_after_the_supervisor_was_killed_still_stops_anvil(tmp_path: Path) -> None:
    try:
        info = spawn_detached(tmp_path)
        os.kill(info.pids["supervisor"], signal.SIGKILL)
        wait_for(
            "the supervisor to die",
            lambda: not is_running(info.pids["supervisor"], "bot.sandbox"),
        )
        assert is_running(info.pids["anvil"], "anvil")  # orphaned, exactly what down must catch
    finally:
        stop_detached(tmp_path)
    assert not is_running(info.pids["anvil"], "anvil")


def test_status_without_a_sandbox_is_a_clear_error(tmp_path: Path) -> None:
    """Through the console script: the error is named and mapped to the config exit code."""
    result = subprocess.run(
        [sys.executable, "-m", "bot.app.cli", "sandbox", "status", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "no sandbox here" in result.stderr
