"""CPU seconds per golden run (tests/unit/backtest/goldens.py: 3 days at seed 1, 1 at seed 2), and
proof a speed-up kept every output.

Usage::

    .venv/bin/python bench/golden_speed.py [--strategies fixed,robust,demand] [--seed 1]
        [--out records.json] [--compare records.json]

Runs every shipped scenario x each strategy at the seed, as the goldens do, and prints the CPU
seconds (``time.process_time``: robust on a loaded machine) of each run and their mean. ``--out``
writes the runs' golden records (summary, timeseries SHA-256 and column sums); ``--compare``
checks them against a file written before a change and exits 1 on any difference (a speed-up
must leave them byte-identical). The first run also pays the imports. Results go to
docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.unit.backtest import goldens  # noqa: E402  (the repository root is on the path now)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="fixed,robust,demand")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    records: dict[str, object] = {}
    cpu: list[float] = []
    for scenario in goldens.SCENARIOS:
        for strategy in args.strategies.split(","):
            rid = goldens.run_id(scenario, strategy, args.seed)
            start = time.process_time()
            records[rid] = goldens.record_one(scenario, strategy, args.seed)
            cpu.append(time.process_time() - start)
            print(f"{rid:40} {cpu[-1]:6.2f} s CPU", flush=True)
    print(f"{len(cpu)} runs: {sum(cpu):.1f} s CPU, {sum(cpu) / len(cpu):.2f} s per run")
    if args.out is not None:
        args.out.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
    if args.compare is not None:
        before = json.loads(args.compare.read_text())
        moved = sorted(rid for rid, got in records.items() if before.get(rid) != got)
        print("outputs: " + (f"{len(moved)} differ: {', '.join(moved)}" if moved else "identical"))
        return 1 if moved else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
