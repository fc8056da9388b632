"""Gas in the money, and the optional seeded faults of the simulated market, chain and core."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.journal import SqliteJournal
from bot.backtest import prepare_scenario, run_backtest
from bot.backtest.engine import simulate
from bot.backtest.report import make_summary, timeseries_frame
from bot.domain.errors import InputError, RateLimited, TransientError
from bot.domain.model import WorkerpoolOrder, tag_to_bytes32
from bot.engine.ports import BookQuery
from bot.sim.faults import FaultyChain, FaultyMarket, install_faults
from bot.sim.market_sim import MarketSim, SimChain, SimMarket
from bot.sim.scenario import OUR_POOL, Scenario, parse_scenario

HERE = Path(__file__).parent
TINY = HERE / "tiny.toml"
GOLDEN = HERE / "golden"
SCENARIOS = HERE.parents[2] / "config" / "scenarios"
VERSION = {"package": "test", "source_sha256": "0"}

pytestmark = pytest.mark.xdist_group("backtest")

# Far more faults than any real service: every path must show up within the tiny 3-hour run.
HEAVY_FAULTS: dict[str, Any] = {
    "faults.market_reads": {"rate_limited": 0.2, "server_error": 0.2, "timeout": 0.1},
    "faults.market_writes": {"rate_limited": 0.2, "server_error": 0.3, "timeout": 0.2},
    "faults.chain": {"read_error": 0.3, "cancel_error": 0.4, "cancel_mined_anyway": 0.5},
    "faults.pool_metrics": 0.05,
    "faults.market_outages_per_day": 24,
    "faults.chain_outages_per_day": 16,
    "faults.outage_mean_s": 900,
}


def _raw(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


# -- gas -----------------------------------------------------------------------------------------


def test_gas_cost_is_stated_and_subtracted() -> None:
    summary = run_backtest(TINY, "competitive", plots=False).attrs["summary"]
    cancels = summary["cancels"]
    assert cancels > 0
    # 70,000 gas x 0.01 gwei x 3,000 RLC/ETH = 2,100,000 nRLC per cancel (the stated defaults)
    assert summary["gas_assumption"]["cancel_cost_nrlc"] == 2_100_000
    assert summary["gas_assumption"]["rlc_per_eth"] == 3000.0
    assert "assumed" in summary["gas_assumption"]["basis"]
    assert summary["gas_cost_nrlc"] == cancels * 2_100_000
    assert summary["net_revenue_after_gas_nrlc"] == summary["revenue_nrlc"] - cancels * 2_100_000
    best_after = summary["best_fixed_revenue_after_gas_nrlc"]
    assert best_after <= summary["best_fixed_revenue_nrlc"]
    assert summary["ratio_to_best_fixed_after_gas"] == round(
        summary["net_revenue_after_gas_nrlc"] / best_after, 6
    )
    assert summary["fixed_baseline_after_gas_nrlc"] <= summary["fixed_baseline"]["revenue_nrlc"]


def test_gas_cost_follows_the_rate_or_a_stated_cost_per_cancel() -> None:
    s = prepare_scenario(TINY)
    run = simulate(s, "competitive", record=False)
    n = run.counters.cancels
    doubled = prepare_scenario(TINY, overrides={"costs.rlc_per_eth": 6000})
    stated = prepare_scenario(TINY, overrides={"costs.cancel_cost_nrlc": 5_000_000})
    assert make_summary(doubled, run, None, version=VERSION)["gas_cost_nrlc"] == n * 4_200_000
    out = make_summary(stated, run, None, version=VERSION)
    assert out["gas_cost_nrlc"] == n * 5_000_000
    assert out["gas_assumption"] == {
        "cancel_cost_nrlc": 5_000_000,
        "basis": "costs.cancel_cost_nrlc, stated by the scenario",
    }


def test_bad_gas_figures_name_the_key() -> None:
    with pytest.raises(InputError, match=r"costs\.rlc_per_eth: .*greater than 0"):
        prepare_scenario(TINY, overrides={"costs.rlc_per_eth": 0})
    with pytest.raises(InputError, match=r"costs\.cancel_cost_nrlc"):
        prepare_scenario(TINY, overrides={"costs.cancel_cost_nrlc": -1})


# -- faults off: nothing changes -------------------------------------------------------------------


def test_faults_off_outputs_match_the_recorded_pre_fault_outputs(tmp_path: Path) -> None:
    """tiny / fixed, written before faults and gas existed (commit 553616b): the same bytes.

    If a deliberate change of the cycle, planner or rails changes this run, regenerate
    ``golden/`` with ``pricebot backtest --scenario tests/unit/backtest/tiny.toml --strategy fixed
    --no-plots --out DIR`` (summary.json without ``manifest`` and the keys listed below).
    """
    frame = run_backtest(TINY, "fixed", out=tmp_path, plots=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    added = {
        "gas_cost_nrlc",
        "net_revenue_after_gas_nrlc",
        "gas_assumption",
        "best_fixed_revenue_after_gas_nrlc",
        "ratio_to_best_fixed_after_gas",
        "fixed_baseline_after_gas_nrlc",
    }
    assert added <= set(summary) and "faults" not in summary
    kept = {k: v for k, v in summary.items() if k not in added and k != "manifest"}
    assert kept == json.loads((GOLDEN / "tiny_fixed_summary.json").read_text())
    csv = (tmp_path / "timeseries.csv").read_bytes()
    assert csv == (GOLDEN / "tiny_fixed_timeseries.csv").read_bytes()
    assert len(frame) == 180


def test_an_all_zero_faults_table_is_off() -> None:
    plain = prepare_scenario(TINY)
    zero = prepare_scenario(TINY, overrides={"faults.market_reads.timeout": 0.0, "faults.seed": 3})
    assert not zero.faults.enabled
    sim = MarketSim(zero, 7)
    assert type(sim.market) is SimMarket and type(sim.chain) is SimChain
    a = simulate(plain, "competitive")
    b = simulate(zero, "competitive")
    assert a.counters.faults is None and b.counters.faults is None
    assert a.rows == b.rows
    sa = make_summary(plain, a, None, version=VERSION)
    sb = make_summary(zero, b, None, version=VERSION)
    sa.pop("manifest"), sb.pop("manifest")
    assert sa == sb


# -- faults on -------------------------------------------------------------------------------------


def _faulty(**over: Any) -> Scenario:
    return prepare_scenario(TINY, overrides={**HEAVY_FAULTS, **over})


def _valid_on_chain(sim: MarketSim) -> set[str]:
    return {o.entry.order_hash for o in sim.own_valid()}


def test_faulty_run_completes_tracks_every_valid_order_and_is_seeded(tmp_path: Path) -> None:
    s = _faulty()
    sims: list[MarketSim] = []
    reader: list[SqliteJournal] = []
    untracked: list[tuple[float, set[str]]] = []
    path = tmp_path / "journal.sqlite"

    def factory(sc: Scenario, seed: int, intents: Any) -> MarketSim:
        sims.append(MarketSim(sc, seed, intents=intents))
        return sims[-1]

    def check(sim: MarketSim, t: float) -> None:
        if not reader:
            reader.append(SqliteJournal(path))
        tracked = {r.signed.order_hash for r in reader[0].order_rows(open_only=True)}
        missing = _valid_on_chain(sim) - tracked
        if missing:
            untracked.append((t, missing))

    run = simulate(s, "competitive", journal_path=path, sim_factory=factory, before_tick=check)
    assert run.ticks == 180
    assert untracked == [], "orders valid on chain that the journal does not track"
    end_tracked = {r.signed.order_hash for r in reader[0].order_rows(open_only=True)}
    assert _valid_on_chain(sims[0]) <= end_tracked
    reader[0].close()

    f = run.counters.faults
    assert f is not None
    for key in (
        "market_read_429",
        "market_read_5xx",
        "market_read_timeout",
        "market_read_outage",
        "market_write_5xx",
        "chain_read_error",
        "cancel_error",
        "calls_retried_ok",
        "surfaced_market_read",
        "surfaced_market_write",
        "surfaced_chain_read",
        "surfaced_cancel",
    ):
        assert f[key] > 0, key
    # the bot saw stale data and kept running: the kill switch fired, nothing crashed
    assert run.kills > 0 and run.strategy_errors == 0

    again = simulate(s, "competitive")
    assert again.counters.faults == f and again.rows == run.rows
    a = make_summary(s, run, None, version=VERSION)
    b = make_summary(s, again, None, version=VERSION)
    assert a == b and a["faults"]["injected"]["market_read_429"] == f["market_read_429"]
    assert a["faults"]["surfaced_to_bot"]["cancel"] == f["surfaced_cancel"]
    assert a["faults"]["config"]["market_reads"]["rate_limited"] == 0.2

    other = simulate(_faulty(**{"faults.seed": 1}), "competitive", record=False)
    assert other.counters.faults != f  # the fault seed moves the draws ...
    assert other.counters.demand_tasks == run.counters.demand_tasks  # ... not the demand


def test_faulty_backtest_cli_reports_faults(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.app.cli import app

    raw = tmp_path / "flaky_tiny.toml"
    text = TINY.read_text() + (
        "\n[faults]\nmarket_outages_per_day = 24\n"
        "market_reads = { rate_limited = 0.2, server_error = 0.2 }\n"
    )
    raw.write_text(text)
    res = CliRunner().invoke(
        app,
        [
            "backtest",
            "--scenario",
            str(raw),
            "--no-plots",
            "--no-references",
            "--out",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "faults: " in res.output and "errors that reached the bot: market_read" in res.output
    assert "gas for cancels" in res.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["faults"]["injected"]["market_outages"] > 0
    assert not (tmp_path / "summary.json").read_text().count("NaN")
    assert len(timeseries_frame(simulate(prepare_scenario(raw), record=True))) == 180


def _order(sim: MarketSim, price: int = 40) -> Any:
    order = WorkerpoolOrder(
        workerpool=OUR_POOL,
        workerpoolprice=price,
        volume=10,
        tag=tag_to_bytes32(0),
        category=0,
        trust=0,
        salt="0x" + "00" * 31 + "01",
    )
    return sim.signer.sign_order(order)


def _one_fault(**faults: Any) -> MarketSim:
    data = _raw(TINY)
    data["faults"] = {"attempts": 3, **faults}
    sim = MarketSim(parse_scenario(data), 7)
    install_faults(sim, 7)
    return sim


def test_errors_are_the_live_adapters_types_after_their_retries() -> None:
    sim = _one_fault(market_reads={"rate_limited": 1.0}, retry_after_s=5)
    assert isinstance(sim.market, FaultyMarket)
    t0, requests0 = sim.clock.t, sim.counters.api_requests
    with pytest.raises(RateLimited) as caught:
        sim.market.workerpool_orders(BookQuery(category=0))
    assert caught.value.retry_after == 5
    assert sim.counters.api_requests - requests0 == 3  # three tries, all counted
    assert sim.clock.t - t0 == pytest.approx(3 * 0.2 + 2 * 5)  # latencies + two Retry-After waits
    assert sim.counters.faults is not None and sim.counters.faults["surfaced_market_read"] == 1

    sim = _one_fault(market_reads={"server_error": 1.0})
    with pytest.raises(TransientError) as err:
        sim.market.request_orders(category=0)
    assert not isinstance(err.value, RateLimited) and "HTTP 503" in str(err.value)

    sim = _one_fault(chain={"read_error": 1.0})
    assert isinstance(sim.chain, FaultyChain)
    with pytest.raises(TransientError, match="RPC"):
        sim.chain.consumed("0x" + "00" * 32)
    assert sim.chain.owner(OUR_POOL) == sim.owner  # never failed (see bot.sim.faults)


def test_a_failed_write_may_have_been_applied_and_a_failed_cancel_may_be_mined() -> None:
    sim = _one_fault(market_writes={"server_error": 1.0}, write_applied_share=1.0)
    signed = _order(sim)
    with pytest.raises(TransientError):
        sim.market.publish(signed)
    assert [e.order_hash for e in sim.listed() if e.workerpool == OUR_POOL] == [signed.order_hash]

    sim = _one_fault(chain={"cancel_error": 1.0, "cancel_mined_anyway": 1.0})
    signed = _order(sim)
    SimMarket.publish(sim.market, signed)
    t0 = sim.clock.t
    with pytest.raises(TransientError, match="not mined"):
        sim.chain.cancel(signed)
    assert SimChain.consumed(sim.chain, signed.order_hash) == 10  # closed on chain all the same
    assert sim.counters.gas_used == 70_000 and sim.clock.t - t0 == pytest.approx(300)

    sim = _one_fault(chain={"cancel_error": 1.0, "cancel_mined_anyway": 0.0})
    signed = _order(sim)
    SimMarket.publish(sim.market, signed)
    with pytest.raises(TransientError, match="nothing was sent"):
        sim.chain.cancel(signed)
    assert SimChain.consumed(sim.chain, signed.order_hash) == 0 and sim.counters.gas_used == 0


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"market_reads": {"rate_limited": 1.5}}, "faults.market_reads.rate_limited"),
        ({"market_writes": {"server_error": 0.6, "timeout": 0.6}}, "faults.market_writes"),
        ({"chain": {"cancel_error": -0.1}}, "faults.chain.cancel_error"),
        ({"attempts": 0}, "faults.attempts"),
        ({"outage_mean_s": 0}, "faults.outage_mean_s"),
        ({"market_write": {}}, "faults.market_write"),
    ],
)
def test_fault_table_errors_name_the_key(patch: dict[str, Any], where: str) -> None:
    data = _raw(TINY)
    data["faults"] = patch
    with pytest.raises(InputError) as err:
        parse_scenario(data, "tiny.toml")
    assert err.value.field == f"tiny.toml: {where}"


def test_flaky_market_is_stationary_plus_faults() -> None:
    flaky, base = _raw(SCENARIOS / "flaky_market.toml"), _raw(SCENARIOS / "stationary.toml")
    faults = flaky.pop("faults")
    for data in (flaky, base):
        data["scenario"].pop("name"), data["scenario"].pop("description")
    assert flaky == base
    assert parse_scenario({**base, "scenario": {"name": "x"}, "faults": faults}).faults.enabled


# -- the optional per-category best-fixed reference --------------------------------------------


def _two_categories() -> Scenario:
    data = _raw(TINY)
    data["requesters"].append(
        {
            "name": "s-takers",
            "kind": "taker",
            "category": 1,
            "rate_per_min": 0.5,
            "max_price": {"kind": "fixed", "value": 30_000_000},  # 100 RLC sells nothing here
        }
    )
    data["bot"]["offers"].append({"category": 1, "task_seconds": 360, "max_volume": 5})
    data["pool"]["workers"] = 4  # room for both categories
    return parse_scenario(data, "two.toml")


def test_per_category_reference_is_a_reproducible_local_optimum() -> None:
    from bot.backtest.references import (
        _fixed_map_point,
        best_fixed,
        best_fixed_per_category,
        price_grid,
    )

    s = _two_categories()
    single, _ = best_fixed(s, 7)
    pc = best_fixed_per_category(s, 7, start=single)
    assert pc.revenue > single.revenue
    prices = dict(pc.prices)
    assert prices[0] != prices[1]
    assert set(prices) == {0, 1} and pc.runs > 1 and pc.rounds >= 1
    assert pc == best_fixed_per_category(s, 7)  # deterministic, with or without a start
    # running `fixed` at the found prices reproduces the figure ...
    assert _fixed_map_point((s, 7, pc.prices, None)).revenue == pc.revenue
    # ... and no single-category move on the grid beats it
    for cat in (0, 1):
        for p in price_grid(s):
            moved = tuple(sorted({**prices, cat: p}.items()))
            assert _fixed_map_point((s, 7, moved, None)).revenue <= pc.revenue

    frame = run_backtest(s, "competitive", per_category_reference=True, baseline=False)
    summary = frame.attrs["summary"]
    assert summary["best_fixed_per_category_prices_nrlc"] == {"0": prices[0], "1": prices[1]}
    assert summary["best_fixed_per_category_revenue_nrlc"] == pc.revenue
    assert summary["ratio_to_best_fixed_per_category"] == round(
        summary["revenue_nrlc"] / pc.revenue, 6
    )
    assert "local optimum" in summary["best_fixed_per_category_search"]["method"]
    assert (
        "best_fixed_per_category_revenue_nrlc"
        not in run_backtest(s, "fixed", references=False, baseline=False).attrs["summary"]
    )
