"""What can go wrong with the clinic database file, each with a message a person can act on.

Messages name the file and, where one exists, the newest backup; they never contain patient
data (they may end up in a log file or a bug report).
"""

from __future__ import annotations

from pathlib import Path

from otdesk.errors import UserError, disk_full_sentence
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
        self.detail = message  # what is wrong, without the advice on restoring
        # The exact command for this clinic's folder (paths.cli_command adds --data-dir when
        # it is not the default one): a command that restores another folder is worse than none.
        if newest_backup is not None:
            command = cli_command("restore", "--latest", data_dir=path.parent)
            message += (
                f" The newest backup is {newest_backup}; restore the newest good backup with "
                f"`{command}`, or in the window with Clinic > Backups."
            )
        else:
            message += " No backup of it was found."
        super().__init__(message, path=path)
        self.newest_backup = newest_backup


class NotAnOtdeskDatabaseError(UnusableDatabaseError):
    """The file exists but is not an otdesk database (another program's file, or not a
    database at all)."""


class CorruptDatabaseError(UnusableDatabaseError):
    """The file is an otdesk database that fails SQLite's integrity check."""


class EmptyDatabaseError(UnusableDatabaseError):
    """The clinic file is empty (0 bytes) although backups of it exist: it was emptied by
    something else, not made new, so it is not treated as a new clinic."""


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


class DiskFullError(StorageError):
    """The disk (or the user's quota) is full where the database or its backups are kept;
    nothing was saved (the transaction was rolled back)."""


def disk_full_error(folder: Path, what: str = "nothing was saved") -> DiskFullError:
    return DiskFullError(disk_full_sentence(folder, what), path=folder)


class EncryptionError(StorageError):
    """A problem with the clinic's encryption: its key file, a key, or a password.
    Nothing was opened or changed."""


class WrongKeyError(EncryptionError):
    """The password or recovery key (or the database key) does not unlock the clinic or
    the backup. Never said of a damaged file that the key does open."""


class RecoveryKeyFormatError(EncryptionError):
    """What was typed is not a recovery key (length, letters, or its check group)."""


class KeyFileError(EncryptionError):
    """The clinic's key file is missing, unreadable or does not fit the change asked."""


class PlainDatabaseError(EncryptionError):
    """A key was given but the clinic database is a plain (not yet encrypted) file: it is
    encrypted with storage.encrypt.encrypt_in_place first."""


class EncryptedDatabaseError(EncryptionError):
    """The clinic database is encrypted and was opened without its key."""


# A clinic on a PostgreSQL server (otdesk.storage.server).
class ServerError(StorageError):
    """A problem reaching or using the clinic server; nothing was saved."""


class ServerUnavailableError(ServerError):
    """The server did not answer (down, unreachable, or the connection was lost)."""


class ServerRefusedError(ServerError):
    """The server answered but refused: wrong user or password, no such database, no rights."""


class NotAClinicServerError(ServerError):
    """The database holds tables that are not an otdesk clinic's; it was not changed."""


class EmptyServerError(ServerError):
    """The database is empty: it is set up with `otdesk server init` first."""
