"""config/sandbox.toml renders into a valid bot config; a broken template fails loudly."""

from __future__ import annotations

import pytest

from bot.config.schema import config_from_mapping, validate_strategy
from bot.domain.errors import ConfigError
from bot.sandbox.stack import CONFIG_TEMPLATE, render_config

VALUES = {
    "chain_id": 31337,
    "hub": "0x" + "a" * 40,
    "workerpool": "0x" + "b" * 40,
    "rpc_url": "http://127.0.0.1:8545",
    "market_url": "http://127.0.0.1:3000",
    "core_url": "http://127.0.0.1:13000",
    "journal_dir": "/tmp/pricebot-journal",
}


def test_the_template_renders_a_valid_config_with_its_strategy() -> None:
    import tomllib

    text = render_config(CONFIG_TEMPLATE.read_text(), **VALUES)  # type: ignore[arg-type]
    config = config_from_mapping(tomllib.loads(text))
    validate_strategy(config)  # the competitive params in the template are accepted
    assert config.workerpool == VALUES["workerpool"] and config.hub == VALUES["hub"]
    assert config.endpoints.core_url == VALUES["core_url"]
    assert config.service.journal_dir == VALUES["journal_dir"]
    assert "# filled in" in text  # comments survive rendering


def test_a_template_missing_a_filled_line_is_refused() -> None:
    broken = "\n".join(
        line for line in CONFIG_TEMPLATE.read_text().splitlines() if not line.startswith("hub =")
    )
    with pytest.raises(ConfigError, match="hub"):
        render_config(broken, **VALUES)  # type: ignore[arg-type]
