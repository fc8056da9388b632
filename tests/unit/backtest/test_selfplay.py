"""Self-play: pools priced by built-in strategies through the live cycle, against each other."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import bot.engine.cycle
from bot.app.cli import app, main
from bot.backtest.selfplay import classify, play, self_play
from bot.domain.errors import InputError
from bot.sim.scenario import OUR_POOL, load_scenario

TINY = Path(__file__).parent / "tiny.toml"


def test_classify_the_four_shapes() -> None:
    floor = 1_000_000
    assert classify([50_000_000] * 90, floor)["verdict"] == "settle"
    assert classify([80_000_000] * 60 + [1_020_000] * 30, floor)["verdict"] == "collapse"
    saw = [10_000_000 + (i % 10) * 2_000_000 for i in range(90)]  # undercut down, jump up
    saw = saw[::-1]
    got = classify(saw, floor)
    assert got["verdict"] == "cycle" and got["reversals"] >= 4
    ramp = [10_000_000 + i * 1_000_000 for i in range(90)]
    assert classify(ramp, floor)["verdict"] == "drift"
    assert classify([None] * 9, floor)["verdict"] == "no price"
    # only the last third counts: an early collapse that recovered is not a collapse
    assert classify([1_000_000] * 60 + [30_000_000] * 30, floor)["verdict"] == "settle"


def test_every_pool_ticks_through_the_live_cycle_on_its_own_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: Counter[str] = Counter()
    real = bot.engine.cycle.run_cycle

    def spy(ports: Any, settings: Any, *a: Any, **k: Any) -> Any:
        seen[settings.workerpool] += 1
        return real(ports, settings, *a, **k)

    monkeypatch.setattr(bot.engine.cycle, "run_cycle", spy)
    s = load_scenario(TINY).model_copy(update={"competitors": []})
    game = play(s, [("competitive", {}), ("utilization", {}), ("fixed", {})], 7)
    steps = len(game.times)
    assert steps == 180
    assert seen == {p.workerpool: steps for p in game.pools}
    assert game.pools[0].workerpool == OUR_POOL
    assert len({p.workerpool for p in game.pools}) == 3
    # fills on a peer's orders became tasks served on the peer's own slots
    assert sum(p.tasks_served for p in game.pools[1:]) > 0
    assert all(p.strategy_errors == 0 for p in game.pools)
    for c in game.categories:
        assert all(len(series) == steps for series in game.prices[c])


def test_report_compares_each_pool_with_the_all_fixed_game(tmp_path: Path) -> None:
    s = load_scenario(TINY)
    report = self_play(s, ["competitive", "competitive"], 7, out=tmp_path)
    assert [p["strategy"] for p in report["pools"]] == ["competitive", "competitive"]
    for p in report["pools"]:
        assert p["all_fixed_net_revenue_nrlc"] >= 0
    assert report["all_fixed_total_net_revenue_nrlc"] > 0
    assert report["categories"]["0"]["market"]["verdict"] in {
        "collapse",
        "cycle",
        "settle",
        "drift",
    }
    on_disk = json.loads((tmp_path / "selfplay.json").read_text())
    assert on_disk == report
    assert (tmp_path / "price.png").stat().st_size > 0
    assert (tmp_path / "prices.csv").read_text().startswith("t,price_c0_ours_competitive")
    # same inputs, same game
    assert self_play(s, ["competitive", "competitive"], 7) == report


def test_self_play_needs_two_pools() -> None:
    with pytest.raises(InputError, match="at least two"):
        play(load_scenario(TINY), [("fixed", {})], 1)


def test_cli_self_play(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "self-play",
            "--scenario",
            str(TINY),
            "--strategies",
            "competitive,fixed",
            "--days",
            "0.05",
            "--seed",
            "3",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "category 0:" in result.output
    assert json.loads((tmp_path / "selfplay.json").read_text())["seed"] == 3


def test_cli_self_play_unknown_strategy_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["pricebot", "self-play", "--scenario", str(TINY), "--strategies", "nope,fixed"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "strategy.name" in err and "Traceback" not in err


def test_cli_self_play_on_a_generated_market(tmp_path: Path) -> None:
    args = ["self-play", "--market", "1000", "--strategies", "competitive,portfolio"]
    result = CliRunner().invoke(app, [*args, "--days", "0.02", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "selfplay.json").read_text())
    assert report["scenario"].startswith("gen-v1-") and report["days"] == 0.02
    assert [p["strategy"] for p in report["pools"]] == ["competitive", "portfolio"]
