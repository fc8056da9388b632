"""Backups of the journal, and restoring one.

A signed order that is no longer listed but still valid on chain exists only in the journal:
lose the file and reconcile can neither close nor track it. The service therefore copies the
live journal every ``service.journal_backup_hours`` with SQLite's online backup
(``sqlite3.Connection.backup``: a consistent copy while the bot keeps running) into
``service.journal_backup_dir`` and keeps the ``service.journal_backup_keep`` newest;
``pricebot journal backup`` does the same by hand and ``pricebot journal restore`` puts one back.

Every step is crash-safe and loses nothing: a backup is written to a hidden ``.partial`` file,
flushed to disk, renamed into place and then checked like any journal (:func:`check_journal_file`);
rotation only deletes backups of the same journal beyond the newest ``keep``. A restore checks the
backup first, never overwrites: the file it replaces (and its ``-wal``/``-shm``, which belong to
that file and would corrupt the restored one) is renamed aside with a ``.replaced-<time>``
suffix, and a healthy journal is only replaced with ``force``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.journal import JournalRefused, SqliteJournal, check_journal_file, open_read_only
from bot.domain.errors import BotError

__all__ = [
    "JournalBackupFailed",
    "RestoreResult",
    "backup_journal",
    "list_backups",
    "restore_journal",
]

_SIDE_FILES = ("-wal", "-shm", "-journal")


class JournalBackupFailed(BotError):
    """A backup could not be written (disk full, permissions); the journal itself is intact."""


@dataclass(frozen=True, slots=True)
class RestoreResult:
    restored: Path
    moved_aside: tuple[Path, ...]


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y%m%dT%H%M%SZ")


def _backup_name(journal: Path, micros: int) -> str:
    """``<journal stem>-<UTC time to the microsecond>.sqlite``: names sort in time order."""
    at = datetime.fromtimestamp(micros // 1_000_000, tz=UTC)
    return f"{_stem(journal)}-{at:%Y%m%dT%H%M%S}.{micros % 1_000_000:06d}Z.sqlite"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stem(journal: Path) -> str:
    return journal.name.removesuffix(".sqlite")


def list_backups(backup_dir: str | Path, journal: str | Path) -> list[Path]:
    """The backups of ``journal`` (by file name) in ``backup_dir``, oldest first."""
    directory = Path(backup_dir)
    if not directory.is_dir():
        return []
    prefix = _stem(Path(journal)) + "-"
    return sorted(
        p
        for p in directory.iterdir()
        if p.name.startswith(prefix) and p.name.endswith(".sqlite") and p.is_file()
    )


def _copy(source: SqliteJournal | sqlite3.Connection, target: Path) -> None:
    """SQLite online backup of ``source`` into a new file ``target``, flushed to disk."""
    db = sqlite3.connect(target)
    try:
        if isinstance(source, SqliteJournal):
            source.backup_to(db)
        else:
            source.backup(db)
    finally:
        db.close()
    with target.open("rb+") as f:
        os.fsync(f.fileno())


def backup_journal(
    journal: SqliteJournal | str | Path, backup_dir: str | Path, *, keep: int, at: float
) -> Path:
    """Copy ``journal`` (an open journal, or the path of one) into ``backup_dir`` as
    ``<name>-<UTC time>.sqlite``; keep the ``keep`` newest backups of it (0: keep all).

    A journal given by path is checked and read through a read-only connection. Raises
    :class:`JournalRefused` for a journal that fails its checks, :class:`JournalBackupFailed`
    when the copy cannot be written.
    """
    path = journal.path if isinstance(journal, SqliteJournal) else Path(journal)
    directory = Path(backup_dir)
    micros = int(at * 1_000_000)
    while (directory / _backup_name(path, micros)).exists():
        micros += 1  # never overwrite a backup
    final = directory / _backup_name(path, micros)
    partial = directory / f".{final.name}.partial"
    source = journal if isinstance(journal, SqliteJournal) else open_read_only(path)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        _copy(source, partial)
        os.replace(partial, final)
        _fsync_dir(directory)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise JournalBackupFailed(
            f"journal backup of {path} into {directory} failed: {exc}"
        ) from None
    finally:
        if not isinstance(journal, SqliteJournal):
            assert isinstance(source, sqlite3.Connection)
            source.close()
    try:
        check_journal_file(final)
    except JournalRefused as exc:
        raise JournalBackupFailed(f"the backup {final} does not check out: {exc}") from None
    if keep > 0:
        for old in list_backups(directory, path)[:-keep]:
            old.unlink(missing_ok=True)
    return final


def restore_journal(
    backup: str | Path, target: str | Path, *, at: float, force: bool = False
) -> RestoreResult:
    """Put the journal ``backup`` back at ``target``.

    The backup must pass :func:`check_journal_file`. A ``target`` that is itself a healthy
    journal is only replaced with ``force``; whatever is replaced is renamed aside, never
    deleted. Stop the bot that uses ``target`` first.
    """
    source_path, dest = Path(backup), Path(target)
    try:
        check_journal_file(source_path)
    except JournalRefused as exc:
        raise JournalRefused(f"cannot restore from it: {exc}") from None
    healthy = False
    if dest.exists() and not dest.is_dir():
        try:
            check_journal_file(dest)
            healthy = True
        except JournalRefused:
            healthy = False
    if healthy and not force:
        raise JournalRefused(
            f"journal {dest}: is a healthy journal; restoring over it needs --force "
            "(it is then kept beside it as .replaced-<time>)"
        )
    if dest.is_dir():
        raise JournalRefused(f"journal {dest}: is a directory; move it away first")
    suffix = f".replaced-{_stamp(at)}"
    partial = dest.with_name(f".{dest.name}.restoring")
    moved: list[Path] = []
    source = open_read_only(source_path)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        _copy(source, partial)
        for side in ("", *_SIDE_FILES):
            old = dest.with_name(dest.name + side)
            if old.exists():
                aside = old.with_name(old.name + suffix)
                os.replace(old, aside)
                moved.append(aside)
        os.replace(partial, dest)
        _fsync_dir(dest.parent)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise JournalBackupFailed(f"restoring {source_path} to {dest} failed: {exc}") from None
    finally:
        source.close()
    check_journal_file(dest)
    return RestoreResult(dest, tuple(moved))
