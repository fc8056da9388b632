"""Development aid for robust (issue #14, robust item 36): where robust's gap to the yardstick is.

TRAIN markets only (asserted). Per market, runs ``robust`` (main's defaults, or ``--param``s)
and ``fixed`` at the cached yardstick's prices (``.cache/yardstick/gen-v1-y1/SEED.json``; a
market without one is skipped, none is computed here), each with a per-tick hook that reads the
simulator: our deals (sales, at the match), cancels and their gas, our listed price and whether
any rival of the category is in stock. Both runs' sales are cut into cells (window x category),
and the after-gas gap ``fixed - robust`` is split exactly into:

- per cell, the sales gap (``fixed``'s sales - robust's, before gas), each hour of a category
  put under one **cause** by robust's listed price that hour against the yardstick's: ``low``
  (under 0.95 x it most of the hour: selling, or not, too cheap), ``high`` (over 1.05 x),
  ``near`` (within), ``unlisted`` (no order of ours listed most of the hour: sold out, the pool
  full, or between re-signs);
- ``gas``: robust's cancels' gas - ``fixed``'s, by window;
- ``unpaid``: (sales - net revenue) of robust - of ``fixed`` (tasks sold but failed, stake
  lost), for the whole run.

Writes one JSON line per market to OUT and prints a summary table (shares of the total gap and
of the gap over the markets where robust is under the yardstick). ``--summary OUT`` reprints the
table from a file.

Usage: python bench/dev_gap.py OUT SEED... [--param k=v]... [--jobs 2]
       python bench/dev_gap.py --summary OUT [--detail SEED]... [--markdown]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from dev_perch import param_value

from bot.backtest.engine import intents_for, simulate
from bot.backtest.references import fixed_params
from bot.backtest.yardstick import DEFAULT_CACHE_DIR, Yardstick, after_gas, cache_file
from bot.sim.agents import best_price
from bot.sim.generator import generate, market_class, split_of
from bot.sim.market_sim import MarketSim
from bot.sim.scenario import OUR_POOL, Scenario

WINDOWS = ((0, 2), (2, 6), (6, 24), (24, 48), (48, 72))  # hours
CAUSES = ("low", "near", "high", "unlisted")
HOUR = 3600.0


def _window(hour: int) -> str:
    for lo, hi in WINDOWS:
        if lo <= hour < hi:
            return f"{lo}-{hi}h"
    return f"{WINDOWS[-1][0]}-{WINDOWS[-1][1]}h"


class Recorder:
    """What one run did, hour by hour and category by category (a ``before_tick`` hook)."""

    def __init__(self, scenario: Scenario, cats: Iterable[int]) -> None:
        self.origin = scenario.origin
        self.cats = tuple(cats)
        self.sold: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])  # tasks, nRLC
        self.price_ticks: dict[tuple[int, int], list[int | None]] = defaultdict(list)
        self.rivals_out: dict[tuple[int, int], int] = defaultdict(int)
        self.cancels: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # cancels, gas
        self._seen: set[str] = set()
        self._last = (0, 0)
        self._version = -1
        self._state: tuple[tuple[int | None, bool], ...] = ()

    def __call__(self, sim: MarketSim, t: float) -> None:
        hour = int((t - self.origin) // HOUR)
        for d in reversed(sim.our_deals):
            if d.deal_id in self._seen:
                break
            self._seen.add(d.deal_id)
            h = int((d.at - self.origin) // HOUR)
            cell = self.sold[(h, d.category)]
            cell[0] += d.volume
            cell[1] += d.volume * d.price
        c = sim.counters
        cell = self.cancels[hour]
        cell[0] += c.cancels - self._last[0]
        cell[1] += c.gas_used - self._last[1]
        self._last = (c.cancels, c.gas_used)
        if sim._version != self._version:
            self._version = sim._version
            listed = sim.listed()
            state = []
            for cat in self.cats:
                ours = [e.price for e in listed if e.workerpool == OUR_POOL and e.category == cat]
                rival = best_price(listed, cat, 0, exclude_pool=OUR_POOL)
                state.append((min(ours) if ours else None, rival is None))
            self._state = tuple(state)
        for cat, (ours, out) in zip(self.cats, self._state, strict=True):
            self.price_ticks[(hour, cat)].append(ours)
            self.rivals_out[(hour, cat)] += out


def _run(
    s: Scenario,
    seed: int,
    strategy: str,
    params: dict[str, Any] | None,
    cats: list[int],
    intents: Any,
) -> tuple[Recorder, dict[str, int]]:
    rec = Recorder(s, cats)
    out = simulate(s, strategy, params, seed, intents=intents, record=False, before_tick=rec)
    c = out.counters
    sold = sum(v[1] for v in rec.sold.values())
    return rec, {
        "net": after_gas(s, out.net_revenue, c.gas_used, c.cancels),
        "sold": sold,
        "unpaid": sold - out.net_revenue,
        "gas": s.costs.gas_cost_nrlc(c.gas_used, c.cancels),
        "cancels": c.cancels,
        "tasks": sum(v[0] for v in rec.sold.values()),
    }


def _cause(prices: list[int | None], ref: int) -> str:
    listed = [p for p in prices if p is not None]
    if len(listed) * 2 < len(prices):
        return "unlisted"
    low = sum(p < 0.95 * ref for p in listed)
    high = sum(p > 1.05 * ref for p in listed)
    if low * 2 > len(listed):
        return "low"
    if high * 2 > len(listed):
        return "high"
    return "near"


def one(args: tuple[int, dict[str, Any]]) -> dict[str, Any] | None:
    seed, params = args
    assert split_of(seed) == "train", seed
    path = cache_file(seed, DEFAULT_CACHE_DIR)
    if not path.exists():
        return None
    ys = Yardstick.from_json(json.loads(path.read_text()))
    s = generate(seed)
    intents = intents_for(s, seed)
    ref = dict(ys.prices)
    cats = sorted(ref)
    fparams = fixed_params(ys.prices[0][1], cats)
    fparams["prices"] = {str(c): p for c, p in ys.prices}
    rob, rt = _run(s, seed, "robust", params or None, cats, intents)
    fix, ft = _run(s, seed, "fixed", fparams, cats, intents)
    assert ft["net"] == ys.reference_nrlc, (seed, ft["net"], ys.reference_nrlc)
    hours = int((s.end - s.origin) // HOUR) + 1
    cells: dict[str, dict[str, Any]] = {}  # "window|cat" -> figures
    for h in range(hours):
        w = _window(h)
        for cat in cats:
            key = f"{w}|{cat}"
            cell = cells.setdefault(
                key,
                {
                    "r_tasks": 0,
                    "r_sold": 0,
                    "f_tasks": 0,
                    "f_sold": 0,
                    "ticks": 0,
                    "r_under": 0,
                    "r_over": 0,
                    "r_unlisted": 0,
                    "f_rivals_out": 0,
                    "r_rivals_out": 0,
                    **{f"gap_{c}": 0 for c in CAUSES},
                },
            )
            rt_, rs = rob.sold.get((h, cat), [0, 0])
            ft_, fs = fix.sold.get((h, cat), [0, 0])
            cell["r_tasks"] += rt_
            cell["r_sold"] += rs
            cell["f_tasks"] += ft_
            cell["f_sold"] += fs
            ticks = rob.price_ticks.get((h, cat), [])
            cell["ticks"] += len(ticks)
            cell["r_under"] += sum(p is not None and p < 0.95 * ref[cat] for p in ticks)
            cell["r_over"] += sum(p is not None and p > 1.05 * ref[cat] for p in ticks)
            cell["r_unlisted"] += sum(p is None for p in ticks)
            cell["r_rivals_out"] += rob.rivals_out.get((h, cat), 0)
            cell["f_rivals_out"] += fix.rivals_out.get((h, cat), 0)
            if ticks:
                cell[f"gap_{_cause(ticks, ref[cat])}"] += fs - rs
            else:  # after the last tick (the drain): nothing listed
                cell["gap_unlisted"] += fs - rs
    gas: dict[str, int] = defaultdict(int)
    for h in range(hours):
        rg = s.costs.gas_cost_nrlc(rob.cancels[h][1], rob.cancels[h][0])
        fg = s.costs.gas_cost_nrlc(fix.cancels[h][1], fix.cancels[h][0])
        gas[_window(h)] += rg - fg
    gap = ft["net"] - rt["net"]
    return {
        "seed": seed,
        "class": market_class(seed),
        "reference": ft["net"],
        "robust": rt["net"],
        "gap": gap,
        "score_ratio": round(rt["net"] / ft["net"], 3) if ft["net"] > 0 else None,
        "prices": ref,
        "robust_totals": rt,
        "fixed_totals": ft,
        "gas_by_window": dict(gas),
        "unpaid_gap": rt["unpaid"] - ft["unpaid"],
        "gas_rounding": (rt["gas"] - ft["gas"]) - sum(gas.values()),
        "cells": cells,
    }


def _rlc(n: float) -> str:
    return f"{n / 1e9:9.2f}"


def _buckets(r: dict[str, Any]) -> list[tuple[str, str, str, str, float]]:
    """A market's gap as (window, category, cause, class, nRLC) pieces that sum to its gap."""
    out: list[tuple[str, str, str, str, float]] = []
    for key, cell in r["cells"].items():
        w, cat = key.split("|")
        catname = "XS" if cat == "0" else "other"
        out += [(w, catname, c, r["class"], cell[f"gap_{c}"]) for c in CAUSES]
    out += [(w, "-", "gas", r["class"], v) for w, v in r["gas_by_window"].items()]
    out.append(("-", "-", "unpaid", r["class"], r["unpaid_gap"] + r["gas_rounding"]))
    return out


def summary(rows: list[dict[str, Any]]) -> None:
    """The decomposition over markets: by window, category, cause and class, in RLC (big markets
    weigh most) and in score points (each market's pieces over its reference: what issue #14's
    ratio loses; markets whose reference is not positive are left out of that column)."""
    rows = [r for r in rows if r]
    losers = [r for r in rows if r["gap"] > 0]
    print(
        f"markets {len(rows)}; robust {sum(r['robust'] for r in rows) / 1e9:.1f} RLC against the"
        f" yardstick {sum(r['reference'] for r in rows) / 1e9:.1f};"
        f" gap {_rlc(sum(r['gap'] for r in rows))} RLC; markets under the yardstick"
        f" {len(losers)}, their gap {_rlc(sum(r['gap'] for r in losers))}"
    )
    dims = ("window", "category", "cause", "class", "window x cause", "window x category")
    for label, group in (("all markets", rows), ("markets under the yardstick", losers)):
        total = sum(r["gap"] for r in group) or 1
        ntotal = sum(r["gap"] / r["reference"] for r in group if r["reference"] > 0) or 1
        by: dict[str, dict[str, list[float]]] = {d: defaultdict(lambda: [0.0, 0.0]) for d in dims}
        for r in group:
            norm = 1 / r["reference"] if r["reference"] > 0 else 0.0
            for w, cat, cause, cls, v in _buckets(r):
                keys = (w, cat, cause, cls, f"{w} {cause}", f"{w} {cat}")
                for d, k in zip(dims, keys, strict=True):
                    by[d][k][0] += v
                    by[d][k][1] += v * norm
        print(
            f"\n== {label} ({len(group)}): gap {_rlc(total)} RLC, {ntotal:.3f} score points"
            " (sum over markets of gap / reference)"
        )
        for dim, vals in by.items():
            print(f"-- by {dim}: RLC, share of the RLC gap, score points, share of them")
            for k, (v, n) in sorted(vals.items(), key=lambda kv: -abs(kv[1][1])):
                if abs(v) < 5e6 and abs(n) < 5e-4:
                    continue
                print(
                    f"   {k:22s} {_rlc(v)} {100 * v / total:6.1f} %"
                    f"  {n:7.3f} {100 * n / ntotal:6.1f} %"
                )
    print("\n== per market: gap (RLC) by window, and the biggest cell (window|cat cause)")
    for r in sorted(rows, key=lambda r: -r["gap"]):
        wins: dict[str, float] = defaultdict(float)
        best = ("", 0.0)
        for key, cell in r["cells"].items():
            w = key.split("|")[0]
            for c in CAUSES:
                v = cell[f"gap_{c}"]
                wins[w] += v
                if abs(v) > abs(best[1]):
                    best = (f"{key} {c}", v)
        for w, v in r["gas_by_window"].items():
            wins[w] += v
        print(
            f"{r['seed']} {r['class']:14s} ref {_rlc(r['reference'])} robust {_rlc(r['robust'])}"
            f" x{r['score_ratio']}  "
            + " ".join(f"{lo}-{hi}h {wins[f'{lo}-{hi}h'] / 1e9:7.2f}" for lo, hi in WINDOWS)
            + f"  top {best[0]} {best[1] / 1e9:.2f}"
        )


def markdown(rows: list[dict[str, Any]]) -> None:
    """The decomposition as a markdown table (docs/strategies.md, robust item 36): each bucket's
    share of the gap, over every market and over the markets under the yardstick."""
    groups = (rows, [r for r in rows if r["gap"] > 0])
    dims = {"window": 0, "category": 1, "cause": 2}
    print(
        "| bucket | all markets: RLC | share | score points | markets under: RLC | share"
        " | score points |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for dim, idx in dims.items():
        sums: list[dict[str, list[float]]] = []
        totals = []
        for group in groups:
            acc: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
            for r in group:
                norm = 1 / r["reference"] if r["reference"] > 0 else 0.0
                for piece in _buckets(r):
                    acc[str(piece[idx])][0] += piece[4]
                    acc[str(piece[idx])][1] += piece[4] * norm
            sums.append(acc)
            totals.append(sum(r["gap"] for r in group) or 1)
        keys = sorted(set(sums[0]) | set(sums[1]), key=lambda k: -abs(sums[1][k][1]))
        for k in keys:
            if k == "-":
                continue
            cells = []
            for acc, total in zip(sums, totals, strict=True):
                v, n = acc[k]
                cells += [f"{v / 1e9:,.1f}", f"{100 * v / total:.0f} %", f"{n:.3f}"]
            print(f"| {dim} {k} | " + " | ".join(cells) + " |")
    for label, group in zip(("all markets", "markets under"), groups, strict=True):
        print(
            f"| total, {label} ({len(group)}) | {sum(r['gap'] for r in group) / 1e9:,.1f} RLC"
            f" | | {sum(r['gap'] / r['reference'] for r in group if r['reference'] > 0):.3f} |"
            " | | |"
        )


def detail(r: dict[str, Any]) -> None:
    """One market's cells: tasks, average price and the gap's causes, robust against fixed."""
    print(f"\n{r['seed']} {r['class']} yardstick prices {r['prices']} gap {_rlc(r['gap'])} RLC")
    for key, c in r["cells"].items():
        n = c["ticks"] or 1
        rp = c["r_sold"] / c["r_tasks"] / 1e6 if c["r_tasks"] else 0.0
        fp = c["f_sold"] / c["f_tasks"] / 1e6 if c["f_tasks"] else 0.0
        causes = " ".join(
            f"{k} {c[f'gap_{k}'] / 1e9:.2f}" for k in CAUSES if abs(c[f"gap_{k}"]) >= 5e6
        )
        print(
            f"  {key:9s} robust {c['r_tasks']:5d} x {rp:9.2f} M = {_rlc(c['r_sold'])}"
            f" | fixed {c['f_tasks']:5d} x {fp:9.2f} M = {_rlc(c['f_sold'])}"
            f"  robust under/over/unlisted {c['r_under'] / n:4.0%} {c['r_over'] / n:4.0%}"
            f" {c['r_unlisted'] / n:4.0%}  rivals out r/f {c['r_rivals_out'] / n:4.0%}"
            f" {c['f_rivals_out'] / n:4.0%}  {causes}"
        )
    print(
        "  gas by window (robust - fixed):",
        {k: round(v / 1e9, 3) for k, v in r["gas_by_window"].items()},
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?")
    ap.add_argument("seeds", nargs="*", type=int)
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--summary")
    ap.add_argument("--detail", type=int, action="append", default=[])
    ap.add_argument("--markdown", action="store_true", help="with --summary: the docs' table")
    args = ap.parse_args()
    if args.summary:
        rows = [json.loads(x) for x in Path(args.summary).read_text().splitlines()]
        if args.markdown:
            markdown(rows)
            return
        summary(rows)
        for r in rows:
            if r["seed"] in args.detail:
                detail(r)
        return
    params = {k: param_value(v) for k, v in (kv.split("=", 1) for kv in args.param)}
    rows = []
    with ProcessPoolExecutor(args.jobs) as pool, Path(args.out).open("a") as f:
        for seed, r in zip(
            args.seeds, pool.map(one, [(s, params) for s in args.seeds]), strict=True
        ):
            if r is None:
                print(f"{seed}: no cached yardstick, skipped", flush=True)
                continue
            rows.append(r)
            f.write(json.dumps(r) + "\n")
            f.flush()
            print(seed, r["class"], _rlc(r["reference"]), _rlc(r["robust"]), flush=True)
    summary(rows)


if __name__ == "__main__":
    main()
