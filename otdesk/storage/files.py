"""Small file-system helpers every storage module uses: owner-only files and folders, and
fsync of a file or a folder before a rename makes it count."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


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


def write_private_atomic(path: Path, data: bytes) -> None:
    """Replace the file at `path` whole or not at all: written beside it (owner-only),
    fsynced, renamed over it, and the folder fsynced. Raises OSError."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.name == "posix":
            os.chmod(temp, 0o600)
        os.replace(temp, path)
        fsync_folder(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock between processes on the lock file `path` (made owner-only;
    it stays, empty) for the block: for a small file that several otdesk processes read,
    change and write back. Hold it only briefly, and never while waiting for the database's
    write lock (a writer may wait for this one)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retried by Windows for up to 10 s
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
            yield  # released when the file is closed
    finally:
        os.close(fd)
