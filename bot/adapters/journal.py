"""The bot's memory: an append-only SQLite journal, and a cheap in-memory twin for backtests.

Why a journal at all: a signed order is a bearer instrument. Once signed it can be matched on chain
until it is closed, whether or not the marketplace lists it, so every signed order is written here
*before* its first publish attempt; reconcile then compares this file with the marketplace and the
chain after a crash or restart. The journal also keeps every action with its outcome, every
decision with its reasons, the strategy's state (restored on restart) and snapshots (the source of
replay backtests, read with :func:`iter_snapshots`).

Dry-run and live never share a file (:func:`journal_path`): a dry run must not make reconcile
believe an order was published.

Schema versioning: ``MIGRATIONS`` is an ordered list of SQL scripts; ``PRAGMA user_version`` is the
number already applied. Opening a journal applies the missing ones in one transaction each.

Opening is check first, then write (:func:`check_journal_file`): an existing file is inspected
through a read-only connection (SQLite header, schema version, the journal's tables,
``PRAGMA quick_check``) before anything, even ``PRAGMA journal_mode=WAL``, may rewrite it. A file
that is empty (0 bytes), a directory, not SQLite, another application's database, truncated or
corrupt, or written by a newer bot (user_version > len(MIGRATIONS)) is refused with
:class:`JournalRefused` (a ``ConfigError``: exit 2) and left byte for byte as it was. An empty
file is never taken for a new journal: the journal is the only record of signed orders that are
unlisted but still valid on chain, so losing it must stop the bot, not start a blank one.

Snapshot JSON (one row per snapshot, column ``payload``): see ``bot.engine.snapshot_codec`` for the shape.
Since schema version 3 most rows hold only the changes of the book and the requests from the row
before (``bot.adapters.journal_snapshots``); read them with :meth:`SqliteJournal.snapshots` or
:func:`iter_snapshots`, which give every row whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.adapters.journal_snapshots import (
    FULL_EVERY,
    Lists,
    SnapshotChainBroken,
    decode_row,
    encode_delta,
    lists_of,
)
from bot.domain.errors import ConfigError, JournalUnwritable
from bot.domain.model import SignedWorkerpoolOrder
from bot.domain.order_io import order_from_payload
from bot.engine.ports import OrderRow, OrderState

__all__ = [
    "JOURNAL_TABLES",
    "MIGRATIONS",
    "ActionRow",
    "JournalRefused",
    "MemoryJournal",
    "OrderRow",
    "OrderState",
    "SqliteJournal",
    "check_journal_file",
    "iter_snapshots",
    "journal_path",
    "open_journal",
    "open_read_only",
]

MIGRATIONS: tuple[str, ...] = (
    # 1: the initial schema.
    """
    CREATE TABLE signed_orders (
        order_hash   TEXT PRIMARY KEY,
        payload      TEXT NOT NULL,
        category     INTEGER NOT NULL,
        price        INTEGER NOT NULL,
        volume       INTEGER NOT NULL,
        signed_at    REAL NOT NULL,
        state        TEXT NOT NULL DEFAULT 'signed',
        updated_at   REAL NOT NULL
    );
    CREATE TABLE actions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          REAL NOT NULL,
        kind        TEXT NOT NULL,
        order_hash  TEXT,
        outcome     TEXT NOT NULL,
        detail      TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE decisions (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        at       REAL NOT NULL,
        payload  TEXT NOT NULL
    );
    CREATE TABLE snapshots (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        at       REAL NOT NULL,
        payload  TEXT NOT NULL
    );
    CREATE TABLE strategy_state (
        id        INTEGER PRIMARY KEY CHECK (id = 1),
        saved_at  REAL NOT NULL,
        payload   TEXT NOT NULL
    );
    """,
    # 2: lookups reconcile and status do on every run.
    """
    CREATE INDEX actions_by_order ON actions(order_hash);
    CREATE INDEX orders_by_state ON signed_orders(state);
    CREATE INDEX snapshots_by_time ON snapshots(at);
    """,
    # 3: snapshots stored as the changes from the row before (bot.adapters.journal_snapshots);
    # NULL = a full row, as every row written before this version.
    """
    ALTER TABLE snapshots ADD COLUMN base_id INTEGER;
    """,
)

_OPEN_STATES = ("signed", "published", "unpublished")

# Every journal since schema version 1 has these tables; a database without them is not ours.
JOURNAL_TABLES = frozenset({"signed_orders", "actions", "decisions", "snapshots", "strategy_state"})
_SQLITE_HEADER = b"SQLite format 3\x00"
_HEADER_BYTES = 100  # the database header; page 1 is at least 512 bytes


class JournalRefused(ConfigError):
    """This file cannot be used as a journal as it is; it was left untouched."""


def _ro_uri(path: Path, *, inspect: bool = True) -> str:
    """A read-only SQLite URI for ``path`` (percent-encoded: ``?`` or ``#`` in names are safe).

    Without a ``-wal`` file beside it nobody has the database open in WAL mode, so it is read as
    immutable: SQLite then creates no ``-wal``/``-shm`` files next to a file it is only
    inspecting. With one (a running bot), the normal read-only mode reads through the WAL.
    ``inspect=False`` (a long read, which a bot starting meanwhile could overlap) never
    assumes immutability.
    """
    resolved = path.resolve()
    wal = resolved.with_name(resolved.name + "-wal")
    immutable = inspect and not wal.exists()
    return resolved.as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")


def check_journal_file(path: str | Path) -> int:
    """Inspect an existing journal without writing to it; return its schema version.

    Raises :class:`JournalRefused` naming the file and the rule when ``path`` is missing, a
    directory, empty, not an SQLite database, another application's database, truncated or
    corrupt (``PRAGMA quick_check``), or of a newer schema than this bot understands.
    """
    p = Path(path)
    where = f"journal {p}"
    if p.is_dir():
        raise JournalRefused(f"{where}: is a directory, not a journal file")
    try:
        size = p.stat().st_size
        with p.open("rb") as f:
            header = f.read(_HEADER_BYTES)
    except FileNotFoundError:
        raise JournalRefused(f"{where}: no such file") from None
    except OSError as exc:
        raise JournalRefused(f"{where}: cannot be read ({exc.strerror or exc})") from None
    if size == 0:
        raise JournalRefused(
            f"{where}: empty file (0 bytes) where a journal is expected; it may have held signed "
            "orders still valid on chain: restore it (pricebot journal restore) or move it "
            "away to start a new journal"
        )
    if not header.startswith(_SQLITE_HEADER):
        raise JournalRefused(f"{where}: not an SQLite database (no SQLite header)")
    if len(header) < _HEADER_BYTES:
        raise JournalRefused(f"{where}: truncated ({size} bytes, shorter than an SQLite header)")
    try:
        db = sqlite3.connect(_ro_uri(p), uri=True)
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            tables = {
                str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            } - {"sqlite_sequence"}
            problems = [
                " ".join(str(r[0]).split()) for r in db.execute("PRAGMA quick_check(3)").fetchall()
            ]
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise JournalRefused(f"{where}: corrupt or truncated SQLite database ({exc})") from None
    if version > len(MIGRATIONS):
        raise JournalRefused(
            f"{where}: schema version {version} is newer than this bot understands "
            f"({len(MIGRATIONS)}); upgrade the bot"
        )
    if (version == 0 and tables) or (version > 0 and not tables >= JOURNAL_TABLES):
        shown = ", ".join(sorted(tables)[:5]) or "none"
        raise JournalRefused(
            f"{where}: not a pricebot journal (another SQLite database; its tables: {shown})"
        )
    if problems != ["ok"]:
        raise JournalRefused(
            f"{where}: corrupt SQLite database (quick_check: {'; '.join(problems)[:300]})"
        )
    return version


def open_read_only(path: str | Path) -> sqlite3.Connection:
    """A checked (:func:`check_journal_file`), read-only connection to an existing journal:
    nothing done through it can change the file or create files beside it (backups)."""
    check_journal_file(path)
    return sqlite3.connect(_ro_uri(Path(path)), uri=True, timeout=30.0)


def journal_path(journal_dir: str | Path, *, live: bool) -> Path:
    """Live and dry-run journals are separate files in the same directory."""
    return Path(journal_dir) / ("journal-live.sqlite" if live else "journal-dryrun.sqlite")


@dataclass(frozen=True, slots=True)
class ActionRow:
    at: float
    kind: str
    order_hash: str | None
    outcome: str
    detail: str


def _create_empty(path: Path) -> None:
    """Create an empty SQLite database at ``path`` atomically (built aside, then renamed), so a
    crash never leaves a 0-byte file where a journal is expected (that file would be refused)."""
    partial = path.with_name(f".{path.name}.creating")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        db = sqlite3.connect(partial)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # writes the header: a valid, empty database
        finally:
            db.close()
        with partial.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(partial, path)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise JournalRefused(f"journal {path}: cannot be created ({reason})") from None


class SqliteJournal:
    """The durable journal. Thread-safe: one connection, every statement under one lock.

    Each write commits at once (autocommit per statement): a crash right after ``record_signed``
    must leave the order on disk, which is the whole point of journalling before publishing.
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        """Open (check, then migrate) the journal at ``path``; ``":memory:"`` for a throwaway.

        An existing file is checked read-only first (:func:`check_journal_file`). A missing one
        is created, unless ``create`` is false (commands that only read or tidy a journal).
        """
        self.path = Path(path)
        if str(path) != ":memory:":
            if self.path.exists() or self.path.is_symlink():
                check_journal_file(self.path)
            elif not create:
                raise JournalRefused(f"journal {self.path}: no such file")
            else:
                _create_empty(self.path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                str(path), check_same_thread=False, isolation_level=None, timeout=30.0
            )
        except sqlite3.Error as exc:
            raise JournalRefused(f"journal {self.path}: cannot be opened ({exc})") from None
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._migrate()
        # The last snapshot row this writer recorded (id, its delta fields) and how many deltas
        # followed the last full row: the next row is stored as changes from it.
        self._last_snapshot: tuple[int, Lists] | None = None
        self._deltas_since_full = 0

    def __repr__(self) -> str:
        return f"SqliteJournal({str(self.path)!r})"

    # -- schema -------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self._lock:
            current = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if current > len(MIGRATIONS):
                raise ConfigError(
                    f"journal {self.path}: schema version {current} is newer than this bot "
                    f"understands ({len(MIGRATIONS)}); upgrade the bot"
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                script = MIGRATIONS[version - 1]
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for statement in script.split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version = {version}")
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def backup_to(self, target: sqlite3.Connection) -> None:
        """Copy the whole journal into ``target`` with SQLite's online backup, between two
        writes of this process (other processes may keep reading and writing)."""
        with self._lock:
            self._db.backup(target)

    # -- bot.engine.ports.Journal ---------------------------------------------------------------------

    @property
    def persistent(self) -> bool:
        return True

    @contextlib.contextmanager
    def _writing(self, what: str) -> Iterator[sqlite3.Connection]:
        """The connection for one write, under the lock; a refused write is JournalUnwritable
        (a bot error the service reports), never a raw sqlite3 error crashing the job."""
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise JournalUnwritable(
                    f"journal {self.path}: cannot write ({what}: {exc}); nothing is published "
                    "until it can be journalled first"
                ) from exc

    def record_signed(self, signed: SignedWorkerpoolOrder, at: float = 0.0) -> None:
        order = signed.order
        payload = json.dumps(signed.to_json(), sort_keys=True)
        with self._writing("record_signed") as db:
            db.execute(
                "INSERT OR IGNORE INTO signed_orders"
                " (order_hash, payload, category, price, volume, signed_at, state, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'signed', ?)",
                (
                    signed.order_hash,
                    payload,
                    order.category,
                    order.workerpoolprice,
                    order.volume,
                    at,
                    at,
                ),
            )

    def record_action(
        self, at: float, kind: str, order_hash: str | None, outcome: str, detail: str = ""
    ) -> None:
        with self._writing("record_action") as db:
            db.execute(
                "INSERT INTO actions (at, kind, order_hash, outcome, detail) VALUES (?, ?, ?, ?, ?)",
                (at, kind, order_hash, outcome, detail),
            )

    def record_decision(self, at: float, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, sort_keys=True, default=str)
        with self._writing("record_decision") as db:
            db.execute("INSERT INTO decisions (at, payload) VALUES (?, ?)", (at, text))

    def record_snapshot(self, at: float, payload: dict[str, Any]) -> None:
        with self._writing("record_snapshot") as db:
            last = self._last_snapshot
            stored: dict[str, Any] | None = None
            base: int | None = None
            if last is not None and self._deltas_since_full < FULL_EVERY - 1:
                stored = encode_delta(last[1], payload)
                base = None if stored is None else last[0]
            text = json.dumps(
                payload if stored is None else stored, sort_keys=True, separators=(",", ":")
            )
            cursor = db.execute(
                "INSERT INTO snapshots (at, payload, base_id) VALUES (?, ?, ?)", (at, text, base)
            )
            assert cursor.lastrowid is not None
            self._last_snapshot = (cursor.lastrowid, lists_of(payload))
            self._deltas_since_full = 0 if base is None else self._deltas_since_full + 1

    def signed_orders(self) -> list[SignedWorkerpoolOrder]:
        with self._lock:
            rows = self._db.execute(
                "SELECT payload FROM signed_orders ORDER BY signed_at, rowid"
            ).fetchall()
        return [order_from_payload(json.loads(r[0])) for r in rows]

    def load_strategy_state(self) -> Any:
        with self._lock:
            row = self._db.execute("SELECT payload FROM strategy_state WHERE id = 1").fetchone()
        return None if row is None else json.loads(row[0])

    def save_strategy_state(self, state: Any, at: float = 0.0) -> None:
        text = json.dumps(state, sort_keys=True)
        with self._writing("save_strategy_state") as db:
            db.execute(
                "INSERT INTO strategy_state (id, saved_at, payload) VALUES (1, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET saved_at = excluded.saved_at,"
                " payload = excluded.payload",
                (at, text),
            )

    # -- order lifecycle ---------------------------------------------------------------------------

    def set_order_state(self, order_hash: str, state: OrderState, at: float) -> None:
        with self._writing("set_order_state") as db:
            db.execute(
                "UPDATE signed_orders SET state = ?, updated_at = ? WHERE order_hash = ?",
                (state, at, order_hash),
            )

    def order_rows(self, *, open_only: bool = False) -> list[OrderRow]:
        sql = "SELECT payload, signed_at, state, updated_at FROM signed_orders"
        if open_only:
            sql += f" WHERE state IN ({','.join('?' * len(_OPEN_STATES))})"
        sql += " ORDER BY signed_at, rowid"
        with self._lock:
            rows = self._db.execute(sql, _OPEN_STATES if open_only else ()).fetchall()
        return [
            OrderRow(order_from_payload(json.loads(p)), float(s), st, float(u))
            for p, s, st, u in rows
        ]

    def order_state(self, order_hash: str) -> OrderState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT state FROM signed_orders WHERE order_hash = ?", (order_hash,)
            ).fetchone()
        return None if row is None else row[0]

    def actions(self, order_hash: str | None = None, limit: int = 1000) -> list[ActionRow]:
        with self._lock:
            if order_hash is None:
                rows = self._db.execute(
                    "SELECT at, kind, order_hash, outcome, detail FROM actions"
                    " ORDER BY id DESC LIMIT ?",
                    (limit,),
                ).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT at, kind, order_hash, outcome, detail FROM actions"
                    " WHERE order_hash = ? ORDER BY id DESC LIMIT ?",
                    (order_hash, limit),
                ).fetchall()
        return [ActionRow(*r) for r in reversed(rows)]

    def action_details(self, kind: str, since: float) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT detail FROM actions WHERE kind = ? AND outcome = 'ok' AND at >= ?"
                " ORDER BY id",
                (kind, since),
            ).fetchall()
        return [r[0] for r in rows]

    def last_decision(self) -> tuple[float, dict[str, Any]] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT at, payload FROM decisions ORDER BY id DESC LIMIT 1"
            ).fetchone()
        return None if row is None else (float(row[0]), json.loads(row[1]))

    def count(self, table: Literal["signed_orders", "actions", "decisions", "snapshots"]) -> int:
        with self._lock:
            return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def prune(self, before: float, *, vacuum: bool = False) -> dict[str, int]:
        """Delete history older than ``before``; never anything an open order still needs.

        Snapshots and decisions older than ``before`` go; so do closed orders last updated
        before it, and the actions of those orders or of no order. An order that may still be
        valid on chain (signed, published, unpublished) keeps its row and every action: the
        bot reconciles and cancels from them. ``vacuum`` gives the freed pages back to the
        file system (slow on a big file; it rewrites it). Returns the rows deleted per table.
        """
        open_states = ",".join("?" * len(_OPEN_STATES))
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # all or nothing (the bot may run meanwhile)
            try:
                self._make_full_rows_after(before)
                counts = self._prune_rows(before, open_states)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        if vacuum:
            with self._lock:
                self._db.execute("VACUUM")
        return counts

    def _make_full_rows_after(self, before: float) -> None:
        """Rewrite, whole, each kept snapshot row stored as changes from a row about to go."""
        orphans = self._db.execute(
            "SELECT s.id FROM snapshots s JOIN snapshots b ON b.id = s.base_id"
            " WHERE s.at >= ? AND b.at < ? ORDER BY s.id",
            (before, before),
        ).fetchall()
        fetch = self._db.execute
        for (row_id,) in orphans:
            payload = _payload_of_row(lambda sql, args: fetch(sql, args).fetchall(), row_id)
            self._db.execute(
                "UPDATE snapshots SET payload = ?, base_id = NULL WHERE id = ?",
                (json.dumps(payload, sort_keys=True, separators=(",", ":")), row_id),
            )
        self._last_snapshot = None  # the next row is written full: simplest after a prune

    def _prune_rows(self, before: float, open_states: str) -> dict[str, int]:
        return {
            "snapshots": self._db.execute("DELETE FROM snapshots WHERE at < ?", (before,)).rowcount,
            "decisions": self._db.execute("DELETE FROM decisions WHERE at < ?", (before,)).rowcount,
            "signed_orders": self._db.execute(
                "DELETE FROM signed_orders WHERE state = 'closed' AND updated_at < ?",
                (before,),
            ).rowcount,
            "actions": self._db.execute(
                "DELETE FROM actions WHERE at < ? AND (order_hash IS NULL OR order_hash "
                f"NOT IN (SELECT order_hash FROM signed_orders WHERE state IN ({open_states})))",
                (before, *_OPEN_STATES),
            ).rowcount,
        }

    def snapshots(
        self, since: float | None = None, until: float | None = None
    ) -> Iterator[tuple[float, dict[str, Any]]]:
        """Journalled snapshots in time order, streamed in pages (the table can be large)."""

        def fetch(sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
            with self._lock:
                return self._db.execute(sql, args).fetchall()

        return _snapshots(fetch, since, until, has_base=True)


_Fetch = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]
"""Run one read-only query and return all its rows."""

_PAGE = 500


def _rows_from(
    fetch: _Fetch, start_id: int, has_base: bool
) -> Iterator[tuple[int, float, dict[str, Any]]]:
    """Every snapshot row from ``start_id`` on, whole (decoded), in id order, in pages."""
    base_column = "base_id" if has_base else "NULL"
    previous: tuple[int, Lists] | None = None
    last_id = start_id - 1
    while True:
        rows = fetch(
            f"SELECT id, at, payload, {base_column} FROM snapshots WHERE id > ?"
            f" ORDER BY id LIMIT {_PAGE}",
            (last_id,),
        )
        if not rows:
            return
        for row_id, at, text, base_id in rows:
            last_id = row_id
            payload = decode_row(row_id, base_id, json.loads(text), previous)
            previous = (row_id, lists_of(payload))
            yield row_id, float(at), payload


def _full_row_at_or_before(fetch: _Fetch, row_id: int) -> int:
    found = fetch("SELECT MAX(id) FROM snapshots WHERE id <= ? AND base_id IS NULL", (row_id,))
    if not found or found[0][0] is None:
        raise SnapshotChainBroken(f"snapshot row {row_id} has no full row before it")
    return int(found[0][0])


def _payload_of_row(fetch: _Fetch, row_id: int) -> dict[str, Any]:
    for got_id, _, payload in _rows_from(fetch, _full_row_at_or_before(fetch, row_id), True):
        if got_id == row_id:
            return payload
    raise SnapshotChainBroken(f"snapshot row {row_id} is missing")


def _snapshots(
    fetch: _Fetch, since: float | None, until: float | None, *, has_base: bool
) -> Iterator[tuple[float, dict[str, Any]]]:
    """``(at, payload)`` of the rows with ``since <= at <= until``, whole, in id order; a delta
    row is decoded from the last full row before it."""
    low = float("-inf") if since is None else since
    high = float("inf") if until is None else until
    first = fetch("SELECT MIN(id) FROM snapshots WHERE at >= ? AND at <= ?", (low, high))
    if not first or first[0][0] is None:
        return
    start = int(first[0][0])
    if has_base:
        start = _full_row_at_or_before(fetch, start)
    for _, at, payload in _rows_from(fetch, start, has_base):
        if low <= at <= high:
            yield at, payload


class MemoryJournal:
    """The same surface kept in Python objects: no SQLite, no JSON encoding.

    The backtester runs hundreds of thousands of ticks; encoding every snapshot and decision there
    would dominate the run time, so this journal keeps counts and only what reconcile and the
    executor read back (signed orders, order states, strategy state). ``keep_records=True``
    keeps decisions and actions too (tests inspect them).
    """

    def __init__(self, *, keep_records: bool = False) -> None:
        self.keep_records = keep_records
        self._orders: dict[str, OrderRow] = {}
        self._state: Any = None
        self.action_rows: list[ActionRow] = []
        self.decision_rows: list[tuple[float, dict[str, Any]]] = []
        self.snapshot_rows: list[tuple[float, dict[str, Any]]] = []
        self.counts: dict[str, int] = {"actions": 0, "decisions": 0, "snapshots": 0}

    @property
    def persistent(self) -> bool:
        """Records are counted (and kept raw with ``keep_records``), never encoded."""
        return False

    def record_signed(self, signed: SignedWorkerpoolOrder, at: float = 0.0) -> None:
        if signed.order_hash not in self._orders:
            self._orders[signed.order_hash] = OrderRow(signed, at, "signed", at)

    def record_action(
        self, at: float, kind: str, order_hash: str | None, outcome: str, detail: str = ""
    ) -> None:
        self.counts["actions"] += 1
        if self.keep_records:
            self.action_rows.append(ActionRow(at, kind, order_hash, outcome, detail))

    def record_decision(self, at: float, payload: dict[str, Any]) -> None:
        self.counts["decisions"] += 1
        if self.keep_records:
            self.decision_rows.append((at, payload))

    def record_snapshot(self, at: float, payload: dict[str, Any]) -> None:
        self.counts["snapshots"] += 1
        if self.keep_records:
            self.snapshot_rows.append((at, payload))

    def signed_orders(self) -> list[SignedWorkerpoolOrder]:
        return [row.signed for row in self._orders.values()]

    def load_strategy_state(self) -> Any:
        return self._state

    def save_strategy_state(self, state: Any, at: float = 0.0) -> None:
        self._state = state

    def set_order_state(self, order_hash: str, state: OrderState, at: float) -> None:
        row = self._orders.get(order_hash)
        if row is not None:
            if state == "closed":
                # Closed orders can never matter again; dropping them keeps long backtests flat.
                del self._orders[order_hash]
            else:
                self._orders[order_hash] = OrderRow(row.signed, row.signed_at, state, at)

    def order_rows(self, *, open_only: bool = False) -> list[OrderRow]:
        rows = list(self._orders.values())
        return [r for r in rows if r.state != "closed"] if open_only else rows

    def order_state(self, order_hash: str) -> OrderState | None:
        row = self._orders.get(order_hash)
        return None if row is None else row.state

    def action_details(self, kind: str, since: float) -> list[str]:
        return [
            r.detail
            for r in self.action_rows
            if r.kind == kind and r.outcome == "ok" and r.at >= since
        ]

    def last_decision(self) -> tuple[float, dict[str, Any]] | None:
        return self.decision_rows[-1] if self.decision_rows else None

    def close(self) -> None:
        """Nothing to release."""


def open_journal(journal_dir: str | Path, *, live: bool, create: bool = True) -> SqliteJournal:
    return SqliteJournal(journal_path(journal_dir, live=live), create=create)


def iter_snapshots(
    path: str | Path, since: float | None = None, until: float | None = None
) -> Iterator[tuple[float, dict[str, Any]]]:
    """Read the snapshots of a journal file in time order: ``(at, payload)`` pairs.

    Opens the file read-only so a replay can run beside a live bot. ``payload`` is the JSON shape
    documented in ``bot.engine.snapshot_codec``; ``bot.engine.snapshot_codec.snapshot_from_payload`` turns it
    back into a ``MarketSnapshot``.
    """
    version = check_journal_file(path)
    db = sqlite3.connect(_ro_uri(Path(path), inspect=False), uri=True)
    try:
        yield from _snapshots(
            lambda sql, args: db.execute(sql, args).fetchall(), since, until, has_base=version >= 3
        )
    finally:
        db.close()
