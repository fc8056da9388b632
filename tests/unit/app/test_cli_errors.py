"""Service commands fail early and clearly on bad input, before touching any network."""

from __future__ import annotations

import textwrap

import pytest
from typer.testing import CliRunner

from bot.domain.errors import EXIT_CONFIG, ConfigError, exit_code_for
from tests.support.fakes import NETWORK, POOL


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "bot.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            network = "local"
            chain_id = {NETWORK.chain_id}
            hub = "{NETWORK.hub}"
            workerpool = "{POOL}"
            [endpoints]
            rpc_urls = ["http://127.0.0.1:9"]
            [[offers]]
            category = 0
            [service]
            journal_dir = "{tmp_path / "state"}"
            """
        )
    )
    return path


def test_live_without_the_owner_key_is_a_config_error(config, monkeypatch):
    from bot.app.service import build_runtime
    from bot.config.schema import load_config

    monkeypatch.delenv("PRICEBOT_PRIVATE_KEY", raising=False)
    with pytest.raises(ConfigError, match="PRICEBOT_PRIVATE_KEY") as info:
        build_runtime(load_config(config), live=True)
    assert exit_code_for(info.value) == EXIT_CONFIG


def test_live_without_the_gas_wallet_is_a_config_error(config, monkeypatch):
    from bot.app.service import build_runtime
    from bot.config.schema import load_config

    monkeypatch.setenv(
        "PRICEBOT_PRIVATE_KEY", "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
    )
    monkeypatch.delenv("PRICEBOT_GAS_PRIVATE_KEY", raising=False)
    with pytest.raises(ConfigError, match="PRICEBOT_GAS_PRIVATE_KEY"):
        build_runtime(load_config(config), live=True)


@pytest.mark.parametrize("command", ["run", "once", "status", "withdraw", "record"])
def test_missing_config_file_names_it(command, tmp_path):
    """The real console script: exactly one `error:` line naming the file, exit 2, no traceback
    (exit 1 would make the documented systemd unit restart forever)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    missing = tmp_path / "nope.toml"
    script = Path(sys.executable).with_name("pricebot")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICEBOT_")}
    result = subprocess.run(
        [str(script), command, "--config", str(missing)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == EXIT_CONFIG, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {missing}: cannot read config"), lines[0]


def test_live_cannot_come_from_the_config(config):
    from bot.config.schema import load_config

    config.write_text(config.read_text() + "\nlive = true\n")
    with pytest.raises(ConfigError, match="--live"):
        load_config(config)


def test_prune_command_prunes_both_journals_and_refuses_nothing_to_do(config, tmp_path):
    import time

    from bot.adapters.journal import open_journal
    from bot.app.cli import app

    runner = CliRunner()
    config.write_text(config.read_text() + "journal_keep_days = 0\n")  # the default is 90
    nothing = runner.invoke(app, ["prune", "--config", str(config)])
    assert nothing.exit_code == 2 and "nothing to do" in nothing.output
    for bad in ("nan", "inf", "1e300", "-1"):  # inf passed min=0 alone and pruned nothing
        refused = runner.invoke(app, ["prune", "--config", str(config), "--keep-days", bad])
        assert refused.exit_code == 2 and "--keep-days" in refused.output, bad
        assert "Traceback" not in refused.output
    missing = runner.invoke(app, ["prune", "--config", str(config), "--keep-days", "1"])
    assert missing.exit_code == 2 and "no journal" in missing.output
    for live in (True, False):
        j = open_journal(tmp_path / "state", live=live)
        j.record_snapshot(time.time() - 10 * 86_400, {"old": True})
        j.record_snapshot(time.time(), {"new": True})
        j.close()
    done = runner.invoke(app, ["prune", "--config", str(config), "--keep-days", "2"])
    assert done.exit_code == 0, done.output
    assert done.output.count("1 snapshots") == 2  # journal-live and journal-dryrun
    for live in (True, False):
        j = open_journal(tmp_path / "state", live=live)
        assert [p for _, p in j.snapshots()] == [{"new": True}]
        j.record_snapshot(time.time() - 5 * 86_400, {"old": True})
        j.close()
    # without --keep-days: the config's service.journal_keep_days
    config.write_text(config.read_text().replace("journal_keep_days = 0", "journal_keep_days = 3"))
    by_config = runner.invoke(app, ["prune", "--config", str(config)])
    assert by_config.exit_code == 0, by_config.output
    assert "older than 3 days" in by_config.output
    assert by_config.output.count("1 snapshots") == 2
