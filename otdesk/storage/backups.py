"""Backups of the clinic database in a `backups` folder beside it.

Made with SQLite's online backup API (a consistent copy even while the app writes), written
under a temporary name, checked (SQLite's integrity check of the copy) and only then
renamed, so a crash or a bad copy never leaves a backup that looks whole; a `.partial`
left by a killed backup is removed at the next open. Names carry the local time and the
reason: otdesk-20260314-081502-daily.db. The newest KEEP backups are kept, and always the
newest one that passes its checks; copies made before a restore or before a demo clinic
replaced the data are never pruned (they may be the only copy of real data).
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from otdesk.errors import is_disk_full
from otdesk.storage import dialect
from otdesk.storage.errors import BackupError, disk_full_error
from otdesk.storage.migrations import KNOWN_REVISIONS

BACKUP_DIRNAME = "backups"
KEEP = 14
REASONS = ("daily", "before-migration", "manual", "before-restore", "before-demo")
PROTECTED_REASONS = frozenset({"before-restore", "before-demo"})
_NAME = re.compile(
    r"otdesk-(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?-(?P<reason>[a-z-]+)\.db", re.ASCII
)
PARTIAL_SUFFIX = ".partial"


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


class BackupStore:
    """The backups folder of one database."""

    def __init__(self, folder: Path, keep: int = KEEP) -> None:
        self.folder = folder
        self.keep = keep

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

    def take(self, database: Path, *, now: datetime, reason: str) -> Path:
        """Back up `database` now; returns the new file, checked before it counts. Prunes
        old backups afterwards."""
        if reason not in REASONS:
            raise ValueError(f"unknown backup reason {reason!r}")
        try:
            make_private_dir(self.folder)
        except OSError as error:
            raise self._failed(database, error) from error
        target = self._free_name(now.strftime("%Y%m%d-%H%M%S"), reason)
        partial = target.with_name(target.name + PARTIAL_SUFFIX)
        try:
            create_private_file(partial)
            dialect.backup_file(database, partial)
            problem = self.verify(partial)
            if problem is not None:
                raise BackupError(
                    f"The backup of {database} did not pass its check ({problem}); no backup "
                    "was kept.",
                    path=database,
                )
            fsync_path(partial)
            os.replace(partial, target)
            fsync_folder(self.folder)
        except Exception as error:
            for leftover in (partial, *sidecars(partial)):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            if isinstance(error, BackupError):
                raise
            raise self._failed(database, error) from error
        self.prune(known_good=target)
        return target

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
        marker, a schema this otdesk knows), else what is wrong, in a few words."""
        try:
            if path.stat().st_size == 0:
                return "it is empty"
            with path.open("rb") as handle:
                if handle.read(len(dialect.SQLITE_HEADER)) != dialect.SQLITE_HEADER:
                    return "it is not an SQLite database file"
            marked, problems, _tables, revision = dialect.check_file(path)
        except OSError as error:
            return f"it cannot be read ({error.strerror or error})"
        except dialect.DRIVER_ERRORS as error:
            return f"it cannot be read ({error})"
        if not marked:
            return "it is not an otdesk database"
        if problems:
            return "it is damaged (" + "; ".join(problems[:2]) + ")"
        if revision not in KNOWN_REVISIONS:
            return f"its schema version {revision or 'is missing'}" + (
                " is newer than this otdesk" if revision else ""
            )
        return None

    def describe(self) -> list[BackupInfo]:
        """Every backup, newest first, each checked, with its size and visit count."""
        infos = []
        for backup in self.newest_first():
            problem = self.verify(backup.path)
            visits, revision = (None, None) if problem else _counts(backup.path)
            try:
                size = backup.size
            except OSError:
                size = 0
            infos.append(BackupInfo(backup, size, visits, revision, problem))
        return infos

    def remove_partials(self) -> list[Path]:
        """Delete what killed backups left (`.partial` files and their journals)."""
        removed = []
        try:
            names = os.listdir(self.folder)
        except (FileNotFoundError, NotADirectoryError):
            return []
        for name in names:
            stem = name.removesuffix("-journal").removesuffix("-wal").removesuffix("-shm")
            if stem.endswith(PARTIAL_SUFFIX) and _NAME.fullmatch(stem[: -len(PARTIAL_SUFFIX)]):
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


def _counts(path: Path) -> tuple[int | None, str | None]:
    """(current visits, schema revision) of a backup, read-only."""
    try:
        with dialect.read_only(path) as connection:
            revision = dialect.marked_revision(connection)
            visits = connection.execute("SELECT count(*) FROM visits WHERE is_current").fetchone()[
                0
            ]
    except dialect.DRIVER_ERRORS:
        return None, None
    return int(visits), revision


def fsync_path(path: Path) -> None:
    """Flush a file's contents to the disk (before a rename makes it count)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(path: Path) -> None:
    """Flush a folder's entries (so a rename inside it survives a power cut); a no-op where
    folders cannot be opened (Windows)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sidecars(path: Path) -> tuple[Path, Path, Path]:
    """SQLite's companion files of a database file (WAL, shared memory, rollback journal)."""
    return (
        path.with_name(path.name + "-wal"),
        path.with_name(path.name + "-shm"),
        path.with_name(path.name + "-journal"),
    )


def make_private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        path.chmod(0o700)


def create_private_file(path: Path) -> None:
    """Create (or truncate) an empty file readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    secure_file(path)


def secure_file(path: Path) -> None:
    if os.name == "posix":
        with contextlib.suppress(FileNotFoundError):
            path.chmod(0o600)


def secure_database_files(path: Path) -> None:
    """The database and its WAL/shared-memory files: owner only (0600) on POSIX."""
    for candidate in (path, *sidecars(path)):
        secure_file(candidate)
