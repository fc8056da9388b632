"""Snapshots stored as changes from the row before: every reader still gets each row whole."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.journal import SqliteJournal, iter_snapshots
from bot.adapters.journal_snapshots import FULL_EVERY, SnapshotChainBroken


def entry(h: int, price: int, remaining: int = 5) -> dict[str, Any]:
    return {"order_hash": f"0x{h:064x}", "price": price, "remaining": remaining}


def payloads(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """A moving book: orders leave, arrive (anywhere in the order), fill, and move places."""
    rng = random.Random(seed)
    book = [entry(i, 100 + i) for i in range(40)]
    requests = [entry(10_000 + i, 50) for i in range(3)]
    out = []
    for t in range(n):
        book = [e for e in book if rng.random() > 0.05]
        for _ in range(rng.randrange(3)):
            book.insert(rng.randrange(len(book) + 1), entry(rng.randrange(10**9), 90))
        if book and rng.random() < 0.3:
            i = rng.randrange(len(book))
            book[i] = {**book[i], "remaining": book[i]["remaining"] - 1}
        if rng.random() < 0.2:
            rng.shuffle(book)
        out.append(
            {
                "at": float(t),
                "book": list(book),
                "requests": list(requests) if t % 4 else [],
                "deals": [{"deal_id": f"d{t}", "price": 1}],
            }
        )
    return out


def stored_rows(path: Path) -> list[tuple[int | None, int]]:
    db = sqlite3.connect(path)
    try:
        return list(db.execute("SELECT base_id, length(payload) FROM snapshots ORDER BY id"))
    finally:
        db.close()


def test_rows_read_back_whole_and_are_stored_as_changes(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    written = payloads(60)
    j = SqliteJournal(path)
    for p in written:
        j.record_snapshot(p["at"], p)
    assert [p for _, p in j.snapshots()] == written
    assert [p for _, p in iter_snapshots(path)] == written
    assert [p for _, p in j.snapshots(since=17.0, until=40.0)] == written[17:41]
    assert [p for _, p in iter_snapshots(path, since=59.0)] == written[59:]
    j.close()
    rows = stored_rows(path)
    assert rows[0][0] is None and all(base is not None for base, _ in rows[1:])
    assert max(size for _, size in rows[1:]) < rows[0][1] / 3
    deals = sqlite3.connect(path).execute(
        "SELECT COUNT(*) FROM snapshots, json_each(snapshots.payload, '$.deals')"
    )
    assert deals.fetchone()[0] == 60  # plain-SQL readers of the other keys are unaffected


def test_an_unchanged_book_costs_a_few_bytes_and_a_full_row_comes_back_regularly(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.sqlite"
    p = {"book": [entry(i, 100) for i in range(500)], "requests": [], "deals": []}
    with_full = FULL_EVERY + 2
    j = SqliteJournal(path)
    for t in range(with_full):
        j.record_snapshot(float(t), p)
    j.close()
    rows = stored_rows(path)
    assert [i for i, (base, _) in enumerate(rows) if base is None] == [0, FULL_EVERY]
    assert rows[1][1] < 120


def test_a_reopened_journal_starts_with_a_full_row(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    written = payloads(6)
    for chunk in (written[:3], written[3:]):
        j = SqliteJournal(path)
        for p in chunk:
            j.record_snapshot(p["at"], p)
        j.close()
    assert [base is None for base, _ in stored_rows(path)] == [True, False, False] * 2
    assert [p for _, p in iter_snapshots(path)] == written


def test_pruning_keeps_the_rest_readable_and_writing_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    written = payloads(30)
    j = SqliteJournal(path)
    for p in written[:20]:
        j.record_snapshot(p["at"], p)
    assert j.prune(before=12.0)["snapshots"] == 12
    for p in written[20:]:
        j.record_snapshot(p["at"], p)
    assert [p for _, p in j.snapshots()] == written[12:]
    j.close()
    assert [p for _, p in iter_snapshots(path)] == written[12:]


def test_a_missing_row_in_a_chain_is_an_error_not_a_wrong_book(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = SqliteJournal(path)
    for p in payloads(5):
        j.record_snapshot(p["at"], p)
    j.close()
    db = sqlite3.connect(path)
    db.execute("DELETE FROM snapshots WHERE id = 3")
    db.commit()
    db.close()
    with pytest.raises(SnapshotChainBroken, match="row 4 is stored as changes from row 3"):
        list(iter_snapshots(path))


def test_a_book_with_one_hash_twice_is_stored_full(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    twice = {"book": [entry(1, 5), entry(1, 6)], "requests": [], "deals": []}
    once = {"book": [entry(1, 5)], "requests": [], "deals": []}
    j = SqliteJournal(path)
    for t, p in enumerate((once, twice, once, once)):
        j.record_snapshot(float(t), p)
    j.close()
    assert [base is None for base, _ in stored_rows(path)] == [True, True, True, False]
    assert [p for _, p in iter_snapshots(path)] == [once, twice, once, once]
