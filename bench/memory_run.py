"""The service's memory over an accelerated day or more, on the simulator's ports (issue #20).

Usage::

    .venv/bin/python bench/memory_run.py [--scenario realistic] [--book 500] [--days 2] \
        [--warmup-hours 6] [--no-trace]

Builds ``PricebotService`` as ``pricebot run`` does (``Runtime`` + the service's jobs: reprice or
sample, record, reconcile, prune, each at its configured period in simulated time), but on the
simulator's ports (``bot.sim.market_sim``: market, chain, metrics, task feed) instead of the
sandbox's HTTP/JSON-RPC adapters, with a real SQLite journal in a temporary directory. The jobs
run back to back (no scheduler threads), so a simulated day takes minutes.

Prints the resident set size (``VmRSS``) every simulated hour, the least-squares slope of RSS
after the warm-up in MiB per simulated day, the journal's size, and the 15 top growers of a
``tracemalloc`` diff between the end of the warm-up and the end of the run (tracing slows the
run about 2x and its own bookkeeping counts in RSS, so the slope is also given without it:
``--no-trace``).
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

from bot.adapters.journal import SqliteJournal
from bot.app.service import PricebotService, Runtime
from bot.backtest import prepare_scenario
from bot.backtest.engine import bot_config, intents_for, sim_ports, simulated_settings
from bot.config.settings import strategy_of
from bot.domain.networks import local_network
from bot.engine.cycle import make_executor
from bot.sim.market_sim import MarketSim

HOUR = 3600.0


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def slope_per_day(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (hours, MiB), in MiB per day."""
    n = len(points)
    if n < 2:
        return float("nan")
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    return 24.0 * sxy / sxx


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", default="realistic")
    p.add_argument("--days", type=float, default=2.0)
    p.add_argument("--warmup-hours", type=float, default=6.0)
    p.add_argument("--reprice-seconds", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-trace", action="store_true")
    p.add_argument("--book", type=int, default=500, help="competing orders added (0: none)")
    a = p.parse_args()
    source = Path(f"config/scenarios/{a.scenario}.toml")
    scenario_dir = tempfile.TemporaryDirectory()
    if a.book:
        # The competing book at --book orders: that many random-walk streams from 20 pools, each
        # repricing hourly (about 1.7 % of the book moving between two records 5 minutes apart).
        text = source.read_text() + "".join(
            f'\n[[competitors]]\nname = "bench-{i}"\npool = "bench-pool-{i % 20}"\n'
            'kind = "random_walk"\nstart = 50_000_000\nfloor = 1_000_000\n'
            f"ceiling = 1_000_000_000\nvolume = {1 + i % 9}\nperiod_s = 3600\n"
            'tag = ["tee", "tdx"]\n'
            for i in range(a.book)
        )
        source = Path(scenario_dir.name) / source.name
        source.write_text(text)
    scenario = prepare_scenario(source, a.days)
    intents = intents_for(scenario, a.seed)
    cfg = bot_config(scenario)
    settings = simulated_settings(cfg)  # as the service: snapshots only by the record job
    sim = MarketSim(scenario, a.seed, intents=intents)
    with tempfile.TemporaryDirectory() as d:
        journal = SqliteJournal(Path(d) / "journal-live.sqlite")
        ports = sim_ports(sim, journal=journal)
        runtime = Runtime(
            cfg,
            local_network(65535, "0x" + "33" * 20),
            ports,
            settings,
            strategy_of(cfg),
            make_executor(ports, settings),
            journal,
            [journal.close],
        )
        service = PricebotService(runtime, seed=a.seed)
        sched = cfg.schedule
        jobs = [
            (float(a.reprice_seconds), service.reprice_or_sample),
            (float(sched.record_seconds), service.record),
            (float(sched.reconcile_seconds), service.reconcile),
            (86_400.0, service.prune),
        ]
        due = [scenario.origin + period for period, _ in jobs]
        t = scenario.origin
        end = scenario.end
        warm_end = scenario.origin + a.warmup_hours * HOUR
        samples: list[tuple[float, float]] = []
        next_sample = scenario.origin
        traced = None
        cpu0 = time.process_time()
        while t < end:
            sim.advance(t)
            for i, (period, job) in enumerate(jobs):
                if due[i] <= t:
                    job()
                    due[i] += period
            if t >= next_sample:
                gc.collect()
                hours = (t - scenario.origin) / HOUR
                samples.append((hours, rss_mib()))
                print(
                    f"  {hours:6.1f} h  RSS {samples[-1][1]:7.1f} MiB  ticks {service.ticks}"
                    f"  book {len(service._latest.book) if service._latest else 0}",
                    flush=True,
                )
                next_sample += HOUR
                if traced is None and t >= warm_end and not a.no_trace:
                    tracemalloc.start(3)
                    traced = tracemalloc.take_snapshot()
            t = min(due)
        gc.collect()
        after = [(h, m) for h, m in samples if h >= a.warmup_hours + (0 if a.no_trace else 1)]
        size = sum(f.stat().st_size for f in Path(d).iterdir())
        db = journal._db  # the bench's own journal: what its rows hold
        rows, full, payload = db.execute(
            "SELECT COUNT(*), SUM(base_id IS NULL), SUM(length(payload)) FROM snapshots"
        ).fetchone()
        actions = db.execute("SELECT COUNT(*) FROM actions").fetchone()[0]
        print(
            f"journal: {rows} snapshot rows ({full} full), {payload / 1e6:.1f} MB of snapshot"
            f" JSON ({payload / max(1, rows) / 1e3:.1f} kB/row); {actions} actions"
        )
        print(
            f"{a.scenario} + {a.book} orders, seed {a.seed}, {a.days:g} simulated days, reprice every "
            f"{a.reprice_seconds:g} s, {service.ticks} ticks, {time.process_time() - cpu0:.0f} s CPU"
            f", load {os.getloadavg()[0]:.2f}: RSS {samples[0][1]:.1f} -> {samples[-1][1]:.1f} MiB;"
            f" slope after warm-up {slope_per_day(after):+.2f} MiB/day"
            f" ({'tracemalloc on' if not a.no_trace else 'no tracing'}); journal {size / 1e6:.1f} MB"
        )
        if traced is not None:
            final = tracemalloc.take_snapshot()
            print("top growers (tracemalloc, end of warm-up -> end):")
            for stat in final.compare_to(traced, "traceback")[:15]:
                frame = stat.traceback[-1]
                print(
                    f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  "
                    f"{frame.filename}:{frame.lineno}"
                )
        runtime.close()
    scenario_dir.cleanup()


if __name__ == "__main__":
    main()
