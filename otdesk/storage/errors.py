"""What can go wrong with the clinic database file, each with a message a person can act on.

Messages name the file and, where one exists, the newest backup; they never contain patient
data (they may end up in a log file or a bug report).
"""

from __future__ import annotations

from pathlib import Path

from otdesk.errors import UserError
from otdesk.paths import cli_command


class StorageError(UserError):
    """A problem with the clinic database; str() is one or two sentences for the user."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class UnusableDatabaseError(StorageError):
    """The file at the data path cannot be used as it is. It has not been changed;
    `newest_backup` is the backup to offer for restoring, or None."""

    def __init__(self, message: str, *, path: Path, newest_backup: Path | None) -> None:
        if newest_backup is not None:
            command = cli_command("restore", str(newest_backup), data_dir=path.parent)
            message += f" The newest backup is {newest_backup}; restore it with `{command}`."
        else:
            message += " No backup of it was found."
        super().__init__(message, path=path)
        self.newest_backup = newest_backup


class NotAnOtdeskDatabaseError(UnusableDatabaseError):
    """The file exists but is not an otdesk database (another program's file, or not a
    database at all)."""


class CorruptDatabaseError(UnusableDatabaseError):
    """The file is an otdesk database that fails SQLite's integrity check."""


class SchemaTooNewError(StorageError):
    """The database was written by a newer otdesk than this one."""


class DatabaseLockedError(StorageError):
    """Another program holds the database; nothing was changed."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The clinic database {path} is in use by another program and is locked. "
            "Close the other otdesk window or command (or the program holding the file) "
            "and try again; nothing was changed.",
            path=path,
        )


class BackupError(StorageError):
    """A backup could not be made or restored."""
