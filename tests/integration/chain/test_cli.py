"""``pricebot chain up / deploy / verify`` end to end (real anvil, real subprocess for ``up``)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app.cli import app
from bot.domain.errors import TransientError
from bot.domain.signing import address_of
from bot.sandbox import poco as pc
from bot.sandbox.anvil import rpc_call, run_anvil
from tests.plugins.chain import OWNER_KEY

pytestmark = pytest.mark.chain


def test_deploy_then_verify_against_a_fresh_anvil(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "dep.json"
    with run_anvil(chain_id=134) as node:
        args = ["chain", "deploy", "--rpc", node.rpc_url, "--relocate", "--out", str(out)]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        info = json.loads(out.read_text())
        dep = pc.PocoDeployment.from_json(info)
        assert (dep.chain_id, dep.hub, dep.rpc_url) == (134, pc.BELLECOUR_HUB, node.rpc_url)
        # the production network definition itself verifies against the relocated hub
        args = ["chain", "verify", "-n", "bellecour", "--rpc", node.rpc_url]
        res = runner.invoke(app, [*args, "--workerpool", info["workerpool"]])
        assert res.exit_code == 0, res.output
        report = json.loads(res.output)
        assert report["domain"] == "ok" and report["category_differences"] == []
        assert report["owner"] == info["workerpool_owner"] == address_of(OWNER_KEY)
        assert report["stake_free"] == 1_000 * 10**9
        res = runner.invoke(
            app, ["chain", "verify", "-n", "arbitrum-mainnet", "--rpc", node.rpc_url]
        )
        assert res.exit_code != 0 and "serves chain id 134" in str(res.exception)


def _run_up_until_ready(state: Path) -> tuple[dict[str, object], bool]:
    """Run ``chain up`` in this process; once it has written its deployment file, check the
    node answers and SIGTERM ourselves (the command's handler turns it into a clean stop)."""
    info_file = state.with_suffix(".deployment.json")
    seen: dict[str, object] = {}
    mtime = info_file.stat().st_mtime_ns if info_file.exists() else None

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if info_file.exists() and info_file.stat().st_mtime_ns != mtime:
                try:
                    seen.update(json.loads(info_file.read_text()))
                    break
                except json.JSONDecodeError:
                    pass  # half-written
            time.sleep(0.05)
        if seen:
            url = str(seen["rpc_url"])
            seen["answered"] = int(rpc_call(url, "eth_chainId"), 16)
            seen["hub_code"] = len(rpc_call(url, "eth_getCode", [seen["hub"], "latest"])) > 2
        os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    res = CliRunner().invoke(app, ["chain", "up", "--state-file", str(state)])
    watcher.join(5)
    assert res.exit_code == 0, res.output
    return seen, "anvil stopped" in res.output


def test_up_serves_a_deployed_chain_keeps_its_state_and_stops_on_sigterm(tmp_path: Path) -> None:
    state = tmp_path / "chain.state"
    first, stopped = _run_up_until_ready(state)
    assert stopped and first["answered"] == 31337
    assert first["workerpool_owner"] == address_of(OWNER_KEY)
    with pytest.raises(TransientError):  # anvil is gone
        rpc_call(str(first["rpc_url"]), "eth_chainId", timeout=1.0)
    assert state.is_file()  # anvil saved its state on exit

    second, stopped = _run_up_until_ready(state)  # reloads the state: no new deployment
    assert stopped and second["hub"] == first["hub"] and second["hub_code"] is True
    assert second["workerpool"] == first["workerpool"]
