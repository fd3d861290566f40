"""Encrypting a plain clinic in place: the first start after the upgrade that brought
encryption (the caller has made the first account, the database key and the recovery key,
and holds the single-instance lock).

Each step leaves a clinic that opens: the plain one until the rename that swaps the
encrypted copy in, the encrypted one (with its key file already written) from then on.

1. checked:  the plain clinic opens, is otdesk's, passes SQLite's check, is migrated;
             its WAL is folded into the file (no -wal or -shm is left beside it).
2. exported: sqlcipher_export writes an encrypted copy in a private folder beside it.
3. verified: the copy passes the integrity check opened with the key, carries otdesk's
             marker and schema, and every table has the same number of rows; fsynced.
4. keys:     the key file (its slots, naming the copy's file) is written atomically.
5. swapped:  the copy is renamed over the plain file (atomic in one folder), folder fsynced.
6. cleaned:  what is left of the plain file's companions and the private folder goes.
7. backups:  every plain backup becomes an encrypted one under the same name (or is
             deleted, as the caller chooses); a plain backup that no longer reads as a
             database (it restored nothing) is deleted too, and listed.

Killed between 4 and 5, the plain clinic still opens (its key file names a file that never
took its place; encrypting again rewrites it). Killed after 5, the encrypted one opens and
encrypting again only finishes the backups.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from otdesk.errors import is_disk_full
from otdesk.storage import dialect, keys
from otdesk.storage.backups import BACKUP_DIRNAME, BackupStore
from otdesk.storage.errors import (
    DatabaseLockedError,
    KeyFileError,
    StorageError,
    disk_full_error,
)
from otdesk.storage.files import create_private_file, fsync_folder, fsync_path, sidecars
from otdesk.storage.keys import DatabaseKey, KeySlots
from otdesk.storage.migrations import HEAD_REVISION

STEPS = ("checked", "exported", "verified", "keys", "swapped", "cleaned", "backups")
_WORKSPACE_PREFIXES = (".encrypt-", ".restore-")


@dataclass(frozen=True, slots=True)
class EncryptReport:
    database: Path
    already_encrypted: bool  # only the backups were left to do (a second run)
    backups_encrypted: list[Path] = field(default_factory=list)
    backups_deleted: list[Path] = field(default_factory=list)
    unreadable_deleted: list[Path] = field(default_factory=list)  # plain, restored nothing


def clinic_state(database: Path) -> str:
    """ "missing" (no clinic yet), "plain" (not encrypted yet) or "encrypted"."""
    from otdesk.storage.database import has_content

    if not has_content(Path(database)):
        return "missing"
    return "plain" if dialect.is_plain_file(database) else "encrypted"


def encrypt_in_place(
    database: Path,
    key: DatabaseKey,
    slots: KeySlots,
    *,
    plain_backups: str = "encrypt",
    on_step: Callable[[str], None] | None = None,
) -> EncryptReport:
    """Encrypt the plain clinic at `database` with `key`, whose slots `slots` (made with
    keys.KeySlots.new(...).with_password(...)) become its key file; then encrypt
    ("encrypt") or delete ("delete") its plain backups. `on_step(name)` is called after
    each step of STEPS (progress; the crash tests stop the process there). Run again after
    an interruption, it finishes the work. Raises StorageError (with the plain clinic as
    it was) when the clinic cannot be read, is locked, or the disk is full."""
    from otdesk.storage.database import open_database

    database = Path(database)
    step = on_step or (lambda _name: None)
    if plain_backups not in ("encrypt", "delete"):
        raise ValueError("plain_backups is 'encrypt' or 'delete'")
    if slots.key_id != key.key_id:
        raise KeyFileError("The key slots given do not hold that database key.")
    state = clinic_state(database)
    if state == "missing":
        raise StorageError(f"There is no clinic database at {database} to encrypt.", path=database)
    remove_stale_workspaces(database.parent)
    if state == "encrypted":
        # A second run after the swap: the key must open it; then the backups.
        open_database(database, key=key, daily_backup=False).close()
        sealed, deleted, unreadable = seal_plain_backups(
            database, key, keys.load_key_file(database), delete=plain_backups == "delete"
        )
        return EncryptReport(database, True, sealed, deleted, unreadable)

    open_database(database, daily_backup=False, always_check=True).close()
    try:
        dialect.checkpoint_to_rollback_journal(database)
    except dialect.DRIVER_ERRORS as error:
        if dialect.is_locked_error(error):
            raise DatabaseLockedError(database) from error
        raise
    step("checked")

    work = _workspace(database.parent)
    try:
        encrypted = work / database.name
        try:
            create_private_file(encrypted)
            dialect.export_file(database, encrypted, key=key)
        except dialect.DRIVER_ERRORS as error:
            if dialect.is_full_error(error):
                raise disk_full_error(database.parent, "the clinic was left as it was") from error
            raise StorageError(
                f"The clinic database {database} could not be copied into an encrypted one "
                f"({error}); it was left as it was.",
                path=database,
            ) from error
        step("exported")
        _verify_copy(database, encrypted, key)
        fsync_path(encrypted)
        step("verified")
        keys.write_key_file(
            keys.key_file_path(database), slots.bound_to(keys.database_file_id(encrypted))
        )
        step("keys")
        _refuse_new_writes(database)
        os.replace(encrypted, database)
        fsync_folder(database.parent)
        step("swapped")
    except OSError as error:
        if is_disk_full(error):
            raise disk_full_error(database.parent, "the clinic was left as it was") from error
        raise StorageError(
            f"The clinic database {database} could not be encrypted ({error.strerror or error});"
            " it was left as it was.",
            path=database,
        ) from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for leftover in sidecars(database):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    step("cleaned")
    sealed, deleted, unreadable = seal_plain_backups(
        database, key, keys.load_key_file(database), delete=plain_backups == "delete"
    )
    step("backups")
    return EncryptReport(database, False, sealed, deleted, unreadable)


def _verify_copy(database: Path, encrypted: Path, key: DatabaseKey) -> None:
    marked, problems, _tables, revision = dialect.check_file(encrypted, key=key)
    plain_counts = dialect.row_counts(database)
    encrypted_counts = dialect.row_counts(encrypted, key=key)
    if not marked or problems or revision != HEAD_REVISION or plain_counts != encrypted_counts:
        differing = sorted(
            name
            for name in set(plain_counts) | set(encrypted_counts)
            if plain_counts.get(name) != encrypted_counts.get(name)
        )
        detail = "; ".join(problems[:2]) or (
            "rows differ in " + ", ".join(differing[:3]) if differing else "its marker"
        )
        raise StorageError(
            f"The encrypted copy of {database} did not match it ({detail}); the clinic was "
            "left as it was.",
            path=database,
        )


def _refuse_new_writes(database: Path) -> None:
    """Nothing may have written the plain file since it was copied (the caller holds the
    single-instance lock; this is the last look before the swap)."""
    wal, shm, journal = sidecars(database)
    for side in (wal, journal):
        if side.exists() and side.stat().st_size > 0:
            raise StorageError(
                f"Another program wrote to {database} while it was being encrypted; it was "
                "left as it was (close the other otdesk and try again).",
                path=database,
            )
    for side in (wal, shm, journal):
        with contextlib.suppress(FileNotFoundError):
            side.unlink()


def seal_plain_backups(
    database: Path, key: DatabaseKey, slots: KeySlots, *, delete: bool = False
) -> tuple[list[Path], list[Path], list[Path]]:
    """Every plain backup of the clinic encrypted with `key` and `slots` (or deleted, with
    `delete`). Returns (encrypted, deleted, deleted because they no longer read as a
    database)."""
    store = BackupStore(database.parent / BACKUP_DIRNAME, key=key)
    store.remove_partials()
    sealed: list[Path] = []
    deleted: list[Path] = []
    unreadable: list[Path] = []
    for backup in store.newest_first():
        try:
            if not dialect.is_plain_file(backup.path):
                continue
        except OSError:
            continue
        if delete:
            backup.path.unlink(missing_ok=True)
            deleted.append(backup.path)
        elif store.encrypt_plain(backup, slots):
            sealed.append(backup.path)
        else:
            backup.path.unlink(missing_ok=True)
            unreadable.append(backup.path)
    if deleted or unreadable:
        fsync_folder(store.folder)
    return sealed, deleted, unreadable


def _workspace(folder: Path) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=_WORKSPACE_PREFIXES[0], dir=folder))
    except OSError as error:
        if is_disk_full(error):
            raise disk_full_error(folder, "the clinic was left as it was") from error
        raise StorageError(
            f"Cannot prepare the encryption in {folder}: {error.strerror}."
        ) from None


def remove_stale_workspaces(folder: Path) -> list[Path]:
    """Private folders a killed encryption or restore left beside the database (a restore's
    may hold a plain copy of a backup). Only call with the single-instance lock held."""
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False) and entry.name.startswith(_WORKSPACE_PREFIXES):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
    return removed
