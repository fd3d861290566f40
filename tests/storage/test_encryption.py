"""Encryption at rest (issue 15, items 7-9) on real SQLCipher files, real key files, real
backup containers: key slots, the recovery key, wrong keys, encrypted backups and restores,
and what a person without a password can read of it all (nothing)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from otdesk.storage import containers, dialect, keys, open_database, restore_database
from otdesk.storage import schema as s
from otdesk.storage.backups import BackupStore
from otdesk.storage.errors import (
    BackupError,
    CorruptDatabaseError,
    DatabaseLockedError,
    DiskFullError,
    EncryptedDatabaseError,
    KeyFileError,
    PlainDatabaseError,
    RecoveryKeyFormatError,
    WrongKeyError,
)
from tests.helpers.files import fingerprint
from tests.helpers.keys import NAME, PASSWORD, write_test_keys

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATIENT = "Quillfeather"  # an invented surname to look for in the files' bytes


_fingerprint = fingerprint


@pytest.fixture
def clinic(tmp_path):
    """An encrypted clinic with one invented patient and a backup of it."""
    path = tmp_path / "data" / "otdesk.db"
    path.parent.mkdir(mode=0o700)
    made = write_test_keys(path)
    database = open_database(path, now=NOW, key=made.key)
    with database.write() as connection:
        connection.execute(insert(s.meta).values(key="who", value=f"{PATIENT} Zephyrine"))
    backup = database.backup(now=NOW)
    database.close()
    return path, made, backup


def _another_clinic(folder):
    """An empty encrypted clinic of its own key and password."""
    path = folder / "otdesk.db"
    path.parent.mkdir(mode=0o700)
    made = write_test_keys(path)
    open_database(path, key=made.key, now=NOW).close()
    return path, made


def _who(path, key):
    with open_database(path, key=key, daily_backup=False) as database, database.read() as c:
        return c.execute(select(s.meta.c.value).where(s.meta.c.key == "who")).scalar()


# --- the recovery key and the key slots -------------------------------------------------


def test_a_recovery_key_is_eight_groups_of_five_and_reads_back_however_typed():
    recovery = keys.new_recovery_key()
    groups = str(recovery).split("-")
    assert len(groups) == 8 and all(len(g) == 5 for g in groups)
    assert keys.RecoveryKey.parse(str(recovery)) == recovery
    sloppy = " ".join(groups).lower().replace("1", "l").replace("0", "o")
    assert keys.RecoveryKey.parse(sloppy) == recovery
    assert keys.new_recovery_key() != recovery


def test_a_recovery_key_with_a_typing_mistake_is_named_as_one():
    text = str(keys.new_recovery_key())
    swapped = text[:3] + ("Z" if text[3] != "Z" else "Y") + text[4:]
    with pytest.raises(RecoveryKeyFormatError, match="typing mistake"):
        keys.RecoveryKey.parse(swapped)
    with pytest.raises(RecoveryKeyFormatError, match="has 39"):
        keys.RecoveryKey.parse(text[:-1])
    with pytest.raises(RecoveryKeyFormatError, match="'U'"):
        keys.RecoveryKey.parse("U" + text[1:])


def test_each_password_and_the_recovery_key_unwrap_the_same_key(test_keys):
    slots = test_keys.slots.with_password(test_keys.key, "Blake", "another long one")
    assert slots.names() == [NAME, "blake"]
    assert slots.unlock(NAME, PASSWORD) == test_keys.key
    assert slots.unlock("BLAKE ", "another long one") == test_keys.key
    assert slots.unlock_recovery(str(test_keys.recovery)) == test_keys.key
    for name, password in ((NAME, "another long one"), ("nobody", PASSWORD), (NAME, "")):
        with pytest.raises(WrongKeyError, match="wrong password or recovery key"):
            slots.unlock(name, password)
    with pytest.raises(WrongKeyError, match="wrong password or recovery key"):
        slots.unlock_recovery(str(keys.new_recovery_key()))


def test_changing_a_password_rewraps_only_that_slot(test_keys):
    slots = test_keys.slots.with_password(test_keys.key, "blake", "blake's password")
    changed = slots.with_password(test_keys.key, NAME, "a new password")
    before = {(x["kind"], x["name"]): x for x in slots.to_json()["slots"]}
    after = {(x["kind"], x["name"]): x for x in changed.to_json()["slots"]}
    assert before.keys() == after.keys()
    assert after[("password", "blake")] == before[("password", "blake")]
    assert after[("recovery", "recovery")] == before[("recovery", "recovery")]
    assert after[("password", NAME)] != before[("password", NAME)]
    assert changed.unlock(NAME, "a new password") == test_keys.key
    with pytest.raises(WrongKeyError):
        changed.unlock(NAME, PASSWORD)


def test_removing_a_slot_and_the_last_account_slot_is_kept(test_keys):
    slots = test_keys.slots.with_password(test_keys.key, "blake", "blake's password")
    fewer = slots.without("blake")
    assert fewer.names() == [NAME]
    with pytest.raises(WrongKeyError):
        fewer.unlock("blake", "blake's password")
    with pytest.raises(KeyFileError, match="last account key"):
        fewer.without(NAME)
    with pytest.raises(KeyFileError):
        slots.with_password(keys.new_database_key(), "casey", "whatever it is")


def test_a_slot_edited_by_hand_no_longer_unwraps(test_keys):
    data = test_keys.slots.to_json()
    for slot in data["slots"]:
        if slot["kind"] == "password":
            slot["t"] += 1  # cheaper or dearer parameters are authenticated with the key
    with pytest.raises(WrongKeyError):
        keys.KeySlots.from_json(data).unlock(NAME, PASSWORD)


def test_production_argon2_cost_is_fixed_in_code_and_slots_carry_theirs(test_keys):
    assert keys.Argon2Cost(3, 65536, 4) == keys.PRODUCTION_COST
    assert keys.current_cost() == keys.TEST_COST  # set by the test suite's conftest only
    stored = test_keys.slots.to_json()["slots"][0]
    assert (stored["t"], stored["m"], stored["p"]) == (1, 8, 1)
    assert not [name for name in os.environ if "ARGON" in name.upper()]


def test_the_key_file_is_owner_only_and_replaced_whole(tmp_path, test_keys):
    path = tmp_path / "otdesk.keys"
    keys.write_key_file(path, test_keys.slots)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.read_key_file(path) == test_keys.slots
    keys.write_key_file(path, test_keys.slots.with_password(test_keys.key, "blake", "pw-blake"))
    assert keys.read_key_file(path).names() == [NAME, "blake"]
    assert sorted(os.listdir(tmp_path)) == ["otdesk.keys"]  # no temporary file left
    path.write_text("{ not json")
    with pytest.raises(KeyFileError, match="not a readable otdesk key file"):
        keys.read_key_file(path)
    path.unlink()
    with pytest.raises(KeyFileError, match="is missing"):
        keys.read_key_file(path)


# --- the encrypted database --------------------------------------------------------------


def test_an_encrypted_clinic_opens_with_its_key_only(clinic):
    path, made, _backup = clinic
    assert not dialect.is_plain_file(path)
    assert _who(path, made.key) == f"{PATIENT} Zephyrine"
    before = _fingerprint(path.parent)
    with pytest.raises(WrongKeyError, match="does not open with this key") as caught:
        open_database(path, key=keys.new_database_key())
    assert not isinstance(caught.value, CorruptDatabaseError)
    with pytest.raises(EncryptedDatabaseError, match="opens only with a password"):
        open_database(path)
    with pytest.raises(WrongKeyError):
        open_database(path, key=keys.new_database_key(), read_only=True)
    assert _fingerprint(path.parent) == before


def test_a_key_for_a_plain_clinic_is_refused(tmp_path, test_keys):
    path = tmp_path / "otdesk.db"
    open_database(path, now=NOW).close()
    with pytest.raises(PlainDatabaseError, match="not encrypted yet"):
        open_database(path, key=test_keys.key)


def test_damage_in_an_encrypted_clinic_is_damage_not_a_wrong_key(clinic):
    path, made, _backup = clinic
    with path.open("r+b") as handle:
        handle.seek(4096 * 3)
        handle.write(os.urandom(4096 * 4))
    with pytest.raises(CorruptDatabaseError, match="is damaged"):
        open_database(path, key=made.key, always_check=True)


def test_a_damaged_first_page_with_its_own_key_file_is_damage(clinic):
    path, made, _backup = clinic
    with path.open("r+b") as handle:
        handle.seek(100)  # past the salt that names the file, inside page 1
        handle.write(os.urandom(200))
    with pytest.raises(CorruptDatabaseError, match="first page does not decrypt"):
        open_database(path, key=made.key)


def test_the_key_file_names_the_database_it_belongs_to(clinic):
    path, made, _backup = clinic
    stored = keys.read_key_file(keys.key_file_path(path))
    assert stored.file_id == keys.database_file_id(path) == path.read_bytes()[:16].hex()
    assert stored.key_id == made.key.key_id


# --- encrypted backups --------------------------------------------------------------------


def test_a_backup_is_one_container_with_the_slots_of_its_day(clinic):
    path, made, backup = clinic
    raw = backup.read_bytes()
    assert raw.startswith(containers.MAGIC)
    header = containers.read_header(backup)
    assert header.slots.names() == [NAME] and header.slots.has_recovery()
    assert header.slots.key_id == made.key.key_id
    assert header.revision == "0005" or header.revision.isdigit()
    assert containers.payload_intact(backup, header)
    info = BackupStore(path.parent / "backups", key=made.key).describe()[0]
    assert (info.problem, info.encrypted, info.locked, info.visits) == (None, True, False, 0)


def test_a_backup_made_after_a_password_change_carries_the_new_password_only(clinic):
    path, made, old_backup = clinic
    key_file = keys.key_file_path(path)
    keys.write_key_file(key_file, made.slots.with_password(made.key, NAME, "changed password"))
    with open_database(path, key=made.key, daily_backup=False) as database:
        new_backup = database.backup(now=NOW + timedelta(hours=1))
    for backup, good, stale in (
        (old_backup, PASSWORD, "changed password"),
        (new_backup, "changed password", PASSWORD),
    ):
        slots = containers.read_header(backup).slots
        assert slots.unlock(NAME, good) == made.key
        with pytest.raises(WrongKeyError):
            slots.unlock(NAME, stale)


def test_a_damaged_or_cut_container_is_named(clinic):
    path, made, backup = clinic
    store = BackupStore(path.parent / "backups", key=made.key)
    whole = backup.read_bytes()
    backup.write_bytes(whole[:-5000])
    assert "cut short" in store.verify(backup)
    flipped = bytearray(whole)
    flipped[-3000] ^= 0xFF
    backup.write_bytes(bytes(flipped))
    assert "changed or damaged" in store.verify(backup)
    backup.write_bytes(whole[:20])
    assert "header" in store.verify(backup)
    backup.write_bytes(whole)
    assert store.verify(backup) is None


def test_a_backup_of_another_key_is_whole_but_not_checked(clinic):
    path, _made, backup = clinic
    other = BackupStore(path.parent / "backups", key=keys.new_database_key())
    info = other.describe()[0]
    assert info.locked and info.problem is None and info.visits is None
    assert "password of its day" in other.verify(backup)


def test_killed_backup_leftovers_are_removed(clinic):
    path, made, _backup = clinic
    folder = path.parent / "backups"
    for name in (
        "otdesk-20260302-091500-manual.db.partial",
        "otdesk-20260302-091500-manual.db.copy.partial",
        "otdesk-20260302-091500-manual.db.copy.partial-journal",
        "otdesk-20260302-091500-manual.db.check-77.copy.partial",
    ):
        (folder / name).write_bytes(b"half")
    open_database(path, key=made.key, now=NOW).close()
    assert all(name.endswith("-manual.db") for name in os.listdir(folder))


# --- restore ------------------------------------------------------------------------------


def test_a_backup_restores_with_the_recovery_key_and_takes_its_slots(clinic, tmp_path):
    path, made, backup = clinic
    # another clinic (another key, another password) restores this backup from its file
    new_home, other = _another_clinic(tmp_path / "new-computer")
    report = restore_database(
        backup,
        new_home,
        key=other.key,
        unlock=keys.RecoveryUnlock(str(made.recovery)),
        now=NOW + timedelta(hours=1),
    )
    assert report.encrypted_backup and report.key == made.key
    restored_slots = keys.read_key_file(keys.key_file_path(new_home))
    assert restored_slots.key_id == made.key.key_id
    assert restored_slots.file_id == keys.database_file_id(new_home)
    assert keys.unlock_database(new_home, keys.PasswordUnlock(NAME, PASSWORD)) == made.key
    assert _who(new_home, made.key) == f"{PATIENT} Zephyrine"
    # the clinic it replaced is kept as a backup with its own slots
    assert containers.read_header(report.safety_copy).slots.key_id == other.key.key_id
    leftovers = [n for n in os.listdir(new_home.parent) if n.startswith(".") or ".new" in n]
    assert leftovers == []


def test_wrong_password_and_wrong_recovery_key_restore_nothing(clinic):
    path, made, backup = clinic
    before = _fingerprint(path.parent)
    for unlock, error in (
        (keys.PasswordUnlock(NAME, "not the password"), WrongKeyError),
        (keys.RecoveryUnlock(str(keys.new_recovery_key())), WrongKeyError),
        (keys.RecoveryUnlock("ABCDE-FGHJK"), RecoveryKeyFormatError),
    ):
        with pytest.raises(error):
            restore_database(backup, path, key=made.key, unlock=unlock)
    with pytest.raises(EncryptedDatabaseError, match="needs a password"):
        restore_database(backup, path, key=made.key)
    assert _fingerprint(path.parent) == before


def test_a_plain_backup_is_encrypted_on_the_way_in(clinic, tmp_path):
    path, made, _backup = clinic
    legacy = tmp_path / "legacy" / "otdesk.db"
    legacy.parent.mkdir(mode=0o700)
    with open_database(legacy, now=NOW) as database:
        with database.write() as connection:
            connection.execute(insert(s.meta).values(key="who", value="Olsen Tamsin"))
        plain_backup = database.backup(now=NOW)
    report = restore_database(plain_backup, path, key=made.key, now=NOW + timedelta(hours=2))
    assert not report.encrypted_backup and report.key == made.key
    assert _who(path, made.key) == "Olsen Tamsin"
    assert keys.unlock_database(path, keys.PasswordUnlock(NAME, PASSWORD)) == made.key
    for root, _dirs, files in os.walk(path.parent):
        for name in files:
            assert b"Tamsin" not in Path(root, name).read_bytes(), name


def test_a_restore_cut_between_its_renames_is_finished_at_the_next_open(clinic, tmp_path):
    """The pending key file names the database now in place: the next open promotes it."""
    path, made, backup = clinic
    other, theirs = _another_clinic(tmp_path / "other")
    # the state a kill between "database renamed" and "key file renamed" leaves
    keys.write_key_file(
        keys.pending_key_file(path),
        keys.read_key_file(keys.key_file_path(other)),
    )
    os.replace(other, path)
    opened = open_database(path, key=theirs.key, daily_backup=False)
    opened.close()
    assert not keys.pending_key_file(path).exists()
    assert keys.read_key_file(keys.key_file_path(path)).key_id == theirs.key.key_id
    # and a pending file of a swap that never happened is forgotten
    stale = keys.read_key_file(keys.key_file_path(path)).bound_to("00" * 16)
    keys.write_key_file(keys.pending_key_file(path), stale.with_password(theirs.key, "x", "yz"))
    open_database(path, key=theirs.key, daily_backup=False).close()
    assert not keys.pending_key_file(path).exists()
    assert keys.read_key_file(keys.key_file_path(path)).names() == [NAME]


# --- item 9: without a password nothing opens --------------------------------------------


def test_without_a_password_no_file_shows_a_table_or_a_patient(clinic):
    path, made, _backup = clinic
    database = open_database(path, key=made.key, now=NOW + timedelta(days=1))  # daily backup
    try:
        with database.write() as connection:
            connection.execute(insert(s.meta).values(key="dob", value="1961-02-03"))
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0  # read while the clinic is open
        files = [
            os.path.join(root, name)
            for root, _dirs, names in os.walk(path.parent)
            for name in names
        ]
        backups = [f for f in files if "/backups/" in f]
        assert len(backups) >= 2 and str(wal) in files
        for name in files:
            data = Path(name).read_bytes()
            for secret in (PATIENT.encode(), b"Zephyrine", b"1961-02-03", b"CREATE TABLE"):
                assert secret not in data, (name, secret)
                assert secret.decode().encode("utf-16-le") not in data, (name, secret)
            assert not data.startswith(dialect.SQLITE_HEADER), name
            if name.endswith("-wal") or name.endswith("-shm") or name.endswith(".keys"):
                continue
            plain = sqlite3.connect(f"file:{name}?mode=ro", uri=True)
            try:
                with pytest.raises(sqlite3.DatabaseError, match="not a database"):
                    plain.execute("SELECT name FROM sqlite_master").fetchall()
            finally:
                plain.close()
        key_file = json.loads(keys.key_file_path(path).read_text())
        assert made.key.hex not in json.dumps(key_file)
    finally:
        database.close()


# --- the driver's errors are recognised for sqlcipher3 too --------------------------------


def test_a_locked_encrypted_clinic_is_named_locked(clinic):
    path, made, _backup = clinic
    holder = dialect.connect(path, key=made.key)
    holder.isolation_level = None
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseLockedError, match="is in use by another program"):
            open_database(path, key=made.key, lock_timeout_ms=100)
    finally:
        holder.close()


def test_a_full_disk_under_an_encrypted_clinic_is_named_and_saves_nothing(tmp_path):
    from tests.helpers.disks import small_disk

    with small_disk(tmp_path / "disk", size="3m") as disk:
        path = disk.root / "otdesk.db"
        made = write_test_keys(path)
        database = open_database(path, key=made.key, now=NOW)
        try:
            disk.fill()
            with pytest.raises(DiskFullError, match="The disk is full"), database.write() as c:
                c.execute(
                    insert(s.meta), [{"key": f"k{i}", "value": "x" * 2000} for i in range(800)]
                )
            disk.free()
            with database.read() as c:
                assert c.execute(select(s.meta.c.key).where(s.meta.c.key == "k1")).first() is None
        finally:
            disk.free()
            database.close()


def test_a_cut_or_altered_encrypted_backup_is_refused_and_nothing_changes(clinic, tmp_path):
    path, made, backup = clinic
    whole = backup.read_bytes()
    candidate = tmp_path / "candidate.db"
    flipped = bytearray(whole)
    flipped[-3000] ^= 0xFF
    for content, message in (
        (whole[:-5000], "cut short"),
        (bytes(flipped), "changed or damaged"),
        (whole[:30], "ends inside its header"),
    ):
        candidate.write_bytes(content)
        before = _fingerprint(path.parent)
        with pytest.raises(BackupError, match=f"is not a whole otdesk backup.*{message}"):
            restore_database(candidate, path, key=made.key, unlock=made.unlock())
        assert _fingerprint(path.parent) == before
