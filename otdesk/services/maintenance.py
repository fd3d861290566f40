"""Looking after the database file: backups, restore, check. For `otdesk backup`,
`otdesk restore`, `otdesk check` and the window's File menu.

Each takes the clinic's database key (`key`, unwrapped at sign-in) for an encrypted clinic;
None is the plain clinic not encrypted yet. restore() also takes `unlock` for an encrypted
backup: a password or the recovery key valid in that backup's own slots."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from otdesk.paths import cli_command
from otdesk.services.audit import RecordsReport, check_records
from otdesk.services.clinic import database_path
from otdesk.services.clock import Clock, SystemClock
from otdesk.storage import (
    CheckReport,
    RestoreReport,
    StorageError,
    inspect_database,
    newest_restorable,
    open_database,
    restore_database,
)
from otdesk.storage.backups import BACKUP_DIRNAME, Backup, BackupInfo, BackupStore
from otdesk.storage.keys import DatabaseKey, Unlocker


@dataclass(frozen=True, slots=True)
class HealthReport:
    check: CheckReport
    backups: tuple[Backup, ...]  # newest first
    records: RecordsReport | None = None  # None when the file itself failed its checks

    @property
    def ok(self) -> bool:
        return self.check.ok and self.records is not None and self.records.ok


def backup_now(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    clock: Clock | None = None,
    key: DatabaseKey | None = None,
) -> Path:
    """A backup of the clinic database now (kept with the automatic ones); encrypted,
    with the clinic's key slots of now, when the clinic is."""
    clock = clock or SystemClock()
    path = existing_database(data_dir)
    with open_database(path, now=clock.now(), daily_backup=False, key=key) as db:
        return db.backup(now=clock.now(), reason="manual")


def restore(
    backup: str | os.PathLike[str] | None,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    clock: Clock | None = None,
    key: DatabaseKey | None = None,
    unlock: Unlocker | None = None,
) -> RestoreReport:
    """Replace the clinic database with a backup file, validated first (the current one is
    kept). `backup` None: the newest backup that passes its checks. `key`: the current
    clinic's key; `unlock`: opens an encrypted backup (see the module's note)."""
    clock = clock or SystemClock()
    database = database_path(data_dir)
    source = Path(backup) if backup is not None else newest_restorable(database, key=key)
    return restore_database(source, database, now=clock.now(), key=key, unlock=unlock)


def backups(
    data_dir: str | os.PathLike[str] | None = None, *, key: DatabaseKey | None = None
) -> list[BackupInfo]:
    """Every backup of the clinic, newest first, each checked (for `backup --verify` and
    the Backups window); encrypted ones opened with `key`."""
    return BackupStore(database_path(data_dir).parent / BACKUP_DIRNAME, key=key).describe()


def backup_info(
    backup: Backup,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    key: DatabaseKey | None = None,
) -> BackupInfo:
    """One backup of the clinic, checked now (the Backups window's Verify)."""
    return BackupStore(database_path(data_dir).parent / BACKUP_DIRNAME, key=key).describe_one(
        backup
    )


def check(
    data_dir: str | os.PathLike[str] | None = None, *, key: DatabaseKey | None = None
) -> HealthReport:
    """Integrity and schema version of the clinic database (read-only), with its backups."""
    path = existing_database(data_dir)
    report = inspect_database(path, key=key)
    backups = BackupStore(path.parent / BACKUP_DIRNAME).newest_first()
    records = None
    if report.ok:
        with open_database(path, read_only=True, key=key) as db:
            records = check_records(db)
    return HealthReport(report, tuple(backups), records)


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
