"""Backups of the clinic database in a `backups` folder beside it.

Made with SQLite's online backup API (a consistent copy even while the app writes), written
under a temporary name, checked (SQLite's integrity check of the copy) and only then
renamed, so a crash or a bad copy never leaves a backup that looks whole; a `.partial`
left by a killed backup is removed at the next open. Names carry the local time and the
reason: otdesk-20260314-081502-daily.db. The newest KEEP backups are kept, and always the
newest one that passes its checks; copies made before a restore or before a demo clinic
replaced the data are never pruned (they may be the only copy of real data).

The backup of an encrypted clinic is encrypted too: the SQLCipher copy (made page by page
with the database key, checked opened with that key) sealed into one container file with
the key slots valid at that moment (otdesk.storage.containers), under the same name. A
plain clinic (before its encryption, otdesk.storage.encrypt) still makes plain backups.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from otdesk.errors import is_disk_full
from otdesk.storage import containers, dialect
from otdesk.storage.errors import BackupError, KeyFileError, disk_full_error
from otdesk.storage.files import (
    create_private_file,
    fsync_folder,
    fsync_path,
    make_private_dir,
    sidecars,
)

# Kept importable from here for the services that use them (otdesk.services.csvio, claims).
from otdesk.storage.files import secure_database_files as secure_database_files  # noqa: E402, I001
from otdesk.storage.files import secure_file as secure_file  # noqa: E402
from otdesk.storage.keys import DatabaseKey, KeySlots, load_key_file
from otdesk.storage.migrations import KNOWN_REVISIONS

BACKUP_DIRNAME = "backups"
KEEP = 14
REASONS = (
    "daily",
    "before-migration",
    "manual",
    "before-restore",
    "before-demo",
    "before-server-move",
)
PROTECTED_REASONS = frozenset({"before-restore", "before-demo", "before-server-move"})
_NAME = re.compile(
    r"otdesk-(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?-(?P<reason>[a-z-]+)\.db", re.ASCII
)
PARTIAL_SUFFIX = ".partial"
# The stages of making a backup, for a progress display (BackupStore.take).
COPYING, CHECKING, SEALING = "copying", "checking", "sealing"
BackupProgress = Callable[[str, int, int], None]


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    pass


# The SQLCipher copy a container is sealed from, and the copy a check opens.
COPY_SUFFIX = ".copy" + PARTIAL_SUFFIX


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    taken_at: datetime  # local time, naive (as in the file name)
    reason: str

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """A backup as the Backups window lists it: when, how big, how many visits, and the
    problem found when it was checked (None: it restores)."""

    backup: Backup
    size: int
    visits: int | None
    revision: str | None
    problem: str | None
    # An encrypted backup made under another database key (before a restore brought in
    # another clinic's file): found whole, but its contents open only with a password of
    # its day or its recovery key, so they were not checked.
    locked: bool = False
    encrypted: bool = False


@dataclass(frozen=True, slots=True)
class _Inspection:
    problem: str | None
    visits: int | None = None
    revision: str | None = None
    locked: bool = False
    encrypted: bool = False


class BackupStore:
    """The backups folder of one database. With `key` (an encrypted clinic) backups are
    encrypted containers carrying the clinic's key slots, and are checked opened with it."""

    def __init__(self, folder: Path, keep: int = KEEP, *, key: DatabaseKey | None = None) -> None:
        self.folder = folder
        self.keep = keep
        self.key = key

    def newest_first(self) -> list[Backup]:
        """Complete backups, newest first."""
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        found = []
        for name in names:
            match = _NAME.fullmatch(name)
            if not match:
                continue
            taken = datetime.strptime(match["stamp"], "%Y%m%d-%H%M%S")
            found.append(
                (taken, int(match["n"] or 0), Backup(self.folder / name, taken, match["reason"]))
            )
        found.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [backup for _, _, backup in found]

    def newest(self) -> Path | None:
        backups = self.newest_first()
        return backups[0].path if backups else None

    def has_backup_on(self, day: date) -> bool:
        prefix = f"otdesk-{day:%Y%m%d}-"
        try:
            return any(
                name.startswith(prefix) and _NAME.fullmatch(name)
                for name in os.listdir(self.folder)
            )
        except FileNotFoundError:
            return False

    def take(
        self,
        database: Path,
        *,
        now: datetime,
        reason: str,
        progress: BackupProgress | None = None,
    ) -> Path:
        """Back up `database` now; returns the new file, checked before it counts. Prunes
        old backups afterwards. `progress(stage, done, total)` hears each stage: COPYING
        with the pages copied of all, then CHECKING and (an encrypted clinic) SEALING,
        which report no count (done = total = 0)."""
        tell = progress or _no_progress
        if reason not in REASONS:
            raise ValueError(f"unknown backup reason {reason!r}")
        try:
            make_private_dir(self.folder)
        except OSError as error:
            raise self._failed(database, error) from error
        target = self._free_name(now.strftime("%Y%m%d-%H%M%S"), reason)
        partial = target.with_name(target.name + PARTIAL_SUFFIX)
        copy = target.with_name(target.name + COPY_SUFFIX)
        try:
            copied = functools.partial(tell, COPYING) if progress else None
            if self.key is None:
                create_private_file(partial)
                dialect.backup_file(database, partial, progress=copied)
                tell(CHECKING, 0, 0)
                self._refuse_unsound(database, partial)
                fsync_path(partial)
            else:
                slots = load_key_file(database)
                create_private_file(copy)
                dialect.backup_file(database, copy, key=self.key, progress=copied)
                self._seal(database, copy, partial, slots, now, tell)
            os.replace(partial, target)
            fsync_folder(self.folder)
        except Exception as error:
            for leftover in (partial, *sidecars(partial), copy, *sidecars(copy)):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            if isinstance(error, BackupError):
                raise
            if isinstance(error, KeyFileError):
                raise BackupError(
                    f"No backup of {database} was made: {error}", path=database
                ) from error
            raise self._failed(database, error) from error
        else:
            with contextlib.suppress(FileNotFoundError):
                copy.unlink()
        self.prune(known_good=target)
        return target

    def _seal(
        self,
        source: Path,
        copy: Path,
        partial: Path,
        slots: KeySlots,
        made_at: datetime,
        tell: BackupProgress | None = None,
    ) -> None:
        """Check the SQLCipher `copy` opened with the key, then seal it with `slots` into
        the container `partial` and check that the bytes sealed are the bytes checked."""
        tell = tell or _no_progress
        tell(CHECKING, 0, 0)
        revision = self._refuse_unsound(source, copy)
        tell(SEALING, 0, 0)
        create_private_file(partial)
        sealed = containers.write_container(
            partial, copy, slots=slots, revision=revision or "", made_at=made_at
        )
        header = containers.read_header(partial)
        if header.payload_sha256 != sealed or not containers.payload_intact(partial, header):
            raise BackupError(
                f"The backup of {source} changed while it was written; no backup was kept.",
                path=source,
            )

    def encrypt_plain(self, backup: Backup, slots: KeySlots) -> bool:
        """Replace the plain backup `backup` by an encrypted one under the store's key and
        `slots`, under the same name (a rename: the plain file or the encrypted one, never
        neither). False when it cannot be read as a database (it restored nothing)."""
        if self.key is None:
            raise ValueError("encrypting a backup needs the key")
        partial = backup.path.with_name(backup.path.name + PARTIAL_SUFFIX)
        copy = backup.path.with_name(backup.path.name + COPY_SUFFIX)
        try:
            create_private_file(copy)
            dialect.export_file(backup.path, copy, key=self.key)
            self._seal(backup.path, copy, partial, slots, backup.taken_at)
            os.replace(partial, backup.path)
            fsync_folder(self.folder)
        except BackupError:
            return False
        except dialect.DRIVER_ERRORS as error:
            if dialect.is_full_error(error):
                raise self._failed(backup.path, error) from error
            return False
        except OSError as error:
            raise self._failed(backup.path, error) from error
        finally:
            for leftover in (partial, *sidecars(partial), copy, *sidecars(copy)):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
        return True

    def _refuse_unsound(self, database: Path, copy: Path) -> str | None:
        """The copy's schema revision once it has passed verify()."""
        problem = self.verify(copy)
        if problem is not None:
            raise BackupError(
                f"The backup of {database} did not pass its check ({problem}); no backup was kept.",
                path=database,
            )
        return _revision(copy, self.key)

    def _failed(self, database: Path, error: BaseException) -> BackupError:
        if is_disk_full(error) or dialect.is_full_error(error):
            full = disk_full_error(self.folder, "no backup was made")
            return BackupError(str(full), path=self.folder)
        return BackupError(f"Could not back up {database} to {self.folder}: {error}", path=database)

    def prune(self, *, known_good: Path | None = None) -> list[Path]:
        """Delete all but the newest `keep` backups, returning them. Protected ones are never
        deleted, nor the newest backup that passes its checks (`known_good` when the caller
        has just checked it): if every newer one is damaged, it is the one that restores."""
        removed = []
        newest = self.newest_first()
        good = known_good if known_good is not None else self._newest_good(newest)
        ordinary = [b for b in newest if b.reason not in PROTECTED_REASONS]
        for backup in ordinary[self.keep :]:
            if good is not None and backup.path == good:
                continue
            with contextlib.suppress(FileNotFoundError):
                backup.path.unlink()
                removed.append(backup.path)
        return removed

    def _newest_good(self, newest: list[Backup]) -> Path | None:
        for backup in newest:
            if self.verify(backup.path) is None:
                return backup.path
        return None

    def verify(self, path: Path) -> str | None:
        """None when the backup at `path` is whole (SQLite's integrity check, otdesk's
        marker, a schema this otdesk knows; an encrypted one opened with the clinic's key),
        else what is wrong, in a few words. An encrypted backup of another key (see
        BackupInfo.locked) is whole when its container is, but does not count as checked:
        "it opens only with a password of its day"."""
        found = self._inspect(path)
        if found.locked and found.problem is None:
            return "it opens only with a password of its day or its recovery key"
        return found.problem

    def describe(self) -> list[BackupInfo]:
        """Every backup, newest first, each checked, with its size and visit count."""
        return [self.describe_one(backup) for backup in self.newest_first()]

    def describe_one(self, backup: Backup) -> BackupInfo:
        """One backup, checked now (the Backups window's Verify)."""
        found = self._inspect(backup.path)
        try:
            size = backup.size
        except OSError:
            size = 0
        return BackupInfo(
            backup,
            size,
            found.visits,
            found.revision,
            found.problem,
            found.locked,
            found.encrypted,
        )

    def _inspect(self, path: Path) -> _Inspection:
        try:
            if path.stat().st_size == 0:
                return _Inspection("it is empty")
            if not containers.is_container(path):
                # a plain backup; or, for an encrypted clinic, the SQLCipher copy being made
                plain = dialect.is_plain_file(path)
                return _inspect_database_file(path, None if plain else self.key)
            header = containers.read_header(path)
        except OSError as error:
            return _Inspection(f"it cannot be read ({error.strerror or error})")
        except containers.ContainerError as error:
            return _Inspection(str(error), encrypted=True)
        if self.key is None or header.slots.key_id != self.key.key_id:
            problem = (
                None
                if containers.payload_intact(path, header)
                else ("its database bytes were changed or damaged after it was made")
            )
            revision = header.revision if header.revision in KNOWN_REVISIONS else None
            return _Inspection(problem, None, revision, locked=True, encrypted=True)
        copy = self._check_copy_name(path)
        try:
            create_private_file(copy)
            containers.extract_payload(path, header, copy)
            found = _inspect_database_file(copy, self.key)
        except OSError as error:
            return _Inspection(f"it cannot be read ({error.strerror or error})", encrypted=True)
        except containers.ContainerError as error:
            return _Inspection(str(error), encrypted=True)
        finally:
            for leftover in (copy, *sidecars(copy)):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
        return _Inspection(found.problem, found.visits, found.revision, encrypted=True)

    def _check_copy_name(self, path: Path) -> Path:
        return path.with_name(f"{path.name}.check-{os.getpid()}{COPY_SUFFIX}")

    def remove_partials(self) -> list[Path]:
        """Delete what killed backups left (`.partial` files and their journals)."""
        removed = []
        try:
            names = os.listdir(self.folder)
        except (FileNotFoundError, NotADirectoryError):
            return []
        for name in names:
            stem = name.removesuffix("-journal").removesuffix("-wal").removesuffix("-shm")
            base = stem.split(".db.", 1)[0] + ".db"
            if stem.endswith(PARTIAL_SUFFIX) and _NAME.fullmatch(base):
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / name).unlink()
                    removed.append(self.folder / name)
        return removed

    def _free_name(self, stamp: str, reason: str) -> Path:
        path = self.folder / f"otdesk-{stamp}-{reason}.db"
        n = 1
        while path.exists():
            n += 1
            path = self.folder / f"otdesk-{stamp}-{n}-{reason}.db"
        return path


def _inspect_database_file(path: Path, key: DatabaseKey | None) -> _Inspection:
    """Check a database file (plain, or SQLCipher opened with `key`), with its visit count."""
    encrypted = key is not None
    try:
        with path.open("rb") as handle:
            plain = handle.read(len(dialect.SQLITE_HEADER)) == dialect.SQLITE_HEADER
        if not plain and not encrypted:
            return _Inspection("it is not an SQLite database file")
        if plain and encrypted:
            return _Inspection("it is a plain database file, not an encrypted one")
        marked, problems, _tables, revision = dialect.check_file(path, key=key)
    except OSError as error:
        return _Inspection(f"it cannot be read ({error.strerror or error})", encrypted=encrypted)
    except dialect.DRIVER_ERRORS as error:
        if encrypted and dialect.is_not_a_database_error(error):
            return _Inspection(
                "the clinic's key does not open it, or it is damaged", encrypted=True
            )
        return _Inspection(f"it cannot be read ({error})", encrypted=encrypted)
    if not marked:
        return _Inspection("it is not an otdesk database", encrypted=encrypted)
    if problems:
        return _Inspection("it is damaged (" + "; ".join(problems[:2]) + ")", encrypted=encrypted)
    if revision not in KNOWN_REVISIONS:
        return _Inspection(
            f"its schema version {revision or 'is missing'}"
            + (" is newer than this otdesk" if revision else ""),
            encrypted=encrypted,
        )
    return _Inspection(None, _visits(path, key), revision, encrypted=encrypted)


def _revision(path: Path, key: DatabaseKey | None) -> str | None:
    with dialect.read_only(path, key=key) as connection:
        return dialect.marked_revision(connection)


def _visits(path: Path, key: DatabaseKey | None) -> int | None:
    """The current visits of a backup, read-only."""
    try:
        with dialect.read_only(path, key=key) as connection:
            row = connection.execute("SELECT count(*) FROM visits WHERE is_current").fetchone()
    except dialect.DRIVER_ERRORS:
        return None
    return int(row[0])
