"""The journal's growth per day from recorded snapshots, full rows vs changes (issue #20).

Usage::

    .venv/bin/python bench/journal_growth.py [--orders 500] [--record-seconds 300] \
        [--churn 0.05] [--fills 0.02] [--seed 1]

Writes one simulated day of snapshots (``86400 / record_seconds`` rows) into a fresh
``SqliteJournal`` twice: every row full (what schema version 2 stored) and as the journal now
stores them (``bot.adapters.journal_snapshots``), and prints the file's growth (SQLite pages,
WAL checkpointed) per day. The book is ``--orders`` competing orders shaped as the sampler
records them (``bot.engine.snapshot_codec``), plus 20 requests and 5 deals; between two rows a
fraction ``--churn`` of the orders is replaced by new ones at new prices (competitors repricing)
and a fraction ``--fills`` has its ``remaining`` lowered. The churn rates are assumptions, not
measurements of a real market: run with ``--churn 0`` and ``--churn 1`` for the two bounds.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path
from typing import Any

import bot.adapters.journal as journal_module
from bot.domain.model import BookEntry, Deal, RequestOrderView
from bot.engine.snapshot_codec import to_jsonable

DAY = 86_400


def _hex(rng: random.Random, nbytes: int) -> str:
    return "0x" + rng.randbytes(nbytes).hex()


def _order(rng: random.Random, at: float) -> BookEntry:
    pool = _hex(rng, 20)
    return BookEntry(
        order_hash=_hex(rng, 32),
        workerpool=pool,
        owner=_hex(rng, 20),
        price=rng.randrange(1_000, 10**9),
        volume=(volume := rng.randrange(1, 100)),
        remaining=volume,
        category=rng.randrange(5),
        tag=0,
        trust=0,
        published_at=at,
    )


def _request(rng: random.Random, at: float) -> RequestOrderView:
    return RequestOrderView(
        order_hash=_hex(rng, 32),
        requester=_hex(rng, 20),
        app=_hex(rng, 20),
        dataset="0x" + "00" * 20,
        workerpool="0x" + "00" * 20,
        workerpoolmaxprice=rng.randrange(10**9),
        volume=3,
        remaining=3,
        category=0,
        tag=0,
        trust=0,
        published_at=at,
    )


def day_of_payloads(
    orders: int, record_seconds: float, churn: float, fills: float, seed: int
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    book = [_order(rng, 0.0) for _ in range(orders)]
    requests = [_request(rng, 0.0) for _ in range(20)]
    deals = [
        Deal(
            _hex(rng, 32), _hex(rng, 20), 1_000, 1, 0, 0, 0, float(i), _hex(rng, 20), _hex(rng, 20)
        )
        for i in range(5)
    ]
    out = []
    rows = int(DAY / record_seconds)
    for i in range(rows):
        at = i * record_seconds
        for j in range(len(book)):
            r = rng.random()
            if r < churn:
                book[j] = _order(rng, at)
            elif r < churn + fills and book[j].remaining > 1:
                e = book[j]
                book[j] = BookEntry(**{**to_jsonable(e), "remaining": e.remaining - 1})
        book.sort(key=lambda e: (e.category, e.price, e.published_at, e.order_hash))
        out.append(
            {
                "v": 1,
                "at": at,
                "workerpool": "0x" + "11" * 20,
                "ages": {"book": 0.4, "requests": 0.5, "deals": 0.5},
                "stale": [],
                "utilization": None,
                "stake": {"free": 10**12, "locked": 0},
                "book": [to_jsonable(e) for e in book],
                "requests": [to_jsonable(r) for r in requests],
                "deals": [to_jsonable(d) for d in deals],
                "own_orders": [],
            }
        )
    return out


def bytes_written(payloads: list[dict[str, Any]], *, full: bool) -> int:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "j.sqlite"
        saved = journal_module.FULL_EVERY
        journal_module.FULL_EVERY = 1 if full else saved  # 1: every row full
        try:
            j = journal_module.SqliteJournal(path)
            empty = path.stat().st_size
            for p in payloads:
                j.record_snapshot(p["at"], p)
            assert list(j.snapshots()) == [(p["at"], p) for p in payloads]
            j.close()
        finally:
            journal_module.FULL_EVERY = saved
        return path.stat().st_size - empty


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--orders", type=int, default=500)
    p.add_argument("--record-seconds", type=float, default=300.0)
    p.add_argument("--churn", type=float, default=0.05)
    p.add_argument("--fills", type=float, default=0.02)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    payloads = day_of_payloads(a.orders, a.record_seconds, a.churn, a.fills, a.seed)
    full = bytes_written(payloads, full=True)
    delta = bytes_written(payloads, full=False)
    mb = 1e6
    print(
        f"{a.orders} orders, a row every {a.record_seconds:g} s ({len(payloads)} rows/day), "
        f"churn {a.churn:g}, fills {a.fills:g}, seed {a.seed}: "
        f"full rows {full / mb:.2f} MB/day ({full / len(payloads) / 1e3:.1f} kB/row), "
        f"changes {delta / mb:.2f} MB/day ({delta / len(payloads) / 1e3:.1f} kB/row), "
        f"x{full / max(1, delta):.1f}"
    )


if __name__ == "__main__":
    main()
