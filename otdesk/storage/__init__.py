"""The clinic database: SQLAlchemy Core tables, Alembic migrations, safe opening, backups.

The names below load on first use, so a module of this package that needs no SQLAlchemy
(dialect, plain_reads, errors) can be imported without it: the window's first screen is
read before SQLAlchemy (about 150 ms to import) has loaded.
"""

from __future__ import annotations

from otdesk.lazy_names import module_getattr

_FROM = {
    "CheckReport": "database",
    "Database": "database",
    "OpenReport": "database",
    "RestoreReport": "restore",
    "inspect_database": "database",
    "open_database": "database",
    "restore_database": "restore",
    "newest_restorable": "restore",
    "BackupError": "errors",
    "CorruptDatabaseError": "errors",
    "DatabaseLockedError": "errors",
    "DiskFullError": "errors",
    "EmptyDatabaseError": "errors",
    "NotAnOtdeskDatabaseError": "errors",
    "SchemaTooNewError": "errors",
    "StorageError": "errors",
    "UnusableDatabaseError": "errors",
    "EncryptionError": "errors",
    "WrongKeyError": "errors",
    "RecoveryKeyFormatError": "errors",
    "KeyFileError": "errors",
    "PlainDatabaseError": "errors",
    "EncryptedDatabaseError": "errors",
    "encrypt_in_place": "encrypt",
    "unlock_database": "keys",
}

__all__ = sorted(_FROM)

__getattr__ = module_getattr(__name__, _FROM)
