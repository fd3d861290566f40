"""Restoring the clinic database from a backup without ever leaving a clinic that cannot open.

A candidate file is never trusted: it is copied into a private folder beside the database
and the copy is examined there (SQLite header, integrity check, otdesk's marker, a schema
revision this otdesk knows, every table, column and trigger that revision's migrations
make, text that decodes, foreign keys) and then migrated to the current schema. Only a
copy that passed all of that replaces the clinic, by a rename in the same folder after
fsync; the clinic is then opened once more, and if that open fails the previous file is put
back. The database being replaced is kept: a "before-restore" backup when it was healthy,
renamed aside (never deleted) when it was not.

Encryption: a candidate is either an encrypted backup (a container: otdesk.storage.
containers), unlocked by a password valid in ITS slots or the recovery key, whose SQLCipher
file is examined opened with its key (never decrypted on disk) and which brings its slots
with it; or a plain otdesk backup (made before the clinic was encrypted), examined on a
private plain copy that is removed as soon as it has been exported into an encrypted copy
under the current clinic's key. The candidate is written out once more (a new SQLCipher
file, so it has a salt of its own), and its key file is written as otdesk.keys.new before
the swap: a restore cut short between the two renames is finished at the next open
(keys.settle_key_file). A plain clinic not yet encrypted restores plain backups as before.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from otdesk.errors import is_disk_full
from otdesk.storage import containers, dialect, keys
from otdesk.storage.backups import BACKUP_DIRNAME, BackupStore
from otdesk.storage.encrypt import remove_stale_workspaces, seal_plain_backups
from otdesk.storage.errors import (
    BackupError,
    CorruptDatabaseError,
    EncryptedDatabaseError,
    EncryptionError,
    NotAnOtdeskDatabaseError,
    SchemaTooNewError,
    StorageError,
    disk_full_error,
)
from otdesk.storage.files import (
    create_private_file,
    fsync_folder,
    fsync_path,
    make_private_dir,
    secure_database_files,
    secure_file,
    sidecars,
)
from otdesk.storage.keys import DatabaseKey, KeySlots, Unlocker
from otdesk.storage.sqlite_files import examine_copy


@dataclass(frozen=True, slots=True)
class RestoreReport:
    restored_from: Path
    database: Path
    safety_copy: Path | None  # the previous database: a backup, or the unusable file set aside
    revision: str  # the backup's schema revision before it was brought up to date
    key: DatabaseKey | None = None  # the restored clinic's key (None: a plain clinic)
    encrypted_backup: bool = False  # the candidate was an encrypted backup (it brought its slots)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A checked copy, migrated, ready to be renamed over the clinic."""

    path: Path
    revision: str
    key: DatabaseKey | None
    slots: KeySlots | None  # the key file it comes with (None: a plain clinic)
    encrypted_backup: bool


def restore_database(
    backup: Path,
    database: Path,
    *,
    now: datetime | None = None,
    lock_timeout_ms: int = 1500,
    key: DatabaseKey | None = None,
    unlock: Unlocker | None = None,
    accept: Callable[[Path, DatabaseKey | None], None] | None = None,
) -> RestoreReport:
    """Replace the database at `database` with the backup file `backup`, validated first.
    `key` is the current clinic's database key (None for a plain clinic): the clinic is
    backed up with it before it is replaced, and a plain backup is encrypted with it on
    the way in. `unlock` opens an encrypted backup (keys.PasswordUnlock or RecoveryUnlock
    for a password or recovery key valid when it was made); the restored clinic then takes
    that backup's key slots. Raises BackupError (the candidate is refused; nothing was
    changed), WrongKeyError, RecoveryKeyFormatError, DatabaseLockedError or DiskFullError;
    on any refusal the clinic is as it was. `accept(path, key)` sees the checked candidate
    before anything is replaced and may refuse it by raising (the services check there who
    may restore it when the clinic itself could not be read)."""
    from otdesk.storage.database import open_database

    now = now or datetime.now().astimezone()
    backup = Path(backup)
    database = Path(database)
    if not backup.is_file():
        raise BackupError(f"There is no backup file {backup}.", path=backup)
    if database.exists() and backup.resolve() == database.resolve():
        raise BackupError(f"{backup} is the clinic database itself, not a backup.", path=backup)
    make_private_dir(database.parent)
    remove_stale_workspaces(database.parent)
    if key is not None:
        keys.settle_key_file(database)
    elif _is_encrypted_clinic(database) and not _is_container(backup):
        raise EncryptedDatabaseError(
            f"The clinic database {database} is encrypted: restoring {backup} into it needs "
            "the clinic's key (sign in first). Nothing was changed.",
            path=database,
        )
    with _workspace(database.parent) as work:
        candidate = prepare_candidate(backup, work, key=key, unlock=unlock, database=database)
        if accept is not None:
            accept(candidate.path, candidate.key)
        previous, healthy, safety, kept_keys = _retire_current(database, now, lock_timeout_ms, key)
        try:
            if candidate.slots is not None:
                # written before the swap, named after the candidate's file (see the note)
                keys.write_key_file(keys.pending_key_file(database), candidate.slots)
            os.replace(candidate.path, database)
            fsync_folder(database.parent)
            if candidate.slots is not None:
                keys.settle_key_file(database)
            secure_database_files(database)
            open_database(
                database,
                now=now,
                daily_backup=False,
                always_check=True,
                lock_timeout_ms=lock_timeout_ms,
                key=candidate.key,
            ).close()
        except BaseException as error:
            _put_back(database, previous, kept_keys)
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
                if kept_keys is not None:
                    kept_keys.unlink(missing_ok=True)
            else:
                safety = previous
    if candidate.key is not None and candidate.slots is not None:
        # A plain clinic's backups, now beside an encrypted one: sealed with its key.
        seal_plain_backups(database, candidate.key, candidate.slots)
    return RestoreReport(
        backup, database, safety, candidate.revision, candidate.key, candidate.encrypted_backup
    )


def prepare_candidate(
    source: Path,
    work: Path,
    *,
    key: DatabaseKey | None = None,
    unlock: Unlocker | None = None,
    database: Path | None = None,
) -> Candidate:
    """Copy `source` into the private folder `work`, check the copy and migrate it to the
    current schema (see restore_database for `key` and `unlock`; `database` is the clinic
    whose key file a plain backup takes). Raises BackupError saying what is wrong with
    `source`, or the unlocking errors; `source` itself is only read."""
    if _is_container(source):
        return _prepare_encrypted(source, work, unlock)
    copy = work / "candidate.db"
    _copy_in(source, copy)
    revision = examine_copy(source, copy)
    if key is None:
        _migrate_copy(source, copy, None)
        return Candidate(copy, revision, None, None, False)
    if database is None:
        raise ValueError("a plain backup restored into an encrypted clinic needs its database")
    slots = keys.load_key_file(database)
    encrypted = work / "encrypted.db"
    try:
        _export(source, copy, encrypted, key=key, source_key=None)
    finally:
        _remove_with_sidecars(copy)  # the plain copy goes at once
    _migrate_copy(source, encrypted, key)
    return Candidate(
        encrypted, revision, key, slots.bound_to(keys.database_file_id(encrypted)), False
    )


def _prepare_encrypted(source: Path, work: Path, unlock: Unlocker | None) -> Candidate:
    with _container_read(source, work):
        header = containers.read_header(source)
    if unlock is None:
        raise EncryptedDatabaseError(
            f"{source} is an encrypted backup: restoring it needs a password that was valid "
            "when it was made, or the clinic's recovery key. Nothing was changed.",
            path=source,
        )
    backup_key = unlock(header.slots)
    sealed = work / "sealed.db"
    with _container_read(source, work):
        create_private_file(sealed)
        containers.extract_payload(source, header, sealed)
    revision = examine_copy(source, sealed, key=backup_key)
    _migrate_copy(source, sealed, backup_key)
    ready = work / "ready.db"
    _export(source, sealed, ready, key=backup_key, source_key=backup_key)
    _remove_with_sidecars(sealed)
    slots = header.slots.bound_to(keys.database_file_id(ready))
    return Candidate(ready, revision, backup_key, slots, True)


@contextlib.contextmanager
def _container_read(source: Path, work: Path) -> Iterator[None]:
    """A container that is not whole, or cannot be read, refused in one sentence."""
    try:
        yield
    except containers.ContainerError as error:
        raise BackupError(
            f"{source} is not a whole otdesk backup ({error}); choose another backup.",
            path=source,
        ) from None
    except OSError as error:
        raise _read_failure(source, work.parent, error) from None


def _export(
    source: Path, copy: Path, target: Path, *, key: DatabaseKey, source_key: DatabaseKey | None
) -> None:
    try:
        create_private_file(target)  # an empty file is an empty database to SQLite
        dialect.export_file(copy, target, key=key, source_key=source_key)
        secure_file(target)
        fsync_path(target)
    except OSError as error:
        raise _read_failure(source, target.parent, error) from None
    except dialect.DRIVER_ERRORS as error:
        raise _refusal(source, target.parent, error, "copied into an encrypted database") from error


def _migrate_copy(source: Path, copy: Path, key: DatabaseKey | None) -> None:
    from sqlalchemy import exc

    from otdesk.storage.migrations import upgrade

    engine = dialect.create_file_engine(copy, key=key)
    dialect.configure_engine(engine, wal=False)
    try:
        with engine.connect() as connection:
            upgrade(connection)
            connection.commit()
            problems = dialect.integrity_problems(connection, quick=True)
            dialect.use_rollback_journal(connection)
    except exc.DBAPIError as error:
        raise _refusal(source, copy.parent, error, "brought up to this otdesk's schema") from error
    finally:
        engine.dispose()
    if problems:
        raise BackupError(f"{source} is damaged ({'; '.join(problems[:3])}).", path=source)
    fsync_path(copy)


def _refusal(source: Path, folder: Path, error: Exception, doing: str) -> StorageError:
    """A database error while preparing the candidate: the disk was full, or `source` is
    not a backup this otdesk can take."""
    if dialect.is_full_error(error):
        return disk_full_error(folder)
    detail = getattr(error, "orig", None) or error
    return BackupError(
        f"{source} could not be {doing} ({detail}); choose another backup.", path=source
    )


def _read_failure(source: Path, folder: Path, error: OSError) -> StorageError:
    if is_disk_full(error):
        return disk_full_error(folder)
    return BackupError(f"Cannot read {source}: {error.strerror or error}.", path=source)


def _copy_in(source: Path, copy: Path) -> None:
    try:
        create_private_file(copy)
        shutil.copyfile(source, copy)
        wal = sidecars(source)[0]
        if wal.exists():  # a copy of a live database: its last commits may be in the WAL
            create_private_file(sidecars(copy)[0])
            shutil.copyfile(wal, sidecars(copy)[0])
    except OSError as error:
        raise _read_failure(source, copy.parent, error) from None


def _is_container(path: Path) -> bool:
    try:
        return containers.is_container(path)
    except OSError:
        return False


def _is_encrypted_clinic(database: Path) -> bool:
    """An encrypted clinic: random first bytes and its key file beside it. A plain file
    whose header was destroyed has no key file: it is a damaged plain clinic, which a
    plain backup restores."""
    from otdesk.storage.database import has_content

    try:
        return (
            has_content(database)
            and not dialect.is_plain_file(database)
            and keys.key_file_path(database).exists()
        )
    except (OSError, StorageError):
        return False


def _retire_current(
    database: Path, now: datetime, lock_timeout_ms: int, key: DatabaseKey | None
) -> tuple[Path | None, bool, Path | None, Path | None]:
    """Move the current database out of the way. Returns (where it went, whether it was
    healthy, its safety copy, the copy of its key file beside it). A healthy one is backed
    up first; an unusable one (or an encrypted one without its key) is kept, with its key
    file."""
    from otdesk.storage.database import has_content, open_database

    if not has_content(database):
        for stale in (database, *sidecars(database)):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        return None, True, None, None
    healthy = True
    safety: Path | None = None
    current_key = None if dialect.is_plain_file(database) else key
    try:
        if current_key is None and not dialect.is_plain_file(database):
            raise EncryptedDatabaseError("no key", path=database)
        current = open_database(
            database,
            now=now,
            daily_backup=False,
            always_check=True,
            lock_timeout_ms=lock_timeout_ms,
            key=current_key,
        )
    except (NotAnOtdeskDatabaseError, CorruptDatabaseError, SchemaTooNewError, EncryptionError):
        healthy = False
    else:
        try:
            safety = current.backup(now=now, reason="before-restore")
        finally:
            current.close()
    label = "replaced" if healthy else "unusable"
    aside = _free_aside_name(database, label, now)
    key_file = keys.key_file_path(database)
    kept_keys = aside.with_name(aside.name + ".keys") if key_file.exists() else None
    try:
        if kept_keys is not None:
            create_private_file(kept_keys)
            shutil.copyfile(key_file, kept_keys)
            fsync_path(kept_keys)
        _move_with_sidecars(database, aside)
    except OSError as error:
        if kept_keys is not None:
            kept_keys.unlink(missing_ok=True)
        raise StorageError(
            f"Cannot move the clinic database {database} aside to restore: {error.strerror}; "
            "nothing was changed.",
            path=database,
        ) from None
    return aside, healthy, safety, kept_keys


def _put_back(database: Path, previous: Path | None, kept_keys: Path | None) -> None:
    _remove_with_sidecars(database)
    keys.pending_key_file(database).unlink(missing_ok=True)
    key_file = keys.key_file_path(database)
    if kept_keys is not None:
        os.replace(kept_keys, key_file)
    else:  # the clinic had no key file (plain): the restored one's goes with it
        key_file.unlink(missing_ok=True)
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


def newest_restorable(database: Path, *, key: DatabaseKey | None = None) -> Path:
    """The newest backup of `database` that passes every check (for `restore --latest`);
    with the clinic's `key`, encrypted backups are checked opened with it."""
    store = BackupStore(database.parent / BACKUP_DIRNAME, key=key)
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
