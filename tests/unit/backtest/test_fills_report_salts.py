"""bench/fills_report.py's ``--salts`` summary: medians over salts and a below's place in the
no-fills runs' own spread (a dev tool's verdict the docs quote, so it is tested)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import bot.backtest.engine as engine

ROOT = Path(__file__).resolve().parents[3]


def _report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fills_report", ROOT / "bench/fills_report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(strategy: str, salt: int, off: float, on: float, gas: float = 0) -> dict[str, Any]:
    run = {"net_revenue_nrlc": on * 1e9, "match_gas_cost_nrlc": gas * 1e9}
    return {
        "market": "gen-x",
        "seed": 1073,
        "strategy": strategy,
        "salt": salt,
        "without_fills": {"net_revenue_nrlc": off * 1e9, "match_gas_cost_nrlc": 0},
        "with_fills": run,
    }


def test_the_salts_table_reads_medians_and_the_no_fills_spread() -> None:
    report = _report()
    rows = [
        # below on salt 0 (95 < 100) but inside the no-fills spread 90..110; median on >= off
        *(_row("a", s, off, on) for s, off, on in ((0, 100, 95), (1, 90, 105), (2, 110, 101))),
        # below on salt 0 outside the spread (fills - gas 80 < 99); median on < off
        *(_row("b", s, off, on, 5) for s, off, on in ((0, 100, 85), (1, 99, 90), (2, 101, 96))),
    ]
    lines = report.salts_table(rows).splitlines()[2:]
    a, b = ([c.strip() for c in line.strip("| ").split("|")] for line in lines)
    # seed, strategy, off by salt, on by salt, median off, median on, on >= off, below, within
    assert a[2:] == [
        "100.000 / 90.000 / 110.000",
        "95.000 / 105.000 / 101.000",
        "100.000",
        "101.000",
        "yes",
        "**below**",
        "yes",
    ]
    assert b[6:] == ["**no**", "**below**"]  # the last cell empty: outside the spread


def test_each_salt_replaces_the_last_one() -> None:
    report = _report()
    plain = engine.cycle_over
    try:
        report.salt_strategy_rng(1)
        salted = engine.cycle_over
        report.salt_strategy_rng(2)
        assert engine.cycle_over is not salted and engine.cycle_over is not plain
        report.salt_strategy_rng(0)
        assert engine.cycle_over is plain
    finally:
        engine.cycle_over = plain
