"""``portfolio`` through the live cycle on the simulated ``realistic`` market (2 days, ~1 s).

The scenario's shape is why the strategy exists: XS is contested by the dominant pool's 0.01 RLC
public order, S is sold by nobody else. Each category must get its own logic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.backtest import prepare_scenario
from bot.backtest.engine import RunOutput, simulate

REALISTIC = Path(__file__).resolve().parents[3] / "config" / "scenarios" / "realistic.toml"


@pytest.fixture(scope="module")
def runs() -> dict[str, RunOutput]:
    s = prepare_scenario(REALISTIC, days=2)
    return {name: simulate(s, name, None, 1) for name in ("portfolio", "competitive")}


def test_each_category_gets_its_own_price(runs: dict[str, RunOutput]) -> None:
    out = runs["portfolio"]
    last = dict(zip(out.columns, out.rows[-1], strict=True))
    assert last["price_c0"] == 10_000_000 - 1  # 1 nRLC under the dominant pool's public order
    assert last["price_c1"] == 1_000_000_000  # alone in S: learnt up to the rails' ceiling
    assert out.strategy_errors == 0


def test_it_earns_more_than_following_rivals_everywhere(runs: dict[str, RunOutput]) -> None:
    mine, theirs = runs["portfolio"].counters, runs["competitive"].counters
    assert mine.revenue_by_category[1] > 1.5 * theirs.revenue_by_category[1]
    assert mine.revenue_by_category[0] >= theirs.revenue_by_category[0]
    assert runs["portfolio"].net_revenue > runs["competitive"].net_revenue
