"""Development aid for robust (issue #14, robust item 73): where a market's cancels come from.

TRAIN markets only (asserted). Runs ``robust`` (main's defaults, or ``--param``s) with a
``before_tick`` hook counting the simulator's cancels each tick, and a wrapper on
``RobustStrategy._price`` keeping each decision's listed and quoted price and mode. Each tick's
cancels are put under the last decision (any offer) that changed our listed price in the three
minutes before: a **cut** (quote under the listed price: the planner cancels the dearer orders
the slot holds), a **raise** (the cheaper ones), or **other** (none: an order's age, the stake,
a slot's cap). Prints, per market, the cancels and their gas by kind, and how often our listed
price sat above the cheapest rival (the share a hold of cuts raises).

Usage: python bench/dev_cancels.py SEED... [--param k=v]...
"""

from __future__ import annotations

import argparse
import bisect
from typing import Any

from dev_perch import param_value

import strategies.robust as robust
from bot.backtest.engine import simulate
from bot.sim.generator import generate, market_class, split_of
from bot.sim.market_sim import MarketSim

WINDOW_S = 180.0


def one(seed: int, params: dict[str, Any]) -> dict[str, Any]:
    assert split_of(seed) == "train", seed
    changes: list[tuple[float, str, str]] = []  # (time, cut/raise, mode)
    ticks = [0, 0]  # decisions with a rival, listed above the cheapest rival
    cancels: list[tuple[float, int]] = []
    last = [0]
    price = robust.RobustStrategy._price

    def wrapped(
        self: Any, snapshot: Any, offer: Any, got: Any, mode: str, mem: Any, **kw: Any
    ) -> Any:
        q, m = price(self, snapshot, offer, got, mode, mem, **kw)
        listed = snapshot.current_price(offer.slot)
        if listed is not None and q.price != listed:
            changes.append((snapshot.at, "cut" if q.price < listed else "raise", mode))
        book = snapshot.competitors_for(offer)
        if book:
            ticks[0] += 1
            ticks[1] += listed is not None and listed > min(e.price for e in book)
        return q, m

    def hook(sim: MarketSim, t: float) -> None:
        n = sim.counters.cancels
        if n != last[0]:
            cancels.append((t, n - last[0]))
            last[0] = n

    robust.RobustStrategy._price = wrapped  # type: ignore[method-assign]
    try:
        s = generate(seed)
        run = simulate(s, "robust", params or None, seed, record=False, before_tick=hook)
    finally:
        robust.RobustStrategy._price = price  # type: ignore[method-assign]
    times = [c[0] for c in changes]
    kinds: dict[str, int] = {}
    for t, n in cancels:
        i = bisect.bisect_left(times, t) - 1
        key = f"{changes[i][1]}/{changes[i][2]}" if i >= 0 and t - times[i] <= WINDOW_S else "other"
        kinds[key] = kinds.get(key, 0) + n
    gas = s.costs.gas_cost_nrlc(s.costs.gas_per_cancel, 1)
    return {
        "seed": seed,
        "class": market_class(seed),
        "cancels": run.counters.cancels,
        "gas_rlc": run.counters.cancels * gas / 1e9,
        "kinds": dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
        "above_cheapest": ticks[1] / ticks[0] if ticks[0] else 0.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seeds", nargs="+", type=int)
    ap.add_argument("--param", action="append", default=[], metavar="K=V")
    a = ap.parse_args()
    params = {k: param_value(v) for k, v in (kv.split("=", 1) for kv in a.param)}
    for seed in a.seeds:
        r = one(seed, params)
        print(
            f"{r['seed']} {r['class']:14s} cancels {r['cancels']:5d} ({r['gas_rlc']:.2f} RLC)"
            f"  {r['kinds']}  listed above the cheapest rival {r['above_cheapest']:.0%}",
            flush=True,
        )


if __name__ == "__main__":
    main()
