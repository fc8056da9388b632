"""The ops server's own read-only connection to the journal.

Why its own connection: the service's journal serialises every statement under one lock, and
the server must never wait on the service. SQLite in WAL mode lets a reader see the last
committed state while the writer goes on; ``mode=ro`` makes sure the server can never write.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.domain.fill_orders import fill_record

__all__ = ["DaySummary", "DealTotals", "FillTotals", "JournalOrder", "JournalReader"]

_DEALS = """
    SELECT json_extract(d.value, '$.deal_id') AS deal,
           MIN(json_extract(d.value, '$.at')) AS at,
           MIN(json_extract(d.value, '$.category')) AS category,
           MIN(json_extract(d.value, '$.price')) AS price,
           MIN(json_extract(d.value, '$.volume')) AS volume
      FROM snapshots, json_each(snapshots.payload, '$.deals') AS d
  GROUP BY deal
"""
"""Our pool's deals over the whole journal: each recorded snapshot holds the deals of the
sampler's window, so one deal is in many snapshots; grouped by deal id, each counts once."""


@dataclass(frozen=True, slots=True)
class DealTotals:
    """Deals, tasks and revenue (price x volume, nRLC, before the scheduler's share)."""

    deals: int = 0
    tasks: int = 0
    revenue_nrlc: int = 0


@dataclass(frozen=True, slots=True)
class FillTotals:
    """Our confirmed fills (issue #15): matches, tasks, revenue (price x volume, nRLC) and the
    match gas the gas wallet paid. Their deals are among the deals too."""

    fills: int = 0
    tasks: int = 0
    revenue_nrlc: int = 0
    gas: int = 0


@dataclass(frozen=True, slots=True)
class JournalOrder:
    """One signed order as the journal holds it."""

    hash: str
    category: int
    price_nrlc: int
    volume: int
    signed_at: float
    journal_state: str
    updated_at: float


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One UTC day: its deals (from recorded snapshots) and the bot's actions."""

    day: str
    deals: int
    tasks: int
    revenue_nrlc: int
    actions: int
    failed: int


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

    def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._conn().execute(sql, args).fetchall())

    def orders_by_state(self) -> dict[str, int]:
        """How many signed orders the journal holds in each state."""
        return {
            str(s): _int(n)
            for s, n in self._rows("SELECT state, COUNT(*) FROM signed_orders GROUP BY state")
        }

    def actions_by_outcome(self) -> dict[tuple[str, str], int]:
        """How many actions of each kind ended with each outcome."""
        return {
            (str(k), str(o)): _int(n)
            for k, o, n in self._rows(
                "SELECT kind, outcome, COUNT(*) FROM actions GROUP BY kind, outcome"
            )
        }

    def decisions_count(self) -> int:
        return _int(self._rows("SELECT COUNT(*) FROM decisions")[0][0])

    def decisions(self, limit: int) -> list[tuple[float, dict[str, object]]]:
        """The ``limit`` most recent decisions, newest first."""
        rows = self._rows("SELECT at, payload FROM decisions ORDER BY id DESC LIMIT ?", (limit,))
        return [(_float(at), _object(payload)) for at, payload in rows]

    def deals_by_category(self) -> dict[int, DealTotals]:
        """Our pool's deals over the whole journal, per category."""
        rows = self._rows(
            f"SELECT category, COUNT(*), SUM(volume), SUM(price * volume) FROM ({_DEALS})"
            " GROUP BY category"
        )
        return {_int(c): DealTotals(_int(n), _int(t), _int(r)) for c, n, t, r in rows}

    def deals_by_day(self) -> dict[str, DealTotals]:
        """Our pool's deals over the whole journal, per UTC day (``YYYY-MM-DD``)."""
        rows = self._rows(
            "SELECT strftime('%Y-%m-%d', at, 'unixepoch'), COUNT(*), SUM(volume),"
            f" SUM(price * volume) FROM ({_DEALS}) GROUP BY 1 ORDER BY 1"
        )
        return {str(d): DealTotals(_int(n), _int(t), _int(r)) for d, n, t, r in rows}

    def fills_by_day(self) -> dict[str, FillTotals]:
        """Our confirmed fills per UTC day (``YYYY-MM-DD``), from the journalled fill actions."""
        rows = self._rows(
            "SELECT strftime('%Y-%m-%d', at, 'unixepoch'), detail FROM actions"
            " WHERE kind = 'fill' AND outcome = 'ok' ORDER BY id"
        )
        out: dict[str, FillTotals] = {}
        for day, detail in rows:
            record = fill_record(str(detail))
            if record is None:
                continue
            t = out.get(str(day), FillTotals())
            out[str(day)] = FillTotals(
                t.fills + 1,
                t.tasks + record.volume,
                t.revenue_nrlc + record.revenue_nrlc,
                t.gas + record.gas,
            )
        return out

    def deals_between(self, start: float, stop: float) -> DealTotals:
        """Our pool's deals made between two instants (the span a replay covers)."""
        rows = self._rows(
            f"SELECT COUNT(*), SUM(volume), SUM(price * volume) FROM ({_DEALS})"
            " WHERE at >= ? AND at <= ?",
            (start, stop),
        )
        n, t, r = rows[0]
        return DealTotals(_int(n), _int(t), _int(r))

    def snapshot_span(self) -> tuple[float, float, int] | None:
        """First and last recorded snapshot times and how many (None: none recorded)."""
        first, last, n = self._rows("SELECT MIN(at), MAX(at), COUNT(*) FROM snapshots")[0]
        if first is None or last is None:
            return None
        return _float(first), _float(last), _int(n)

    def actions_by_day(self) -> dict[str, tuple[int, int]]:
        """Per UTC day: actions journalled, and how many of them failed."""
        rows = self._rows(
            "SELECT strftime('%Y-%m-%d', at, 'unixepoch'), COUNT(*),"
            " COALESCE(SUM(outcome = 'failed'), 0) FROM actions GROUP BY 1"
        )
        return {str(d): (_int(n), _int(f)) for d, n, f in rows}

    def day_summary(self, day: str) -> DaySummary:
        """One UTC day's deals and actions (the daily summary alert)."""
        deals = self.deals_by_day().get(day, DealTotals())
        rows = self._rows(
            "SELECT COUNT(*), COALESCE(SUM(outcome = 'failed'), 0) FROM actions"
            " WHERE strftime('%Y-%m-%d', at, 'unixepoch') = ?",
            (day,),
        )
        actions, failed = rows[0]
        return DaySummary(
            day, deals.deals, deals.tasks, deals.revenue_nrlc, _int(actions), _int(failed)
        )

    def orders(self, limit: int = 200) -> list[JournalOrder]:
        """Our signed orders, newest first, with the journal's state."""
        rows = self._rows(
            "SELECT order_hash, category, price, volume, signed_at, state, updated_at"
            " FROM signed_orders ORDER BY signed_at DESC LIMIT ?",
            (limit,),
        )
        return [
            JournalOrder(str(h), _int(c), _int(p), _int(v), _float(s), str(st), _float(u))
            for h, c, p, v, s, st, u in rows
        ]


def _int(value: object) -> int:
    """An SQLite integer (SUM over no rows is NULL: 0)."""
    if value is None:
        return 0
    if isinstance(value, int | float | str):
        return int(value)
    raise TypeError(f"not a number in the journal: {type(value).__name__}")


def _float(value: object) -> float:
    if isinstance(value, int | float | str):
        return float(value)
    raise TypeError(f"not a number in the journal: {type(value).__name__}")


def _object(payload: object) -> dict[str, object]:
    data = json.loads(str(payload))
    return data if isinstance(data, dict) else {}
