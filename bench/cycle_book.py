"""Bot CPU per tick spent reading the competing book, against the local marketplace (issue #20).

Usage::

    .venv/bin/python bench/cycle_book.py [--per-offer 100] [--offers 5] [--ticks 30]
    # instructions per tick: two runs under callgrind, the difference divided by the extra ticks
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        .venv/bin/python bench/cycle_book.py --ticks 5 --quiet     # then --ticks 15
    # the client's memory under a moving book: K orders replaced before each tick
    .venv/bin/python bench/cycle_book.py --churn 5 --ticks 3000 --rss-every 250 --tick-seconds 60
    # a whole tick (bot.engine.cycle.Cycle.tick: sampling, strategy, rails, planner, dry-run
    # executor) instead of the book reads alone; with the compiled hot path:
    .venv/bin/python bench/cycle_book.py --cycle --ticks 20
    PYTHONPATH=/tmp/compiled:$PWD .venv/bin/python bench/cycle_book.py --cycle --ticks 20

The book is seeded straight into the local marketplace's store (``bot.sandbox.market_server``),
which serves it on loopback from a child process, so the server's CPU is not the bot's (and
callgrind, which does not follow children, counts the bot alone). ``--offers`` offers in as many
categories each face ``--per-offer`` competing orders, signed with anvil's well-known test keys
for a fixed hub; the bot's client checks every order's hash and signature
(``BookSignatureCheck``) as the service does. The marketplace's chain is a stand-in answering
the start-up reads with an empty chain (no events): nothing here needs anvil.

One tick = what ``bot.engine.samplers.sample_snapshot`` asks of the book: one query per offer's
(category, tag) slot, plus our own workerpool's orders. The first tick (signatures recovered)
is reported apart; the figure is the CPU (``time.process_time``) of the bot process per later
tick, over an unchanged book (the steady state between two competitor moves).

``--cycle``: one tick is a whole ``Cycle.tick`` in dry-run (nothing written) with the
``stationary`` scenario's five offers (categories 0-4) and ``--strategy``, the market read by the
same real client, the chain, pool metrics and task feed from the simulator's ports (their reads
are in-process stand-ins; the book is what grows). This is the tick the compiled hot path
(bench/compile_hot_path.py) compiles: samplers, snapshot, ledger, rails, planner, executor,
cycle and the model.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.adapters.book_cache import ParsedBook
from bot.adapters.book_signatures import BookSignatureCheck
from bot.adapters.market_api import MarketApiClient
from bot.adapters.rate_budget import RateBudget
from bot.domain.model import ZERO_ADDRESS, ZERO_BYTES32, SignedWorkerpoolOrder, WorkerpoolOrder
from bot.domain.networks import local_network
from bot.domain.signing import address_of, sign_order
from bot.engine.ports import BookQuery
from bot.sandbox.anvil import ANVIL_KEYS

ROOT = Path(__file__).resolve().parents[1]
CHAIN_ID = 65535
HUB = "0x3eca1b216a7df1c7689aeb259ffb83adfb894e7f"
OUR_POOL = "0x" + "11" * 20
COMPETITOR_KEYS = ANVIL_KEYS[2:7]


def _pool(i: int) -> str:
    return f"0x{0xC0 + i:02x}" + "00" * 18 + f"{i:02x}"


@dataclass(frozen=True, slots=True)
class _Owners:
    """The chain reads ``BookSignatureCheck`` makes: every competitor pool is registered and owned
    by the EOA that signed its orders (pool i <-> key i % 5)."""

    def owner(self, workerpool: str) -> str:
        i = int(workerpool[-2:], 16)
        return address_of(COMPETITOR_KEYS[i % len(COMPETITOR_KEYS)]).lower()

    def is_contract(self, address: str) -> bool:
        return False

    def workerpool_registered(self, workerpool: str) -> bool:
        return True

    def presigned(self, order_hash: str) -> str:
        return ZERO_ADDRESS

    def is_valid_signature(self, account: str, digest: str, signature: str) -> bool:
        return False


def competing_order(category: int, j: int, generation: int = 0) -> SignedWorkerpoolOrder:
    """Competing order ``j`` of ``category`` (``generation`` > 0: its replacement after moves)."""
    pool = j % 20
    order = WorkerpoolOrder(
        workerpool=_pool(pool),
        workerpoolprice=1_000 + 7 * j + category + 3 * generation,
        volume=1 + j % 9,
        tag=ZERO_BYTES32,
        category=category,
        trust=0,
        apprestrict=ZERO_ADDRESS,
        datasetrestrict=ZERO_ADDRESS,
        requesterrestrict=ZERO_ADDRESS,
        salt="0x" + f"{generation:08x}{category:08x}{j:048x}",
    )
    return sign_order(
        local_network(CHAIN_ID, HUB), order, COMPETITOR_KEYS[pool % len(COMPETITOR_KEYS)]
    )


def seeded_orders(offers: int, per_offer: int) -> list[SignedWorkerpoolOrder]:
    """``per_offer`` competing orders in each category 0..offers-1, from 20 pools, fixed salts."""
    return [competing_order(c, j) for c in range(offers) for j in range(per_offer)]


def serve(offers: int, per_offer: int) -> None:
    """Child process: the local marketplace with the book in its store, until stdin closes."""
    from eth_utils.address import to_checksum_address

    from bot.sandbox.market_server import MarketServer, MarketServerConfig
    from bot.sandbox.market_server._hashing import Domain
    from bot.sandbox.market_server._storage import OrderRecord

    class EmptyChain:
        """An empty chain with the hub's domain: the watcher indexes nothing."""

        def domain(self) -> Domain:
            return Domain("iExecODB", "5.0.0", CHAIN_ID, HUB)

        def block_number(self) -> int:
            return 0

        def block_hash(self, block: int) -> str:
            return "0x" + "00" * 32

        def events(self, from_block: int, to_block: int) -> list[Any]:
            return []

    config = MarketServerConfig(
        chain_id=CHAIN_ID, rpc_url="http://127.0.0.1:1", hub=HUB, rate_limit_max=1_000_000
    )
    server = MarketServer(config, chain=EmptyChain())  # type: ignore[arg-type]

    def save(signed: SignedWorkerpoolOrder, now: float) -> None:
        body: dict[str, Any] = {**signed.order.fields(), "sign": signed.sign}
        server.storage.save_order(
            OrderRecord(
                kind="workerpoolorder",
                order_hash=signed.order_hash,
                order=body,
                signer=to_checksum_address(_Owners().owner(signed.order.workerpool)),
                status="open",
                remaining=signed.order.volume,
                published_at=now,
                published_iso=datetime.fromtimestamp(now, UTC)
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
            )
        )

    book = seeded_orders(offers, per_offer)
    for signed in book:
        save(signed, time.time() - 60)
    rng = random.Random(1)
    generation = 0
    with server:
        print(server.url, flush=True)
        for line in sys.stdin:  # "K": K competitors replace one order each (a move)
            for _ in range(int(line)):
                generation += 1
                i = rng.randrange(len(book))
                old = book[i]
                server.storage.delete_orders("workerpoolorder", [old.order_hash])
                book[i] = competing_order(old.order.category, i % per_offer, generation)
                save(book[i], time.time() - 1)
            print("ok", flush=True)


def whole_tick(client: MarketApiClient, strategy: str) -> Callable[[], int]:
    """A dry-run ``Cycle`` over ``stationary``'s five offers whose market is ``client``; each
    call runs one tick and returns the number of competing orders the snapshot held."""
    from dataclasses import replace

    from bot.backtest import prepare_scenario
    from bot.backtest.engine import bot_config, intents_for, sim_ports, simulated_settings
    from bot.config.settings import strategy_of
    from bot.engine.cycle import Cycle
    from bot.sim.market_sim import MarketSim

    scenario = prepare_scenario(ROOT / "config" / "scenarios" / "stationary.toml", 1.0)
    sim = MarketSim(scenario, 1, intents=intents_for(scenario, 1))
    cfg = bot_config(scenario, strategy=strategy)
    settings = replace(simulated_settings(cfg), live=False)  # dry-run: the plan, no writes
    ports = replace(sim_ports(sim), market=client)
    cycle = Cycle(ports, settings, strategy_of(cfg), rng=random.Random(1))

    def run() -> int:
        return len(cycle.tick().snapshot.book)

    return run


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--offers", type=int, default=5)
    p.add_argument("--per-offer", type=int, default=100, help="competing orders per offer")
    p.add_argument("--ticks", type=int, default=30)
    p.add_argument("--quiet", action="store_true", help="print the figure line only")
    p.add_argument("--churn", type=int, default=0, help="orders replaced before each tick")
    p.add_argument("--rss-every", type=int, default=0, help="print RSS every N ticks")
    p.add_argument(
        "--tick-seconds", type=float, default=0.0, help="simulated seconds per tick for the caches"
    )
    p.add_argument("--cycle", action="store_true", help="a whole dry-run Cycle.tick per tick")
    p.add_argument("--strategy", default="competitive", help="with --cycle: the strategy")
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.serve:
        serve(a.offers, a.per_offer)
        return
    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--offers",
            str(a.offers),
            "--per-offer",
            str(a.per_offer),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url:
            raise SystemExit("the marketplace did not start")
        ticks_done = [0]

        def clock() -> float:  # --tick-seconds: the caches' clock runs at one period per tick
            return ticks_done[0] * a.tick_seconds if a.tick_seconds else time.monotonic()

        client = MarketApiClient(
            url,
            CHAIN_ID,
            hub=HUB,
            budget=RateBudget(per_minute=1e9, burst=1_000_000),
            page_size=1000,
            check_signature=BookSignatureCheck(_Owners(), clock=clock),
            parsed_book=ParsedBook(clock=clock),
        )
        queries = [BookQuery(category=c, min_tag=0) for c in range(a.offers)]
        own = BookQuery(workerpool=OUR_POOL)

        read = whole_tick(client, a.strategy) if a.cycle else None

        def tick() -> int:
            if a.churn:
                assert child.stdin is not None and child.stdout is not None
                child.stdin.write(f"{a.churn}\n")
                child.stdin.flush()
                child.stdout.readline()
            if read is not None:
                n = read()
            else:
                n = sum(len(client.workerpool_orders(q)) for q in queries)
                client.workerpool_orders(own)
            ticks_done[0] += 1
            return n

        t0 = time.process_time()
        seen = tick()
        first = time.process_time() - t0
        t0 = time.process_time()
        rss: list[tuple[int, float]] = []
        for i in range(a.ticks):
            tick()
            if a.rss_every and (i + 1) % a.rss_every == 0:
                rss.append((i + 1, _rss_mib()))
                print(f"  tick {i + 1}: RSS {rss[-1][1]:.1f} MiB", flush=True)
        per_tick = (time.process_time() - t0) / max(1, a.ticks)
        load = os.getloadavg()[0]
        line = (
            f"{a.offers} offers x {a.per_offer} competing orders ({seen} listed): "
            f"{1000 * per_tick:.1f} ms CPU per tick over {a.ticks} ticks "
            f"(first tick {1000 * first:.1f} ms); {client.stats.requests} requests; "
            f"load {load:.2f}"
        )
        print(line)
        if len(rss) >= 3:
            (t0_, m0), (t1_, m1) = rss[1], rss[-1]  # the first sample is the warm-up
            print(
                f"  RSS {m0:.1f} -> {m1:.1f} MiB from tick {t0_} to {t1_}: "
                f"{1000 * (m1 - m0) / (t1_ - t0_):+.2f} MiB per 1,000 ticks"
            )
        if not a.quiet:
            print(f"  {client.stats.requests / (a.ticks + 1):.1f} requests per tick")
        client.close()
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
