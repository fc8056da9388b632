"""A journal that cannot be trusted stops the command before anything writes to it.

Each bad journal (empty, a directory, not SQLite, truncated, corrupt, another application's
database, a newer schema) must end ``prune``, ``status``, ``run --live`` and
``backtest --replay`` in one ``error:`` line naming the file, exit 2, with the file's bytes
unchanged and no ``-wal``/``-shm`` left beside it. Real SQLite files throughout.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.adapters.journal import (
    MIGRATIONS,
    JournalRefused,
    SqliteJournal,
    check_journal_file,
    iter_snapshots,
    journal_path,
)
from tests.support.fakes import NETWORK, OWNER_KEY, POOL, our_order

GAS_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"


def _good_journal(path: Path) -> bytes:
    j = SqliteJournal(path)
    for i in range(60):
        j.record_signed(our_order(1000 + i), float(i))
        j.record_snapshot(float(i), {"pad": "x" * 400})
    j.close()
    return path.read_bytes()


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _directory(path: Path) -> None:
    path.mkdir()


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 200)


def _truncated(path: Path) -> None:
    raw = _good_journal(path)
    path.write_bytes(raw[: len(raw) // 2])


def _corrupt(path: Path) -> None:
    raw = bytearray(_good_journal(path))
    raw[8192:12288] = os.urandom(4096)  # page 3 of 4 KiB pages: a b-tree page
    path.write_bytes(bytes(raw))


def _foreign(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO accounts (name) VALUES ('someone else')")
    db.commit()
    db.close()


def _newer(path: Path) -> None:
    _good_journal(path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.commit()
    db.close()


BAD: dict[str, tuple[Callable[[Path], None], str]] = {
    "empty": (_empty, "empty file"),
    "directory": (_directory, "directory"),
    "not-sqlite": (_not_sqlite, "not an SQLite database"),
    "truncated": (_truncated, "corrupt or truncated"),
    "corrupt": (_corrupt, "corrupt"),
    "foreign": (_foreign, "not a pricebot journal"),
    "newer": (_newer, "newer than this bot"),
}


def _fingerprint(path: Path) -> object:
    if path.is_dir():
        return sorted(os.listdir(path))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))


@pytest.mark.parametrize("kind", list(BAD))
def test_a_bad_journal_is_refused_untouched(tmp_path: Path, kind: str) -> None:
    make, words = BAD[kind]
    path = tmp_path / "journal-live.sqlite"
    make(path)
    before, files = _fingerprint(path), _siblings(path)
    with pytest.raises(JournalRefused, match=words) as info:
        SqliteJournal(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)
    assert _fingerprint(path) == before
    assert _siblings(path) == files  # no -wal / -shm created beside it


def test_a_newer_journal_keeps_its_header(tmp_path: Path) -> None:
    """The version check used to run after ``journal_mode=WAL`` had rewritten bytes 18-19."""
    path = tmp_path / "j.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.commit()
    db.close()
    header = path.read_bytes()[:100]
    assert header[18:20] == b"\x01\x01"  # rollback-journal mode
    with pytest.raises(JournalRefused):
        SqliteJournal(path)
    assert path.read_bytes()[:100] == header


def test_an_empty_file_is_not_taken_for_a_new_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal-live.sqlite"
    path.touch()
    with pytest.raises(JournalRefused, match="journal restore"):
        SqliteJournal(path)
    assert path.stat().st_size == 0


def test_a_good_journal_opens_even_while_another_connection_writes(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    running = SqliteJournal(path)
    running.record_signed(our_order(7), 1.0)
    assert check_journal_file(path) == len(MIGRATIONS)
    second = SqliteJournal(path, create=False)
    assert [o.order_hash for o in second.signed_orders()] == [our_order(7).order_hash]
    second.close()
    running.close()


def test_create_false_never_creates(tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite"
    with pytest.raises(JournalRefused, match="no such file"):
        SqliteJournal(path, create=False)
    assert not path.exists()


def test_iter_snapshots_refuses_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    _foreign(path)
    with pytest.raises(JournalRefused, match="not a pricebot journal"):
        list(iter_snapshots(path))


def test_a_file_where_the_directory_should_be_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file, not a directory")
    with pytest.raises(JournalRefused, match="cannot be created"):
        SqliteJournal(blocker / "journal-live.sqlite")


# -- the commands --------------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            network = "local"
            chain_id = {NETWORK.chain_id}
            hub = "{NETWORK.hub}"
            workerpool = "{POOL}"
            [endpoints]
            rpc_urls = ["http://127.0.0.1:9"]
            [[offers]]
            category = 0
            [service]
            journal_dir = "{tmp_path / "state"}"
            """
        )
    )
    return path


def _cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run ``pricebot`` in-process through its real entry point (error mapping included)."""
    from bot.app.cli import main

    monkeypatch.setattr(sys, "argv", ["pricebot", *args])
    monkeypatch.setenv("PRICEBOT_PRIVATE_KEY", OWNER_KEY)
    monkeypatch.setenv("PRICEBOT_GAS_PRIVATE_KEY", GAS_KEY)
    code: int | str | None = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    assert isinstance(code, int)
    return code, out.out, out.err


COMMANDS: dict[str, Callable[[Path, Path, Path], list[str]]] = {
    "prune": lambda cfg, journal, out: ["prune", "--config", str(cfg), "--keep-days", "1"],
    "status": lambda cfg, journal, out: ["status", "--config", str(cfg)],
    "run --live": lambda cfg, journal, out: ["run", "--config", str(cfg), "--live"],
    "backtest --replay": lambda cfg, journal, out: [
        "backtest",
        "--replay",
        str(journal),
        "--out",
        str(out),
    ],
}


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_commands_refuse_a_bad_journal_in_one_line(
    tmp_path: Path,
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    kind: str,
) -> None:
    make, words = BAD[kind]
    path = journal_path(tmp_path / "state", live=True)
    path.parent.mkdir()
    make(path)
    before, files = _fingerprint(path), _siblings(path)
    out_dir = tmp_path / "out"
    code, out, err = _cli(monkeypatch, capsys, *COMMANDS[command](config, path, out_dir))
    lines = err.strip().splitlines()
    assert code == 2, err
    assert lines[-1].startswith("error: journal ") and words in lines[-1], err
    assert [line for line in lines if line.startswith("error:")] == [lines[-1]]
    assert "Traceback" not in err and out == ""
    assert _fingerprint(path) == before
    assert _siblings(path) == files
    assert not out_dir.exists()


def test_a_new_journal_never_appears_half_made(tmp_path: Path) -> None:
    """Created aside and renamed: no 0-byte file (which would be refused) after a crash."""
    path = tmp_path / "state" / "journal-live.sqlite"
    SqliteJournal(path).close()
    assert check_journal_file(path) == len(MIGRATIONS)
    assert sorted(p.name for p in path.parent.iterdir()) == ["journal-live.sqlite"]
    # what a crash between creating and migrating leaves: an empty database, accepted as new
    fresh = tmp_path / "fresh.sqlite"
    db = sqlite3.connect(fresh)
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    assert check_journal_file(fresh) == 0
    SqliteJournal(fresh).close()
    assert check_journal_file(fresh) == len(MIGRATIONS)
