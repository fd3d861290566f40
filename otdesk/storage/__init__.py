"""The clinic database: SQLAlchemy Core tables, Alembic migrations, safe opening, backups.

The names below load on first use, so a module of this package that needs no SQLAlchemy
(dialect, plain_reads, errors) can be imported without it: the window's first screen is
read before SQLAlchemy (slow to import: benchmarks/startup.py) has loaded.

Encryption at rest (issue 15): keys.py (the database key, the recovery key, the key slots
in otdesk.keys), containers.py (the one-file encrypted backup), encrypt.py (a plain clinic
encrypted in place). A new clinic is made encrypted like this:

    key, recovery = keys.new_database_key(), keys.new_recovery_key()
    slots = keys.KeySlots.new(key, recovery).with_password(key, name, password)
    keys.write_key_file(keys.key_file_path(path), slots)
    open_database(path, key=key)            # creates it; the key file then names the file

and opened with keys.unlock_database(path, keys.PasswordUnlock(name, password)) (or
RecoveryUnlock(typed)). Every open, backup, check and restore takes `key`; with key=None
they still open plain files: the clinics not yet encrypted (encrypt_in_place turns them),
the demo clinic and the command line until the accounts work passes keys, and the tests
that write plain files by hand.
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
