"""``pricebot strategies`` lists every registered strategy with its declared parameters."""

from __future__ import annotations

from typer.testing import CliRunner

import strategies
from bot.app.cli import app


def test_lists_every_strategy_and_its_bounded_params() -> None:
    result = CliRunner().invoke(app, ["strategies"])
    assert result.exit_code == 0, result.output
    for name in strategies.available():
        assert f"{name}: " in result.output
    assert "  step (int nRLC) = " in result.output  # competitive's undercut step, with its unit
    assert "[0.05 .. 1.0]" in result.output  # utilization target bounds
    assert "  raise gate factor 3 (the rails'" in result.output  # utilization's
    assert "  raise gate off (factor 0;" in result.output  # competitive's


def test_unknown_strategy_names_the_key_and_the_choices() -> None:
    result = CliRunner().invoke(app, ["strategies", "nope"])
    assert result.exit_code != 0
    assert "strategy.name" in str(result.exception)
