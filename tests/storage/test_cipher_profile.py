"""The SQLCipher page settings a clinic file is made with (otdesk.storage.keys,
CIPHER_PROFILES), on real files: new files authenticate pages with HMAC-SHA256 and say so in
their key file; a file of SQLCipher 4's defaults (HMAC-SHA512, made before December 2026),
whose key file names no profile, still opens, backs up and restores as it is."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlcipher3
from sqlalchemy import insert, select

from otdesk.storage import containers, keys, open_database, restore_database
from otdesk.storage import schema as s
from tests.helpers.keys import NAME, PASSWORD, new_keys

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _reads_with(path, key, algorithm: str | None) -> bool:
    """Whether raw SQLCipher reads the file with the key and this HMAC (None: its default)."""
    connection = sqlcipher3.connect(str(path))
    try:
        connection.execute("PRAGMA cipher_log_level = NONE")
        connection.execute(f"PRAGMA key = \"x'{key.hex}'\"")
        if algorithm:
            connection.execute(f"PRAGMA cipher_hmac_algorithm = {algorithm}")
            connection.execute(f"PRAGMA cipher_kdf_algorithm = PBKDF2_{algorithm}")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher3.DatabaseError:
        return False
    finally:
        connection.close()


def _who(path, key) -> str:
    with open_database(path, key=key, daily_backup=False) as database, database.read() as c:
        return c.execute(select(s.meta.c.value).where(s.meta.c.key == "who")).scalar_one()


def test_a_new_clinic_uses_hmac_sha256_and_its_key_file_says_so(tmp_path):
    path = tmp_path / "data" / "otdesk.db"
    path.parent.mkdir(mode=0o700)
    made = new_keys()
    keys.write_key_file(keys.key_file_path(path), made.slots)
    with open_database(path, now=NOW, key=made.key) as database, database.write() as c:
        c.execute(insert(s.meta).values(key="who", value="Invented Person"))
    assert _reads_with(path, made.key, "HMAC_SHA256")
    assert not _reads_with(path, made.key, None)  # not SQLCipher 4's default SHA-512
    stored = json.loads(keys.key_file_path(path).read_text())
    assert stored["cipher"] == "sqlcipher4-sha256"
    unlocked = keys.unlock_database(path, keys.PasswordUnlock(NAME, PASSWORD))
    assert unlocked.cipher == "sqlcipher4-sha256" and _who(path, unlocked) == "Invented Person"


@pytest.fixture
def legacy_clinic(tmp_path):
    """A clinic encrypted with SQLCipher 4's defaults, and a key file from before profiles
    (no "cipher" field)."""
    plain = tmp_path / "plain" / "otdesk.db"
    plain.parent.mkdir(mode=0o700)
    with open_database(plain, now=NOW) as database, database.write() as c:
        c.execute(insert(s.meta).values(key="who", value="Invented Elder"))
    key = keys.DatabaseKey(keys.new_database_key().raw, cipher=keys.LEGACY_CIPHER)
    recovery = keys.new_recovery_key()
    slots = keys.KeySlots.new(key, recovery).with_password(key, NAME, PASSWORD)
    path = tmp_path / "data" / "otdesk.db"
    path.parent.mkdir(mode=0o700)
    connection = sqlcipher3.connect(str(plain))
    connection.execute(f"ATTACH DATABASE '{path}' AS target KEY \"x'{key.hex}'\"")
    connection.execute("SELECT sqlcipher_export('target')")
    for pragma in ("application_id", "user_version"):
        (value,) = connection.execute(f"PRAGMA main.{pragma}").fetchone()
        connection.execute(f"PRAGMA target.{pragma} = {int(value)}")
    connection.execute("DETACH DATABASE target")
    connection.close()
    data = slots.bound_to(path.read_bytes()[:16].hex()).to_json()
    del data["cipher"]
    keys.key_file_path(path).write_text(json.dumps(data))
    keys.key_file_path(path).chmod(0o600)
    assert _reads_with(path, key, None) and not _reads_with(path, key, "HMAC_SHA256")
    return path


def test_a_clinic_of_sqlcipher_defaults_opens_backs_up_and_restores(legacy_clinic, tmp_path):
    path = legacy_clinic
    unlocked = keys.unlock_database(path, keys.PasswordUnlock(NAME, PASSWORD))
    assert unlocked.cipher == keys.LEGACY_CIPHER
    assert _who(path, unlocked) == "Invented Elder"
    with open_database(path, key=unlocked, daily_backup=False) as database:
        with database.write() as c:
            c.execute(insert(s.meta).values(key="later", value="1"))
        backup = database.backup(now=NOW + timedelta(hours=1))
    header = containers.read_header(backup)
    assert header.slots.cipher == keys.LEGACY_CIPHER
    with open_database(path, key=unlocked, daily_backup=False) as database, database.write() as c:
        c.execute(s.meta.update().where(s.meta.c.key == "who").values(value="Changed"))
    restore_database(
        backup, path, now=NOW, key=unlocked, unlock=keys.PasswordUnlock(NAME, PASSWORD)
    )
    again = keys.unlock_database(path, keys.PasswordUnlock(NAME, PASSWORD))
    assert _who(path, again) == "Invented Elder"


def test_a_key_file_naming_an_unknown_profile_is_refused(legacy_clinic):
    path = legacy_clinic
    data = json.loads(keys.key_file_path(path).read_text())
    data["cipher"] = "sqlcipher9-future"
    keys.key_file_path(path).write_text(json.dumps(data))
    with pytest.raises(keys.KeyFileError):
        keys.unlock_database(path, keys.PasswordUnlock(NAME, PASSWORD))
