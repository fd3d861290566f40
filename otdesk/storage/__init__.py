"""The clinic database: SQLAlchemy Core tables, Alembic migrations, safe opening, backups.

The names below load on first use, so a module of this package that needs no SQLAlchemy
(dialect, plain_reads, errors) can be imported without it: the window's first screen is
read before SQLAlchemy (about 150 ms to import) has loaded.
"""

from __future__ import annotations

import importlib
from typing import Any

_FROM = {
    "CheckReport": "database",
    "Database": "database",
    "OpenReport": "database",
    "RestoreReport": "database",
    "inspect_database": "database",
    "open_database": "database",
    "restore_database": "database",
    "BackupError": "errors",
    "CorruptDatabaseError": "errors",
    "DatabaseLockedError": "errors",
    "NotAnOtdeskDatabaseError": "errors",
    "SchemaTooNewError": "errors",
    "StorageError": "errors",
    "UnusableDatabaseError": "errors",
}

__all__ = sorted(_FROM)


def __getattr__(name: str) -> Any:
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_FROM[name]}"), name)
