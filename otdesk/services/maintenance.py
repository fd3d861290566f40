"""Looking after the database file: backups, restore, check. For `otdesk backup`,
`otdesk restore`, `otdesk check` and the window's File menu.

Each takes the clinic's database key (`key`, unwrapped at sign-in) for an encrypted clinic;
None is the plain clinic not encrypted yet. restore() also takes `unlock` for an encrypted
backup: a password or the recovery key valid in that backup's own slots.

Each also takes `person`, who is signed in: the roles apply (making and checking backups
needs Permission.BACKUP, a restore Permission.RESTORE) and backups and restores go into the
audit log under their name. None is the maintenance context (tests of the layers below, a
clinic's own daily backup), refused nothing."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from otdesk.core.accounts import Permission, Person
from otdesk.paths import cli_command
from otdesk.services.audit import RecordsReport, check_records
from otdesk.services.clinic import database_path
from otdesk.services.clock import Clock, SystemClock
from otdesk.services.context import ServiceContext
from otdesk.services.errors import PermissionDeniedError
from otdesk.services.permissions import check as require
from otdesk.storage import (
    CheckReport,
    RestoreReport,
    StorageError,
    inspect_database,
    newest_restorable,
    open_database,
    restore_database,
)
from otdesk.storage.backups import (
    BACKUP_DIRNAME,
    CHECKING,
    COPYING,
    SEALING,
    Backup,
    BackupInfo,
    BackupProgress,
    BackupStore,
)
from otdesk.storage.database import Database
from otdesk.storage.keys import DatabaseKey, Unlocker

# The stages backup_now() reports, for a window's progress (re-exported for the window).
BACKUP_STAGES = (COPYING, CHECKING, SEALING)
ELSEWHERE = "elsewhere"  # the "reason" of a file to restore that is not one of the backups


@dataclass(frozen=True, slots=True)
class HealthReport:
    check: CheckReport
    backups: tuple[Backup, ...]  # newest first
    records: RecordsReport | None = None  # None when the file itself failed its checks
    server: str = ""  # host:port/database of a clinic server ("" for a clinic file)

    @property
    def ok(self) -> bool:
        return self.check.ok and self.records is not None and self.records.ok


def backup_now(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    clock: Clock | None = None,
    key: DatabaseKey | None = None,
    person: Person | None = None,
    progress: BackupProgress | None = None,
) -> Path:
    """A backup of the clinic database now (kept with the automatic ones); encrypted,
    with the clinic's key slots of now, when the clinic is. `progress(stage, done,
    total)`: see storage.backups.BackupStore.take (COPYING counts pages; CHECKING and
    SEALING count nothing)."""
    require(person, Permission.BACKUP)
    clock = clock or SystemClock()
    path = existing_database(data_dir)
    with open_database(path, now=clock.now(), daily_backup=False, key=key) as db:
        made = db.backup(now=clock.now(), reason="manual", progress=progress)
        _record(db, clock, person, "backup", {"file": made.name})
        return made


def restore(
    backup: str | os.PathLike[str] | None,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    clock: Clock | None = None,
    key: DatabaseKey | None = None,
    unlock: Unlocker | None = None,
    person: Person | None = None,
    user: str | None = None,
    recovery: bool = False,
) -> RestoreReport:
    """Replace the clinic database with a backup file, validated first (the current one is
    kept). `backup` None: the newest backup that passes its checks. `key`: the current
    clinic's key; `unlock`: opens an encrypted backup (see the module's note). `user`
    (with no `person`) is who restores when the clinic database could not be read to know
    their role (see otdesk.commands.session.signed_in_person): the backup itself must then
    hold them as an enabled account whose role may restore, or nothing is replaced.
    `recovery`: `unlock` is the recovery key, the emergency access that opens everything;
    no role is checked and the restore is recorded as made with it."""
    require(person, Permission.RESTORE)
    clock = clock or SystemClock()
    database = database_path(data_dir)
    source = Path(backup) if backup is not None else newest_restorable(database, key=key)
    accept = None
    if person is None and user and not recovery:
        accept = functools.partial(_may_restore, user)
    report = restore_database(
        source, database, now=clock.now(), key=key, unlock=unlock, accept=accept
    )
    # recorded in the clinic as restored: its audit log goes on from the backup's
    with open_database(report.database, now=clock.now(), daily_backup=False, key=report.key) as db:
        after = {"file": source.name, **({"with": "the recovery key"} if recovery else {})}
        _record(db, clock, person, "restore", after, user=user)
    return report


def backups(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    key: DatabaseKey | None = None,
    person: Person | None = None,
) -> list[BackupInfo]:
    """Every backup of the clinic, newest first, each checked (for `backup --verify` and
    the Backups window); encrypted ones opened with `key`."""
    require(person, Permission.BACKUP)
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


def describe_file(
    path: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    *,
    key: DatabaseKey | None = None,
) -> BackupInfo:
    """A file from elsewhere (a copy on a USB stick, a backup of another folder), checked
    as the Backups window checks each backup before it may be restored: its problem, or
    its size and visits. Its time is the file's own (when it was last written)."""
    candidate = Path(path)
    try:
        taken = datetime.fromtimestamp(candidate.stat().st_mtime)
    except OSError:
        taken = datetime.now()
    backup = Backup(candidate, taken.replace(microsecond=0), ELSEWHERE)
    return backup_info(backup, data_dir, key=key)


def check(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    key: DatabaseKey | None = None,
    person: Person | None = None,
) -> HealthReport:
    """Integrity and schema version of the clinic database (read-only), with its backups."""
    require(person, Permission.BACKUP)
    path = existing_database(data_dir)
    report = inspect_database(path, key=key)
    backups = BackupStore(path.parent / BACKUP_DIRNAME).newest_first()
    records = None
    if report.ok:
        with open_database(path, read_only=True, key=key) as db:
            records = check_records(db)
    return HealthReport(report, tuple(backups), records)


def check_server(db: Database, *, person: Person | None = None) -> HealthReport:
    """`otdesk check` on a clinic server (storage.server.ServerDatabase): the schema
    version and, from the server's rows, the audit chain and the triggers that protect
    finalized visits. The server checks its own pages (there is no file to read), and its
    backups are its own: none are listed."""
    require(person, Permission.BACKUP)
    report = db.check()
    return HealthReport(report, (), check_records(db), server=str(getattr(db, "server", "")))


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


def _may_restore(user: str, candidate: Path, key: DatabaseKey | None) -> None:
    """Refuse the backup unless `user` is, in it, an enabled account allowed to restore."""
    from sqlalchemy import select

    from otdesk.core.accounts import Role
    from otdesk.storage import schema as s

    accounts = s.accounts
    query = select(accounts.c.display_name, accounts.c.role, accounts.c.disabled).where(
        accounts.c.name == user
    )
    with (
        open_database(candidate, read_only=True, daily_backup=False, key=key) as db,
        db.read() as connection,
    ):
        row = connection.execute(query).first()
    if row is None or row.disabled:
        raise PermissionDeniedError(
            f"{user} is not an account that can sign in to the clinic in that backup; an "
            "administrator of the clinic restores it. Nothing was changed."
        )
    require(Person(user, row.display_name, Role(row.role)), Permission.RESTORE)


def _record(
    db: Database,
    clock: Clock,
    person: Person | None,
    action: str,
    after: dict[str, str],
    *,
    user: str | None = None,
) -> None:
    """An audit entry for a backup or restore, in the name of who did it."""
    ctx = ServiceContext(db=db, clock=clock)
    if user:
        ctx.user = user
    ctx.sign_in_as(person)
    with db.write() as connection:
        ctx.audit(connection, action, "database", None, after=after)
