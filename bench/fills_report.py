"""Fills (issue #15): every built-in strategy with and without fills, against the yardsticks.

For each market: the best fixed price in hindsight (``fixed`` on the scenario's grid, no fills),
the perfect-discrimination upper bound without publishers (what posted orders can reach) and with
them (what fills can reach), the latter both before gas (UB+pub) and with one match's gas charged
per publisher's request (UB+pub-gas: the goal's ">= 0.5 x the bound" after gas), and each strategy's net revenue (after stake lost, before gas) with
fills off and on, plus the match gas and the cancels each run spent.

Markets: shipped scenarios (``--scenarios``, default ``waiting_demand``; ``all``: every
config/scenarios/*.toml; seeds given, ``--days`` each) and generated markets (3 days): the first
``--markets`` of each of ``--classes`` in ``--split`` (TEST by default: report, never tune on;
``--split train`` to design), or the seeds ``--gen-seeds`` names.

    .venv/bin/python bench/fills_report.py --seeds 1 --days 3 --test-markets 1
    # design (train publishers markets only, no shipped scenario):
    .venv/bin/python bench/fills_report.py --scenarios '' --split train --classes publishers \
        --markets 4
    # the owner's explicit price = "cap", fills-on runs only, three strategies, two markets:
    .venv/bin/python bench/fills_report.py --seeds 1 --days 3 --test-markets 1 --price cap \
        --strategies fixed,competitive,portfolio --classes publishers --no-baseline

Results are written as JSON (one record per market and strategy) and printed as a table.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

import bot.backtest.engine as engine
from bot.backtest.engine import bot_config, intents_for, simulate
from bot.backtest.references import best_fixed, upper_bound
from bot.config.settings import offers_of
from bot.domain.model import ZERO_ADDRESS
from bot.pricing.fills import DEFAULT_MATCH_GAS
from bot.sim.generator import generate, market_class, split_seeds
from bot.sim.scenario import OUR_POOL, Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = ["fixed", "competitive", "utilization", "demand", "bandit", "portfolio"]


def _days(scenario: Scenario, days: int) -> Scenario:
    inner = scenario.scenario.model_copy(update={"days": days})
    return scenario.model_copy(update={"scenario": inner})


def common_random_numbers(scenario: Scenario) -> Scenario:
    """The scenario with the simulator's common random numbers on (``--crn``; bot.sim.market_sim:
    the rivals reprice at their own due times, each task draws its own run time), so that the
    fills-on and fills-off runs face the same market whatever our bot does."""
    inner = scenario.scenario.model_copy(update={"common_random_numbers": True})
    return scenario.model_copy(update={"scenario": inner})


def with_price(scenario: Scenario, price: str, overrides: dict[str, Any] | None = None) -> Scenario:
    """The scenario with fills on at ``price`` (its own [bot.fills] kept, else the engine's
    defaults: a match's gas priced as the scenario prices gas, no daily cap), and the
    ``overrides`` of ``--fills KEY=VALUE`` (a dev aid: e.g. ``displacement=0``) on top."""
    bot = dict(scenario.bot)
    costs = scenario.costs
    gas = DEFAULT_MATCH_GAS * costs.gas_price_wei * costs.nrlc_per_eth // 10**18
    table = {"match_gas_cost": gas, "daily_gas_budget": 10**12, **dict(bot.get("fills", {}))}
    bot["fills"] = {**table, **(overrides or {}), "price": price, "enabled": True}
    return scenario.model_copy(update={"bot": bot})


def waiting(scenario: Scenario, seed: int, gas: int) -> tuple[float, int]:
    """The share of the paying tasks our offers could serve whose requester waits (a
    publisher), and what those waiting requests could pay net of one match's gas each
    (sum of max(0, cap x volume - gas), capacity ignored): the goal's condition ("at least half
    of the paying demand waits") and the most fills alone could earn after gas."""
    offers = offers_of(bot_config(scenario))
    paying = waits = value = 0
    for i in intents_for(scenario, seed):
        if (
            i.max_price <= 0
            or i.workerpool not in (ZERO_ADDRESS, OUR_POOL)
            or not any(
                o.category == i.category and i.tag & ~o.tag == 0 and i.trust <= o.trust
                for o in offers
            )
        ):
            continue
        paying += i.volume
        if i.kind == "publisher":
            waits += i.volume
            value += max(0, i.max_price * i.volume - gas)
    return (waits / paying if paying else 0.0), value


def market(
    name: str,
    scenario: Scenario,
    seed: int,
    strategies: list[str],
    price: str = "listed",
    baseline: bool = True,
    overrides: dict[str, Any] | None = None,
    references: bool = True,
) -> list[dict[str, Any]]:
    started = time.perf_counter()
    priced = with_price(scenario, price, overrides)
    gas = int(priced.bot["fills"]["match_gas_cost"])
    share, value = waiting(scenario, seed, gas)
    # The yardsticks (a grid of fixed-price runs and three bounds) cost more than the runs on a
    # small set; without them (--no-references) the rows carry zeros and the ratios read nan.
    best_price = best_revenue = ub = ub_pub = ub_pub_gas = 0
    if references:
        best, _ = best_fixed(scenario, seed)
        best_price, best_revenue = best.price, best.revenue
        ub, _, _ = upper_bound(scenario, seed)
        ub_pub, _, _ = upper_bound(scenario, seed, publishers=True)
        ub_pub_gas, _, _ = upper_bound(scenario, seed, publishers=True, match_gas=gas)
    rows = []
    for strategy in strategies:
        runs = {}
        for fills in (False, True) if baseline else (True,):
            sc = priced if fills else scenario
            r = simulate(sc, strategy, None, seed, record=False, fills=fills)
            f = r.fills
            runs[fills] = {
                "net_revenue_nrlc": r.net_revenue,
                "tasks_matched": r.counters.tasks_matched,
                "cancels": r.counters.cancels,
                "fills": 0 if f is None else f.fills,
                "fill_tasks": 0 if f is None else f.fill_tasks,
                "fill_revenue_nrlc": 0 if f is None else f.fill_revenue_nrlc,
                "match_gas_used": 0 if f is None else f.match_gas_used,
                "match_gas_cost_nrlc": (
                    0
                    if f is None
                    else f.match_gas_used
                    * scenario.costs.gas_price_wei
                    * scenario.costs.nrlc_per_eth
                    // 10**18
                ),
            }
        rows.append(
            {
                "market": name,
                "seed": seed,
                "class": market_class(seed) if name.startswith("gen") else "shipped",
                "days": scenario.scenario.days,
                "strategy": strategy,
                "best_fixed_price_nrlc": best_price,
                "best_fixed_revenue_nrlc": best_revenue,
                "upper_bound_nrlc": ub,
                "upper_bound_with_publishers_nrlc": ub_pub,
                "upper_bound_with_publishers_net_gas_nrlc": ub_pub_gas,
                "waiting_share": share,
                "waiting_value_net_gas_nrlc": value,
                "fill_price": price,
                "fills_overrides": overrides or {},
                "salt": _SALT,
                "common_random_numbers": scenario.scenario.common_random_numbers,
                "without_fills": runs.get(False),
                "with_fills": runs[True],
            }
        )
    print(f"# {name} seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
    return rows


def _rlc(n: int) -> str:
    return f"{n / 1e9:.3f}"


def _split(r: dict[str, Any]) -> str:
    if r["class"] == "shipped":
        return "shipped"
    return "train" if r["seed"] < 1_000_000 else "test"


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table. "capture": the fills' revenue net of their gas over what
    the waiting requests could pay net of gas (:func:`waiting`); "below": fills - gas < no fills.

    The goal's bound both ways: UB+pub charges every servable request its cap with no gas (the
    bound *before gas*: compare it with "fills"); UB+pub-gas charges each publisher's request
    its cap less one match's gas (``upper_bound(..., match_gas=...)``: the bound *after gas*,
    compare it with "fills - gas")."""
    out = [
        "| market (seed) | split | waits | strategy | no fills | fills | fills - gas "
        "| fills / UB+pub | (fills - gas) / UB+pub-gas | capture | below? | best fixed | UB+pub "
        "| UB+pub-gas | fills made |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        b = r["with_fills"]
        a = r["without_fills"] or {"net_revenue_nrlc": 0}
        ub = r["upper_bound_with_publishers_nrlc"]
        ub_gas = r.get("upper_bound_with_publishers_net_gas_nrlc")
        after = b["net_revenue_nrlc"] - b["match_gas_cost_nrlc"]
        net_fills = b["fill_revenue_nrlc"] - b["match_gas_cost_nrlc"]
        value = r["waiting_value_net_gas_nrlc"]
        below = "**below**" if r["without_fills"] and after < a["net_revenue_nrlc"] else ""
        out.append(
            f"| {r['market']} ({r['seed']}) | {_split(r)} | {r['waiting_share']:.2f} "
            f"| {r['strategy']} | {_rlc(a['net_revenue_nrlc'])} | {_rlc(b['net_revenue_nrlc'])} "
            f"| {_rlc(after)} | {b['net_revenue_nrlc'] / ub if ub else float('nan'):.2f} "
            f"| {after / ub_gas if ub_gas else float('nan'):.2f} "
            f"| {net_fills / value if value else float('nan'):.2f} | {below} "
            f"| {_rlc(r['best_fixed_revenue_nrlc'])} | {_rlc(ub)} "
            f"| {_rlc(ub_gas) if ub_gas is not None else 'n/a'} | {b['fills']} |"
        )
    return "\n".join(out)


def _with_waiting(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of an older report with the waiting columns added (computed from the market)."""
    cache: dict[tuple[str, int], tuple[float, int]] = {}
    for r in rows:
        if "waiting_share" in r:
            continue
        key = (r["market"], r["seed"])
        if key not in cache:
            if r["market"].startswith("gen-"):
                sc = generate(r["seed"])
            else:
                sc = load_scenario(ROOT / f"config/scenarios/{r['market']}.toml")
            gas = int(with_price(sc, r["fill_price"]).bot["fills"]["match_gas_cost"])
            cache[key] = waiting(sc, r["seed"], gas)
        r["waiting_share"], r["waiting_value_net_gas_nrlc"] = cache[key]
    return rows


_SALT = 0
_CYCLE_OVER = engine.cycle_over


def salt_strategy_rng(salt: int) -> None:
    """Vary the strategy's rng only (the market, its demand and the executors' salts stay the
    same), as ``bench/dev_perch.py`` does: how much of a run's figure is the strategy's draws.
    0: the engine's own rng. A dev aid (module state: each call replaces the last one's salt)."""
    global _SALT
    _SALT = salt
    engine.cycle_over = _CYCLE_OVER
    if not salt:
        return

    def salted(ports: Any, settings: Any, instance: Any, seed: int) -> Any:
        c = _CYCLE_OVER(ports, settings, instance, seed)
        c.rng = random.Random(f"{seed}:strategy:{salt}")
        return c

    engine.cycle_over = salted


def _after_gas(run: dict[str, Any]) -> int:
    return int(run["net_revenue_nrlc"] - run["match_gas_cost_nrlc"])


def salts_table(rows: list[dict[str, Any]]) -> str:
    """Per market and strategy over the salts its rows carry (``--salts``): each salt's no-fills
    and fills-on revenue after gas, the medians, whether fills-on's median is at least
    no-fills', and whether salt 0's fills-on run, where below its no-fills run, lies within the
    no-fills runs' own spread over the salts (min..max): a below that the strategy's draws
    alone move as far is not the fills' doing."""
    runs: dict[tuple[str, int, str], dict[int, tuple[int, int]]] = {}
    for r in rows:
        if r["without_fills"] is None:
            continue
        key = (r["market"], r["seed"], r["strategy"])
        off = int(r["without_fills"]["net_revenue_nrlc"])
        runs.setdefault(key, {})[r.get("salt", 0)] = (off, _after_gas(r["with_fills"]))
    out = [
        "| seed | strategy | no fills by salt | fills - gas by salt | median off | median on "
        "| median on >= off | salt-0 below | within no-fills spread |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (_, seed, strategy), by in runs.items():
        salts = sorted(by)
        offs = [by[s][0] for s in salts]
        ons = [by[s][1] for s in salts]
        m_off, m_on = statistics.median(offs), statistics.median(ons)
        below0 = 0 in by and by[0][1] < by[0][0]
        within = "yes" if below0 and min(offs) <= by[0][1] <= max(offs) else ""
        out.append(
            f"| {seed} | {strategy} | {' / '.join(_rlc(v) for v in offs)} "
            f"| {' / '.join(_rlc(v) for v in ons)} | {_rlc(int(m_off))} | {_rlc(int(m_on))} "
            f"| {'yes' if m_on >= m_off else '**no**'} | {'**below**' if below0 else ''} "
            f"| {within if below0 else ''} |"
        )
    return "\n".join(out)


def _overrides(pairs: list[str]) -> dict[str, Any]:
    """``--fills KEY=VALUE`` pairs as a [fills] table (true/false and numbers parsed, else
    strings)."""
    out: dict[str, Any] = {}
    for kv in pairs:
        k, _, v = kv.partition("=")
        if v in ("true", "false"):
            out[k] = v == "true"
            continue
        try:
            out[k] = int(v)
        except ValueError:
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def _gen_seeds(args: argparse.Namespace) -> list[int]:
    """The generated markets: ``--gen-seeds`` as given, else the first ``--markets`` of each
    class of ``--classes`` in ``--split``."""
    if args.gen_seeds:
        return [int(s) for s in args.gen_seeds.split(",") if s]
    classes = [c for c in args.classes.split(",") if c]
    return [s for c in classes for s in split_seeds(args.split, args.markets, classes=(c,))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1", help="seeds of the shipped scenarios")
    parser.add_argument("--days", type=int, default=7, help="days of the shipped scenarios")
    parser.add_argument(
        "--scenarios",
        default="waiting_demand",
        help="shipped scenarios (config/scenarios/NAME.toml), comma-separated; 'all'; '' none",
    )
    parser.add_argument("--split", choices=("train", "test"), default="test")
    parser.add_argument(
        "--markets", "--test-markets", type=int, default=2, help="generated markets per class"
    )
    parser.add_argument("--classes", default="publishers,stationary")
    parser.add_argument("--gen-seeds", default="", help="generated seeds (overrides --markets)")
    parser.add_argument("--price", choices=("listed", "cap"), default="listed")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--no-baseline", action="store_true", help="skip the fills-off runs")
    parser.add_argument(
        "--fills",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a [fills] key in the fills-on runs (dev aid, e.g. displacement=0)",
    )
    parser.add_argument(
        "--salt", type=int, default=0, help="vary the strategy's rng only (dev aid; 0: none)"
    )
    parser.add_argument(
        "--salts",
        default="",
        help="comma-separated salts (e.g. 0,1,2): every run once per salt, plus a table of "
        "the medians over them (overrides --salt)",
    )
    parser.add_argument(
        "--no-references",
        action="store_true",
        help="skip the yardsticks (best fixed price, bounds): runs only, ratios nan (dev aid)",
    )
    parser.add_argument(
        "--crn",
        action="store_true",
        help="the simulator's common random numbers in both runs (dev aid; off: generator v1)",
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--table", type=Path, nargs="*", default=None, help="print these reports' rows; no run"
    )
    args = parser.parse_args()
    if args.table is not None:
        old = [r for f in args.table for r in json.loads(f.read_text())]
        print(table(_with_waiting(old)))
        if len({r.get("salt", 0) for r in old}) > 1:
            print(salts_table(old))
        return
    salts = [int(s) for s in args.salts.split(",") if s] or [args.salt]
    over = _overrides(args.fills)
    strategies = [s for s in args.strategies.split(",") if s]
    names = [n for n in args.scenarios.split(",") if n]
    if names == ["all"]:
        names = sorted(p.stem for p in (ROOT / "config/scenarios").glob("*.toml"))
    rows: list[dict[str, Any]] = []
    markets = [
        (name, _days(load_scenario(ROOT / f"config/scenarios/{name}.toml"), args.days), seed)
        for name in names
        for seed in (int(s) for s in args.seeds.split(",") if s)
    ]
    generated = [(f"gen-{market_class(seed)}", generate(seed), seed) for seed in _gen_seeds(args)]
    if args.crn:
        markets = [(n, common_random_numbers(sc), seed) for n, sc, seed in markets]
        generated = [(n, common_random_numbers(sc), seed) for n, sc, seed in generated]
    for salt in salts:
        salt_strategy_rng(salt)
        for name, scenario, seed in markets + generated:
            rows += market(
                name,
                scenario,
                seed,
                strategies,
                args.price,
                not args.no_baseline,
                over,
                not args.no_references,
            )
            if args.out is not None:
                args.out.write_text(json.dumps(rows, indent=1) + "\n")
    print(table(rows))
    if len(salts) > 1:
        print(salts_table(rows))


if __name__ == "__main__":
    main()
