"""Development aid for `robust` (issue #14): two parameter sets A and B on generated TRAIN markets.

Per market: net revenue after gas (the benchmark's measure) of A and of B, their ratio B / A,
cancels and deadline misses, and the yardstick score where the market's reference is already
cached (never computed here). Then the totals, the worst ratio and the wins and losses (beyond
1 %). Train seeds only (asserted): a design aid, not a result.

Usage: python bench/dev_ab.py 1000-1038 [--a k=v]... [--b k=v]... [--jobs 1]
(seeds: ranges and commas, e.g. 1003,1016,1029 or 1000-1025)
"""

from __future__ import annotations

import argparse
import json
import math
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bot.backtest.engine import simulate
from bot.backtest.yardstick import Yardstick, after_gas, cache_file, score
from bot.sim.generator import generate, market_class, split_of


def _params(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in pairs:
        k, v = kv.split("=", 1)
        out[k] = v == "true" if v in ("true", "false") else float(v) if "." in v else int(v)
    return out


def _seeds(spec: str) -> list[int]:
    seeds: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        seeds += range(int(lo), int(hi or lo) + 1)
    return seeds


def one(job: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    seed, params = job
    assert split_of(seed) == "train", f"{seed} is not a train seed"
    s = generate(seed)
    run = simulate(s, "robust", params or None, seed, record=False)
    c = run.counters
    revenue = after_gas(s, run.net_revenue, c.gas_used, c.cancels)
    path = cache_file(seed)
    ys = Yardstick.from_json(json.loads(path.read_text())) if path.exists() else None
    return {
        "revenue": revenue,
        "cancels": c.cancels,
        "misses": c.tasks_failed_deadline,
        "score": None if ys is None else score(revenue, ys),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("seeds")
    ap.add_argument("--a", action="append", default=[])
    ap.add_argument("--b", action="append", default=[])
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    seeds = _seeds(args.seeds)
    a, b = _params(args.a), _params(args.b)
    with ProcessPoolExecutor(args.jobs) as pool:
        ra = list(pool.map(one, [(s, a) for s in seeds]))
        rb = list(pool.map(one, [(s, b) for s in seeds]))
    ratios = []
    for seed, x, y in zip(seeds, ra, rb, strict=True):
        ratio = y["revenue"] / x["revenue"] if x["revenue"] > 0 else math.nan
        ratios.append(ratio)
        sc = (
            f"  score {x['score']:.3f} -> {y['score']:.3f}"
            if x["score"] is not None and y["score"] is not None
            else ""
        )
        print(
            f"{seed} {market_class(seed):14s} {x['revenue'] / 1e9:9.3f} -> {y['revenue'] / 1e9:9.3f}"
            f"  x{ratio:.3f}  cancels {x['cancels']} -> {y['cancels']}"
            f"  misses {x['misses']} -> {y['misses']}{sc}",
            flush=True,
        )
    ta, tb = sum(x["revenue"] for x in ra), sum(y["revenue"] for y in rb)
    ok = [r for r in ratios if not math.isnan(r)]
    print(
        f"total {ta / 1e9:.2f} -> {tb / 1e9:.2f} RLC (x{tb / ta:.3f}); worst x{min(ok):.3f};"
        f" wins {sum(r > 1.01 for r in ok)} losses {sum(r < 0.99 for r in ok)};"
        f" misses {sum(x['misses'] for x in ra)} -> {sum(y['misses'] for y in rb)}"
    )


if __name__ == "__main__":
    main()
