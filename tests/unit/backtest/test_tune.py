"""pricebot tune: Optuna over the declared parameters, train markets searched, test reported."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna
import pytest
from typer.testing import CliRunner

import strategies
from bot.app.cli import app
from bot.backtest.tune import Market, aggregate, markets_of, search_space, tune
from bot.domain.errors import InputError

TINY = str(Path(__file__).parent / "tiny.toml")


def test_search_space_follows_the_declared_bounds_and_the_rails() -> None:
    dims, skipped = search_space("competitive", 1_000_000, 1_000_000_000)
    by = {d.name: d for d in dims}
    specs = {s.name: s for s in strategies.get("competitive").param_specs()}
    assert set(by) | set(skipped) == set(specs)
    assert by["mode"].kind == "categorical" and set(by["mode"].choices) == set(
        specs["mode"].choices or ()
    )
    assert (by["default_price"].low, by["default_price"].high) == (100_000, 1_000_000_000)
    assert by["default_price"].log and by["step"].log
    assert by["step"].low <= 100_000 == specs["step"].default  # a small step stays reachable
    for d in dims:  # every default is inside its range (the defaults are trial 0)
        if d.kind != "categorical":
            assert d.low <= float(specs[d.name].default) <= d.high  # type: ignore[arg-type]
    _, fixed_skipped = search_space("fixed", 1, 10**9)
    assert "prices" in fixed_skipped  # a per-category table keeps its default
    with pytest.raises(InputError, match="--only"):
        search_space("fixed", 1, 10**9, only=["nope"])


def test_aggregates() -> None:
    assert aggregate([1.0, 0.5, 2.0, 0.1], "mean") == pytest.approx(0.9)
    assert aggregate([1.0, 0.5, 2.0, 0.1], "cvar50") == pytest.approx(0.3)
    assert aggregate([1.0, 0.5, 0.2], "cvar50") == pytest.approx(0.35)  # worse half, rounded up
    assert aggregate([1.0, 0.5, 2.0, 0.1], "min") == 0.1


def _toy_scorer(market: Market, strategy: str, params: Mapping[str, Any]) -> float:
    """A cheap stand-in score (no simulation): best near step = 10,000 nRLC x seed."""
    return -abs(int(params.get("step", 100_000)) - 10_000 * market.seed) / 1e6 + market.seed


def test_study_resumes_and_reports_train_and_test(tmp_path: Path) -> None:
    train = markets_of([TINY], [1, 2], 0.02)
    test = markets_of([TINY], [3], 0.02)
    first = tune("competitive", train, test, tmp_path, trials=5, seed=4, only=["step", "mode"])
    assert first["trials"]["total"] == 5 and first["trials"]["resumed_from"] == 0
    for key in ("chosen_train", "chosen_test", "default_train", "default_test"):
        assert set(first[key]) == {"aggregate", "mean", "min", "per_market"}
    assert set(first["chosen_train"]["per_market"]) == {m.key for m in train}
    assert set(first["chosen_test"]["per_market"]) == {m.key for m in test}
    assert first["overfit_gap"] == pytest.approx(
        first["chosen_train"]["aggregate"] - first["chosen_test"]["aggregate"], abs=1e-3
    )
    assert first["gain_over_default"]["test"] == pytest.approx(
        first["chosen_test"]["aggregate"] - first["default_test"]["aggregate"], abs=1e-3
    )
    assert json.loads((tmp_path / "tune.json").read_text()) == first
    snippet = tomllib.loads((tmp_path / "params.toml").read_text())
    assert snippet["strategy"]["name"] == "competitive"
    assert snippet["strategy"]["params"] == first["chosen_params"]
    strategies.create("competitive", snippet["strategy"]["params"])  # a valid config
    refs = json.loads((tmp_path / "references.json").read_text())
    assert set(refs) == {m.key for m in [*train, *test]}

    study = optuna.load_study(
        study_name="tune-competitive", storage=f"sqlite:///{tmp_path / 'study.sqlite3'}"
    )
    before = [(t.number, t.params) for t in study.trials]
    defaults = {s.name: s.default for s in strategies.get("competitive").param_specs()}
    assert before[0][1] == {"step": defaults["step"], "mode": defaults["mode"]}

    again = tune("competitive", train, test, tmp_path, trials=7, seed=4, only=["step", "mode"])
    assert again["trials"]["resumed_from"] == 5 and again["trials"]["total"] == 7
    study = optuna.load_study(
        study_name="tune-competitive", storage=f"sqlite:///{tmp_path / 'study.sqlite3'}"
    )
    assert [(t.number, t.params) for t in study.trials][:5] == before
    with pytest.raises(InputError, match="another setup"):
        tune("competitive", train, test, tmp_path, trials=7, only=["step"])


def test_pruning_with_markets_as_steps_and_a_custom_scorer(tmp_path: Path) -> None:
    # the scorer never simulates: the scenario file is only read for the rails
    report = tune(
        "competitive",
        [Market(TINY, seed) for seed in (1, 2, 3, 4)],
        [Market(TINY, 9)],
        tmp_path,
        trials=16,
        seed=2,
        only=["step"],
        scorer=_toy_scorer,
        kind="mean",
    )
    assert report["trials"]["pruned"] > 0
    assert report["trials"]["complete"] + report["trials"]["pruned"] == 16
    expected = _toy_scorer(Market(TINY, 9), "", report["chosen_params"])
    assert report["chosen_test"]["per_market"] == {"tiny/seed9": pytest.approx(expected, abs=1e-4)}
    assert not (tmp_path / "references.json").exists()  # a custom scorer needs none


def test_train_and_test_markets_must_differ(tmp_path: Path) -> None:
    m = markets_of([TINY], [1], 0.02)
    with pytest.raises(InputError, match="both train and test"):
        tune("competitive", m, m, tmp_path, trials=1)


def test_cli_tune(tmp_path: Path) -> None:
    args = ["tune", "competitive", "--scenario", TINY, "--out", str(tmp_path)]
    args += ["--train-seeds", "1-2", "--test-seeds", "5", "--days", "0.02"]
    args += ["--trials", "3", "--seed", "1", "--only", "step"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "overfit gap" in result.output and "chosen" in result.output
    report = json.loads((tmp_path / "tune.json").read_text())
    assert report["train_markets"] == ["tiny/seed1/0.02d", "tiny/seed2/0.02d"]
    assert report["test_markets"] == ["tiny/seed5/0.02d"]
    assert report["command"].startswith("pricebot ")


def test_parallel_workers_share_one_study(tmp_path: Path) -> None:
    report = tune(
        "competitive",
        [Market(TINY, 1), Market(TINY, 2)],
        [Market(TINY, 3)],
        tmp_path,
        trials=6,
        seed=1,
        jobs=2,
        only=["step"],
        scorer=_toy_scorer,
    )
    # each worker stops once the study holds the budget (one may finish the trial it had begun)
    assert 6 <= report["trials"]["total"] <= 7
    assert set(report["default_test"]["per_market"]) == {"tiny/seed3"}


def test_generated_markets_are_scored_by_the_benchmark_yardstick(tmp_path: Path) -> None:
    from bot.backtest.bench import run_market
    from bot.backtest.tune import generated_markets
    from bot.sim.generator import split_of

    train = generated_markets("train", 2, days=0.02)
    test = generated_markets("test", 1, days=0.02)
    assert {split_of(m.seed) for m in train} == {"train"}
    assert {split_of(m.seed) for m in test} == {"test"}
    cache = tmp_path / "yardstick"
    report = tune(
        "competitive", train, test, tmp_path / "out", trials=2, cache_dir=cache, only=["step"]
    )
    assert "yardstick" in report["score"]
    assert report["test_markets"] == [m.key for m in test]
    assert report["test_markets"][0].startswith("gen-v")
    # the same figure as the benchmark's for that market and parameter set
    (got,) = run_market(
        test[0].seed, [("competitive", report["chosen_params"])], cache_dir=cache, days=0.02
    )
    assert report["chosen_test"]["per_market"][test[0].key] == pytest.approx(got.score, abs=1e-4)
    with pytest.raises(InputError, match="generated markets or on scenario files"):
        tune("competitive", train, markets_of([TINY], [1], 0.02), tmp_path / "mixed", trials=1)
