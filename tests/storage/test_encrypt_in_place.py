"""An existing plain clinic encrypted in place (issue 15, item 8): verified, swapped in
atomically, its plain backups encrypted or deleted, and a process killed at any step leaves
either the plain clinic or the encrypted one openable, never neither."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from otdesk.storage import containers, dialect, keys, open_database
from otdesk.storage import schema as s
from otdesk.storage.encrypt import STEPS, clinic_state, encrypt_in_place
from otdesk.storage.errors import DatabaseLockedError, PlainDatabaseError, StorageError
from tests.helpers.keys import NAME, PASSWORD, new_keys

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATIENT = "Quillfeather"


def _plain_clinic(folder: Path) -> Path:
    """A plain clinic with rows in several tables, a WAL in use, and two plain backups."""
    path = folder / "otdesk.db"
    folder.mkdir(mode=0o700, exist_ok=True)
    with open_database(path, now=NOW) as database:
        with database.write() as connection:
            connection.execute(
                insert(s.meta), [{"key": f"k{i}", "value": f"{PATIENT} {i}"} for i in range(50)]
            )
        database.backup(now=NOW + timedelta(hours=1))
        database.backup(now=NOW + timedelta(hours=2))
    return path


def _meta_rows(path: Path, key=None) -> int:
    with open_database(path, key=key, daily_backup=False) as database, database.read() as c:
        return c.execute(select(func.count()).select_from(s.meta)).scalar_one()


def _nothing_plain_left(folder: Path) -> None:
    for root, _dirs, names in os.walk(folder):
        for name in names:
            data = Path(root, name).read_bytes()
            assert PATIENT.encode() not in data, name
            assert not data.startswith(dialect.SQLITE_HEADER), name


def test_a_plain_clinic_is_encrypted_verified_and_its_backups_too(tmp_path):
    path = _plain_clinic(tmp_path / "data")
    rows = _meta_rows(path)
    made = new_keys()
    steps: list[str] = []
    report = encrypt_in_place(path, made.key, made.slots, on_step=steps.append)
    assert steps == list(STEPS)
    assert clinic_state(path) == "encrypted"
    assert len(report.backups_encrypted) == 2 and not report.backups_deleted
    key = keys.unlock_database(path, keys.PasswordUnlock(NAME, PASSWORD))
    assert _meta_rows(path, key) == rows
    with pytest.raises(StorageError):
        open_database(path)
    for backup in report.backups_encrypted:
        header = containers.read_header(backup)
        assert header.slots.unlock(NAME, PASSWORD) == made.key
    sorted_names = sorted(os.listdir(path.parent))
    assert sorted_names == ["backups", "otdesk.db", "otdesk.keys"]
    _nothing_plain_left(path.parent)


def test_plain_backups_can_be_deleted_instead(tmp_path):
    path = _plain_clinic(tmp_path / "data")
    made = new_keys()
    report = encrypt_in_place(path, made.key, made.slots, plain_backups="delete")
    assert len(report.backups_deleted) == 2 and not report.backups_encrypted
    assert os.listdir(path.parent / "backups") == []
    _nothing_plain_left(path.parent)


def test_a_plain_backup_that_reads_as_nothing_is_deleted_and_listed(tmp_path):
    path = _plain_clinic(tmp_path / "data")
    broken = sorted((path.parent / "backups").iterdir())[0]
    broken.write_bytes(dialect.SQLITE_HEADER + b"\x00" * 300 + PATIENT.encode())
    made = new_keys()
    report = encrypt_in_place(path, made.key, made.slots)
    assert report.unreadable_deleted == [broken] and len(report.backups_encrypted) == 1
    _nothing_plain_left(path.parent)


def test_a_clinic_another_program_holds_is_left_as_it_was(tmp_path):
    path = _plain_clinic(tmp_path / "data")
    before = path.read_bytes()
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        made = new_keys()
        with pytest.raises(DatabaseLockedError):
            encrypt_in_place(path, made.key, made.slots)
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert path.read_bytes() == before and clinic_state(path) == "plain"
    assert not keys.key_file_path(path).exists()


_CHILD = """
import json, os, signal, sys
from pathlib import Path
from otdesk.storage import keys
from otdesk.storage.encrypt import encrypt_in_place
path, key_hex, slots_json, stop_at = sys.argv[1:5]
key = keys.DatabaseKey(bytes.fromhex(key_hex))
slots = keys.KeySlots.from_json(json.loads(Path(slots_json).read_text()))
def step(name):
    if name == stop_at:
        os.kill(os.getpid(), signal.SIGKILL)
encrypt_in_place(Path(path), key, slots, on_step=step)
print("finished")
"""


@pytest.mark.slow
@pytest.mark.parametrize("stop_at", STEPS)
def test_a_kill_at_any_step_leaves_a_clinic_that_opens(tmp_path, stop_at):
    path = _plain_clinic(tmp_path / "data")
    rows = _meta_rows(path)
    made = new_keys()
    slots_file = tmp_path / "slots.json"
    slots_file.write_text(json.dumps(made.slots.to_json()))
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), made.key.hex, str(slots_file), stop_at],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == -9, done.stderr  # killed where asked
    state = clinic_state(path)
    if state == "plain":
        assert _meta_rows(path) == rows
        with pytest.raises(PlainDatabaseError):
            open_database(path, key=made.key)
    else:
        assert state == "encrypted"
        key = keys.unlock_database(path, keys.PasswordUnlock(NAME, PASSWORD))
        assert _meta_rows(path, key) == rows
    assert state == ("plain" if STEPS.index(stop_at) < STEPS.index("swapped") else "encrypted")
    # running it again finishes the work
    encrypt_in_place(path, made.key, made.slots)
    key = keys.unlock_database(path, keys.PasswordUnlock(NAME, PASSWORD))
    assert _meta_rows(path, key) == rows
    assert sorted(os.listdir(path.parent)) == ["backups", "otdesk.db", "otdesk.keys"]
    _nothing_plain_left(path.parent)
