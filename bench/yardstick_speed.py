"""How fast is a generated market's yardstick, and is it still the same?

Usage::

    .venv/bin/python bench/yardstick_speed.py [run SEED ...]   # one run of fixed each (make bench:
                                                               # seeds 1000001 1000006)
    .venv/bin/python bench/yardstick_speed.py same --jobs 2 SEED [...]   # recompute references

``run``: one run of ``fixed`` at each category's mid-grid price on the generated market ``SEED``
(4,320 ticks): CPU and wall seconds and a sha256 of its counters, time-series rows and revenue
curve, so two trees (e.g. one from ``git archive``) can be timed alternately and compared.
``same``: search the reference of ``SEED`` again (``--jobs`` processes) and compare it with the
cached one (``.cache/yardstick``), every field but ``elapsed_s``. Results go to
docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json

from bot.backtest.engine import intents_for, simulate
from bot.backtest.references import fixed_params
from bot.backtest.yardstick import cache_file, category_grids, compute_yardstick
from bot.sim.generator import generate


def one_run(seed: int) -> None:
    s = generate(seed)
    intents = intents_for(s, seed)
    grids = category_grids(s, intents)
    prices = {str(c): g[len(g) // 2] for c, g in sorted(grids.items())}
    params = fixed_params(1, [int(c) for c in prices])
    params["prices"] = prices
    out = simulate(s, "fixed", params, seed, intents=intents, record=True)
    blob = repr((out.counters, out.rows, out.curve, out.ticks)).encode()
    digest = hashlib.sha256(blob).hexdigest()[:16]
    print(f"{seed} cpu_s {out.cpu_s:.2f} wall_s {out.elapsed_s:.2f} sha256 {digest}", flush=True)


def same(seed: int, jobs: int) -> None:
    new = compute_yardstick(seed, jobs=jobs).to_json()
    old = json.loads(cache_file(seed).read_text())
    new_s, old_s = new.pop("elapsed_s"), old.pop("elapsed_s")
    verdict = "identical" if new == old else f"DIFFERENT\n new {new}\n old {old}"
    print(f"{seed} runs {new['runs']} old_s {old_s} new_s {new_s} {verdict}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("run", "same"), nargs="?", default="run")
    parser.add_argument("seeds", type=int, nargs="*", default=[1000001, 1000006])
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    for seed in args.seeds:
        if args.what == "run":
            one_run(seed)
        else:
            same(seed, args.jobs)


if __name__ == "__main__":
    main()
