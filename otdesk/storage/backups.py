"""Backups of the clinic database in a `backups` folder beside it.

Made with SQLite's online backup API (a consistent copy even while the app writes), written
under a temporary name and renamed when complete, so a crash never leaves half a backup
that looks whole. Names carry the local time and the reason:
otdesk-20260314-081502-daily.db. The newest KEEP backups are kept; copies made before a
restore or before a demo clinic replaced the data are never pruned (they may be the only
copy of real data).
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from otdesk.storage import dialect
from otdesk.storage.errors import BackupError

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
        """Back up `database` now; returns the new file. Prunes old backups afterwards."""
        if reason not in REASONS:
            raise ValueError(f"unknown backup reason {reason!r}")
        make_private_dir(self.folder)
        target = self._free_name(now.strftime("%Y%m%d-%H%M%S"), reason)
        partial = target.with_name(target.name + PARTIAL_SUFFIX)
        try:
            create_private_file(partial)
            dialect.backup_file(database, partial)
            os.replace(partial, target)
        except Exception as error:
            for leftover in (partial, *sidecars(partial)):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            if isinstance(error, BackupError):
                raise
            raise BackupError(
                f"Could not back up {database} to {self.folder}: {error}", path=database
            ) from error
        self.prune()
        return target

    def prune(self) -> list[Path]:
        """Delete all but the newest `keep` backups (protected ones never); returns them."""
        removed = []
        ordinary = [b for b in self.newest_first() if b.reason not in PROTECTED_REASONS]
        for backup in ordinary[self.keep :]:
            with contextlib.suppress(FileNotFoundError):
                backup.path.unlink()
                removed.append(backup.path)
        return removed

    def _free_name(self, stamp: str, reason: str) -> Path:
        path = self.folder / f"otdesk-{stamp}-{reason}.db"
        n = 1
        while path.exists():
            n += 1
            path = self.folder / f"otdesk-{stamp}-{n}-{reason}.db"
        return path


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
