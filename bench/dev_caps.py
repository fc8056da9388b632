"""Development aid for robust item 40 (issue #14): the offline check of strategies/robust_caps.py.

Reads bench/dev_caps_record.py's pickles (robust's own observations on TRAIN markets) and, per
category, compares the estimator's best price over the first ``--hours`` of the run with the
yardstick's price (cached) and robust's own most quoted price in that window. ``--oracle`` also
shows the estimate with the rivals' true restock periods (the simulator's: a diagnosis only, the
bot never sees them). Usage: python bench/dev_caps.py RECDIR SEED... [--hours 12 24]
[--period 300 900] [--oracle]
"""

from __future__ import annotations

import argparse
import collections
import json
import pickle
from pathlib import Path
from typing import Any

from bot.backtest.yardstick import DEFAULT_CACHE_DIR, cache_file
from bot.domain.model import BookEntry
from bot.sim.generator import generate, split_of
from strategies.robust_caps import best_price, buyers_of, earned, remember_rivals, rivals_of


def entries(
    steps: list[dict[str, Any]], category: int, begin: float, end: float
) -> dict[str, list[float]]:
    """The rivals robust would remember at ``end`` (strategies/robust_caps.remember_rivals)."""
    kept: dict[str, list[float]] = {}
    for s in steps:
        if s["at"] > end:
            break
        book = [
            BookEntry(h, pool, pool, price, volume, remaining, cat, tag, trust, 0.0)
            for h, pool, price, remaining, volume, cat, restricted, tag, trust in s["book"]
            if cat == category and not restricted and tag == 0
        ]
        kept = remember_rivals(kept, book, s["at"], end - begin)
    return kept


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rec")
    ap.add_argument("seeds", nargs="+", type=int)
    ap.add_argument("--hours", nargs="+", type=float, default=[12.0, 24.0])
    ap.add_argument("--period", nargs="+", type=float, default=[300.0, 900.0])
    ap.add_argument("--oracle", action="store_true")
    ap.add_argument("--tier", type=int, default=1)
    ap.add_argument("--trailing", type=float, default=0.0, help="window hours (0: from start)")
    args = ap.parse_args()
    for seed in args.seeds:
        assert split_of(seed) == "train", seed
        r = pickle.loads((Path(args.rec) / f"{seed}.pkl").read_bytes())
        ys_path = cache_file(seed, DEFAULT_CACHE_DIR)
        ys = dict(json.loads(ys_path.read_text())["prices"]) if ys_path.exists() else {}
        steps = r["steps"]
        t0 = steps[0]["at"]
        pool = r["deals"][0].workerpool if r["deals"] else ""
        cats = sorted({q[0] for s in steps for q in s["quotes"]})
        truth: dict[tuple[int, int], float] = {}
        if args.oracle:
            for c in generate(seed).competitors:
                if c.kind == "fixed" and c.price is not None:
                    truth[(c.category, c.price)] = c.period_s
        for c in cats:
            for hours in args.hours:
                end = t0 + hours * 3600
                quoted = collections.Counter(
                    q[1] for s in steps if s["at"] <= end for q in s["quotes"] if q[0] == c
                )
                least = quoted.most_common(1)[0][0]
                buyers = buyers_of(r["deals"], pool, c, 0, t0 - 1)
                begin = end - args.trailing * 3600 if args.trailing else t0
                buyers = tuple(b for b in buyers if begin < b.at <= end)
                book = entries(steps, c, begin, end)
                line = (
                    f"{seed} c{c} {hours:4.0f}h ys {ys.get(c, 0) / 1e6:8.2f}M robust "
                    f"{least / 1e6:8.2f}M ({earned(least, buyers, (), begin) / 1e9:6.2f} RLC) "
                    f"buyers {sum(b.volume for b in buyers):4d}"
                )
                for period in args.period:
                    best, rev = best_price(buyers, rivals_of(book, period), begin, least, args.tier)
                    at_ys = earned(ys.get(c, least), buyers, rivals_of(book, period), begin)
                    line += (
                        f" | P{period:.0f}: {best / 1e6:8.2f}M {rev / 1e9:6.2f}"
                        f" (ys {at_ys / 1e9:6.2f})"
                    )
                if truth:
                    rivals = [
                        rv.__class__(rv.price, rv.volume, truth.get((c, rv.price), 60.0))
                        for rv in rivals_of(book, 60.0)
                    ]
                    best, rev = best_price(buyers, rivals, begin, least, args.tier)
                    line += f" | oracle: {best / 1e6:8.2f}M {rev / 1e9:6.2f}"
                print(line, flush=True)


if __name__ == "__main__":
    main()
