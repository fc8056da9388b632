"""SQLite storage: orders, challenges, deals, categories and the watcher's checkpoint.

Upstream keeps one MongoDB database per chain; one server here serves one chain, so one SQLite
file (or ``:memory:``) is that database. Every order kind shares one table: the columns are the
fields the API filters and sorts on, and ``body`` keeps the order exactly as it is returned.
Addresses are stored lower-case for comparison and returned checksummed from ``body``.
``posted`` keeps every order ever accepted, even after its unpublish deleted it from ``orders``:
a signed order stays matchable on chain whether or not it is listed, so an outside checker
(``bot.sandbox.checker``) must be able to find every one a client ever posted. One
connection guarded by a lock serves the HTTP worker threads and the watcher thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ._validate import OrderKind

__all__ = ["OrderRecord", "Storage", "tag_matches"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    kind TEXT NOT NULL,
    order_hash TEXT NOT NULL,
    signer TEXT NOT NULL,
    signer_cs TEXT NOT NULL,
    status TEXT NOT NULL,
    remaining INTEGER NOT NULL,
    published_at REAL NOT NULL,
    published_iso TEXT NOT NULL,
    price INTEGER NOT NULL,
    volume INTEGER NOT NULL,
    category INTEGER,
    trust INTEGER,
    tag TEXT NOT NULL,
    workerpool TEXT,
    app TEXT,
    dataset TEXT,
    requester TEXT,
    beneficiary TEXT,
    apprestrict TEXT,
    datasetrestrict TEXT,
    workerpoolrestrict TEXT,
    requesterrestrict TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, order_hash)
);
CREATE INDEX IF NOT EXISTS orders_book ON orders (kind, status, price, published_at);
CREATE INDEX IF NOT EXISTS orders_signer ON orders (kind, signer, status);
CREATE TABLE IF NOT EXISTS challenges (
    address TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deals (
    dealid TEXT PRIMARY KEY,
    block_number INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    category INTEGER NOT NULL,
    requester TEXT, beneficiary TEXT, app TEXT, dataset TEXT, workerpool TEXT,
    app_owner TEXT, dataset_owner TEXT, workerpool_owner TEXT,
    app_hash TEXT, dataset_hash TEXT, workerpool_hash TEXT, request_hash TEXT,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS categories (
    catid INTEGER PRIMARY KEY,
    work_clock_time_ref INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS posted (
    kind TEXT NOT NULL,
    order_hash TEXT NOT NULL,
    workerpool TEXT,
    first_at REAL NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, order_hash)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_ADDRESS_COLUMNS = (
    "workerpool",
    "app",
    "dataset",
    "requester",
    "beneficiary",
    "apprestrict",
    "datasetrestrict",
    "workerpoolrestrict",
    "requesterrestrict",
)
_PRICE_FIELD: dict[str, str] = {
    "workerpoolorder": "workerpoolprice",
    "requestorder": "workerpoolmaxprice",
    "apporder": "appprice",
    "datasetorder": "datasetprice",
}


def tag_matches(tag: str, min_tag: str | None, max_tag: str | None) -> bool:
    """minTag: every bit of it is set; maxTag: no bit outside it (upstream tag clauses)."""
    value = int(tag, 16)
    if min_tag is not None:
        low = int(min_tag, 16)
        if value & low != low:
            return False
    if max_tag is not None:
        high = int(max_tag, 16)
        if value & ~high:
            return False
    return True


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """A stored order: what ``GET /<kind>s/:hash`` returns, plus its kind."""

    kind: OrderKind
    order_hash: str
    order: dict[str, Any]
    signer: str  # checksummed
    status: str
    remaining: int
    published_at: float
    published_iso: str

    def to_json(self, chain_id: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "orderHash": self.order_hash,
            "order": self.order,
            "remaining": self.remaining,
            "status": self.status,
            "publicationTimestamp": self.published_iso,
            "signer": self.signer,
        }
        if chain_id is not None:
            out["chainId"] = chain_id
        return out


class Storage:
    def __init__(self, path: str = ":memory:") -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.create_function("tag_ok", 3, tag_matches, deterministic=True)
        self._lock = threading.RLock()
        with self._lock:
            self._conn.executescript(_SCHEMA)
            if path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def clear(self) -> None:
        """Forget everything (a fresh database without reopening it)."""
        with self._lock:
            for table in ("orders", "posted", "challenges", "deals", "categories", "meta"):
                self._conn.execute(f"DELETE FROM {table}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock across a read-check-write so two writers cannot interleave."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            yield

    # --- challenges ---------------------------------------------------------------------------

    def challenge_for(self, address: str) -> tuple[str, str] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT hash, value FROM challenges WHERE address = ?", (address.lower(),)
            ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def save_challenge(self, address: str, hash_: str, value: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO challenges (address, hash, value) VALUES (?, ?, ?)",
                (address.lower(), hash_, value),
            )

    def delete_challenge(self, address: str, hash_: str) -> bool:
        with self._lock:
            cur = self._conn.execute(
                "DELETE FROM challenges WHERE address = ? AND hash = ?",
                (address.lower(), hash_.lower()),
            )
            return cur.rowcount == 1

    # --- orders -------------------------------------------------------------------------------

    @staticmethod
    def _record(row: Sequence[Any]) -> OrderRecord:
        kind, order_hash, signer_cs, status, remaining, published_at, published_iso, body = row
        return OrderRecord(
            kind=kind,
            order_hash=order_hash,
            order=json.loads(body),
            signer=signer_cs,
            status=status,
            remaining=int(remaining),
            published_at=float(published_at),
            published_iso=published_iso,
        )

    _COLS = "kind, order_hash, signer_cs, status, remaining, published_at, published_iso, body"

    def get_order(self, kind: str, order_hash: str) -> OrderRecord | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {self._COLS} FROM orders WHERE kind = ? AND order_hash = ?",
                (kind, order_hash.lower()),
            ).fetchone()
        return None if row is None else self._record(row)

    def find_by_hash(self, order_hash: str) -> list[OrderRecord]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {self._COLS} FROM orders WHERE order_hash = ?", (order_hash.lower(),)
            ).fetchall()
        return [self._record(r) for r in rows]

    def save_order(self, rec: OrderRecord) -> None:
        o = rec.order
        cols: dict[str, Any] = {
            "kind": rec.kind,
            "order_hash": rec.order_hash.lower(),
            "signer": rec.signer.lower(),
            "signer_cs": rec.signer,
            "status": rec.status,
            "remaining": rec.remaining,
            "published_at": rec.published_at,
            "published_iso": rec.published_iso,
            "price": int(o[_PRICE_FIELD[rec.kind]]),
            "volume": int(o["volume"]),
            "category": o.get("category"),
            "trust": o.get("trust"),
            "tag": o["tag"],
            "body": json.dumps(o),
        }
        for name in _ADDRESS_COLUMNS:
            value = o.get(name)
            cols[name] = value.lower() if isinstance(value, str) else None
        names = ", ".join(cols)
        marks = ", ".join("?" for _ in cols)
        with self._lock:
            self._conn.execute(
                f"INSERT OR REPLACE INTO orders ({names}) VALUES ({marks})", tuple(cols.values())
            )
            self._conn.execute(
                "INSERT OR IGNORE INTO posted (kind, order_hash, workerpool, first_at, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (rec.kind, cols["order_hash"], cols["workerpool"], rec.published_at, cols["body"]),
            )

    def update_order(
        self, kind: str, order_hash: str, *, status: str | None = None, remaining: int | None = None
    ) -> None:
        sets: list[str] = []
        params: list[Any] = []
        if status is not None:
            sets.append("status = ?")
            params.append(status)
        if remaining is not None:
            sets.append("remaining = ?")
            params.append(remaining)
        if not sets:
            return
        with self._lock:
            self._conn.execute(
                f"UPDATE orders SET {', '.join(sets)} WHERE kind = ? AND order_hash = ?",
                (*params, kind, order_hash.lower()),
            )

    def delete_orders(self, kind: str, hashes: Sequence[str]) -> None:
        with self._lock:
            self._conn.executemany(
                "DELETE FROM orders WHERE kind = ? AND order_hash = ?",
                [(kind, h.lower()) for h in hashes],
            )

    def count_open_by_signer(self, kind: str, signer: str) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM orders WHERE kind = ? AND signer = ? AND status = 'open'",
                (kind, signer.lower()),
            ).fetchone()
        return int(row[0])

    def find_orders(
        self,
        kind: str,
        clauses: Sequence[tuple[str, Sequence[Any]]],
        order_by: str,
        skip: int = 0,
        limit: int | None = None,
    ) -> tuple[list[OrderRecord], int]:
        """Orders of ``kind`` matching every ``(sql, params)`` clause, and the total count."""
        where = " AND ".join(["kind = ?", *(c for c, _ in clauses)])
        params: list[Any] = [kind]
        for _, p in clauses:
            params.extend(p)
        with self._lock:
            count = int(
                self._conn.execute(f"SELECT COUNT(*) FROM orders WHERE {where}", params).fetchone()[
                    0
                ]
            )
            sql = f"SELECT {self._COLS} FROM orders WHERE {where} ORDER BY {order_by}"
            page_params = list(params)
            if limit is not None:
                sql += " LIMIT ? OFFSET ?"
                page_params += [limit, skip]
            rows = self._conn.execute(sql, page_params).fetchall()
        return [self._record(r) for r in rows], count

    # --- deals and categories -------------------------------------------------------------------

    def save_deal(self, body: dict[str, Any], log_index: int) -> None:
        def low(value: Any) -> str | None:
            return value.lower() if isinstance(value, str) else None

        cols = {
            "dealid": body["dealid"],
            "block_number": body["blockNumber"],
            "log_index": log_index,
            "category": body["category"],
            "requester": low(body["requester"]),
            "beneficiary": low(body["beneficiary"]),
            "app": low(body["app"]["pointer"]),
            "dataset": low(body["dataset"]["pointer"]),
            "workerpool": low(body["workerpool"]["pointer"]),
            "app_owner": low(body["app"]["owner"]),
            "dataset_owner": low(body["dataset"]["owner"]),
            "workerpool_owner": low(body["workerpool"]["owner"]),
            "app_hash": body["appHash"],
            "dataset_hash": body["datasetHash"],
            "workerpool_hash": body["workerpoolHash"],
            "request_hash": body["requestHash"],
            "body": json.dumps(body),
        }
        names = ", ".join(cols)
        marks = ", ".join("?" for _ in cols)
        with self._lock:
            self._conn.execute(
                f"INSERT OR REPLACE INTO deals ({names}) VALUES ({marks})", tuple(cols.values())
            )

    def get_deal(self, dealid: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT body FROM deals WHERE dealid = ?", (dealid.lower(),)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def find_deals(
        self, filters: dict[str, Any], skip: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        where = " AND ".join(["1 = 1", *(f"{col} = ?" for col in filters)])
        params = list(filters.values())
        with self._lock:
            count = int(
                self._conn.execute(f"SELECT COUNT(*) FROM deals WHERE {where}", params).fetchone()[
                    0
                ]
            )
            rows = self._conn.execute(
                f"SELECT body FROM deals WHERE {where} "
                "ORDER BY block_number DESC, log_index DESC LIMIT ? OFFSET ?",
                [*params, limit, skip],
            ).fetchall()
        return [json.loads(r[0]) for r in rows], count

    def save_category(self, body: dict[str, Any]) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO categories (catid, work_clock_time_ref, body) "
                "VALUES (?, ?, ?)",
                (body["catid"], body["workClockTimeRef"], json.dumps(body)),
            )

    def find_categories(
        self, clauses: Sequence[tuple[str, Sequence[Any]]], skip: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        where = " AND ".join(["1 = 1", *(c for c, _ in clauses)])
        params: list[Any] = []
        for _, p in clauses:
            params.extend(p)
        with self._lock:
            count = int(
                self._conn.execute(
                    f"SELECT COUNT(*) FROM categories WHERE {where}", params
                ).fetchone()[0]
            )
            rows = self._conn.execute(
                f"SELECT body FROM categories WHERE {where} "
                "ORDER BY work_clock_time_ref ASC, catid ASC LIMIT ? OFFSET ?",
                [*params, limit, skip],
            ).fetchall()
        return [json.loads(r[0]) for r in rows], count

    # --- watcher checkpoint ---------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value)
            )
