"""The service's memory over an accelerated day or more, on the simulator's ports (issue #20).

Usage::

    .venv/bin/python bench/memory_run.py [--scenario realistic] [--book 500] [--days 2] \
        [--warmup-hours 6] [--no-trace]
    nice -n 10 .venv/bin/python bench/memory_run.py --sandbox [--days 1] [--warmup-hours 6] \
        [--trace-from-hours 16]

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

``--sandbox``: the same service on the sandbox itself (``bot.sandbox``: anvil with PoCo, the
local marketplace on loopback, the pool, the simulated competitors and requesters moving by
themselves), built by ``build_runtime`` from the sandbox's config exactly as ``pricebot run
--live`` builds it (HTTP marketplace client, JSON-RPC chain, core metrics, SQLite journal,
``competitive`` undercut acting for real). Simulated time is counted **by cycles**: each reprice
tick is one production period (``--reprice-seconds``, 60 s: the default
``schedule.reprice_seconds``), the record and reconcile jobs run every 300 simulated seconds,
prune once per simulated day; the ticks run
back to back in wall time. The book caches' idle expiry (``RecentMap``, an hour unseen) runs on
the same cycle clock (``build_runtime(cache_clock=...)``), and so does the ops hub's (``build_ops(clock=...)``, its
server not started); every other clock is the wall clock (the chain's and the marketplace's
timestamps, the deals window), so windows measured in wall time are still filling when the run
ends. RSS is sampled every simulated hour; tracing starts
at ``--trace-from-hours`` (after an untraced stretch that gives the slope: tracing doubles the
tick's cost and its own tables count in RSS) and the top growers are the diff to the end.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
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
    p.add_argument("--sandbox", action="store_true", help="on the sandbox, by cycles (see above)")
    p.add_argument("--trace-from-hours", type=float, default=16.0, help="with --sandbox")
    p.add_argument("--churn", type=int, default=0, help="with --sandbox: orders replaced a cycle")
    p.add_argument("--publisher", type=Path, help=argparse.SUPPRESS)  # the child (see below)
    p.add_argument("--scenario", default="realistic")
    p.add_argument("--days", type=float, default=2.0)
    p.add_argument("--warmup-hours", type=float, default=6.0)
    p.add_argument("--reprice-seconds", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-trace", action="store_true")
    p.add_argument("--book", type=int, default=500, help="competing orders added (0: none)")
    a = p.parse_args()
    if a.publisher:
        publisher(a.publisher, a.book, a.seed)
        return
    if a.sandbox:
        on_sandbox(a)
        return
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
            top_growers(traced, tracemalloc.take_snapshot())
        runtime.close()
    scenario_dir.cleanup()


def top_growers(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, n: int = 15) -> None:
    stats = after.compare_to(before, "traceback")
    total = sum(s.size_diff for s in stats) / 1024
    print(f"top growers (tracemalloc; all traced allocations together: {total:+.1f} KiB):")
    for stat in stats[:n]:
        frames = " <- ".join(
            f"{Path(f.filename).name}:{f.lineno}" for f in reversed(stat.traceback[-3:])
        )
        print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  {frames}")


def publisher(state: Path, book: int, seed: int) -> None:
    """Child process: ``book`` more competing orders in the sandbox's category 0, from its
    competitor pools (their owners' anvil test keys), dearer than the agents' (0.05-0.09 RLC,
    so the cheapest stays the agents'); then, for each line ``K`` on stdin, K of them replaced
    by new orders (unpublished, a new one published). A child, so that its own allocations are
    not in the service's RSS."""
    import random
    import sys

    import httpx

    from bot.domain.errors import RejectedError
    from bot.domain.model import ZERO_ADDRESS, ZERO_BYTES32, WorkerpoolOrder
    from bot.domain.signing import random_salt, sign_order
    from bot.sandbox.agents_driver import MarketHttp, Wallet
    from bot.sandbox.stack import COMPETITOR_KEYS, read_info

    info = read_info(state)
    network = local_network(info.chain_id, info.hub)
    pools = [(c["workerpool"], k) for c, k in zip(info.competitors, COMPETITOR_KEYS, strict=True)]
    # A challenge is per address: an agent signing in with the same key at the same moment
    # voids ours (HTTP 403). The idle pools have no agent; a rare collision is tried again.
    idle = [p for p, c in zip(pools, info.competitors, strict=True) if c["kind"] == "idle"]
    pools = idle or pools

    def again(call: Callable[[], None]) -> None:
        for attempt in range(5):
            try:
                call()
                return
            except RejectedError:
                if attempt == 4:
                    raise
                time.sleep(0.1)

    market = MarketHttp(info.market_url, info.chain_id)
    rng = random.Random(seed)
    # The marketplace's 50 open orders per signer (production's rule) would cap the book at
    # about 200: the sandbox's admin route lifts it for this run.
    httpx.post(
        f"{info.market_url}/_admin/limits", json={"max_open_orders": 10_000}
    ).raise_for_status()

    def one() -> tuple[str, Wallet]:
        pool, key = pools[rng.randrange(len(pools))]
        order = WorkerpoolOrder(
            workerpool=pool,
            workerpoolprice=rng.randrange(50_000_000, 90_000_000),
            volume=rng.randint(1, 3),
            tag=ZERO_BYTES32,
            category=0,
            trust=0,
            apprestrict=ZERO_ADDRESS,
            datasetrestrict=ZERO_ADDRESS,
            requesterrestrict=ZERO_ADDRESS,
            salt=random_salt(),
        )
        signed = sign_order(network, order, key)
        wallet = Wallet(key, f"10.77.0.{pools.index((pool, key)) + 1}")
        again(partial(market.publish_workerpool, signed, wallet))
        return signed.order_hash, wallet

    listed = [one() for _ in range(book)]
    print("ready", flush=True)
    for line in sys.stdin:
        for _ in range(int(line)):
            i = rng.randrange(len(listed))
            order_hash, wallet = listed[i]
            again(partial(market.unpublish_workerpool, order_hash, wallet))
            listed[i] = one()
        print("ok", flush=True)


def on_sandbox(a: argparse.Namespace) -> None:
    """The service on its own sandbox, one cycle = one simulated minute (see the docstring)."""
    import subprocess
    import sys

    days, warmup_hours, trace_from_hours = a.days, a.warmup_hours, a.trace_from_hours
    seed, period = a.seed, float(a.reprice_seconds)
    from bot.app.service import build_runtime
    from bot.config.schema import load_config
    from bot.ops import build_ops
    from bot.sandbox.stack import read_info, spawn_detached, stop_detached

    cycles = [0]

    def cache_clock() -> float:
        return cycles[0] * period

    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        state = Path(tmp) / "sandbox"
        spawn_detached(state, seed=seed)
        try:
            info = read_info(state)
            child = None
            if a.book:
                child = subprocess.Popen(
                    [sys.executable, __file__, "--publisher", str(state), "--book", str(a.book)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                assert child.stdout is not None and child.stdin is not None
                if child.stdout.readline().strip() != "ready":
                    raise SystemExit("the publisher did not seed the book")
            os.environ.update(info.bot_env())
            cfg = load_config(state / "pricebot.toml")
            runtime = build_runtime(cfg, live=True, cache_clock=cache_clock)
            signer = runtime.ports.signer
            start = time.time()
            ops = build_ops(  # the ops hub as `pricebot run` has it (its server is not started)
                cfg,
                runtime.settings,
                journal_path=runtime.journal.path,
                clock=lambda: start + cache_clock(),  # its windows at the simulated pace too
                expected_owner=None if signer is None else signer.address,
            )
            service = PricebotService(runtime, seed=seed, ops=ops)
            service.reconcile()  # as start() does before scheduling the jobs
            total = int(days * 86_400 / period)
            per_hour = int(HOUR / period)
            samples: list[tuple[float, float]] = []
            traced: tracemalloc.Snapshot | None = None
            wall0, cpu0 = time.monotonic(), time.process_time()
            failures = 0
            for k in range(total + 1):
                if k % per_hour == 0:
                    gc.collect()
                    hours = k / per_hour
                    samples.append((hours, rss_mib()))
                    book = len(service._latest.book) if service._latest else 0
                    print(
                        f"  {hours:5.1f} h  RSS {samples[-1][1]:6.1f} MiB  ticks {service.ticks}"
                        f"  book {book}  wall {time.monotonic() - wall0:6.0f} s"
                        f"  load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
                    if traced is None and hours >= trace_from_hours:
                        tracemalloc.start(10)
                        traced = tracemalloc.take_snapshot()
                if k == total:
                    break
                if child is not None and a.churn:
                    assert child.stdin is not None and child.stdout is not None
                    child.stdin.write(f"{a.churn}\n")
                    child.stdin.flush()
                    child.stdout.readline()
                try:
                    service.reprice_or_sample()
                    if (k + 1) * period % 300 < period:  # record / reconcile: every 300 s
                        service.record()
                        service.reconcile()
                    if (k + 1) * period % 86_400 < period:
                        service.prune()
                except Exception as exc:  # a failed tick is the service's to log; count it
                    failures += 1
                    print(f"  cycle {k}: {type(exc).__name__}: {exc}", flush=True)
                cycles[0] += 1
            gc.collect()
            steady = [(h, m) for h, m in samples if warmup_hours <= h <= trace_from_hours]
            traced_part = [(h, m) for h, m in samples if h > trace_from_hours]
            print(
                f"sandbox seed {seed}, +{a.book} orders, churn {a.churn}/cycle,"
                f" {days:g} simulated days by cycles ({total} cycles of"
                f" {period:g} s), {service.ticks} ticks, {failures} failed;"
                f" wall {time.monotonic() - wall0:.0f} s, CPU {time.process_time() - cpu0:.0f} s,"
                f" load {os.getloadavg()[0]:.2f}: RSS {samples[0][1]:.1f} -> {samples[-1][1]:.1f}"
                f" MiB; slope {warmup_hours:g}-{trace_from_hours:g} h (untraced)"
                f" {slope_per_day(steady):+.2f} MiB/day; after {trace_from_hours:g} h (traced)"
                f" {slope_per_day(traced_part):+.2f} MiB/day"
            )
            if traced is not None:
                top_growers(traced, tracemalloc.take_snapshot())
            runtime.close()
            if child is not None:
                assert child.stdin is not None
                child.stdin.close()
                child.wait(timeout=60)
        finally:
            stop_detached(state)


if __name__ == "__main__":
    main()
