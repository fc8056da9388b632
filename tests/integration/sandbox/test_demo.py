"""`pricebot demo` (what `make demo` runs), shortened: exits 0, reports, plots, shows the
dashboard's URL and screenshot, leaves nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.sandbox.browser import browser_missing
from bot.sandbox.demo import stop_stale_bot
from bot.sandbox.stack import is_running, read_info, stop_detached
from tests.support.sandbox_helpers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.chain, pytest.mark.xdist_group("sandbox-demo")]


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


def _clean_up(state: Path) -> None:
    """Safety net for a failed test: what a demo may have left in its state dir is stopped."""
    stop_stale_bot(state)
    stop_detached(state)


def _demo(state: Path, duration: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bot.app.cli",
        "demo",
        "--state-dir",
        str(state),
        "--duration",
        str(duration),
        "--no-progress",
    ]


def _assert_nothing_left(state: Path) -> None:
    info = read_info(state)
    assert not is_running(info.pids["anvil"], "anvil")
    assert not is_running(info.pids["supervisor"], "bot.sandbox")
    assert _processes_mentioning(str(state)) == []


def test_demo_runs_the_bot_live_and_stops_everything(tmp_path: Path) -> None:
    # 15 s of bot (was 25): the sandbox's bot reprices every 4 s (config/sandbox.toml), so it
    # still runs three to four cycles and publishes; the rest of the demo (sandbox start, plot,
    # screenshot, stop) is unchanged. The 10 s saved were a plain wait.
    state = tmp_path / "demo"
    try:
        result = subprocess.run(
            _demo(state, 15), capture_output=True, text=True, timeout=240, check=False
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        out = result.stdout
        assert "pricebot demo summary" in out
        assert "orders published" in out and "tasks matched" in out and "revenue" in out
        published = int(out.split("orders published")[1].split()[0])
        assert published >= 1  # the bot really acted on the sandbox
        png = state / "demo.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "dashboard: http://127.0.0.1:" in out  # its URL, while the bot runs
        if browser_missing() is None:  # and its screenshot beside the plot
            assert (state / "dashboard.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            assert "dashboard: no screenshot (" in out
        assert read_info(state).status == "stopped"
        _assert_nothing_left(state)  # checked before the safety net below
    finally:
        _clean_up(state)


def test_a_demo_stopped_with_sigterm_stops_the_bot_and_the_sandbox(tmp_path: Path) -> None:
    state = tmp_path / "demo"
    proc = subprocess.Popen(_demo(state, 120), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for("the demo's bot to start", lambda: (state / "bot.pid").exists(), timeout=120)
        bot_pid = int((state / "bot.pid").read_text())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) != 0
        assert not is_running(bot_pid)
        _assert_nothing_left(state)  # checked before the safety net below
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        _clean_up(state)
