"""Development aid for `robust` (issue #14): generated TRAIN markets only (never test seeds).

Revenue of each strategy against `portfolio` and against `fixed` at the owner's guessed prices,
per market class. Not the yardstick (that is gen's best fixed price per category in hindsight).
Usage: python bench/dev_train.py N [--strategy NAME]... [--param k=v]... [--jobs 2]
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor

from bot.backtest.engine import simulate
from bot.sim.generator import generate, market_class, split_of, split_seeds


def one(args: tuple[int, str, dict[str, float]]) -> tuple[int, str, int]:
    seed, name, params = args
    assert split_of(seed) == "train"
    out = simulate(generate(seed), name, params or None, seed, record=False)
    return seed, name, out.net_revenue


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--strategy", action="append", default=[])
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--classes", default="")
    args = ap.parse_args()
    typed = {
        k: (float(v) if "." in v else int(v)) for k, v in (kv.split("=", 1) for kv in args.param)
    }
    names = ["fixed", "portfolio", *(args.strategy or ["robust"])]
    classes = tuple(args.classes.split(",")) if args.classes else None
    seeds = split_seeds("train", args.n, classes=classes)
    jobs = [(s, n, typed if n == "robust" else {}) for s in seeds for n in names]
    rev: dict[tuple[int, str], int] = {}
    with ProcessPoolExecutor(args.jobs) as pool:
        for seed, name, r in pool.map(one, jobs):
            rev[seed, name] = r
    by_class: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for s in seeds:
        for name in names[2:]:
            mine = rev[s, name]
            vs_p = mine / max(1, rev[s, "portfolio"])
            vs_f = mine / max(1, rev[s, "fixed"])
            by_class[market_class(s)].append((vs_p, vs_f))
            print(
                f"{s} {market_class(s):14s} {name} {mine / 1e9:8.3f}  portfolio "
                f"{rev[s, 'portfolio'] / 1e9:8.3f}  fixed {rev[s, 'fixed'] / 1e9:8.3f}"
                f"  /p {vs_p:.2f} /f {vs_f:.2f}",
                flush=True,
            )
    for c, xs in sorted(by_class.items()):
        print(
            f"{c:14s} median /portfolio {statistics.median(x for x, _ in xs):.2f} "
            f"min {min(x for x, _ in xs):.2f}  median /fixed {statistics.median(f for _, f in xs):.2f}"
        )


if __name__ == "__main__":
    main()
