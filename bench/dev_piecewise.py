"""Development aid for robust item 72 (issue #14): TRAIN markets only (never test seeds).

What would the best *piecewise*-fixed price in hindsight earn on a market whose regime changes,
and how far is robust from it? Item 38's ``dev_regimes.py`` asked this with one shift typed by
hand; this script reads every switch time from the generator's own scenario and splits the run
into its regimes:

- ``surge``: each surge's start and end (the requesters' ``surges``);
- ``collapse``: the collapse's start (the requesters' ``surges`` with a multiplier < 1);
- ``rival_leaves``: the end of ``cheap-rival``'s window (a competitor's ``windows_h``);
- ``capacity_drop``: each of our pool's ``capacity_changes``.

It runs ``fixed`` at every point of the yardstick's joint grid (``category_grids``: each
category's grid walked together, the yardstick's first stage, one run per point) and ``robust``
at the given params, and sums each run's gross sales per category and regime (a deal counts in
the regime of its time, to the second). Per category it reports the whole-run best fixed price
(the yardstick's first stage, about its reference before gas), the **piecewise bound** (in each
regime the best fixed price of that regime alone, switched at the switch time: a price that
knows the regime at once and holds one level per regime; a run is taken from another run's
state at the switch, so it is an approximation, not a run) and robust, per regime.

Per market one JSON line to OUT: gross nRLC of the whole-run best, the bound, robust, per
category and regime. Gross nRLC of deals (no gas: the yardstick's reference is after gas).
Usage: python bench/dev_piecewise.py OUT SEED... [--jobs 2] [--param k=v]...
(run with PYTHONPATH=. from a worktree: the editable install imports the main tree's code.)
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from dev_perch import param_value

from bot.backtest.engine import intents_for, simulate
from bot.backtest.references import fixed_params
from bot.backtest.yardstick import category_grids
from bot.sim.generator import generate, market_class, split_of
from bot.sim.scenario import Scenario

HOURS = 72.0

Sales = list[tuple[int, float, int]]  # (category, hour since origin, gross nRLC)


def switches(s: Scenario) -> list[float]:
    """The generator's regime switch times (hours), inside the run, sorted."""
    out: set[float] = set()
    for r in s.requesters:
        for g in r.surges:
            out.update((g.start_h, g.end_h))
    for c in s.competitors:
        for w in getattr(c, "windows_h", None) or ():
            out.update(w)
    for ch in s.pool.capacity_changes:
        out.add(ch.at_h)
    return sorted(h for h in out if 0.0 < h < HOURS)


def sales(seed: int, strategy: str, params: dict[str, Any] | None) -> Sales:
    """Every deal of ours in one run: category, hour, gross value."""
    s = generate(seed)
    seen: dict[str, tuple[int, float, int]] = {}

    def tick(sim: Any, t: float) -> None:
        for d in sim.our_deals[-50:]:
            seen.setdefault(d.deal_id, (d.category, (d.at - s.origin) / 3600, d.price * d.volume))

    simulate(
        s, strategy, params, seed, intents=intents_for(s, seed), record=False, before_tick=tick
    )
    return list(seen.values())


def _job(a: tuple[int, str, dict[str, Any] | None]) -> Sales:
    return sales(*a)


def regime_of(h: float, cuts: list[float]) -> int:
    return sum(1 for c in cuts if h >= c)


def table(sold: Sales, cuts: list[float]) -> dict[int, list[int]]:
    """Gross per category and regime."""
    out: dict[int, list[int]] = {}
    for c, h, v in sold:
        out.setdefault(c, [0] * (len(cuts) + 1))[regime_of(h, cuts)] += v
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("seeds", type=int, nargs="+")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--param", action="append", default=[])
    args = ap.parse_args()
    params = {k: param_value(v) for k, v in (kv.split("=", 1) for kv in args.param)} or None
    for seed in args.seeds:
        assert split_of(seed) == "train", seed
        s = generate(seed)
        cuts = switches(s)
        grids = category_grids(s, intents_for(s, seed))
        longest = max(len(g) for g in grids.values())
        vecs: list[dict[int, int]] = []
        jobs: list[tuple[int, str, dict[str, Any] | None]] = []
        for j in range(longest):
            vec = {c: g[round(j * (len(g) - 1) / max(1, longest - 1))] for c, g in grids.items()}
            fp = fixed_params(next(iter(vec.values())), list(vec))
            fp["prices"] = {str(c): p for c, p in vec.items()}
            vecs.append(vec)
            jobs.append((seed, "fixed", fp))
        jobs.append((seed, "robust", params))
        with ProcessPoolExecutor(args.jobs) as ex:
            done = list(ex.map(_job, jobs))
        runs = [table(x, cuts) for x in done[:-1]]
        ours = table(done[-1], cuts)
        n = len(cuts) + 1
        zero = [0] * n
        rec: dict[str, Any] = {"seed": seed, "class": market_class(seed), "switches_h": cuts}
        cats: dict[str, Any] = {}
        whole = bound = robust = 0
        for c in sorted(grids):
            jb = max(range(len(runs)), key=lambda j: sum(runs[j].get(c, zero)))
            w = sum(runs[jb].get(c, zero))
            per = []
            for k in range(n):
                jk = max(range(len(runs)), key=lambda j: runs[j].get(c, zero)[k])
                per.append(
                    {
                        "whole_price": vecs[jb][c],
                        "whole": runs[jb].get(c, zero)[k],
                        "best_price": vecs[jk][c],
                        "best": runs[jk].get(c, zero)[k],
                        "robust": ours.get(c, zero)[k],
                    }
                )
            b = sum(p["best"] for p in per)
            r = sum(ours.get(c, zero))
            whole, bound, robust = whole + w, bound + b, robust + r
            cats[str(c)] = {"whole": w, "bound": b, "robust": r, "regimes": per}
        rec.update(whole=whole, bound=bound, robust=robust, categories=cats)
        with Path(args.out).open("a") as f:
            f.write(json.dumps(rec) + "\n")
        print(
            f"{seed} {market_class(seed)} switches {cuts}: whole-run best {whole / 1e9:.2f} RLC,"
            f" piecewise {bound / 1e9:.2f} (x {bound / max(1, whole):.3f}), robust"
            f" {robust / 1e9:.2f} (x {robust / max(1, whole):.3f} whole, x"
            f" {robust / max(1, bound):.3f} piecewise)",
            flush=True,
        )
        for c, d in cats.items():
            print(
                f"  cat {c}: "
                + "; ".join(
                    f"[{([0.0, *cuts])[k]:.1f}-{([*cuts, HOURS])[k]:.1f} h] whole"
                    f" {p['whole'] / 1e9:.2f} @ {p['whole_price'] / 1e6:.1f} M, best"
                    f" {p['best'] / 1e9:.2f} @ {p['best_price'] / 1e6:.1f} M, robust"
                    f" {p['robust'] / 1e9:.2f}"
                    for k, p in enumerate(d["regimes"])
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
