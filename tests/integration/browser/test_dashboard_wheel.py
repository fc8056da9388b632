"""The built wheel carries the dashboard: templates are package data, not files of this checkout.

The wheel is built from a copy of the sources (pip, PEP 517) and installed with ``--no-deps``
into a fresh venv whose only other path is this .venv's site-packages (for the dependencies;
fast, and nothing is downloaded but the build backend pip may already have cached). A script
run from an empty directory, without PYTHONPATH, checks that ``bot`` comes from the venv, starts
the ops server on loopback and fetches ``/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SOURCES = ("pyproject.toml", "README.md", "bot", "strategies")

SCRIPT = r"""
import json, sys, tempfile
from pathlib import Path
import httpx
import bot
from bot.config.schema import config_from_mapping
from bot.ops import OpsHub, OpsServer, PauseFlag, initial_view
from bot.config.settings import cycle_settings

state = Path(tempfile.mkdtemp())
cfg = config_from_mapping({
    "network": "local", "chain_id": 65535,
    "hub": "0x" + "11" * 20, "workerpool": "0x" + "ab" * 20,
    "strategy": {"name": "fixed", "params": {"price": 5000}},
    "offers": [{"category": 0, "task_seconds": 300, "max_volume": 10}],
    "service": {"journal_dir": str(state)}, "ops": {"port": 0},
})
view = initial_view(cfg, cycle_settings(cfg, live=False), started_at=1.0)
hub = OpsHub(view, PauseFlag(state), clock=lambda: 2.0)
server = OpsServer(hub, cfg, journal_path=None, token=None)
url = server.start()
try:
    page = httpx.get(url + "/")
finally:
    server.stop()
print(json.dumps({"bot": bot.__file__, "status": page.status_code, "text": page.text}))
"""


def _build_wheel(tmp: Path) -> Path:
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    dist = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        check=True,
        cwd=tmp,
    )
    (wheel,) = dist.glob("iexec_pricebot-*.whl")
    return wheel


def test_the_installed_wheel_serves_the_dashboard(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The dependencies: this .venv's site-packages, after the venv's own (a plain path entry:
    # that directory's editable-install hooks for this checkout are not run).
    Path(purelib, "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", wheel],
        check=True,
        cwd=tmp_path,
    )
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run = subprocess.run(
        [str(python), "-c", SCRIPT],
        check=True,
        capture_output=True,
        text=True,
        cwd=empty,
        env=env,
    )
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(got["bot"]).is_relative_to(env_dir), got["bot"]  # the wheel, not this checkout
    assert got["status"] == 200
    assert "My Workerpool Dashboard" in got["text"]
    assert "<svg" in got["text"] and "dry-run" in got["text"]
