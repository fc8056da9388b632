"""The yardstick and the strategy benchmark on a small sample of generated markets.

A sample, not the benchmark: two one-category train markets shortened to 6 hours (the figures of
docs/backtesting.md come from `pricebot bench-strategies` on the full 3-day test markets).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bot.backtest.bench import (
    STANDINGS_COLUMNS,
    TABLE_COLUMNS,
    bench,
    evaluate,
    standings,
    summary_table,
    write_outputs,
)
from bot.backtest.engine import intents_for
from bot.backtest.yardstick import (
    GRID_POINTS,
    LOW_REFERENCE_SHARE,
    Yardstick,
    cache_file,
    category_grids,
    compute_yardstick,
    load_or_compute,
    score,
)
from bot.sim.generator import generate, market_class, split_seeds

DAYS = 0.25


def _one_category_markets(n: int) -> list[int]:
    seeds = [s for s in split_seeds("train", 26) if len(generate(s).bot["offers"]) == 1]
    return seeds[:n]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[int], Path, Path]:
    return (
        _one_category_markets(2),
        tmp_path_factory.mktemp("yardstick"),
        tmp_path_factory.mktemp("bench"),
    )


def test_the_grid_holds_the_stated_points() -> None:
    seed = _one_category_markets(1)[0]
    s = generate(seed)
    grids = category_grids(s, intents_for(s, seed))
    (grid,) = grids.values()
    floor, ceiling = s.bot["rails"]["floor"], s.bot["rails"]["ceiling"]
    assert grid == sorted(set(grid)) and floor == grid[0] and grid[-1] == ceiling
    assert len(grid) >= GRID_POINTS
    for comp in s.competitors:
        if comp.kind == "fixed" and floor <= comp.price - 1 <= ceiling:  # type: ignore[operator]
            assert comp.price - 1 in grid  # type: ignore[operator]


def test_bench_table_and_the_reference_reproduces(sample: tuple[list[int], Path, Path]) -> None:
    seeds, cache, out = sample
    names = [("fixed", None), ("competitive", None)]
    results = bench(names, seeds, out_dir=out, cache_dir=cache, days=DAYS)
    assert len(results) == len(seeds) * len(names)
    table = write_outputs(results, out, "sample")
    assert tuple(table.columns) == TABLE_COLUMNS
    classes = {market_class(s) for s in seeds}
    assert len(table) == (len(classes) + 1) * len(names)  # per class, then "all"
    assert set(table.market_class) == classes | {"all"}
    every = table[table.market_class == "all"]
    assert list(every.markets) == [len(seeds)] * len(names)
    assert (table.score_min <= table.score_p10).all() and (
        table.score_p10 <= table.score_median
    ).all()
    assert table.score_min.between(-1.0, 10.0).all()
    assert (table.deadline_misses >= 0).all() and (table.api_requests > 0).all()
    for name in ("results.csv", "table.csv", "table.md", "standings.md", "scores.png"):
        assert (out / name).stat().st_size > 0
    assert "| market_class |" in (out / "table.md").read_text()
    # Each market's reference was cached; fixed at its prices scores exactly 1.
    for seed in seeds:
        ys = Yardstick.from_json(json.loads(cache_file(seed, cache / "days-0.25").read_text()))
        assert ys.reference_nrlc <= ys.upper_bound_nrlc and ys.runs >= GRID_POINTS
        at_ref = evaluate(
            "fixed",
            {"prices": {str(c): p for c, p in ys.prices}},
            [seed],
            cache_dir=cache,
            days=DAYS,
        )
        assert at_ref[0].score == pytest.approx(1.0) and at_ref[0].revenue_nrlc == ys.reference_nrlc
        assert at_ref[0].split == "train"
    # Resumable: a second run makes no new run, and adds nothing to results.jsonl.
    lines = (out / "results.jsonl").read_text().count("\n")
    again = bench(names, seeds, out_dir=out, cache_dir=cache, days=DAYS)
    assert (out / "results.jsonl").read_text().count("\n") == lines
    assert again.equals(results)
    assert summary_table(again).equals(table)


def test_scores_by_difference_where_the_reference_earns_almost_nothing() -> None:
    def ys(reference: int, upper: int) -> Yardstick:
        return Yardstick(1, "ample", 1, 1, "", ((0, 1),), reference, 1, upper, 1, (), 1, 0.0)

    assert score(150, ys(100, 1_000)) == pytest.approx(1.5)  # a ratio
    low = ys(int(LOW_REFERENCE_SHARE * 1_000) - 1, 1_000)
    assert low.low_reference and score(low.reference_nrlc + 100, low) == pytest.approx(1.1)
    assert score(0, ys(0, 0)) == 1.0


def test_cli_refuses_bad_input_with_exit_2() -> None:
    root = Path(__file__).resolve().parents[3]
    for args, needle in (
        (["--markets", "2", "--split", "dev"], "error: --split: must be train or test"),
        (["--markets", "0"], "error: --markets: must be >= 1"),
        (["--markets", "2", "--strategies", "nope"], "error: strategy.name: unknown strategy"),
    ):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from bot.app.cli import main; main()",
                "bench-strategies",
                *args,
            ],
            capture_output=True,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert needle in done.stderr and "Traceback" not in done.stderr


def test_a_stale_cache_file_is_recomputed(tmp_path: Path) -> None:
    seed = _one_category_markets(1)[0]
    s = generate(seed).model_copy(
        update={"scenario": generate(seed).scenario.model_copy(update={"days": 0.05})}
    )
    path = cache_file(seed, tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    ys = load_or_compute(seed, tmp_path, s)
    assert Yardstick.from_json(json.loads(path.read_text())) == ys


def test_parallel_search_finds_the_same_reference() -> None:
    # a market of several categories, so the coordinate search moves each one; short (~30 min)
    seed = next(s for s in split_seeds("train", 26) if len(generate(s).bot["offers"]) > 1)
    s = generate(seed)
    s = s.model_copy(update={"scenario": s.scenario.model_copy(update={"days": 0.02})})
    alone = compute_yardstick(seed, s).to_json()
    shared = compute_yardstick(seed, s, jobs=2).to_json()
    assert alone.pop("elapsed_s") >= 0 and shared.pop("elapsed_s") >= 0
    assert len(alone["grids"]) > 1 and alone == shared


def test_standings_name_where_each_strategy_wins_and_loses() -> None:
    def row(cls: str, name: str, median: float) -> dict[str, object]:
        return {"market_class": cls, "strategy": name, "score_median": median}

    table = pd.DataFrame(
        [
            row("stationary", "a", 1.2),
            row("stationary", "b", 0.5),
            row("surge", "a", 0.3),
            row("surge", "b", 0.3),
            row("all", "a", 0.9),
            row("all", "b", 0.4),
        ]
    )
    got = standings(table).set_index("strategy")
    assert tuple(got.reset_index().columns) == STANDINGS_COLUMNS
    assert got.loc["a", "best_in"] == "stationary, surge" and got.loc["a", "worst_in"] == "surge"
    assert got.loc["b", "best_in"] == "surge" and got.loc["b", "worst_in"] == "stationary, surge"
    assert (
        got.loc["a", "at_reference_in"] == "stationary" and got.loc["b", "at_reference_in"] == "-"
    )
    assert got.loc["a", "weakest"] == "surge 0.3"
