"""Journal backups and restores on real SQLite files: consistent, rotated, crash-safe, lossless."""

from __future__ import annotations

import hashlib
import sys
import textwrap
from pathlib import Path

import pytest

from bot.adapters.journal import JournalRefused, SqliteJournal, journal_path
from bot.adapters.journal_backup import backup_journal, list_backups, restore_journal
from tests.support.fakes import NETWORK, OWNER_KEY, POOL, our_order


def _journal(path: Path, *prices: int) -> list[str]:
    j = SqliteJournal(path)
    for p in prices:
        j.record_signed(our_order(p), float(p))
    j.close()
    return [our_order(p).order_hash for p in prices]


def _orders(path: Path) -> list[str]:
    j = SqliteJournal(path, create=False)
    try:
        return [o.order_hash for o in j.signed_orders()]
    finally:
        j.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_of_a_running_journal_is_consistent_and_rotated(tmp_path: Path) -> None:
    live = SqliteJournal(tmp_path / "journal-live.sqlite")
    live.record_signed(our_order(1), 1.0)
    backups = tmp_path / "backups"
    made = []
    for i in range(4):
        made.append(backup_journal(live, backups, keep=3, at=1_700_000_000.0 + i))
        live.record_signed(our_order(2 + i), 2.0 + i)  # the bot keeps writing between backups
    assert list_backups(backups, live.path) == made[1:]
    assert not [p for p in backups.iterdir() if p.name.startswith(".")]  # no partial left
    assert _orders(made[-1]) == [our_order(p).order_hash for p in (1, 2, 3, 4)]
    live.close()


def test_backup_by_path_never_writes_to_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal-live.sqlite"
    hashes = _journal(path, 10, 20)
    before = _digest(path)
    made = backup_journal(path, tmp_path / "b", keep=0, at=1_700_000_000.5)
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "journal-live.sqlite"]
    assert made.name == "journal-live-20231114T221320.500000Z.sqlite"
    assert _orders(made) == hashes


def test_two_backups_in_the_same_instant_do_not_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "journal-live.sqlite"
    _journal(path, 1)
    a = backup_journal(path, tmp_path / "b", keep=0, at=1_700_000_000.0)
    b = backup_journal(path, tmp_path / "b", keep=0, at=1_700_000_000.0)
    assert a != b and list_backups(tmp_path / "b", path) == [a, b]


def test_backing_up_a_bad_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal-live.sqlite"
    path.write_bytes(b"")
    with pytest.raises(JournalRefused, match="empty"):
        backup_journal(path, tmp_path / "b", keep=3, at=1.0)
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("damage", ["empty", "garbage", "missing"])
def test_restore_replaces_a_lost_journal_and_keeps_the_old_file(
    tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "journal-live.sqlite"
    hashes = _journal(path, 7, 8)
    backup = backup_journal(path, tmp_path / "b", keep=3, at=1_700_000_000.0)
    if damage == "empty":
        path.write_bytes(b"")
    elif damage == "garbage":
        path.write_bytes(b"\x00garbage" * 100)
    else:
        path.unlink()
    old = None if damage == "missing" else path.read_bytes()
    (tmp_path / "journal-live.sqlite-wal").write_bytes(b"stale wal of the lost file")
    result = restore_journal(backup, path, at=1_700_000_100.0)
    assert _orders(path) == hashes
    aside = {p.name: p for p in result.moved_aside}
    assert "journal-live.sqlite-wal.replaced-20231114T221500Z" in aside
    if old is not None:
        assert aside["journal-live.sqlite.replaced-20231114T221500Z"].read_bytes() == old


def test_restore_over_a_healthy_journal_needs_force(tmp_path: Path) -> None:
    path = tmp_path / "journal-live.sqlite"
    _journal(path, 1)
    backup = backup_journal(path, tmp_path / "b", keep=3, at=1_700_000_000.0)
    newer = _journal(path, 2)  # adds a second order: the journal moved on since the backup
    before = _digest(path)
    with pytest.raises(JournalRefused, match="--force"):
        restore_journal(backup, path, at=1_700_000_100.0)
    assert _digest(path) == before
    result = restore_journal(backup, path, at=1_700_000_100.0, force=True)
    assert _orders(path) == [our_order(1).order_hash]
    (kept,) = [p for p in result.moved_aside if p.name.startswith("journal-live.sqlite.rep")]
    assert newer[0] in _orders(kept)


def test_restore_from_a_bad_backup_is_refused_and_touches_nothing(tmp_path: Path) -> None:
    path = tmp_path / "journal-live.sqlite"
    path.write_bytes(b"")
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    with pytest.raises(JournalRefused, match="cannot restore from it"):
        restore_journal(bad, path, at=1.0)
    assert path.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.sqlite", "journal-live.sqlite"]


# -- the commands --------------------------------------------------------------------------------


def _cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    from bot.app.cli import main

    monkeypatch.setattr(sys, "argv", ["pricebot", *args])
    code: int | str | None = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    assert isinstance(code, int)
    return code, out.out, out.err


def test_journal_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            network = "local"
            chain_id = {NETWORK.chain_id}
            hub = "{NETWORK.hub}"
            workerpool = "{POOL}"
            [[offers]]
            category = 0
            [service]
            journal_dir = "state"
            journal_backup_dir = "offsite"
            journal_backup_keep = 2
            """
        )
    )
    cfg = ["--config", str(config)]
    path = journal_path(tmp_path / "state", live=True)
    code, _, err = _cli(monkeypatch, capsys, "journal", "backup", *cfg)
    assert code == 2 and err.startswith("error: journal ") and "no such file" in err
    assert not (tmp_path / "offsite").exists()

    path.parent.mkdir()
    hashes = _journal(path, 3, 4)
    for _ in range(3):
        code, out, err = _cli(monkeypatch, capsys, "journal", "backup", *cfg)
        assert code == 0, err
        assert "(2 backups kept)" in out or "(1 backups kept)" in out
    code, out, _ = _cli(monkeypatch, capsys, "journal", "list", *cfg)
    listed = out.split()
    assert len(listed) == 2 and all(p.startswith(str(tmp_path / "offsite")) for p in listed)

    path.write_bytes(b"")  # the journal is lost
    code, _, err = _cli(monkeypatch, capsys, "prune", *cfg, "--keep-days", "1")
    assert code == 2 and "empty file" in err
    code, out, err = _cli(monkeypatch, capsys, "journal", "restore", *cfg)  # the newest
    assert code == 0, err
    assert f"restored {listed[-1]}" in out and "kept the replaced file" in out
    assert _orders(path) == hashes
    code, _, err = _cli(monkeypatch, capsys, "journal", "restore", *cfg, listed[0])
    assert code == 2 and "--force" in err and err.count("\n") == 1
    code, _, err = _cli(monkeypatch, capsys, "journal", "restore", *cfg, str(tmp_path / "nope"))
    assert code == 2 and err.startswith("error: cannot restore from it: journal ")
    assert OWNER_KEY[2:] not in err


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("journal_backup_hours", 0),
        ("journal_backup_hours", 1.5),
        ("journal_backup_hours", 10**9),
        ("journal_backup_keep", -1),
        ("journal_backup_keep", 10**6),
    ],
)
def test_backup_settings_are_bounded(key: str, value: object) -> None:
    from bot.config.schema import config_from_mapping
    from bot.domain.errors import ConfigError

    base = {
        "network": "local",
        "chain_id": NETWORK.chain_id,
        "hub": NETWORK.hub,
        "workerpool": POOL,
        "offers": [{"category": 0}],
    }
    assert config_from_mapping(base).service.journal_backup_keep == 8
    with pytest.raises(ConfigError, match=f"service.{key}"):
        config_from_mapping({**base, "service": {key: value}})
