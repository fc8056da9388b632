"""Development aid for robust's perch (issue #14): TRAIN markets only (never test seeds).

Runs ``robust`` with the given parameters on train seeds and appends one JSON line per market to
OUT: after-gas net revenue, cancels, deadline misses and, where the market's yardstick is cached,
its score (no reference is computed here). ``--salt`` varies the strategy's rng only (the market
and its demand stay the same), to see how much a single run's figure owes to the strategy's draws.
``--rails k=v`` sets a key of the owner's ``[rails]`` table (not a strategy param), e.g.
``--rails admission_reserve=true`` or ``--rails running_charge=tail``.
Usage: python bench/dev_perch.py OUT SEED... [--param k=v]... [--rails k=v]... [--salt N] [--jobs 2]
       python bench/dev_perch.py --compare OLD NEW
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import bot.backtest.engine as engine
from bot.backtest.engine import simulate
from bot.backtest.yardstick import DEFAULT_CACHE_DIR, Yardstick, after_gas, cache_file, score
from bot.sim.generator import generate, market_class, split_of


def one(args: tuple[int, dict[str, Any], int, dict[str, Any]]) -> dict[str, Any]:
    seed, params, salt, rails = args
    assert split_of(seed) == "train", seed
    if salt:
        cycle_over = engine.cycle_over

        def salted(*a: Any, **k: Any) -> Any:
            c = cycle_over(*a, **k)
            c.rng = random.Random(seed * 7919 + salt)
            return c

        engine.cycle_over = salted  # type: ignore[assignment]
    s = generate(seed)
    if rails:
        s = s.model_copy(update={"bot": {**s.bot, "rails": {**s.bot.get("rails", {}), **rails}}})
    run = simulate(s, "robust", params or None, seed, record=False)
    c = run.counters
    rev = after_gas(s, run.net_revenue, c.gas_used, c.cancels)
    out: dict[str, Any] = {
        "seed": seed,
        "class": market_class(seed),
        "salt": salt,
        "revenue": rev,
        "cancels": c.cancels,
        "misses": c.tasks_failed_deadline,
        "served": c.tasks_served,
    }
    path = cache_file(seed, DEFAULT_CACHE_DIR)
    if path.exists():
        out["score"] = round(score(rev, Yardstick.from_json(json.loads(path.read_text()))), 3)
    return out


def compare_rows(
    rows: list[tuple[str, dict[str, Any], dict[str, Any]]], margin: float = 0.02
) -> None:
    """Print each market's A -> B (after-gas revenue, ratio, cancels, misses, score where cached)
    and the totals; a ratio beyond 1 +- ``margin`` counts as a win or a loss."""
    ratios = []
    for label, x, y in rows:
        r = y["revenue"] / x["revenue"] if x["revenue"] > 0 else float("nan")
        ratios.append(r)
        print(
            f"{label} {x['class']:14s} {x['revenue'] / 1e9:9.2f} -> {y['revenue'] / 1e9:9.2f}"
            f"  x{r:5.2f}  cancels {x['cancels']:5d} -> {y['cancels']:5d}"
            f"  misses {x['misses']} -> {y['misses']}"
            + (
                f"  score {x['score']:.2f} -> {y['score']:.2f}"
                if "score" in x and "score" in y
                else ""
            ),
            flush=True,
        )
    ta = sum(x["revenue"] for _, x, _ in rows) / 1e9
    tb = sum(y["revenue"] for _, _, y in rows) / 1e9
    good = [r for r in ratios if r == r]
    print(
        f"total {ta:.1f} -> {tb:.1f} RLC (x{tb / ta:.3f}); markets {len(rows)}; "
        f"wins {sum(r > 1 + margin for r in good)} losses {sum(r < 1 - margin for r in good)}; "
        f"median ratio {statistics.median(good):.3f}, worst {min(good):.3f}; misses "
        f"{sum(x['misses'] for _, x, _ in rows)} -> {sum(y['misses'] for _, _, y in rows)}"
    )


def compare(old: Path, new: Path) -> None:
    def load(p: Path) -> dict[tuple[int, int], dict[str, Any]]:
        return {(r["seed"], r["salt"]): r for r in map(json.loads, p.read_text().splitlines())}

    a, b = load(old), load(new)
    compare_rows([(f"{k[0]} s{k[1]}", a[k], b[k]) for k in sorted(set(a) & set(b))])


def param_value(v: str) -> bool | float | int | str:
    """A --param value: true/false, a float (with a dot), an int, else the word itself."""
    if v in ("true", "false"):
        return v == "true"
    try:
        return float(v) if "." in v else int(v)
    except ValueError:
        return v


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?")
    ap.add_argument("seeds", nargs="*", type=int)
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--rails", action="append", default=[])
    ap.add_argument("--salt", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--compare", nargs=2)
    args = ap.parse_args()
    if args.compare:
        compare(Path(args.compare[0]), Path(args.compare[1]))
        return
    params = {k: param_value(v) for k, v in (kv.split("=", 1) for kv in args.param)}
    rails = {k: param_value(v) for k, v in (kv.split("=", 1) for kv in args.rails)}
    with ProcessPoolExecutor(args.jobs) as pool, Path(args.out).open("a") as f:
        for r in pool.map(one, [(s, params, args.salt, rails) for s in args.seeds]):
            f.write(json.dumps(r) + "\n")
            f.flush()
            print(r, flush=True)


if __name__ == "__main__":
    main()
