"""Looking after the database file: backups, restore, check. For `otdesk backup`,
`otdesk restore`, `otdesk check` and the window's File menu."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from otdesk.paths import cli_command
from otdesk.services.clinic import database_path
from otdesk.services.clock import Clock, SystemClock
from otdesk.storage import (
    CheckReport,
    RestoreReport,
    StorageError,
    inspect_database,
    open_database,
    restore_database,
)
from otdesk.storage.backups import BACKUP_DIRNAME, Backup, BackupStore


@dataclass(frozen=True, slots=True)
class HealthReport:
    check: CheckReport
    backups: tuple[Backup, ...]  # newest first

    @property
    def ok(self) -> bool:
        return self.check.ok


def backup_now(
    data_dir: str | os.PathLike[str] | None = None, *, clock: Clock | None = None
) -> Path:
    """A backup of the clinic database now (kept with the automatic ones)."""
    clock = clock or SystemClock()
    path = existing_database(data_dir)
    with open_database(path, now=clock.now(), daily_backup=False) as db:
        return db.backup(now=clock.now(), reason="manual")


def restore(
    backup: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    *,
    clock: Clock | None = None,
) -> RestoreReport:
    """Replace the clinic database with a backup file (the current one is kept aside)."""
    clock = clock or SystemClock()
    return restore_database(Path(backup), database_path(data_dir), now=clock.now())


def check(data_dir: str | os.PathLike[str] | None = None) -> HealthReport:
    """Integrity and schema version of the clinic database (read-only), with its backups."""
    path = existing_database(data_dir)
    report = inspect_database(path)
    backups = BackupStore(path.parent / BACKUP_DIRNAME).newest_first()
    return HealthReport(report, tuple(backups))


def existing_database(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The clinic database's path; StorageError when none has been made yet."""
    path = database_path(data_dir)
    if not path.is_file():
        raise StorageError(
            f"There is no clinic database at {path} yet: the app makes one when it first "
            f"starts, and `{cli_command('demo', data_dir=path.parent)}` makes a demo clinic.",
            path=path,
        )
    return path
