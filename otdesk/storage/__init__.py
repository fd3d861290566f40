"""The clinic database: SQLAlchemy Core tables, Alembic migrations, safe opening, backups."""

from otdesk.storage.database import (
    DB_FILENAME,
    CheckReport,
    Database,
    OpenReport,
    RestoreReport,
    inspect_database,
    open_database,
    restore_database,
)
from otdesk.storage.errors import (
    BackupError,
    CorruptDatabaseError,
    DatabaseLockedError,
    NotAnOtdeskDatabaseError,
    SchemaTooNewError,
    StorageError,
    UnusableDatabaseError,
)

__all__ = [
    "DB_FILENAME",
    "BackupError",
    "CheckReport",
    "CorruptDatabaseError",
    "Database",
    "DatabaseLockedError",
    "NotAnOtdeskDatabaseError",
    "OpenReport",
    "RestoreReport",
    "SchemaTooNewError",
    "StorageError",
    "UnusableDatabaseError",
    "inspect_database",
    "open_database",
    "restore_database",
]
