"""Restoring the clinic database from a backup without ever leaving a clinic that cannot open.

A candidate file is never trusted: it is copied into a private folder beside the database
and the copy is examined there (SQLite header, integrity check, otdesk's marker, a schema
revision this otdesk knows, every table, column and trigger that revision's migrations
make, text that decodes, foreign keys) and then migrated to the current schema. Only a
copy that passed all of that replaces the clinic, by a rename in the same folder after
fsync; the clinic is then opened once more, and if that open fails the previous file is put
back. The database being replaced is kept: a "before-restore" backup when it was healthy,
renamed aside (never deleted) when it was not.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from otdesk.errors import is_disk_full
from otdesk.storage import dialect
from otdesk.storage.backups import (
    BACKUP_DIRNAME,
    BackupStore,
    fsync_folder,
    fsync_path,
    make_private_dir,
    secure_database_files,
    sidecars,
)
from otdesk.storage.errors import (
    BackupError,
    CorruptDatabaseError,
    NotAnOtdeskDatabaseError,
    SchemaTooNewError,
    StorageError,
    disk_full_error,
)
from otdesk.storage.sqlite_files import examine_copy


@dataclass(frozen=True, slots=True)
class RestoreReport:
    restored_from: Path
    database: Path
    safety_copy: Path | None  # the previous database: a backup, or the unusable file set aside
    revision: str  # the backup's schema revision before it was brought up to date


def restore_database(
    backup: Path,
    database: Path,
    *,
    now: datetime | None = None,
    lock_timeout_ms: int = 1500,
) -> RestoreReport:
    """Replace the database at `database` with the backup file `backup`, validated first.
    Raises BackupError (the candidate is refused; nothing was changed),
    DatabaseLockedError or DiskFullError; on any refusal the clinic is as it was."""
    from otdesk.storage.database import open_database

    now = now or datetime.now().astimezone()
    backup = Path(backup)
    database = Path(database)
    if not backup.is_file():
        raise BackupError(f"There is no backup file {backup}.", path=backup)
    if database.exists() and backup.resolve() == database.resolve():
        raise BackupError(f"{backup} is the clinic database itself, not a backup.", path=backup)
    make_private_dir(database.parent)
    with _workspace(database.parent) as work:
        candidate, revision = prepare_candidate(backup, work)
        previous, healthy, safety = _retire_current(database, now, lock_timeout_ms)
        try:
            os.replace(candidate, database)
            fsync_folder(database.parent)
            secure_database_files(database)
            open_database(
                database,
                now=now,
                daily_backup=False,
                always_check=True,
                lock_timeout_ms=lock_timeout_ms,
            ).close()
        except BaseException as error:
            _put_back(database, previous)
            if isinstance(error, StorageError | OSError):
                raise BackupError(
                    f"The restored copy of {backup} could not be opened ({error}); the "
                    "previous clinic database was put back and nothing was changed.",
                    path=backup,
                ) from error
            raise
        if previous is not None:
            if healthy:
                _remove_with_sidecars(previous)  # its "before-restore" backup is kept
            else:
                safety = previous
    return RestoreReport(backup, database, safety, revision)


def prepare_candidate(source: Path, work: Path) -> tuple[Path, str]:
    """Copy `source` into the private folder `work`, check the copy and migrate it to the
    current schema. Returns (the ready copy, the revision it had). Raises BackupError
    saying what is wrong with `source`; `source` itself is only read."""
    copy = work / "candidate.db"
    _copy_in(source, copy)
    revision = examine_copy(source, copy)
    _migrate_copy(source, copy)
    return copy, revision


def _migrate_copy(source: Path, copy: Path) -> None:
    from sqlalchemy import create_engine, exc

    from otdesk.storage.migrations import upgrade

    engine = create_engine(dialect.sqlite_url(copy))
    dialect.configure_engine(engine, wal=False)
    try:
        with engine.connect() as connection:
            upgrade(connection)
            connection.commit()
            problems = dialect.integrity_problems(connection, quick=True)
            dialect.use_rollback_journal(connection)
    except exc.DBAPIError as error:
        if dialect.is_full_error(error):
            raise disk_full_error(copy.parent) from error
        raise BackupError(
            f"{source} could not be brought up to this otdesk's schema ({error.orig}); "
            "choose another backup.",
            path=source,
        ) from error
    finally:
        engine.dispose()
    if problems:
        raise BackupError(f"{source} is damaged ({'; '.join(problems[:3])}).", path=source)
    fsync_path(copy)


def _copy_in(source: Path, copy: Path) -> None:
    try:
        shutil.copyfile(source, copy)
        wal = sidecars(source)[0]
        if wal.exists():  # a copy of a live database: its last commits may be in the WAL
            shutil.copyfile(wal, sidecars(copy)[0])
    except OSError as error:
        if is_disk_full(error):
            raise disk_full_error(copy.parent) from error
        raise BackupError(
            f"Cannot read {source}: {error.strerror or error}.", path=source
        ) from None


def _retire_current(
    database: Path, now: datetime, lock_timeout_ms: int
) -> tuple[Path | None, bool, Path | None]:
    """Move the current database out of the way. Returns (where it went, whether it was
    healthy, its safety copy). A healthy one is backed up first; an unusable one is kept."""
    from otdesk.storage.database import has_content, open_database

    if not has_content(database):
        for stale in (database, *sidecars(database)):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        return None, True, None
    healthy = True
    safety: Path | None = None
    try:
        current = open_database(
            database,
            now=now,
            daily_backup=False,
            always_check=True,
            lock_timeout_ms=lock_timeout_ms,
        )
    except (NotAnOtdeskDatabaseError, CorruptDatabaseError, SchemaTooNewError):
        healthy = False
    else:
        try:
            safety = current.backup(now=now, reason="before-restore")
        finally:
            current.close()
    label = "replaced" if healthy else "unusable"
    aside = _free_aside_name(database, label, now)
    try:
        _move_with_sidecars(database, aside)
    except OSError as error:
        raise StorageError(
            f"Cannot move the clinic database {database} aside to restore: {error.strerror}; "
            "nothing was changed.",
            path=database,
        ) from None
    return aside, healthy, safety


def _put_back(database: Path, previous: Path | None) -> None:
    _remove_with_sidecars(database)
    if previous is not None:
        _move_with_sidecars(previous, database)
    fsync_folder(database.parent)


def _free_aside_name(database: Path, label: str, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    target = database.with_name(f"{database.name}.{label}-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = database.with_name(f"{database.name}.{label}-{stamp}-{n}")
    return target


def _move_with_sidecars(old: Path, new: Path) -> None:
    os.replace(old, new)
    for old_side, new_side in zip(sidecars(old), sidecars(new), strict=True):
        if old_side.exists():
            os.replace(old_side, new_side)


def _remove_with_sidecars(path: Path) -> None:
    for candidate in (path, *sidecars(path)):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()


@contextlib.contextmanager
def _workspace(folder: Path) -> Iterator[Path]:
    """A private folder beside the database (same file system, so the final rename is
    atomic), removed afterwards whatever happens."""
    try:
        work = Path(tempfile.mkdtemp(prefix=".restore-", dir=folder))
    except OSError as error:
        if is_disk_full(error):
            raise disk_full_error(folder) from error
        raise StorageError(f"Cannot prepare the restore in {folder}: {error.strerror}.") from None
    try:
        make_private_dir(work)
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def newest_restorable(database: Path) -> Path:
    """The newest backup of `database` that passes every check (for `restore --latest`)."""
    store = BackupStore(database.parent / BACKUP_DIRNAME)
    backups = store.newest_first()
    if not backups:
        raise BackupError(
            f"There are no backups in {store.folder} to restore from.", path=store.folder
        )
    reasons = []
    for backup in backups:
        problem = store.verify(backup.path)
        if problem is None:
            return backup.path
        reasons.append(f"{backup.path.name}: {problem}")
    raise BackupError(
        f"None of the {len(backups)} backups in {store.folder} can be restored "
        f"({'; '.join(reasons[:3])}).",
        path=store.folder,
    )
