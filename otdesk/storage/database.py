"""Opening the clinic database safely, and the transactions services run in.

open_database() never overwrites a file it does not recognise: a foreign or damaged file
raises an error naming it (with the newest backup to restore), a locked one raises
DatabaseLockedError after a short wait. A new database is created and migrated.

An existing one is checked at every open cheaply (the file header, otdesk's marker, the
schema table and the schema revision: the pages every query needs). SQLite's quick_check,
which reads the whole file (about 7 ms per MB: 175 ms for 50,000 visits), runs at the first
open of each day, just before that day's backup, and before any migration; damage found by
a later query is reported the same way (CorruptDatabaseError naming the file and the
newest backup). Alembic is imported only when a migration is due.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, exc

from otdesk.errors import is_disk_full
from otdesk.storage import dialect
from otdesk.storage.backups import (
    BACKUP_DIRNAME,
    KEEP,
    BackupStore,
    create_private_file,
    secure_database_files,
    sidecars,
)
from otdesk.storage.errors import (
    BackupError,
    CorruptDatabaseError,
    DatabaseLockedError,
    EmptyDatabaseError,
    NotAnOtdeskDatabaseError,
    SchemaTooNewError,
    StorageError,
    disk_full_error,
)
from otdesk.storage.migrations import HEAD_REVISION, KNOWN_REVISIONS

# How long opening waits for another program's write lock before saying it is locked.
OPEN_LOCK_TIMEOUT_MS = 1500

log = logging.getLogger(__name__)
_DB_ERRORS: tuple[type[Exception], ...] = (exc.DBAPIError, *dialect.DRIVER_ERRORS)


@dataclass(frozen=True, slots=True)
class OpenReport:
    """What happened while opening: whether the file was new, the revision migrated from,
    and any backup taken."""

    created: bool
    migrated_from: str | None
    backup: Path | None


@dataclass(frozen=True, slots=True)
class CheckReport:
    path: Path
    revision: str | None
    head: str
    problems: tuple[str, ...]
    size: int

    @property
    def ok(self) -> bool:
        return not self.problems and self.revision == self.head


class Database:
    """An open clinic database. Use read() and write() for transactions: one per user action."""

    def __init__(self, path: Path, engine: Engine, backups: BackupStore, report: OpenReport):
        self.path = path
        self.engine = engine
        self.backups = backups
        self.report = report

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (a consistent snapshot; takes no write lock)."""
        with self.translate_errors(), self.engine.connect() as connection, connection.begin():
            yield connection

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on any error."""
        with (
            self.translate_errors(),
            self.engine.connect().execution_options(**{dialect.WRITE_OPTION: True}) as connection,
            connection.begin(),
        ):
            yield connection

    def translate_errors(self) -> contextlib.AbstractContextManager[None]:
        return _translate_errors(self.path, self.backups)

    def backup(self, *, now: datetime, reason: str = "manual") -> Path:
        path = self.backups.take(self.path, now=now, reason=reason)
        log.info("backup written: %s", path.name)
        return path

    def check(self, *, quick: bool = False) -> CheckReport:
        """SQLite's integrity check (full by default) and the schema revision."""
        with self.translate_errors(), self.engine.connect() as connection:
            problems = dialect.integrity_problems(connection, quick=quick)
            revision = connection.exec_driver_sql(dialect.stored_revision_sql()).scalar()
            connection.rollback()
        return CheckReport(self.path, revision, HEAD_REVISION, tuple(problems), _size(self.path))

    def reset(self) -> None:
        """Drop every table and build the schema again, empty (in one transaction), then
        VACUUM so nothing of the old contents stays in the file's free pages. Only for
        replacing a clinic with the demo clinic; the caller backs the data up first."""
        from alembic import command

        from otdesk.storage.migrations import alembic_config

        with (
            self.translate_errors(),
            self.engine.connect().execution_options(**{dialect.WRITE_OPTION: True}) as connection,
        ):
            with connection.begin():
                command.downgrade(alembic_config(connection), "base")
                command.upgrade(alembic_config(connection), "head")
            dialect.vacuum(connection)
        log.info("database emptied")

    def close(self) -> None:
        self.engine.dispose()
        secure_database_files(self.path)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_database(
    path: Path,
    *,
    now: datetime | None = None,
    keep_backups: int = KEEP,
    lock_timeout_ms: int = OPEN_LOCK_TIMEOUT_MS,
    busy_timeout_ms: int = dialect.BUSY_TIMEOUT_MS,
    daily_backup: bool = True,
    durable: bool = True,
    always_check: bool = False,
    read_only: bool = False,
) -> Database:
    """Open (creating if needed) the clinic database at `path`. Raises
    NotAnOtdeskDatabaseError, CorruptDatabaseError, SchemaTooNewError or
    DatabaseLockedError; the file is never changed in those cases. `durable=False` commits
    with synchronous=NORMAL (bulk seeding only: safe if the program crashes, not if the
    computer loses power). `read_only` opens an existing, current database for reading
    only: it takes no lock, so it works while another program is writing."""
    path = Path(path)
    now = now or datetime.now().astimezone()
    backups = BackupStore(path.parent / BACKUP_DIRNAME, keep=keep_backups)
    if read_only:
        return _open_read_only(path, backups)
    existing = has_content(path)
    if existing:
        _check_header(path, backups)
    else:
        _refuse_emptied(path, backups)
        try:
            create_private_file(path)  # so SQLite's WAL files inherit owner-only permissions
        except OSError as error:
            raise _os_error(path, error) from None
    secure_database_files(path)
    backups.remove_partials()

    engine = create_engine(dialect.sqlite_url(path))
    # Opening waits only briefly for a lock; normal work waits longer.
    settings = dialect.configure_engine(
        engine, busy_timeout_ms=lock_timeout_ms, wal=False, durable=durable
    )
    try:
        report = _prepare(
            path,
            engine,
            settings,
            backups,
            now,
            existing,
            daily_backup,
            busy_timeout_ms,
            always_check,
        )
    except BaseException:
        engine.dispose()
        raise
    settings["busy_timeout_ms"] = busy_timeout_ms
    secure_database_files(path)
    return Database(path, engine, backups, report)


def _refuse_emptied(path: Path, backups: BackupStore) -> None:
    """An emptied file beside backups is a clinic that lost its contents, not a new one."""
    if path.exists() and backups.newest() is not None:
        raise EmptyDatabaseError(
            f"The clinic database {path} is empty (0 bytes), but backups of it exist: it "
            "has been damaged, not made new. It has not been changed.",
            path=path,
            newest_backup=backups.newest(),
        )


def _open_read_only(path: Path, backups: BackupStore) -> Database:
    if not has_content(path):
        _refuse_emptied(path, backups)
        raise StorageError(f"There is no clinic database at {path}.", path=path)
    _check_header(path, backups)
    engine = create_engine(dialect.sqlite_url(path, read_only=True))
    dialect.configure_engine(engine, wal=False)
    try:
        with _translate_errors(path, backups), engine.connect() as connection:
            marked, tables = dialect.file_marker(connection)
            if not marked:
                raise NotAnOtdeskDatabaseError(
                    f"{path} is not an otdesk database; it has not been changed.",
                    path=path,
                    newest_backup=backups.newest(),
                )
            revision = connection.exec_driver_sql(dialect.stored_revision_sql()).scalar()
            connection.rollback()
    except BaseException:
        engine.dispose()
        raise
    if revision != HEAD_REVISION:
        engine.dispose()
        if revision not in KNOWN_REVISIONS:
            raise SchemaTooNewError(
                f"{path} was written by a newer version of otdesk (schema {revision}); "
                "install that version to open it. The file has not been changed.",
                path=path,
            )
        raise StorageError(
            f"The clinic database {path} has an older schema ({revision}); open otdesk once "
            "(or run `otdesk backup`) to bring it up to date, then try again.",
            path=path,
        )
    report = OpenReport(created=False, migrated_from=None, backup=None)
    return Database(path, engine, backups, report)


def _prepare(
    path: Path,
    engine: Engine,
    settings: dict[str, int],
    backups: BackupStore,
    now: datetime,
    existing: bool,
    daily_backup: bool,
    busy_timeout_ms: int,
    always_check: bool,
) -> OpenReport:
    with _translate_errors(path, backups), engine.connect() as connection:
        dialect.probe_write_lock(connection)
        marked, tables = dialect.file_marker(connection)
        if not marked:
            if tables:
                raise NotAnOtdeskDatabaseError(
                    f"{path} is a database of another program, not an otdesk database; "
                    "it has not been changed.",
                    path=path,
                    newest_backup=backups.newest(),
                )
            revision = None
        else:
            revision = connection.exec_driver_sql(dialect.stored_revision_sql()).scalar()
            first_today = not backups.has_backup_on(now.date())
            if always_check or first_today or revision != HEAD_REVISION:
                problems = dialect.integrity_problems(connection, quick=True)
                if problems:
                    raise _corrupt(path, backups, "; ".join(problems[:3]))
        connection.rollback()
        # The file is ours (or empty): now it may be switched to WAL.
        dialect.enable_wal(connection)
        settings["wal"] = 1
        dialect.set_busy_timeout(connection, busy_timeout_ms)

    if revision is not None and revision not in KNOWN_REVISIONS:
        raise SchemaTooNewError(
            f"{path} was written by a newer version of otdesk (schema {revision}); "
            "install that version to open it. The file has not been changed.",
            path=path,
        )

    backup = None
    if revision != HEAD_REVISION:
        if revision is not None:
            backup = backups.take(path, now=now, reason="before-migration")
        _migrate(engine, path, backups)
        log.info("database schema %s -> %s", revision, HEAD_REVISION)
    elif daily_backup and existing and not backups.has_backup_on(now.date()):
        try:
            backup = backups.take(path, now=now, reason="daily")
        except BackupError as error:
            # A missing daily backup must not stop the front desk; it is retried next open.
            log.warning("daily backup failed: %s", error)
    migrated_from = revision if revision not in (None, HEAD_REVISION) else None
    return OpenReport(created=revision is None, migrated_from=migrated_from, backup=backup)


def _migrate(engine: Engine, path: Path, backups: BackupStore) -> None:
    from otdesk.storage.migrations import upgrade

    with _translate_errors(path, backups), engine.connect() as connection:
        upgrade(connection)
        connection.commit()


def has_content(path: Path) -> bool:
    """True when there is something at `path` worth protecting. An empty file with no WAL
    beside it (a crash before the first commit) holds nothing and is treated as new."""
    if not path.exists():
        return False
    if path.is_dir():
        raise NotAnOtdeskDatabaseError(
            f"{path} is a folder, not an otdesk database.", path=path, newest_backup=None
        )
    wal = sidecars(path)[0]
    return path.stat().st_size > 0 or (wal.exists() and wal.stat().st_size > 0)


def _check_header(path: Path, backups: BackupStore) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(dialect.SQLITE_HEADER))
    except OSError as error:
        raise _os_error(path, error) from None
    if header != dialect.SQLITE_HEADER and _size(path) > 0:
        raise NotAnOtdeskDatabaseError(
            f"{path} is not an otdesk database (it is not an SQLite file, or its first page "
            "is damaged); it has not been changed.",
            path=path,
            newest_backup=backups.newest(),
        )


@contextlib.contextmanager
def _translate_errors(path: Path, backups: BackupStore) -> Iterator[None]:
    """SQLite's "locked" and "corrupt" errors as DatabaseLockedError and
    CorruptDatabaseError; any other database error as it is."""
    try:
        yield
    except _DB_ERRORS as error:
        if dialect.is_locked_error(error):
            raise DatabaseLockedError(path) from error
        if dialect.is_full_error(error):
            raise disk_full_error(path.parent) from error
        if dialect.is_corrupt_error(error):
            raise _corrupt(path, backups, str(getattr(error, "orig", error))) from error
        raise


def _os_error(path: Path, error: OSError) -> StorageError:
    if is_disk_full(error):
        return disk_full_error(path.parent)
    return StorageError(
        f"Cannot use the clinic database {path}: {error.strerror or error}.", path=path
    )


def _corrupt(path: Path, backups: BackupStore, detail: str) -> CorruptDatabaseError:
    return CorruptDatabaseError(
        f"The clinic database {path} is damaged (SQLite says: {detail}); it has not been changed.",
        path=path,
        newest_backup=backups.newest(),
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def inspect_database(path: Path, *, lock_timeout_ms: int = OPEN_LOCK_TIMEOUT_MS) -> CheckReport:
    """SQLite's full integrity check and the schema revision of the database at `path`,
    read-only: nothing is created, migrated or backed up. Raises StorageError when there is
    no file, NotAnOtdeskDatabaseError or DatabaseLockedError."""
    path = Path(path)
    backups = BackupStore(path.parent / BACKUP_DIRNAME)
    if not path.is_file():
        raise StorageError(f"There is no clinic database at {path}.", path=path)
    if not has_content(path):
        _refuse_emptied(path, backups)
    _check_header(path, backups)
    try:
        marked, problems, tables, revision = dialect.check_file(
            path, busy_timeout_ms=lock_timeout_ms
        )
    except dialect.DRIVER_ERRORS as error:
        if dialect.is_locked_error(error):
            raise DatabaseLockedError(path) from error
        problems, revision, marked, tables = [str(error)], None, True, []
    if not marked and tables:
        raise NotAnOtdeskDatabaseError(
            f"{path} is a database of another program, not an otdesk database.",
            path=path,
            newest_backup=backups.newest(),
        )
    return CheckReport(path, revision, HEAD_REVISION, tuple(problems), _size(path))
