"""``pricebot journal backup | restore``: copies of the journal, and putting one back.

The live journal is the only record of signed orders that are unlisted but still valid on chain;
``run`` backs it up on a schedule (``service.journal_backup_*``), these commands do it by hand.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "app",
    "backup",
    "list_cmd",
    "restore",
]

app = typer.Typer(no_args_is_help=True)

ConfigOpt = Annotated[
    Path,
    typer.Option("--config", "-c", help="The pool owner's TOML config.", dir_okay=False),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run-journal", help="The dry-run journal instead of the live one (default: live)."
    ),
]


@app.command("backup")
def backup(config: ConfigOpt, dry_run_journal: DryRunOpt = False) -> None:
    """Copy the journal (SQLite online backup; safe while the bot runs) into the backup
    directory, keeping the service.journal_backup_keep newest."""
    from bot.adapters.journal import journal_path
    from bot.adapters.journal_backup import backup_journal, list_backups
    from bot.config.schema import load_config

    cfg = load_config(config)
    source = journal_path(cfg.service.journal_dir, live=not dry_run_journal)
    made = backup_journal(
        source, cfg.service.backup_dir(), keep=cfg.service.journal_backup_keep, at=time.time()
    )
    kept = len(list_backups(cfg.service.backup_dir(), source))
    typer.echo(f"backed up {source} to {made} ({kept} backups kept)")


@app.command("list")
def list_cmd(config: ConfigOpt, dry_run_journal: DryRunOpt = False) -> None:
    """The backups of the journal, oldest first."""
    from bot.adapters.journal import journal_path
    from bot.adapters.journal_backup import list_backups
    from bot.config.schema import load_config

    cfg = load_config(config)
    source = journal_path(cfg.service.journal_dir, live=not dry_run_journal)
    for path in list_backups(cfg.service.backup_dir(), source):
        typer.echo(str(path))


@app.command("restore")
def restore(
    config: ConfigOpt,
    backup: Annotated[
        Path | None,
        typer.Argument(help="The backup file to restore (default: the newest backup)."),
    ] = None,
    dry_run_journal: DryRunOpt = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Also replace a journal that is healthy (it is kept aside)."),
    ] = False,
) -> None:
    """Put a backup back in place of the journal (stop the bot first). The file replaced is
    kept beside it as .replaced-<time>; run the bot (or `once`) afterwards: reconcile then
    tracks every order of the backup that is still valid on chain."""
    from bot.adapters.journal import journal_path
    from bot.adapters.journal_backup import list_backups, restore_journal
    from bot.config.schema import load_config
    from bot.domain.errors import InputError

    cfg = load_config(config)
    target = journal_path(cfg.service.journal_dir, live=not dry_run_journal)
    if backup is None:
        found = list_backups(cfg.service.backup_dir(), target)
        if not found:
            raise InputError("BACKUP", f"no backup of {target.name} in {cfg.service.backup_dir()}")
        backup = found[-1]
    result = restore_journal(backup, target, at=time.time(), force=force)
    for aside in result.moved_aside:
        typer.echo(f"kept the replaced file as {aside}")
    typer.echo(f"restored {backup} to {result.restored}")
