"""Development aid for robust item 38 (issue #14): TRAIN markets only (never test seeds).

How much could an adaptive price gain on a market whose regime shifts? For one market it runs
``fixed`` at every point of the yardstick's joint grid (``category_grids``: each category's grid,
walked together, the yardstick's first stage), and ``robust`` at the given parameters, summing
each run's gross sales per category and regime: before / after ``--shift HOURS`` (a collapse, a
rival's exit), or, on ``churn`` markets, by which churner pools are in the market (read from the
simulator at every tick of robust's run). It prints, per category and regime, the best fixed price
over the whole run, the best fixed price of that regime alone (hindsight), and robust; then the
totals: the whole-run best (about the yardstick's reference, before gas), the **regime oracle**
(the best fixed price of each regime, switched at the shift: what a price that adapts at once to
the new regime, and no faster, would earn) and robust. Gross nRLC of deals, no gas.
Usage: python bench/dev_regimes.py SEED [--shift HOURS] [--param k=v]...
(run with PYTHONPATH=. from a worktree: the editable install imports the main tree's code.)
"""

from __future__ import annotations

import argparse
from typing import Any

from dev_perch import param_value

from bot.backtest.engine import intents_for, simulate
from bot.backtest.references import fixed_params
from bot.backtest.yardstick import category_grids
from bot.sim.generator import generate, market_class, split_of

HOURS = 72


def hourly(
    seed: int, strategy: str, params: dict[str, Any], churn: bool
) -> tuple[dict[int, list[int]], list[str]]:
    """Gross sales per category and hour of one run, and (``churn``) which churners were in."""
    s = generate(seed)
    stream = intents_for(s, seed)
    seen: dict[str, tuple[int, float, int]] = {}
    labels: list[list[str]] = [[] for _ in range(HOURS)]

    def tick(sim: Any, t: float) -> None:
        for d in sim.our_deals[-50:]:
            seen.setdefault(d.deal_id, (d.category, d.at - s.origin, d.price * d.volume))
        if churn:
            on = [str(int(c.active)) for c in sim.competitors if getattr(c, "mean_on_s", 0) > 0]
            labels[min(HOURS - 1, int((t - s.origin) // 3600))].append("".join(on))

    simulate(s, strategy, params or None, seed, intents=stream, record=False, before_tick=tick)
    out: dict[int, list[int]] = {}
    for c, at, value in seen.values():
        out.setdefault(c, [0] * HOURS)[min(HOURS - 1, int(at // 3600))] += value
    # an hour's regime: the churners' state most of that hour
    return out, [max(set(x), key=x.count) if x else "" for x in labels]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("seed", type=int)
    ap.add_argument("--shift", type=float, default=None, help="hours; default: churners' state")
    ap.add_argument("--param", action="append", default=[])
    args = ap.parse_args()
    seed = args.seed
    assert split_of(seed) == "train", seed
    params = {k: param_value(v) for k, v in (kv.split("=", 1) for kv in args.param)}
    s = generate(seed)
    grids = category_grids(s, intents_for(s, seed))
    longest = max(len(g) for g in grids.values())
    runs: list[tuple[dict[int, int], dict[int, list[int]]]] = []
    for j in range(longest):
        vec = {c: g[round(j * (len(g) - 1) / max(1, longest - 1))] for c, g in grids.items()}
        fp = fixed_params(next(iter(vec.values())), list(vec))
        fp["prices"] = {str(c): p for c, p in vec.items()}
        runs.append((vec, hourly(seed, "fixed", fp, False)[0]))
    ours, churners = hourly(seed, "robust", params, args.shift is None)

    def regime(k: int) -> str:
        if args.shift is not None:
            return "before" if k < args.shift else "after"
        return "churners " + (churners[k] or "-")

    whole = oracle = robust = 0
    for c in sorted(grids):
        best = max(runs, key=lambda r: sum(r[1].get(c, [0])))
        w = sum(best[1].get(c, [0]))
        r = sum(ours.get(c, [0]))
        whole, robust = whole + w, robust + r
        line = f"{seed} {market_class(seed)} cat {c}: whole-run best {best[0][c] / 1e6:.1f} M {w / 1e9:.2f} RLC, robust {r / 1e9:.2f} |"
        for name in sorted({regime(k) for k in range(HOURS)}):
            ks = [k for k in range(HOURS) if regime(k) == name]

            def part(h: dict[int, list[int]], ks: list[int] = ks, c: int = c) -> int:
                return sum(h.get(c, [0] * HOURS)[k] for k in ks)

            top = max(runs, key=lambda x: part(x[1]))
            oracle += part(top[1])
            line += (
                f" {name} {len(ks)} h: whole-run price {part(best[1]) / 1e9:.2f}, best"
                f" {top[0][c] / 1e6:.1f} M {part(top[1]) / 1e9:.2f}, robust {part(ours) / 1e9:.2f};"
            )
        print(line)
    print(
        f"{seed} total gross: whole-run best {whole / 1e9:.2f} RLC, regime oracle"
        f" {oracle / 1e9:.2f} (x {oracle / max(1, whole):.3f}), robust {robust / 1e9:.2f}"
        f" (x {robust / max(1, whole):.3f})"
    )


if __name__ == "__main__":
    main()
