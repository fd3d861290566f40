"""Opening the clinic database safely, and the transactions services run in.

open_database() never overwrites a file it does not recognise: a foreign or damaged file
raises an error naming it (with the newest backup to restore), a locked one raises
DatabaseLockedError after a short wait. A new database is created and migrated.

An existing one is checked at every open cheaply (the file header, otdesk's marker, the
schema table and the schema revision: the pages every query needs). SQLite's quick_check,
which reads the whole file (benchmarks/storage.py times it on 50,000 visits), runs at the first
open of each day, just before that day's backup, and before any migration; damage found by
a later query is reported the same way (CorruptDatabaseError naming the file and the
newest backup). Alembic is imported only when a migration is due.

An encrypted clinic is opened with its database key (otdesk.storage.keys): open_database(
path, key=key). A key that does not open the file raises WrongKeyError, never
CorruptDatabaseError; a file the key does open that is damaged is reported as damaged (a
damaged first page of a file whose key file names this file and this key, too). Without a
key only a plain file opens: that path stays for the clinics not yet encrypted (see
otdesk.storage.encrypt) and for the tests that write plain files by hand.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, exc

from otdesk.errors import is_disk_full
from otdesk.storage import audit_chain, dialect, keys, signin_record
from otdesk.storage.backups import BACKUP_DIRNAME, KEEP, BackupProgress, BackupStore
from otdesk.storage.errors import (
    BackupError,
    CorruptDatabaseError,
    DatabaseLockedError,
    EmptyDatabaseError,
    EncryptedDatabaseError,
    NotAnOtdeskDatabaseError,
    PlainDatabaseError,
    SchemaTooNewError,
    StorageError,
    WrongKeyError,
    disk_full_error,
)
from otdesk.storage.files import create_private_file, secure_database_files, sidecars
from otdesk.storage.keys import DatabaseKey
from otdesk.storage.migrations import HEAD_REVISION, KNOWN_REVISIONS

# How long opening waits for another program's write lock before saying it is locked.
OPEN_LOCK_TIMEOUT_MS = 1500
# How long a clinic opened for reading waits for the write lock (for its few audit entries,
# kept aside when it is locked: storage.signin_record).
READER_WRITE_TIMEOUT_MS = 250

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

    def __init__(
        self,
        path: Path,
        engine: Engine,
        backups: BackupStore,
        report: OpenReport,
        key: DatabaseKey | None = None,
        *,
        read_only: bool = False,
    ):
        self.path = path
        self.engine = engine
        self.backups = backups
        self.report = report
        self.key = key
        # Opened for reading only (a read-only command): it takes no lock, and its writes
        # (the audit entries of its session) wait for the lock briefly; see write().
        self.read_only = read_only
        self._brief_writer: Engine | None = None
        # Set when damage was found while the clinic is open: every write is refused with it
        # (writing into a damaged file can spread the damage), reads go on.
        self.writes_refused: StorageError | None = None

    @property
    def encrypted(self) -> bool:
        return self.key is not None

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (a consistent snapshot; takes no write lock)."""
        with self.translate_errors(), self.engine.connect() as connection, connection.begin():
            yield connection

    @property
    def pending_place(self) -> Path:
        """Where audit entries wait that could not be written yet (storage.signin_record
        keeps them beside this path)."""
        return self.path

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on any error.
        It first writes into the audit chain the entries kept aside by any program
        (storage.signin_record), oldest first. Opened read-only, it waits for another
        program's write lock only READER_WRITE_TIMEOUT_MS (DatabaseLockedError)."""
        if self.writes_refused is not None:
            raise self.writes_refused
        place = self.pending_place
        engine = self._writer()
        with (
            self.translate_errors(),
            engine.connect().execution_options(**{dialect.WRITE_OPTION: True}) as connection,
            connection.begin(),
        ):
            dialect.begin_write_state(connection)
            try:
                if self.read_only:
                    dialect.limit_lock_wait(connection, READER_WRITE_TIMEOUT_MS)
                kept = signin_record.pending(place)
                for entry in kept:
                    content = entry.columns()
                    if not audit_chain.is_written(connection, content):
                        audit_chain.append(connection, content)
                with audit_chain.held_until_commit(connection):
                    yield connection
                    dialect.run_before_commit(connection)
                dialect.send_notice(connection)
            finally:
                dialect.end_write_state(connection)
        if kept:
            try:
                signin_record.written(place, kept)
            except (StorageError, OSError) as error:
                # the write committed; the entries stay kept, and the next write finds them
                # in the chain already (their tokens) and only drops them
                log.warning("kept audit entries not dropped: %s", type(error).__name__)

    def _writer(self) -> Engine:
        """The engine writes go through: a read-only database's read engine cannot write,
        so its writes get an engine of their own with the brief busy timeout."""
        if not self.read_only or self.engine.dialect.name != "sqlite":
            return self.engine
        if self._brief_writer is None:
            engine = dialect.create_file_engine(self.path, key=self.key)
            dialect.configure_engine(engine, busy_timeout_ms=READER_WRITE_TIMEOUT_MS, wal=False)
            self._brief_writer = engine
        return self._brief_writer

    def translate_errors(self) -> contextlib.AbstractContextManager[None]:
        return _translate_errors(self.path, self.backups, self.key)

    def backup(
        self, *, now: datetime, reason: str = "manual", progress: BackupProgress | None = None
    ) -> Path:
        path = self.backups.take(self.path, now=now, reason=reason, progress=progress)
        log.info("backup written: %s", path.name)
        return path

    def check(self, *, quick: bool = False) -> CheckReport:
        """SQLite's integrity check (full by default) and the schema revision."""
        with self.translate_errors(), self.engine.connect() as connection:
            problems = dialect.integrity_problems(connection, quick=quick)
            revision = connection.exec_driver_sql(dialect.stored_revision_sql()).scalar()
            connection.rollback()
        return CheckReport(self.path, revision, HEAD_REVISION, tuple(problems), _size(self.path))

    def quick_check(self) -> None:
        """SQLite's quick_check of the whole file (read-only; about 7 ms per MB): raises
        CorruptDatabaseError, naming the file and the newest backup, when it finds damage."""
        report = self.check(quick=True)
        if report.problems:
            raise _corrupt(self.path, self.backups, "; ".join(report.problems[:3]))

    def refuse_writes(self, error: StorageError) -> None:
        """From now on every write raises `error` (the damage found); see writes_refused."""
        self.writes_refused = error

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
        if self._brief_writer is not None:
            self._brief_writer.dispose()
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
    key: DatabaseKey | None = None,
) -> Database:
    """Open (creating if needed) the clinic database at `path`: encrypted with `key`, or a
    plain file when `key` is None (see the module's note). Raises
    NotAnOtdeskDatabaseError, CorruptDatabaseError, SchemaTooNewError,
    DatabaseLockedError, WrongKeyError (the key does not open it), PlainDatabaseError (a
    key for a plain file) or EncryptedDatabaseError (no key for an encrypted one); the
    file is never changed in those cases. `durable=False` commits with synchronous=NORMAL
    (bulk seeding only: safe if the program crashes, not if the computer loses power).
    `read_only` opens an existing, current database for reading only: it takes no lock, so
    it works while another program is writing."""
    path = Path(path)
    now = now or datetime.now().astimezone()
    backups = BackupStore(path.parent / BACKUP_DIRNAME, keep=keep_backups, key=key)
    if key is not None:
        keys.settle_key_file(path)
    if read_only:
        return _open_read_only(path, backups, key)
    existing = has_content(path)
    if existing:
        _check_header(path, backups, key)
    else:
        _refuse_emptied(path, backups)
        try:
            create_private_file(path)  # so SQLite's WAL files inherit owner-only permissions
        except OSError as error:
            raise _os_error(path, error) from None
    secure_database_files(path)
    backups.remove_partials()

    engine = dialect.create_file_engine(path, key=key)
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
            key,
        )
    except BaseException:
        engine.dispose()
        raise
    settings["busy_timeout_ms"] = busy_timeout_ms
    secure_database_files(path)
    if key is not None:
        _bind_key_file(path, key)
    return Database(path, engine, backups, report, key)


def _bind_key_file(path: Path, key: DatabaseKey) -> None:
    """The key file beside a database its key has just opened names that file (after a new
    clinic was made, or a crash between the two steps of making one)."""
    key_file = keys.key_file_path(path)
    try:
        slots = keys.read_key_file(key_file)
    except StorageError:
        return  # no key file (yet): the caller manages the slots
    file_id = keys.database_file_id(path)
    if slots.key_id == key.key_id and slots.file_id != file_id:
        keys.write_key_file(key_file, slots.bound_to(file_id))


def _refuse_emptied(path: Path, backups: BackupStore) -> None:
    """An emptied file beside backups is a clinic that lost its contents, not a new one."""
    if path.exists() and backups.newest() is not None:
        raise EmptyDatabaseError(
            f"The clinic database {path} is empty (0 bytes), but backups of it exist: it "
            "has been damaged, not made new. It has not been changed.",
            path=path,
            newest_backup=backups.newest(),
        )


def _open_read_only(path: Path, backups: BackupStore, key: DatabaseKey | None) -> Database:
    if not has_content(path):
        _refuse_emptied(path, backups)
        raise StorageError(f"There is no clinic database at {path}.", path=path)
    _check_header(path, backups, key)
    engine = dialect.create_file_engine(path, read_only=True, key=key)
    dialect.configure_engine(engine, wal=False)
    try:
        with _translate_errors(path, backups, key), engine.connect() as connection:
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
    return Database(path, engine, backups, report, key, read_only=True)


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
    key: DatabaseKey | None,
) -> OpenReport:
    with _translate_errors(path, backups, key), engine.connect() as connection:
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
        _migrate(engine, path, backups, key)
        log.info("database schema %s -> %s", revision, HEAD_REVISION)
    elif daily_backup and existing and not backups.has_backup_on(now.date()):
        try:
            backup = backups.take(path, now=now, reason="daily")
        except BackupError as error:
            # A missing daily backup must not stop the front desk; it is retried next open.
            log.warning("daily backup failed: %s", error)
    migrated_from = revision if revision not in (None, HEAD_REVISION) else None
    return OpenReport(created=revision is None, migrated_from=migrated_from, backup=backup)


def _migrate(engine: Engine, path: Path, backups: BackupStore, key: DatabaseKey | None) -> None:
    from otdesk.storage.migrations import upgrade

    with _translate_errors(path, backups, key), engine.connect() as connection:
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


def _check_header(path: Path, backups: BackupStore, key: DatabaseKey | None = None) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(dialect.SQLITE_HEADER))
    except OSError as error:
        raise _os_error(path, error) from None
    if _size(path) == 0:
        return
    if key is not None:
        if header == dialect.SQLITE_HEADER:
            raise PlainDatabaseError(
                f"The clinic database {path} is not encrypted yet; it has not been changed.",
                path=path,
            )
        return  # an encrypted file starts with random bytes; the key is tried next
    if header != dialect.SQLITE_HEADER and keys.key_file_path(path).exists():
        raise EncryptedDatabaseError(
            f"The clinic database {path} is encrypted: it opens only with a password or "
            "the recovery key. It has not been changed.",
            path=path,
        )
    if header != dialect.SQLITE_HEADER:
        raise NotAnOtdeskDatabaseError(
            f"{path} is not an otdesk database (it is not an SQLite file, or its first page "
            "is damaged); it has not been changed.",
            path=path,
            newest_backup=backups.newest(),
        )


@contextlib.contextmanager
def _translate_errors(
    path: Path, backups: BackupStore, key: DatabaseKey | None = None
) -> Iterator[None]:
    """SQLite's "locked" and "corrupt" errors as DatabaseLockedError and
    CorruptDatabaseError, a key that does not open the file as WrongKeyError; any other
    database error as it is."""
    try:
        yield
    except _DB_ERRORS as error:
        if key is not None and dialect.is_not_a_database_error(error):
            if not _key_file_vouches(path, key):
                raise wrong_key_error(path) from error
            raise _corrupt(path, backups, "its first page does not decrypt") from error
        if dialect.is_locked_error(error):
            raise DatabaseLockedError(path) from error
        if dialect.is_full_error(error):
            raise disk_full_error(path.parent) from error
        if dialect.is_corrupt_error(error):
            raise _corrupt(path, backups, str(getattr(error, "orig", error))) from error
        raise


def wrong_key_error(path: Path) -> WrongKeyError:
    return WrongKeyError(
        f"The clinic database {path} does not open with this key (wrong password or "
        "recovery key, or a key file that belongs to another clinic); it has not been "
        "changed.",
        path=path,
    )


def _key_file_vouches(path: Path, key: DatabaseKey) -> bool:
    """True when the key file beside `path` holds this key: the key (unwrapped with a
    password or the recovery key from that very file) is then right, and a first page that
    does not decrypt is damage, or another clinic's file put in its place: either way the
    clinic file cannot be used and a backup is what helps, not another password. (The file
    id the key file records is the file's first 16 bytes, which damage there changes too.)"""
    try:
        slots = keys.read_key_file(keys.key_file_path(path))
    except StorageError:
        return False
    return slots.key_id == key.key_id


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


def inspect_database(
    path: Path,
    *,
    lock_timeout_ms: int = OPEN_LOCK_TIMEOUT_MS,
    key: DatabaseKey | None = None,
) -> CheckReport:
    """SQLite's full integrity check and the schema revision of the database at `path`
    (opened with `key` when encrypted), read-only: nothing is created, migrated or backed
    up. Raises StorageError when there is no file, NotAnOtdeskDatabaseError,
    DatabaseLockedError or WrongKeyError."""
    path = Path(path)
    backups = BackupStore(path.parent / BACKUP_DIRNAME, key=key)
    if key is not None:
        keys.settle_key_file(path)
    if not path.is_file():
        raise StorageError(f"There is no clinic database at {path}.", path=path)
    if not has_content(path):
        _refuse_emptied(path, backups)
    _check_header(path, backups, key)
    try:
        marked, problems, tables, revision = dialect.check_file(
            path, busy_timeout_ms=lock_timeout_ms, key=key
        )
    except dialect.DRIVER_ERRORS as error:
        if dialect.is_locked_error(error):
            raise DatabaseLockedError(path) from error
        wrong_key = key is not None and dialect.is_not_a_database_error(error)
        if wrong_key and key is not None and not _key_file_vouches(path, key):
            raise wrong_key_error(path) from error
        problems, revision, marked, tables = [str(error)], None, True, []
    if not marked and tables:
        raise NotAnOtdeskDatabaseError(
            f"{path} is a database of another program, not an otdesk database.",
            path=path,
            newest_backup=backups.newest(),
        )
    return CheckReport(path, revision, HEAD_REVISION, tuple(problems), _size(path))
