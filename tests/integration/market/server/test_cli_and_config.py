"""The ``pricebot market serve`` command, config validation and the pure helpers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bot.app.cli import app as cli_app
from bot.app.cli import exit_code_for
from bot.domain.errors import ConfigError, InputError
from bot.sandbox.anvil import free_port
from bot.sandbox.market_server import FaultConfig, MarketServerConfig
from bot.sandbox.market_server._faults import route_key
from bot.sandbox.market_server._storage import tag_matches
from bot.sandbox.market_server._validate import page, positive_int, signed_order
from bot.sandbox.poco import PocoDeployment

HUB = "0x" + "11" * 20
PRICEBOT = [sys.executable, "-m", "bot.app.cli"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"host": "0.0.0.0"}, "host"),
        ({"host": "192.168.1.10"}, "host"),
        ({"hub": "0x12"}, "hub"),
        ({"chain_id": 0}, "chain_id"),
        ({"max_open_orders": 0}, "max_open_orders"),
        ({"rate_limit_max": 0}, "rate_limit_max"),
        ({"default_page_size": 5}, "default_page_size"),
        ({"port": 70000}, "port"),
    ],
)
def test_config_refuses_bad_values_naming_the_field(overrides: dict, field: str) -> None:  # type: ignore[type-arg]
    settings = {"chain_id": 31337, "rpc_url": "http://127.0.0.1:1", "hub": HUB, **overrides}
    with pytest.raises(InputError) as err:
        MarketServerConfig(**settings)
    assert err.value.field == field


def test_config_normalises() -> None:
    cfg = MarketServerConfig(
        chain_id=134,
        rpc_url="x",
        hub=HUB.upper().replace("0X", "0x"),
        client_ip_header=" X-Real-IP ",
    )
    assert cfg.hub == HUB and cfg.client_ip_header == "x-real-ip"
    assert cfg.max_open_orders == 50 and cfg.rate_limit_max == 100


def test_fault_config_rejects_unknown_fields_and_bad_statuses() -> None:
    with pytest.raises(ValueError, match="error_status"):
        FaultConfig.model_validate({"routes": {"*": {"error_status": 404}}})
    with pytest.raises(ValueError, match="extra"):
        FaultConfig.model_validate({"burst": 3})
    assert route_key("GET", "/workerpoolorders/0xab") == "GET /workerpoolorders/:id"
    assert route_key("PUT", "/workerpoolorders") == "PUT /workerpoolorders"


def test_tag_clauses() -> None:
    tee_tdx = "0x" + "0" * 63 + "9"
    assert tag_matches(tee_tdx, "0x" + "0" * 63 + "1", None)
    assert not tag_matches(tee_tdx, "0x" + "0" * 62 + "10", None)
    assert not tag_matches(tee_tdx, None, "0x" + "0" * 64)
    assert tag_matches("0x" + "0" * 64, None, "0x" + "0" * 64)


def test_integer_limits_and_pages() -> None:
    assert positive_int("x", "42") == 42
    assert positive_int("x", 2**53 - 2) == 2**53 - 2
    with pytest.raises(Exception, match="less than or equal to 9007199254740990"):
        positive_int("x", 2**53 - 1)
    with pytest.raises(Exception, match="must be an integer"):
        positive_int("x", "1.5")
    assert page({"pageIndex": "2", "pageSize": "50"}, 20).skip == 100
    assert page({}, 20).limit == 20
    with pytest.raises(Exception, match="order is a required field"):
        signed_order("workerpoolorder", {})


def _run_cli(*args: str) -> BaseException | None:
    """Invoke the command in process, as ``bot.app.cli.main`` does (errors propagate as BotError)."""
    result = CliRunner().invoke(cli_app, ["market", "serve", *args], standalone_mode=False)
    return result.exception


def test_cli_refuses_a_non_loopback_host() -> None:
    exc = _run_cli(
        "--rpc", "http://127.0.0.1:1", "--hub", HUB, "--chain-id", "1", "--host", "0.0.0.0"
    )
    assert isinstance(exc, InputError) and exc.field == "host"
    assert exit_code_for(exc) == 2
    assert "loopback" in str(exc)


def test_cli_refuses_an_unreachable_chain() -> None:
    exc = _run_cli("--rpc", f"http://127.0.0.1:{free_port()}", "--hub", HUB, "--chain-id", "1")
    assert isinstance(exc, ConfigError) and exit_code_for(exc) == 2
    assert "cannot read PoCo" in str(exc)


def test_cli_refuses_a_bad_faults_file(tmp_path: Path) -> None:
    bad = tmp_path / "faults.json"
    bad.write_text('{"routes": {"*": {"error_rate": 3}}}')
    exc = _run_cli(
        "--rpc", "http://127.0.0.1:1", "--hub", HUB, "--chain-id", "1", "--faults", str(bad)
    )
    assert isinstance(exc, InputError) and exc.field == "--faults"
    assert "error_rate" in str(exc)


@pytest.mark.chain
def test_cli_serves_until_terminated(poco: PocoDeployment, tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "market.sqlite"
    proc = subprocess.Popen(
        [
            *PRICEBOT,
            "market",
            "serve",
            "--rpc",
            poco.rpc_url,
            "--hub",
            poco.hub,
            "--chain-id",
            str(poco.chain_id),
            "--port",
            str(port),
            "--db",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                got = httpx.get(
                    f"http://127.0.0.1:{port}/categories", params={"chainId": poco.chain_id}
                )
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
        assert got.json()["count"] == 5
        assert db.exists()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode in (0, -15)
