"""Development aid for `robust` (issue #14): two parameter sets A and B on generated TRAIN markets.

Per market: net revenue after gas (the benchmark's measure) of A and of B, their ratio B / A,
cancels and deadline misses, and the yardstick score where the market's reference is already
cached (never computed here). Then the totals, the worst ratio and the wins and losses (beyond
1 %). Train seeds only (asserted): a design aid, not a result. The measurement and the printout
are bench/dev_perch.py's (one run of robust per market), without its results file.

Usage: python bench/dev_ab.py 1000-1038 [--a k=v]... [--b k=v]... [--jobs 1]
(seeds: ranges and commas, e.g. 1003,1016,1029 or 1000-1025)
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from dev_perch import compare_rows, one


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
        ra = list(pool.map(one, [(s, a, 0, {}) for s in seeds]))
        rb = list(pool.map(one, [(s, b, 0, {}) for s in seeds]))
    compare_rows([(str(s), x, y) for s, x, y in zip(seeds, ra, rb, strict=True)], margin=0.01)


if __name__ == "__main__":
    main()
