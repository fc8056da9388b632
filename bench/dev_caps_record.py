"""Development aid for robust item 40 (issue #14): TRAIN markets only (never test seeds).

Runs ``robust`` (main's defaults, or --param) on train seeds and pickles, per market, what the bot
saw at each decision: the rivals' book orders (hash, pool, price, remaining, volume, category,
restricted), our listed orders (price, remaining, category) and robust's quotes, plus every deal
of ours (with the buyer's cap, ``Deal.request_maxprice``), for bench/dev_caps.py's offline check.
Usage: python bench/dev_caps_record.py OUTDIR SEED... [--param k=v]... [--jobs 2]
"""

from __future__ import annotations

import argparse
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.dev_perch import param_value
from bot.backtest.engine import simulate
from bot.sim.generator import generate, split_of
from strategies.robust import RobustStrategy


def one(args: tuple[int, dict[str, Any], str]) -> str:
    seed, params, out = args
    assert split_of(seed) == "train", seed
    steps: list[dict[str, Any]] = []
    deals: dict[str, Any] = {}
    decide = RobustStrategy.decide

    def spy(self: RobustStrategy, snapshot: Any, offers: Any, state: Any, rng: Any) -> Any:
        d = decide(self, snapshot, offers, state, rng)
        for x in snapshot.deals:
            deals[x.deal_id] = x
        steps.append(
            {
                "at": snapshot.at,
                "book": [
                    (
                        e.order_hash,
                        e.workerpool,
                        e.price,
                        e.remaining,
                        e.volume,
                        e.category,
                        e.is_restricted,
                        e.tag,
                        e.trust,
                    )
                    for e in snapshot.book
                ],
                "own": [
                    (
                        o.signed.order.workerpoolprice,
                        o.remaining,
                        o.signed.order.category,
                        o.published,
                    )
                    for o in snapshot.own_orders
                ],
                "quotes": [(q.category, q.price, q.volume) for q in d.quotes],
                "requests": [
                    (r.order_hash, r.workerpoolmaxprice, r.remaining, r.category, r.workerpool)
                    for r in snapshot.requests
                ],
                "util": None
                if snapshot.utilization is None
                else snapshot.utilization.slots_and_busy(),
            }
        )
        return d

    RobustStrategy.decide = spy  # type: ignore[method-assign]
    s = generate(seed)
    run = simulate(s, "robust", params or None, seed, record=False)
    path = Path(out) / f"{seed}.pkl"
    with path.open("wb") as f:
        pickle.dump(
            {
                "seed": seed,
                "steps": steps,
                "deals": sorted(deals.values(), key=lambda x: x.at),
                "net": run.net_revenue,
                "origin": s.origin,
            },
            f,
        )
    return str(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("seeds", nargs="+", type=int)
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    params = {k: param_value(v) for k, v in (kv.split("=", 1) for kv in args.param)}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(args.jobs) as pool:
        for p in pool.map(one, [(s, params, args.out) for s in args.seeds]):
            print(p, flush=True)


if __name__ == "__main__":
    main()
