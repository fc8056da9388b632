"""[ops] and [alerts]: defaults, refusals that name the field and the rule, exit 2 from the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import bot.ops
from bot.config.schema import config_from_mapping
from bot.config.settings import cycle_settings
from bot.domain.errors import ConfigError
from bot.ops import build_ops

POOL = "0x" + "ab" * 20


def base(**extra: Any) -> dict[str, Any]:
    return {"network": "arbitrum-mainnet", "workerpool": POOL, "offers": [{"category": 0}], **extra}


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        config_from_mapping(data)
    return str(info.value)


def test_defaults_are_loopback_with_metrics() -> None:
    ops = config_from_mapping(base()).ops
    assert (ops.enabled, ops.listen, ops.port, ops.metrics) == (True, "127.0.0.1", 9478, True)
    assert ops.loopback and not ops.allow_remote
    assert ops.token_env == "PRICEBOT_OPS_TOKEN"


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        ({"listen": "0.0.0.0"}, "ops.listen: 0.0.0.0 is not loopback; set ops.allow_remote = true"),
        (
            {"listen": "10.0.0.5", "allow_remote": True, "token_env": None},
            "ops.token_env: is required",
        ),
        ({"listen": "my host"}, "ops.listen: must be an IP address or localhost"),
        ({"port": 70000}, "ops.port: must be less than or equal to 65535"),
        ({"token_env": "BAD-NAME"}, "ops.token_env: String should match pattern"),
        ({"metrics": "yes"}, "ops.metrics: must be a valid boolean"),
        ({"password": "x"}, "ops.password"),
    ],
)
def test_bad_ops_tables_are_refused(ops: dict[str, Any], message: str) -> None:
    assert message in error_of(base(ops=ops))


def test_remote_listen_with_allow_remote_is_accepted() -> None:
    ops = config_from_mapping(base(ops={"listen": "0.0.0.0", "allow_remote": True})).ops
    assert not ops.loopback


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        (
            {"sinks": [{"kind": "teams", "url_env": "X"}]},
            "alerts.sinks[0].kind: must be 'json', 'slack' or 'discord'",
        ),
        (
            {"sinks": [{"kind": "slack", "url": "https://hooks.slack.com/x"}]},
            "alerts.sinks[0].url: unknown key",
        ),
        ({"events": {"startup": "loud"}}, "alerts.events.startup: must be 'on', 'silent' or 'off'"),
        ({"events": {"nonsense": "on"}}, "alerts.events.nonsense.[key]"),
    ],
)
def test_bad_alert_tables_are_refused(alerts: dict[str, Any], message: str) -> None:
    assert message in error_of(base(alerts=alerts))


def _ops(cfg: Any, env: dict[str, str]) -> Any:
    return build_ops(
        cfg,
        cycle_settings(cfg, live=False),
        journal_path=None,
        clock=lambda: 0.0,
        environ=env,
    )


def test_a_webhook_url_comes_from_the_environment_and_is_checked_without_being_echoed() -> None:
    cfg = config_from_mapping(base(alerts={"sinks": [{"kind": "slack", "url_env": "HOOK"}]}))
    with pytest.raises(ConfigError, match=r"alerts.sinks\[0\].url_env: environment variable HOOK"):
        _ops(cfg, {})
    secret = "http://hooks.example.com/services/T000/B000/SECRETSECRET"
    with pytest.raises(ConfigError) as info:
        _ops(cfg, {"HOOK": secret})
    assert "https://" in str(info.value) and "SECRET" not in str(info.value)
    ops = _ops(cfg, {"HOOK": "https://hooks.example.com/services/T000/B000/SECRETSECRET"})
    assert ops.alerts is not None
    assert "SECRET" not in repr(ops.alerts.sinks)


def test_remote_listen_without_a_token_value_is_refused_at_start() -> None:
    cfg = config_from_mapping(base(ops={"listen": "0.0.0.0", "allow_remote": True}))
    with pytest.raises(ConfigError, match=r"ops\.token_env: PRICEBOT_OPS_TOKEN must hold a token"):
        _ops(cfg, {})


def test_cli_reports_a_bad_ops_table_on_one_line_with_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(
        f'network = "arbitrum-mainnet"\nworkerpool = "{POOL}"\n[[offers]]\ncategory = 0\n'
        '[ops]\nlisten = "0.0.0.0"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot.app.cli", "health", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "ops.listen" in lines[0] and "allow_remote" in lines[0]


def test_public_surface_is_pinned() -> None:
    public = {n for n in vars(bot.ops) if not n.startswith("_")}
    assert set(bot.ops.__all__) <= public
    assert {"OpsView", "OpsHub", "OpsServer", "build_ops", "health"} <= set(bot.ops.__all__)
