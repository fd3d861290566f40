"""Opening the clinic database: pragmas, permissions, backups, and the files it must refuse
(foreign, damaged, locked, newer) without changing them."""

import os
import shlex
import sqlite3
import stat
import time
from datetime import timedelta

import pytest
from sqlalchemy import exc, insert, select, text, update

from otdesk.storage import (
    BackupError,
    CorruptDatabaseError,
    DatabaseLockedError,
    NotAnOtdeskDatabaseError,
    SchemaTooNewError,
    open_database,
    restore_database,
)
from otdesk.storage import schema as s
from otdesk.storage.backups import BackupStore

from .conftest import NOW

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def _add_meta(database, key, value="x"):
    with database.write() as connection:
        connection.execute(insert(s.meta).values(key=key, value=value))


def _meta(path):
    connection = sqlite3.connect(path)
    try:
        return dict(connection.execute("SELECT key, value FROM meta"))
    finally:
        connection.close()


def test_a_new_database_is_created_migrated_and_checked(opened, db_path):
    assert opened.report.created
    assert opened.report.backup is None  # nothing to back up yet
    report = opened.check()
    assert report.ok and report.revision == report.head and report.problems == ()


def test_connections_use_wal_foreign_keys_full_sync_and_a_busy_timeout(opened):
    with opened.read() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_a_transaction_is_all_or_nothing(opened):
    with pytest.raises(RuntimeError), opened.write() as connection:
        connection.execute(insert(s.meta).values(key="a", value="1"))
        raise RuntimeError("the action failed half-way")
    with opened.read() as connection:
        assert connection.execute(select(s.meta)).all() == []


def test_foreign_keys_are_enforced(opened):
    with pytest.raises(exc.IntegrityError), opened.write() as connection:
        connection.execute(
            insert(s.policies).values(patient_id=99, payer_id=98, member_id="X", member_key="X")
        )


def test_the_audit_log_is_append_only(opened):
    with opened.write() as connection:
        connection.execute(
            insert(s.audit_log).values(at=NOW, user="u", action="a", entity="e", entity_id=1)
        )
    with pytest.raises(exc.IntegrityError, match="append-only"), opened.write() as connection:
        connection.execute(update(s.audit_log).values(user="someone else"))
    with pytest.raises(exc.IntegrityError, match="append-only"), opened.write() as connection:
        connection.execute(text("DELETE FROM audit_log"))


@posix_only
def test_files_and_folders_are_owner_only(opened, db_path):
    _add_meta(opened, "k")
    wal = db_path.with_name("otdesk.db-wal")
    assert wal.exists()  # open connection in WAL mode
    assert _mode(db_path) == 0o600
    assert _mode(wal) == 0o600
    assert _mode(db_path.with_name("otdesk.db-shm")) == 0o600
    backup = opened.backup(now=NOW)
    assert _mode(backup) == 0o600
    assert _mode(backup.parent) == 0o700


def test_first_open_of_each_day_takes_a_backup_and_only_one(db_path):
    db_path.parent.mkdir()
    open_database(db_path, now=NOW).close()
    first = open_database(db_path, now=NOW + timedelta(hours=1))
    first.close()
    assert first.report.backup is not None
    again = open_database(db_path, now=NOW + timedelta(hours=2))
    again.close()
    assert again.report.backup is None
    tomorrow = open_database(db_path, now=NOW + timedelta(days=1))
    tomorrow.close()
    assert tomorrow.report.backup is not None
    backups = BackupStore(db_path.parent / "backups").newest_first()
    assert [b.reason for b in backups] == ["daily", "daily"]
    # a backup is a complete database on its own (no WAL beside it)
    connection = sqlite3.connect(backups[0].path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        connection.close()


def test_only_the_newest_14_backups_are_kept_but_safety_copies_stay(opened):
    for day in range(20):
        opened.backup(now=NOW + timedelta(days=day))
    safety = opened.backups.take(opened.path, now=NOW - timedelta(days=30), reason="before-restore")
    backups = opened.backups.newest_first()
    ordinary = [b for b in backups if b.reason == "manual"]
    assert len(ordinary) == 14
    assert ordinary[0].taken_at.date() == (NOW + timedelta(days=19)).date()
    assert safety in [b.path for b in backups]


def test_a_migration_is_preceded_by_a_backup(db_path):
    from otdesk.storage import migrations

    db_path.parent.mkdir()
    oldest = migrations.KNOWN_REVISIONS[0]
    _database_at(db_path, oldest)
    database = open_database(db_path, now=NOW)
    database.close()
    assert database.report.migrated_from == oldest
    assert database.report.backup is not None and "before-migration" in database.report.backup.name
    assert database.check().revision == migrations.HEAD_REVISION
    with sqlite3.connect(database.report.backup) as kept:
        assert kept.execute("SELECT version_num FROM alembic_version").fetchone()[0] == oldest


def _database_at(path, revision):
    """A clinic database whose schema is `revision` (an older otdesk's file)."""
    from sqlalchemy import create_engine

    from otdesk.storage import dialect, migrations

    engine = create_engine(dialect.sqlite_url(path))
    dialect.configure_engine(engine)
    try:
        with engine.connect() as connection:
            migrations.upgrade(connection, revision)
            connection.commit()
    finally:
        engine.dispose()


def test_a_database_from_a_newer_otdesk_is_refused(opened, db_path):
    with opened.write() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    opened.close()
    with pytest.raises(SchemaTooNewError, match="newer version of otdesk"):
        open_database(db_path, now=NOW)


def test_an_empty_file_is_a_new_database(db_path):
    db_path.parent.mkdir()
    db_path.write_bytes(b"")
    database = open_database(db_path, now=NOW)
    database.close()
    assert database.report.created


def test_a_text_file_is_not_overwritten_and_the_newest_backup_is_offered(db_path):
    db_path.parent.mkdir()
    open_database(db_path, now=NOW).close()
    newest = open_database(db_path, now=NOW + timedelta(days=1))
    newest.close()
    db_path.write_text("these are my notes, not a database\n" * 20)
    before = db_path.read_bytes()
    with pytest.raises(NotAnOtdeskDatabaseError) as caught:
        open_database(db_path, now=NOW + timedelta(days=2))
    assert str(db_path) in str(caught.value)
    assert caught.value.newest_backup == newest.report.backup
    assert str(newest.report.backup) in str(caught.value)
    assert db_path.read_bytes() == before
    # the restore it names is for this clinic's folder (the window shows this message)
    command = str(caught.value).split("`")[1]
    assert command == shlex.join(
        ["otdesk", "restore", "--latest", "--data-dir", str(db_path.parent)]
    )


def test_a_suggested_command_names_the_bundled_program_when_frozen(monkeypatch, tmp_path):
    import sys

    from otdesk import paths

    program = tmp_path / "otdesk app" / "otdesk"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(program))
    assert paths.cli_command("backup", data_dir=tmp_path / "my clinic") == shlex.join(
        [str(program), "backup", "--data-dir", str(tmp_path / "my clinic")]
    )
    monkeypatch.setattr(paths, "default_data_dir", lambda: tmp_path / "my clinic")
    assert paths.cli_command("backup", data_dir=tmp_path / "my clinic") == shlex.join(
        [str(program), "backup"]
    )


def test_another_programs_database_is_not_touched(db_path):
    db_path.parent.mkdir()
    other = sqlite3.connect(db_path)
    other.execute("CREATE TABLE recipes (name TEXT)")
    other.commit()
    other.close()
    before = db_path.read_bytes()
    with pytest.raises(NotAnOtdeskDatabaseError, match="another program"):
        open_database(db_path, now=NOW)
    assert db_path.read_bytes() == before


def _corrupt_the_end(path, pages=20):
    """Scribble over the last pages (table data written last); the header and the schema
    pages stay intact, so only a full check or a read of those rows notices."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        for offset in range(max(size - 4096 * pages, 4096 * 8), size, 4096):
            handle.seek(offset + 8)
            handle.write(b"\xff" * 600)


def _damaged_clinic(db_path):
    db_path.parent.mkdir()
    database = open_database(db_path, now=NOW)
    with database.write() as connection:
        connection.execute(
            insert(s.meta), [{"key": f"k{i}", "value": "v" * 200} for i in range(400)]
        )
    backup = database.backup(now=NOW)
    database.close()
    _corrupt_the_end(db_path)
    return backup


def test_a_damaged_database_is_found_at_the_first_open_of_the_day(db_path):
    backup = _damaged_clinic(db_path)
    before = db_path.read_bytes()
    with pytest.raises(CorruptDatabaseError) as caught:
        open_database(db_path, now=NOW + timedelta(days=1))
    assert "damaged" in str(caught.value) and str(db_path) in str(caught.value)
    assert caught.value.newest_backup == backup
    assert db_path.read_bytes() == before

    # restoring sets the damaged file aside (never deletes it) and brings the data back
    report = restore_database(backup, db_path, now=NOW + timedelta(days=1))
    assert report.safety_copy is not None and report.safety_copy.read_bytes() == before
    assert len(_meta(db_path)) == 400


def test_damage_met_by_a_later_read_is_reported_the_same_way(db_path):
    backup = _damaged_clinic(db_path)
    # same day: the full check already ran this morning, so the open itself is cheap
    database = open_database(db_path, now=NOW + timedelta(hours=1))
    try:
        with pytest.raises(CorruptDatabaseError) as caught, database.read() as connection:
            connection.execute(select(s.meta)).all()
        assert caught.value.newest_backup == backup
    finally:
        database.close()


def test_a_locked_database_gets_a_clear_message_quickly(opened, db_path):
    _add_meta(opened, "before")
    holder = sqlite3.connect(db_path, timeout=0)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(DatabaseLockedError, match="in use by another program"):
            open_database(db_path, now=NOW, lock_timeout_ms=100)
        assert time.monotonic() - started < 3
    finally:
        holder.rollback()
        holder.close()


def test_a_write_while_another_program_holds_the_lock_fails_cleanly(db_path):
    db_path.parent.mkdir()
    database = open_database(db_path, now=NOW, busy_timeout_ms=100)
    holder = sqlite3.connect(db_path, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseLockedError), database.write() as connection:
            connection.execute(insert(s.meta).values(key="k", value="v"))
    finally:
        holder.rollback()
        holder.close()
        database.close()
    assert "k" not in _meta(db_path)


def test_restore_brings_back_a_backup_and_keeps_the_current_data(opened, db_path):
    _add_meta(opened, "old")
    backup = opened.backup(now=NOW)
    _add_meta(opened, "new")
    opened.close()
    report = restore_database(backup, db_path, now=NOW + timedelta(minutes=5))
    assert set(_meta(db_path)) == {"old"}
    assert "before-restore" in report.safety_copy.name
    assert set(_meta(report.safety_copy)) == {"old", "new"}
    reopened = open_database(db_path, now=NOW + timedelta(minutes=6))
    try:
        assert reopened.check().ok
    finally:
        reopened.close()


def test_restore_refuses_a_file_that_is_not_an_otdesk_backup(opened, db_path, tmp_path):
    opened.close()
    notes = tmp_path / "notes.db"
    notes.write_text("hello")
    with pytest.raises(BackupError, match="not an otdesk backup"):
        restore_database(notes, db_path, now=NOW)
    with pytest.raises(BackupError, match="no backup file"):
        restore_database(tmp_path / "missing.db", db_path, now=NOW)
