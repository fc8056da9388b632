"""Development aid for the `robust` strategy (issue #14): strategies on a few markets, 3 days.

Not a benchmark and not a result (the markets in bench/dev_markets and the shipped scenarios are
what the strategy was developed on); test-split figures come from `pricebot bench-strategies`.
Usage: python bench/dev_eval.py SCENARIO... [--strategy NAME]... [--seed N] [--days D]
"""

from __future__ import annotations

import argparse

from bot.backtest import run_backtest


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--strategy", action="append", default=[])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=float, default=3.0)
    ap.add_argument("--param", action="append", default=[])
    args = ap.parse_args()
    params = dict(kv.split("=", 1) for kv in args.param)
    typed = {k: (float(v) if "." in v else int(v)) for k, v in params.items()}
    for path in args.scenarios:
        for name in args.strategy or ["robust", "portfolio"]:
            ts = run_backtest(
                path,
                name,
                params=typed if name == "robust" else None,
                days=args.days,
                seed=args.seed,
            )
            s = ts.attrs["summary"]
            print(
                f"{path.split('/')[-1]:22s} {name:11s} rev {s['revenue_nrlc'] / 1e9:9.3f} RLC"
                f"  /best {s['ratio_to_best_fixed']:.2f} (at {s['best_fixed_price_nrlc'] / 1e9:g})"
                f"  /fixed {s['revenue_nrlc'] / max(1, s['fixed_baseline']['revenue_nrlc']):.2f}"
                f"  cancels {s['cancels']}  failed {s['tasks_failed']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
