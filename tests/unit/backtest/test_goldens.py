"""Every shipped scenario x built-in strategy x seed 1 (3 days) and 2 (1 day): byte-identical.

A deliberate behaviour change regenerates them (``python -m tests.unit.backtest.goldens record``) in a
commit of its own that says why; see tests/unit/backtest/goldens.py.
"""

from __future__ import annotations

import pytest

from tests.unit.backtest import goldens

GOLDEN = goldens.load()


def test_the_goldens_cover_every_scenario_strategy_and_seed() -> None:
    assert GOLDEN["days"] == goldens.days_record() == {"1": 3, "2": 1}
    assert set(GOLDEN["runs"]) == {goldens.run_id(*r) for r in goldens.all_runs()}
    assert len(goldens.SCENARIOS) >= 7


@pytest.mark.parametrize(("scenario", "strategy", "seed"), goldens.all_runs())
def test_run_matches_its_golden(scenario: str, strategy: str, seed: int) -> None:
    want = GOLDEN["runs"][goldens.run_id(scenario, strategy, seed)]
    got = goldens.record_one(scenario, strategy, seed)
    assert got["summary"] == want["summary"]
    assert got["timeseries_column_sums"] == want["timeseries_column_sums"]
    assert got["timeseries_sha256"] == want["timeseries_sha256"]
