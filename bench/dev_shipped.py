"""Development check for `robust` (issue #14): every shipped scenario, robust vs the scenario's
own `fixed` prices (the issue's "never more than 10 % below fixed" bar) and vs portfolio.

Usage: python bench/dev_shipped.py [--days 7] [--seed 1] [--strategy robust] [--param k=v]...
"""

from __future__ import annotations

import argparse
import glob

from bot.backtest import run_backtest


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--strategy", action="append", default=[])
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--only", action="append", default=[])
    args = ap.parse_args()
    typed = {
        k: (float(v) if "." in v else int(v)) for k, v in (kv.split("=", 1) for kv in args.param)
    }
    for path in sorted(glob.glob("config/scenarios/*.toml")):
        if args.only and not any(o in path for o in args.only):
            continue
        for name in args.strategy or ["robust"]:
            ts = run_backtest(
                path,
                name,
                params=typed if name == "robust" else None,
                days=args.days,
                seed=args.seed,
                references=False,
            )
            s = ts.attrs["summary"]
            fixed = s["fixed_baseline"]["revenue_nrlc"]
            print(
                f"{path.split('/')[-1]:22s} {name:10s} rev {s['revenue_nrlc'] / 1e9:9.3f}"
                f"  fixed {fixed / 1e9:9.3f}  /fixed {s['revenue_nrlc'] / max(1, fixed):.3f}"
                f"  cancels {s['cancels']}  failed {s['tasks_failed']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
