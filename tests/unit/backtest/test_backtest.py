"""The backtester end to end: determinism, same code path as live, references, CLI, replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import bot.app.service
import bot.engine.cycle
import strategies
from bot.app.cli import app
from bot.backtest import run_backtest, run_sweep
from bot.backtest.engine import bot_config, intents_for, simulate, simulated_settings
from bot.backtest.references import compute_references, fixed_params, upper_bound
from bot.config.settings import offers_of
from bot.domain.errors import InputError
from bot.sim.scenario import load_scenario

HERE = Path(__file__).parent
TINY = HERE / "tiny.toml"
SCENARIOS = sorted((HERE.parents[2] / "config" / "scenarios").glob("*.toml"))

pytestmark = pytest.mark.xdist_group("backtest")


def test_same_seed_gives_byte_identical_summary(tmp_path: Path) -> None:
    args = ["backtest", "--scenario", str(TINY), "--strategy", "competitive", "--no-plots"]
    runner = CliRunner()
    for name in ("a", "b"):
        res = runner.invoke(app, [*args, "--out", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
    a = (tmp_path / "a" / "summary.json").read_bytes()
    b = (tmp_path / "b" / "summary.json").read_bytes()
    assert a == b
    summary = json.loads(a)
    for key in (
        "revenue_nrlc",
        "tasks_served",
        "tasks_failed",
        "tasks_failed_deadline",
        "tasks_failed_capacity_drop",
        "tasks_failed_random",
        "stake_lost_deadline_nrlc",
        "stake_lost_capacity_drop_nrlc",
        "stake_lost_random_nrlc",
        "utilization",
        "publishes",
        "unpublishes",
        "cancels",
        "api_requests_per_min_max",
        "best_fixed_price_nrlc",
        "best_fixed_revenue_nrlc",
        "upper_bound_revenue_nrlc",
        "seed",
    ):
        assert key in summary
    assert set(summary["manifest"]) == {"scenario_sha256", "config_sha256", "code_version"}
    causes = ("deadline", "capacity_drop", "random")
    assert summary["tasks_failed"] == sum(summary[f"tasks_failed_{c}"] for c in causes)
    assert summary["stake_lost_nrlc"] == sum(summary[f"stake_lost_{c}_nrlc"] for c in causes)
    assert summary["seed"] == 7 and summary["tasks_served"] > 0
    ts = (tmp_path / "a" / "timeseries.csv").read_text().splitlines()
    assert ts[0].startswith("t,price_c0,best_competitor_c0,utilization")
    assert len(ts) == 1 + 180


def test_simulated_settings_differ_from_the_services_only_where_a_simulation_must() -> None:
    import dataclasses

    from bot.config.settings import cycle_settings

    cfg = bot_config(load_scenario(TINY))
    ours = simulated_settings(cfg)
    live = cycle_settings(cfg, live=True)
    # Only what a simulation cannot use differs: kept decisions and the real-time deadlines.
    assert not ours.record_decisions
    assert ours.cycle_deadline_s is None and ours.action_deadline_s is None
    assert (
        dataclasses.replace(
            ours,
            record_decisions=True,
            cycle_deadline_s=live.cycle_deadline_s,
            action_deadline_s=live.action_deadline_s,
        )
        == live
    )


def test_other_seed_other_market() -> None:
    s = load_scenario(TINY)
    assert intents_for(s, 1) != intents_for(s, 2)
    assert intents_for(s, 1) == intents_for(s, 1)


def test_backtest_runs_the_live_cycle_and_registry_strategy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tick is bot.engine.cycle.run_cycle (what the service calls) and decide is the registry's."""
    calls = {"cycle": 0, "decide": 0}
    real_cycle = bot.engine.cycle.run_cycle
    cls = strategies.get("competitive")
    real_decide = cls.decide

    def spy_cycle(*a: Any, **k: Any) -> Any:
        calls["cycle"] += 1
        return real_cycle(*a, **k)

    def spy_decide(self: Any, *a: Any, **k: Any) -> Any:
        calls["decide"] += 1
        return real_decide(self, *a, **k)

    monkeypatch.setattr(bot.engine.cycle, "run_cycle", spy_cycle)
    monkeypatch.setattr(cls, "decide", spy_decide)
    assert (
        bot.app.service.Cycle is bot.engine.cycle.Cycle
    )  # the service ticks through the same class
    out = simulate(load_scenario(TINY), "competitive", record=False)
    assert calls["cycle"] == out.ticks == 180
    assert calls["decide"] == out.ticks
    assert out.strategy_errors == 0


def test_references_sanity_and_fixed_reproduces_best() -> None:
    s = load_scenario(TINY)
    refs = compute_references(s, 7)
    assert refs.upper_bound_revenue >= refs.best_fixed_revenue >= 0
    assert refs.best_fixed_price in {5_000_000, 25_000_000, 100_000_000}
    assert len(refs.grid) == 3
    cats = [o.category for o in offers_of(bot_config(s))]
    again = simulate(s, "fixed", fixed_params(refs.best_fixed_price, cats), 7, record=False)
    assert again.net_revenue == refs.best_fixed_revenue


def test_upper_bound_counts_only_servable_paid_demand() -> None:
    s = load_scenario(TINY)
    base, tasks, curve = upper_bound(s, 7)
    free = s.model_copy(
        update={
            "requesters": [
                r.model_copy(
                    update={
                        "kind": "free_only",
                        "max_price": r.max_price.model_copy(update={"kind": "fixed", "value": 0}),
                    }
                )
                for r in s.requesters
            ]
        }
    )
    assert upper_bound(free, 7)[0] == 0
    assert tasks > 0 and curve[-1][1] == base


def test_upper_bound_after_gas_charges_each_publishers_request_one_match() -> None:
    # waiting_demand: 60 % of its paying demand publishes and waits (one day is enough)
    s = load_scenario(HERE.parents[2] / "config/scenarios/waiting_demand.toml")
    s = s.model_copy(update={"scenario": s.scenario.model_copy(update={"days": 1})})
    without = upper_bound(s, 1)[0]
    before = upper_bound(s, 1, publishers=True)[0]
    assert upper_bound(s, 1, publishers=True, match_gas=0)[0] == before
    after = upper_bound(s, 1, publishers=True, match_gas=20_000_000)[0]
    assert without < after < before
    # a gas no publisher's request pays: none is served, the bound is the one without them
    assert upper_bound(s, 1, publishers=True, match_gas=10**15)[0] == without


def test_run_backtest_returns_frame_with_summary() -> None:
    ts = run_backtest(TINY, "fixed", references=False, baseline=False)
    assert list(ts.columns)[:3] == ["t", "price_c0", "best_competitor_c0"]
    assert (ts["price_c0"].dropna() == 25_000_000).all()
    assert isinstance(ts.attrs["summary"]["revenue_nrlc"], int)
    assert ts.attrs["summary"]["strategy"] == "fixed"


def test_sweep_grid_leaderboard(tmp_path: Path) -> None:
    board = run_sweep(
        TINY,
        "fixed",
        grid={"prices": [{"0": 10_000_000}, {"0": 50_000_000}]},
        references=False,
        out=tmp_path,
    )
    assert len(board) == 2 and list(board["rank"]) == [1, 2]
    assert board["revenue_nrlc"].is_monotonic_decreasing
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["manifest"]["param_sets"] == [
        {"prices": {"0": 10_000_000}},
        {"prices": {"0": 50_000_000}},
    ]
    assert (tmp_path / "leaderboard.csv").exists()


def test_sweep_cli_grid_and_bad_param(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "sweep",
            "--scenario",
            str(TINY),
            "--strategy",
            "competitive",
            "--grid",
            "step=100000,2000000",
            "--no-references",
            "--jobs",
            "2",
            "--out",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    assert len((tmp_path / "leaderboard.csv").read_text().splitlines()) == 3
    again = tmp_path / "again"
    res = runner.invoke(
        app,
        [
            "sweep",
            "--scenario",
            str(TINY),
            "--from-manifest",
            str(tmp_path / "summary.json"),
            "--out",
            str(again),
        ],
    )
    assert res.exit_code == 0, res.output
    assert (again / "leaderboard.csv").read_text() == (tmp_path / "leaderboard.csv").read_text()
    with pytest.raises(InputError, match=r"strategy\.params\.nonsense"):
        run_sweep(TINY, "competitive", grid={"nonsense": [1]}, references=False)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_validate(path: Path) -> None:
    s = load_scenario(path)
    cfg = bot_config(s)
    assert cfg.offers and s.requesters
    assert s.scenario.name == path.stem


def test_scenario_file_errors_name_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.read_text().replace("rate_per_min = 0.8", "rate_per_min = -1"))
    with pytest.raises(InputError, match=r"bad.toml: requesters\[0\].rate_per_min"):
        load_scenario(bad)
    bad.write_text(TINY.read_text().replace("[pool]", "[pool]\nworkerz = 3"))
    with pytest.raises(InputError, match=r"pool.workerz"):
        load_scenario(bad)
    bad.write_text("[scenario\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_scenario(bad)
    with pytest.raises(InputError, match="file not found"):
        load_scenario(tmp_path / "missing.toml")


def test_replay_of_a_recorded_journal(tmp_path: Path) -> None:
    from bot.backtest.replay import run_replay

    s = load_scenario(TINY)
    journal = tmp_path / "journal.sqlite"
    recorded = simulate(s, "fixed", record=False, journal_path=journal)
    assert recorded.counters.tasks_matched > 0
    summary = run_replay(journal, tmp_path / "replay", strategy="fixed", scenario=s)
    assert summary["snapshots"] >= 170
    assert summary["tasks_matched"] > 0
    assert "counterfactual" in summary["fill_model"]
    cheaper = run_replay(
        journal,
        tmp_path / "replay2",
        strategy="fixed",
        params={"prices": {"0": 2_000_000}},
        scenario=s,
    )
    assert cheaper["tasks_matched"] >= summary["tasks_matched"]


def test_dask_without_the_extra_names_the_option(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    with pytest.raises(InputError, match="--dask"):
        run_sweep(
            TINY,
            "fixed",
            grid={"price": [10_000_000]},
            references=False,
            dask="tcp://127.0.0.1:1",
        )


def test_dask_sweep_on_an_in_process_cluster_matches_the_local_one() -> None:
    """The ``--dask ADDR`` path for real: a distributed scheduler and worker in this process
    (in-memory transport, no socket, no dashboard), same leaderboard as local processes."""
    distributed = pytest.importorskip("distributed")
    grid = {"step": [100_000, 2_000_000]}
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="inproc://",
        dashboard_address=None,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("inproc://")
        board = run_sweep(TINY, "competitive", grid=grid, references=False, dask=address)
    local = run_sweep(TINY, "competitive", grid=grid, references=False)
    assert len(board) == 2
    assert board.to_dict("records") == local.to_dict("records")


def test_replay_cli_with_owner_config(tmp_path: Path) -> None:
    s = load_scenario(TINY)
    short = s.model_copy(update={"scenario": s.scenario.model_copy(update={"days": 0.03})})
    journal = tmp_path / "journal.sqlite"
    simulate(short, "fixed", record=False, journal_path=journal)
    example = HERE.parents[2] / "config" / "example.toml"
    res = CliRunner().invoke(
        app,
        [
            "backtest",
            "--replay",
            str(journal),
            "--config",
            str(example),
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["strategy"] == "robust" and summary["snapshots"] >= 40


def test_summary_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    """Set/dict order must not leak into results: two interpreters, two PYTHONHASHSEEDs."""
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bot.app.cli",
                "backtest",
                "--scenario",
                str(TINY),
                "--strategy",
                "bandit",
                "--no-plots",
                "--no-references",
                "--out",
                str(out),
            ],
            check=True,
            env=env,
            capture_output=True,
            timeout=120,
        )
        data = json.loads((out / "summary.json").read_text())
        data["manifest"].pop("code_version")  # the tree may change under a parallel session
        outs.append(data)
    assert outs[0] == outs[1]


def test_scenario_overrides_by_name_index_and_table() -> None:
    from bot.backtest import prepare_scenario

    real = HERE.parents[2] / "config" / "scenarios" / "realistic.toml"
    s = prepare_scenario(real, overrides={"competitors.prod-paid.price": 5e7, "pool.workers": 3})
    prod = next(c for c in s.competitors if c.name == "prod-paid")
    assert prod.price == 50_000_000 and s.pool.workers == 3
    again = prepare_scenario(s, overrides={"requesters[0].rate_per_min": 0.5})
    assert again.requesters[0].rate_per_min == 0.5 and again.competitors == s.competitors
    with pytest.raises(InputError, match="no list item named"):
        prepare_scenario(real, overrides={"competitors.nobody.price": 1})
    with pytest.raises(InputError, match=r"pool\.colour"):
        prepare_scenario(real, overrides={"pool.colour": 1})


def test_backtest_cli_set_option(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "backtest",
            "--scenario",
            str(TINY),
            "--set",
            "pool.workers=0",
            "--no-references",
            "--no-plots",
            "--out",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "summary.json").read_text())["tasks_served"] == 0


def test_a_transient_failure_ends_the_tick_not_the_run() -> None:
    """As the live service's job handler: a TransientError out of a tick skips that tick only."""
    from bot.domain.errors import TransientError

    scenario = load_scenario(TINY)
    calls = {"n": 0}

    def owner_down_once(sim: Any, t: float) -> None:
        real = type(sim.chain).owner

        def owner(self_: Any, workerpool: str) -> str:
            calls["n"] += 1
            if calls["n"] == 2:  # the executor's check before the first tick's publish
                raise TransientError("rpc timeout")
            return str(real(self_, workerpool))

        if t == scenario.origin:
            sim.chain.owner = owner.__get__(sim.chain)

    run = simulate(scenario, "fixed", before_tick=owner_down_once)
    clean = simulate(scenario, "fixed")
    assert run.failed_ticks == 1
    assert run.ticks == clean.ticks
    assert clean.failed_ticks == 0
    assert run.counters.publishes > 0  # the next tick published as usual
