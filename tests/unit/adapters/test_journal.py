"""The SQLite journal: migrations, round trips, separate dry-run/live files, snapshot reading."""

from __future__ import annotations

import sqlite3

import pytest

from bot.adapters.journal import (
    MIGRATIONS,
    MemoryJournal,
    SqliteJournal,
    iter_snapshots,
    journal_path,
    open_journal,
)
from bot.domain.errors import ConfigError
from tests.support.fakes import our_order


def test_new_journal_applies_every_migration(tmp_path):
    j = SqliteJournal(tmp_path / "j.sqlite")
    assert j.schema_version == len(MIGRATIONS)
    tables = {
        r[0]
        for r in sqlite3.connect(tmp_path / "j.sqlite").execute(
            "SELECT name FROM sqlite_master WHERE type='table'"
        )
    }
    assert {"signed_orders", "actions", "decisions", "snapshots", "strategy_state"} <= tables
    j.close()


def test_reopening_keeps_data_and_does_not_reapply(tmp_path):
    j = SqliteJournal(tmp_path / "j.sqlite")
    s = our_order(1000)
    j.record_signed(s, 5.0)
    j.close()
    j2 = SqliteJournal(tmp_path / "j.sqlite")
    assert j2.schema_version == len(MIGRATIONS)
    assert [o.order_hash for o in j2.signed_orders()] == [s.order_hash]
    j2.close()


def test_old_schema_is_migrated_forward(tmp_path):
    path = tmp_path / "j.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    j = SqliteJournal(path)
    assert j.schema_version == len(MIGRATIONS)
    indexes = {r[0] for r in j._db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "actions_by_order" in indexes
    j.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "j.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(ConfigError, match="newer"):
        SqliteJournal(path)


def test_dry_run_and_live_use_different_files(tmp_path):
    assert journal_path(tmp_path, live=True) != journal_path(tmp_path, live=False)
    live = open_journal(tmp_path, live=True)
    dry = open_journal(tmp_path, live=False)
    live.record_signed(our_order(1))
    assert dry.signed_orders() == []
    assert len(live.signed_orders()) == 1
    live.close()
    dry.close()


@pytest.mark.parametrize("journal_kind", ["sqlite", "memory"])
def test_signed_order_round_trip_and_states(tmp_path, journal_kind):
    j = SqliteJournal(tmp_path / "j.sqlite") if journal_kind == "sqlite" else MemoryJournal()
    a, b = our_order(1000, salt=1), our_order(2000, salt=2)
    j.record_signed(a, 1.0)
    j.record_signed(b, 2.0)
    j.record_signed(a, 3.0)  # idempotent
    assert j.signed_orders() == [a, b]
    j.set_order_state(a.order_hash, "published", 4.0)
    j.set_order_state(b.order_hash, "closed", 5.0)
    assert j.order_state(a.order_hash) == "published"
    assert [r.signed for r in j.order_rows(open_only=True)] == [a]


@pytest.mark.parametrize("journal_kind", ["sqlite", "memory"])
def test_strategy_state_is_restored(tmp_path, journal_kind):
    j = SqliteJournal(tmp_path / "j.sqlite") if journal_kind == "sqlite" else MemoryJournal()
    assert j.load_strategy_state() is None
    j.save_strategy_state({"integral": 1.5, "arms": [1, 2]})
    j.save_strategy_state({"integral": 2.5, "arms": [1, 2]})
    assert j.load_strategy_state() == {"integral": 2.5, "arms": [1, 2]}


def test_actions_and_decisions(tmp_path):
    j = SqliteJournal(tmp_path / "j.sqlite")
    j.record_action(1.0, "publish", "0x" + "1" * 64, "failed", "HTTP 500")
    j.record_action(2.0, "publish", "0x" + "1" * 64, "ok")
    j.record_decision(2.0, {"why": "kept because within deadband"})
    rows = j.actions("0x" + "1" * 64)
    assert [(r.outcome, r.detail) for r in rows] == [("failed", "HTTP 500"), ("ok", "")]
    assert j.last_decision() == (2.0, {"why": "kept because within deadband"})
    j.close()


def test_iter_snapshots_reads_in_order_and_filters(tmp_path):
    j = SqliteJournal(tmp_path / "j.sqlite")
    for t in (10.0, 20.0, 30.0):
        j.record_snapshot(t, {"at": t, "v": 1})
    got = list(iter_snapshots(tmp_path / "j.sqlite", since=15.0))
    assert [at for at, _ in got] == [20.0, 30.0]
    assert got[0][1] == {"at": 20.0, "v": 1}
    assert [at for at, _ in j.snapshots(until=20.0)] == [10.0, 20.0]
    j.close()


def test_prune_keeps_what_open_orders_need(tmp_path):
    j = SqliteJournal(tmp_path / "j.sqlite")
    closed, still_open = our_order(1000), our_order(2000)
    j.record_signed(closed, 10.0)
    j.record_signed(still_open, 10.0)
    j.set_order_state(closed.order_hash, "closed", 20.0)
    j.set_order_state(still_open.order_hash, "published", 20.0)
    j.record_action(20.0, "cancel", closed.order_hash, "ok")
    j.record_action(20.0, "publish", still_open.order_hash, "ok")
    j.record_action(20.0, "reconcile", None, "ok")
    j.record_action(9_000.0, "cancel", closed.order_hash, "ok")  # newer than the cut: stays
    for at in (20.0, 9_000.0):
        j.record_snapshot(at, {"at": at})
        j.record_decision(at, {"at": at})
    deleted = j.prune(5_000.0, vacuum=True)
    assert deleted == {"snapshots": 1, "decisions": 1, "signed_orders": 1, "actions": 2}
    assert [r.signed.order_hash for r in j.order_rows()] == [still_open.order_hash]
    assert [(a.kind, a.order_hash) for a in j.actions()] == [
        ("publish", still_open.order_hash),
        ("cancel", closed.order_hash),
    ]
    assert [at for at, _ in j.snapshots()] == [9_000.0]
    assert j.prune(5_000.0) == {"snapshots": 0, "decisions": 0, "signed_orders": 0, "actions": 0}
    j.close()
