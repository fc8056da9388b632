"""``pricebot chain up / deploy / verify`` end to end (real anvil, real subprocess for ``up``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.errors import TransientError
from bot.sandbox import poco as pc
from bot.sandbox.anvil import rpc_call, run_anvil
from bot.signing import address_of
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


def test_up_serves_a_deployed_chain_and_stops_on_sigint(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "chain", "up"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ},
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("}"):
                break
        info = json.loads("".join(lines))
        assert int(rpc_call(info["rpc_url"], "eth_chainId"), 16) == 31337
        dep = pc.PocoDeployment.from_json(info)
        domain = pc.hub_contract(pc.web3_for(dep.rpc_url), dep.hub).functions.domain().call()
        assert domain[2] == 31337 and domain[3].lower() == dep.hub
        assert info["workerpool_owner"] == address_of(OWNER_KEY)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    with pytest.raises(TransientError):
        rpc_call(info["rpc_url"], "eth_chainId", timeout=1.0)
