"""A database key and its key file for tests of encrypted clinics (at the cheap Argon2 cost
the test suite's conftest sets)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from otdesk.storage import keys

NAME = "avery"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class TestKeys:
    key: keys.DatabaseKey
    recovery: keys.RecoveryKey
    slots: keys.KeySlots

    def unlock(self) -> keys.PasswordUnlock:
        return keys.PasswordUnlock(NAME, PASSWORD)


def new_keys() -> TestKeys:
    key = keys.new_database_key()
    recovery = keys.new_recovery_key()
    slots = keys.KeySlots.new(key, recovery).with_password(key, NAME, PASSWORD)
    return TestKeys(key, recovery, slots)


def write_test_keys(database: Path, made: TestKeys | None = None) -> TestKeys:
    """Write the key file beside `database` (before the encrypted clinic is made)."""
    made = made or new_keys()
    keys.write_key_file(keys.key_file_path(database), made.slots)
    return made
