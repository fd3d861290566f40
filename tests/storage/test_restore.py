"""Restore validates a candidate on a private copy before it touches anything: every kind of
bad file is refused with a sentence naming what is wrong, and the clinic, its WAL files and
its backups are byte for byte as they were."""

import os
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from otdesk.storage import (
    BackupError,
    EmptyDatabaseError,
    containers,
    dialect,
    newest_restorable,
    open_database,
    restore_database,
)
from otdesk.storage import database as database_module
from otdesk.storage import schema as s
from otdesk.storage.backups import BackupStore
from otdesk.storage.errors import CorruptDatabaseError, UnusableDatabaseError
from otdesk.storage.migrations import HEAD_REVISION
from tests.helpers.files import fingerprint
from tests.helpers.keys import write_test_keys

from .conftest import NOW

# Every test runs on a plain clinic and on an encrypted one: the guarantees are the same.
# For the encrypted clinic the candidates edited by hand are plain (legacy) backups, which
# are examined as they are and encrypted on the way in; its own backups are containers.
MODE: dict = {"keys": None, "plain_backup": None}


def _key():
    return MODE["keys"].key if MODE["keys"] else None


def _open(path, **options):
    return open_database(path, key=_key(), **options)


def _restore(source, database, **options):
    unlock = MODE["keys"].unlock() if MODE["keys"] else None
    return restore_database(source, database, key=_key(), unlock=unlock, **options)


def _store(folder, **options):
    return BackupStore(folder, key=_key(), **options)


def _newest(database):
    return newest_restorable(database, key=_key())


_fingerprint = fingerprint


def _small_clinic(db_path, key=None):
    db_path.parent.mkdir(mode=0o700, exist_ok=True)
    database = open_database(db_path, now=NOW, key=key)
    with database.write() as connection:
        connection.execute(insert(s.meta), [{"key": f"k{i}", "value": "v"} for i in range(5)])
    backup = database.backup(now=NOW)
    database.close()
    return backup


@pytest.fixture(params=["plain", "encrypted"])
def clinic(request, db_path, tmp_path):
    """A clinic with a little data and one good backup of it."""
    if request.param == "encrypted":
        db_path.parent.mkdir(mode=0o700)
        MODE["keys"] = write_test_keys(db_path)
        MODE["plain_backup"] = _small_clinic(tmp_path / "legacy" / "otdesk.db")
        backup = _small_clinic(db_path, key=_key())
        assert not dialect.is_plain_file(db_path) and containers.is_container(backup)
    else:
        backup = _small_clinic(db_path)
        MODE["plain_backup"] = backup
    yield db_path, backup
    MODE["keys"] = MODE["plain_backup"] = None


def _candidate(clinic, tmp_path, edit):
    """A copy of a good plain backup, changed by `edit(connection)` with plain SQL."""
    backup = MODE["plain_backup"]
    path = tmp_path / "candidate.db"
    path.write_bytes(backup.read_bytes())
    connection = sqlite3.connect(path)
    try:
        edit(connection)
        connection.commit()
    finally:
        connection.close()
    return path


def _damage(db_path):
    """A damaged clinic: a bare header (plain); pages after the first overwritten (an
    encrypted file the key still opens)."""
    if _key() is None:
        db_path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    else:
        with db_path.open("r+b") as handle:
            handle.seek(4096 * 2)
            handle.write(b"\x07" * 4096 * 20)


def _rename_column(connection):
    connection.execute("PRAGMA writable_schema = ON")
    connection.execute(
        "UPDATE sqlite_master SET sql = replace(sql, 'last_name VARCHAR', 'surname VARCHAR') "
        "WHERE name = 'patients'"
    )
    connection.execute("PRAGMA writable_schema = OFF")


def _bad_version_text(connection):
    connection.execute("UPDATE alembic_version SET version_num = CAST(X'FFFE3031' AS TEXT)")


def _version_99(connection):
    connection.execute("UPDATE alembic_version SET version_num = '0099'")


def _no_alembic_version(connection):
    connection.execute("DROP TABLE alembic_version")


def _no_charge_lines(connection):
    connection.execute("PRAGMA foreign_keys = OFF")
    connection.execute("DROP TABLE line_timers")
    connection.execute("DROP TABLE charge_lines")


def _bad_text_in_data(connection):
    connection.execute("INSERT INTO meta (key, value) VALUES ('broken', CAST(X'C328FF' AS TEXT))")


def _no_trigger(connection):
    connection.execute("DROP TRIGGER audit_log_no_update")


BAD_CANDIDATES = [
    (_rename_column, "does not have the tables of an otdesk backup"),
    (_bad_version_text, "unreadable schema version"),
    (_version_99, "newer version of otdesk (schema 0099"),
    (_no_alembic_version, "no schema version"),
    (_no_charge_lines, "the table charge_lines is missing"),
    (_bad_text_in_data, "not readable (not UTF-8)"),
    (_no_trigger, "protecting triggers"),
]


@pytest.mark.parametrize(
    ("edit", "message"), BAD_CANDIDATES, ids=lambda x: getattr(x, "__name__", "")
)
def test_a_bad_candidate_is_refused_and_nothing_changes(clinic, tmp_path, edit, message):
    db_path, _backup = clinic
    candidate = _candidate(clinic, tmp_path, edit)
    before = _fingerprint(db_path.parent)
    with pytest.raises(BackupError) as caught:
        _restore(candidate, db_path, now=NOW + timedelta(hours=1))
    assert message in str(caught.value)
    assert str(candidate) in str(caught.value)
    assert _fingerprint(db_path.parent) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"is empty \(0 bytes\)"),
        (b"Patient list\nnot a database at all\n" * 40, "not an SQLite database file"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "cannot be read as an otdesk backup"),
    ],
    ids=["zero-bytes", "plain-text", "header-only"],
)
def test_files_that_are_not_backups_are_refused(clinic, tmp_path, content, message):
    db_path, _backup = clinic
    candidate = tmp_path / "candidate.db"
    candidate.write_bytes(content)
    before = _fingerprint(db_path.parent)
    with pytest.raises(BackupError, match=message):
        _restore(candidate, db_path, now=NOW + timedelta(hours=1))
    assert _fingerprint(db_path.parent) == before
    assert candidate.read_bytes() == content  # the candidate itself is only read


def test_another_programs_database_is_refused(clinic, tmp_path):
    db_path, _backup = clinic
    candidate = tmp_path / "recipes.db"
    connection = sqlite3.connect(candidate)
    connection.execute("CREATE TABLE recipes (name TEXT)")
    connection.commit()
    connection.close()
    before = _fingerprint(db_path.parent)
    with pytest.raises(BackupError, match="another program's database"):
        _restore(candidate, db_path, now=NOW)
    assert _fingerprint(db_path.parent) == before


def test_a_good_backup_replaces_the_clinic_and_leaves_no_work_files(clinic):
    db_path, backup = clinic
    database = _open(db_path, now=NOW)
    with database.write() as connection:
        connection.execute(insert(s.meta).values(key="after-backup", value="x"))
    database.close()
    report = _restore(backup, db_path, now=NOW + timedelta(hours=1))
    assert report.revision == HEAD_REVISION
    assert "before-restore" in report.safety_copy.name
    names = sorted(os.listdir(db_path.parent))
    assert not [n for n in names if n.startswith(".restore-") or ".replaced-" in n]
    reopened = _open(db_path, now=NOW + timedelta(hours=2))
    try:
        with reopened.read() as connection:
            keys = set(connection.execute(select(s.meta.c.key)).scalars())
    finally:
        reopened.close()
    assert "after-backup" not in keys and "k0" in keys


def test_when_the_restored_copy_cannot_be_opened_the_previous_clinic_is_put_back(
    clinic, monkeypatch
):
    db_path, backup = clinic
    before = db_path.read_bytes()
    key_file = db_path.with_name("otdesk.keys")
    keys_before = key_file.read_bytes() if key_file.exists() else None
    real_open = database_module.open_database
    calls = []

    def open_failing_after_the_swap(path, **options):
        calls.append(path)
        if len(calls) == 2:  # the first open judges the current clinic, the second the new one
            raise CorruptDatabaseError("injected", path=path, newest_backup=None)
        return real_open(path, **options)

    monkeypatch.setattr(database_module, "open_database", open_failing_after_the_swap)
    with pytest.raises(BackupError, match="previous clinic database was put back"):
        _restore(backup, db_path, now=NOW + timedelta(hours=1))
    monkeypatch.undo()
    assert db_path.read_bytes() == before
    assert (key_file.read_bytes() if key_file.exists() else None) == keys_before
    assert not [n for n in os.listdir(db_path.parent) if ".replaced-" in n or ".new" in n]
    real_open(db_path, now=NOW + timedelta(hours=2), key=_key()).close()


def test_an_emptied_clinic_beside_backups_is_damaged_not_new(clinic):
    db_path, backup = clinic
    db_path.write_bytes(b"")
    with pytest.raises(EmptyDatabaseError) as caught:
        _open(db_path, now=NOW + timedelta(days=1))
    assert "is empty (0 bytes)" in str(caught.value)
    assert caught.value.newest_backup == backup
    assert db_path.read_bytes() == b""
    # and it restores from its backup
    _restore(_newest(db_path), db_path, now=NOW + timedelta(days=1))
    _open(db_path, now=NOW + timedelta(days=1)).close()


def test_the_newest_restorable_backup_skips_damaged_ones(clinic):
    db_path, good = clinic
    store = _store(db_path.parent / "backups")
    database = _open(db_path, now=NOW)
    newer = database.backup(now=NOW + timedelta(hours=1))
    database.close()
    newer.write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    assert store.verify(newer) is not None
    assert _newest(db_path) == good


def test_a_killed_backups_partial_file_is_removed_at_the_next_open(clinic):
    db_path, _backup = clinic
    folder = db_path.parent / "backups"
    partial = folder / "otdesk-20260302-091500-manual.db.partial"
    partial.write_bytes(b"half a backup")
    (folder / "otdesk-20260302-091500-manual.db.partial-journal").write_bytes(b"j")
    keep = folder / "notes.txt"
    keep.write_text("mine")
    _open(db_path, now=NOW).close()
    backups = [b.path.name for b in _store(folder).newest_first()]
    assert sorted(os.listdir(folder)) == sorted([*backups, "notes.txt"])


def test_pruning_keeps_the_newest_good_backup_even_when_newer_ones_are_damaged(clinic):
    db_path, good = clinic
    store = _store(db_path.parent / "backups", keep=2)
    database = _open(db_path, now=NOW)
    later = [database.backup(now=NOW + timedelta(hours=h)) for h in (1, 2, 3)]
    database.close()
    for path in later:
        path.write_bytes(b"damaged")
    # the first good one is older than the newest 2: pruning must still keep it
    store.prune()
    assert good.exists()


def test_opening_a_damaged_clinic_prunes_nothing(clinic):
    db_path, _backup = clinic
    database = _open(db_path, now=NOW, keep_backups=2)
    for h in range(1, 5):
        database.backup(now=NOW + timedelta(hours=h))
    database.close()
    _damage(db_path)
    before = sorted(os.listdir(db_path.parent / "backups"))
    with pytest.raises(UnusableDatabaseError):
        _open(db_path, now=NOW + timedelta(days=3), keep_backups=1)
    assert sorted(os.listdir(db_path.parent / "backups")) == before


def test_a_backup_is_checked_before_it_counts(clinic, monkeypatch):
    db_path, _backup = clinic
    store = _store(db_path.parent / "backups")
    before = {b.path for b in store.newest_first()}
    monkeypatch.setattr(BackupStore, "verify", lambda self, path: "it is damaged (injected)")
    database = _open(db_path, now=NOW)
    try:
        with pytest.raises(BackupError, match="did not pass its check"):
            database.backup(now=NOW + timedelta(hours=1))
    finally:
        database.close()
    monkeypatch.undo()
    assert {b.path for b in store.newest_first()} == before
    assert not [n for n in os.listdir(store.folder) if n.endswith(".partial")]


def test_describe_lists_each_backup_with_its_visit_count_and_problem(clinic):
    db_path, good = clinic
    store = _store(db_path.parent / "backups")
    database = _open(db_path, now=NOW)
    bad = database.backup(now=NOW + timedelta(hours=1))
    database.close()
    bad.write_bytes(b"")
    infos = {info.backup.path: info for info in store.describe()}
    assert infos[good].problem is None and infos[good].visits == 0
    assert infos[good].revision == HEAD_REVISION
    assert infos[bad].problem == "it is empty" and infos[bad].visits is None
