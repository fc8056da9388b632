"""The schedule fits the marketplace budget: requests per job counted once, refused above the budget."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.app.cli import app
from bot.config.schema import config_from_mapping, load_config
from bot.domain.errors import ConfigError
from bot.engine.cycle import CycleSettings
from bot.engine.market_demand import market_demand, sample_reads
from bot.engine.samplers import SamplerMemory, sample_snapshot
from bot.pricing.snapshot import Offer
from tests.unit.config.test_config import base
from tests.unit.engine.test_cycle_fake import make_cycle

ROOT = Path(__file__).resolve().parents[3]
TEE = 1


class CountingMarket:
    """The fake world's market port, counting each read (one HTTP request per answer page)."""

    READS = ("workerpool_orders", "workerpool_order", "request_orders", "deals", "our_orders")

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        if name in self.READS:
            self.calls[name] += 1
        return getattr(self.inner, name)


def test_one_sample_makes_the_reads_the_budget_counts() -> None:
    cycle, _world = make_cycle()
    offers = (
        Offer(category=0, task_seconds=300, max_volume=5),
        Offer(category=0, task_seconds=300, max_volume=5, tag=TEE, trust=1),
        Offer(category=0, task_seconds=300, max_volume=5, tag=TEE, trust=2),
        Offer(category=2, task_seconds=3000, max_volume=5),
    )
    settings = CycleSettings(
        workerpool=cycle.settings.workerpool, offers=offers, rails=cycle.settings.rails, live=True
    )
    market = CountingMarket(cycle.ports.market)
    ports = type(cycle.ports)(**{**vars_of(cycle.ports), "market": market})
    sample_snapshot(ports, settings, SamplerMemory())
    assert sum(market.calls.values()) == sample_reads((o.category, o.tag) for o in offers) == 7


def vars_of(ports: Any) -> dict[str, Any]:
    return {name: getattr(ports, name) for name in ports.__dataclass_fields__}


def test_the_demand_of_a_schedule_per_job_and_per_minute() -> None:
    demand = market_demand(
        slots=[(0, 0), (1, 0)],
        offers=2,
        sample_seconds=2,
        reprice_seconds=4,
        reconcile_seconds=20,
        fill_apps=None,
    )
    # the sample job (30/min) runs between the reprice ticks (15/min), which sample too
    assert demand.samples_per_minute == 45 and demand.per_sample == 6
    assert demand.steady_per_minute == 45 * 6 + 3
    assert demand.peak_per_minute == 45 * 6 + 3 + 15 * 4
    with_fills = market_demand(
        slots=[(0, 0)],
        offers=1,
        sample_seconds=60,
        reprice_seconds=60,
        reconcile_seconds=300,
        fill_apps=2,
        fills_per_tick=4,
    )
    assert with_fills.steady_per_minute == 4 + 3 + 0.2
    assert with_fills.peak_per_minute == 4 + 3 + 0.2 + 2 + 4


def test_the_shipped_configs_fit_their_budgets() -> None:
    example = load_config(ROOT / "config" / "example.toml", check_strategy=False)
    assert example.market_budget_per_minute() == 20
    assert example.market_demand().peak_per_minute <= 20
    sandbox = load_config(ROOT / "config" / "sandbox.toml", check_strategy=False)
    assert sandbox.market_demand().peak_per_minute <= sandbox.market_budget_per_minute() == 1000


def test_a_schedule_above_the_budget_is_refused_naming_keys_and_numbers() -> None:
    fast = {"sample_seconds": 2, "reprice_seconds": 4}
    with pytest.raises(ConfigError) as info:
        config_from_mapping(base(schedule=fast))
    text = str(info.value)
    assert "schedule: needs 180.2 marketplace requests/min" in text
    assert "schedule.market_budget_per_minute = 20" in text
    # the owner raises the budget: still above 20 % of the marketplace's limit on production
    with pytest.raises(ConfigError) as info:
        config_from_mapping(base(schedule={**fast, "market_budget_per_minute": 250}))
    assert "above 20% of the marketplace's 100/min (20) on arbitrum-mainnet" in str(info.value)
    assert "schedule.market_budget_over_share = true" in str(info.value)
    allowed = {**fast, "market_budget_per_minute": 250, "market_budget_over_share": True}
    assert config_from_mapping(base(schedule=allowed)).market_budget_per_minute() == 250


def test_config_check_exits_2_on_a_schedule_above_the_budget(tmp_path: Path) -> None:
    text = (ROOT / "config" / "example.toml").read_text()
    path = tmp_path / "fast.toml"
    path.write_text(text.replace("sample_seconds = 60", "sample_seconds = 5"))
    result = CliRunner().invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 2
    assert "schedule: needs 78.2 marketplace requests/min" in result.output
    ok = CliRunner().invoke(app, ["config", "check", str(ROOT / "config" / "example.toml")])
    assert ok.exit_code == 0
    assert "6.2 requests/min (peak 10.2" in ok.output and "budget 20/min" in ok.output
