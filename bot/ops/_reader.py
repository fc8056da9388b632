"""The ops server's own read-only connection to the journal.

Why its own connection: the service's journal serialises every statement under one lock, and
the server must never wait on the service. SQLite in WAL mode lets a reader see the last
committed state while the writer goes on; ``mode=ro`` makes sure the server can never write.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

__all__ = ["JournalReader"]


class JournalReader:
    """A few aggregate reads over the journal (counts, recent decisions), never a write."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()  # the server answers from a thread pool
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=5.0)
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._conn().execute(sql, args).fetchall())

    def orders_by_state(self) -> dict[str, int]:
        """How many signed orders the journal holds in each state."""
        return {
            str(s): int(n)
            for s, n in self._rows("SELECT state, COUNT(*) FROM signed_orders GROUP BY state")
        }

    def actions_by_outcome(self) -> dict[tuple[str, str], int]:
        """How many actions of each kind ended with each outcome."""
        return {
            (str(k), str(o)): int(n)
            for k, o, n in self._rows(
                "SELECT kind, outcome, COUNT(*) FROM actions GROUP BY kind, outcome"
            )
        }

    def decisions_count(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM decisions")[0][0])

    def decisions(self, limit: int) -> list[tuple[float, dict[str, Any]]]:
        """The ``limit`` most recent decisions, newest first."""
        rows = self._rows("SELECT at, payload FROM decisions ORDER BY id DESC LIMIT ?", (limit,))
        return [(float(at), json.loads(payload)) for at, payload in rows]

    def orders(self, limit: int = 200) -> list[dict[str, Any]]:
        """Our signed orders, newest first, with the journal's state."""
        rows = self._rows(
            "SELECT order_hash, category, price, volume, signed_at, state, updated_at"
            " FROM signed_orders ORDER BY signed_at DESC LIMIT ?",
            (limit,),
        )
        return [
            {
                "hash": h,
                "category": int(c),
                "price_nrlc": int(p),
                "volume": int(v),
                "signed_at": float(s),
                "journal_state": str(st),
                "updated_at": float(u),
            }
            for h, c, p, v, s, st, u in rows
        ]
