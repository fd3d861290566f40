"""`server init` and `server move` on a real PostgreSQL server (issue 16): the schema and
first administrator in an empty database, a desk role without superuser rights, a whole
local clinic copied with its ids, audit chain and sequences, verified, the local file kept."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, text

from otdesk.services import Clinic, FixedClock
from otdesk.services.audit import check_records
from otdesk.services.errors import ServiceError
from otdesk.services.server_setup import init_server, move_to_server, table_checksums
from otdesk.storage import server
from tests.helpers.clinics import START, built_icd_index, open_clinic, seed_superbill_demo
from tests.helpers.postgres import fresh_database

PASSWORD = "correct horse battery staple"


@pytest.fixture
def url():
    with fresh_database() as address:
        yield address


def test_init_makes_the_schema_and_the_first_administrator(url, tmp_path):
    report = init_server(url, desk_dir=tmp_path, admin="avery", password=PASSWORD)
    assert report.administrator == "avery" and report.role is None
    db = server.open_server(url, desk_dir=tmp_path)
    with Clinic(db) as clinic:
        person = clinic.accounts.authenticate("avery", PASSWORD)
        assert person.role.name == "ADMINISTRATOR"
        assert [e.action for e in clinic.audit.entries()][-1] == "server.init"


def test_init_refuses_a_database_that_holds_a_clinic_or_anything_else(url, tmp_path):
    init_server(url, desk_dir=tmp_path, admin="avery", password=PASSWORD)
    with pytest.raises(ServiceError, match="holds an otdesk clinic already"):
        init_server(url, desk_dir=tmp_path, admin="blake", password=PASSWORD)
    with fresh_database() as other:
        engine = create_engine(other)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE invoices (id integer primary key)"))
        engine.dispose()
        with pytest.raises(server.NotAClinicServerError):
            init_server(other, desk_dir=tmp_path, admin="avery", password=PASSWORD)


def test_the_desk_role_can_work_but_not_rewrite_the_records(url, tmp_path):
    init_server(
        url,
        desk_dir=tmp_path,
        admin="avery",
        password=PASSWORD,
        create_role="otdesk_desk_t",
        role_password="desk-secret-1",
    )
    desk = server.server_url(url).set(username="otdesk_desk_t", password="desk-secret-1")
    try:
        db = server.open_server(desk, desk_dir=tmp_path / "desk")
        with Clinic(db, clock=FixedClock(START), user="frontdesk", icd=built_icd_index()) as clinic:
            demo = seed_superbill_demo(clinic)
            assert clinic.visits.get(demo.visit).status == "finalized"
            with (
                pytest.raises(server.ServerRefusedError, match="lacks the rights"),
                db.write() as connection,
            ):
                connection.exec_driver_sql("DELETE FROM audit_log")
            with (
                pytest.raises(server.ServerRefusedError, match="lacks the rights"),
                db.write() as connection,
            ):
                connection.exec_driver_sql("DROP TRIGGER audit_log_append_only ON audit_log")
            with db.read() as connection:
                is_super = connection.execute(
                    text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                ).scalar()
            assert is_super is False
    finally:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("DROP OWNED BY otdesk_desk_t"))
            connection.execute(text("DROP ROLE otdesk_desk_t"))
        engine.dispose()


def test_a_bad_role_name_is_refused_before_anything_is_made(url, tmp_path):
    with pytest.raises(ServiceError, match="not usable"):
        init_server(
            url,
            desk_dir=tmp_path,
            admin="avery",
            password=PASSWORD,
            create_role="desk; DROP",
            role_password="x",
        )
    with pytest.raises(server.EmptyServerError):
        server.open_server(url, desk_dir=tmp_path)


def test_a_whole_clinic_moves_with_its_ids_chain_and_sequences(url, tmp_path):
    local = open_clinic(tmp_path / "data")
    demo = seed_superbill_demo(local)
    amendment = local.visits.amend(demo.visit, "minutes were wrong")
    local.visits.update_line(amendment.lines[1].id, minutes=12, assistant_minutes=12)
    local.visits.finalize(amendment.id)
    before = table_checksums(local.db)
    local.close()

    report = move_to_server(url, tmp_path / "data", clock=FixedClock(START))
    assert report.rows == sum(t.rows for t in before.values())
    assert {t.table: t for t in report.tables} == before
    assert report.backup.exists() and report.kept_aside.exists()
    assert not (tmp_path / "data" / "otdesk.db").exists()
    with sqlite3.connect(report.kept_aside) as kept:  # the local file, unchanged, aside
        assert kept.execute("SELECT count(*) FROM visits").fetchone()[0] == 2

    db = server.open_server(url, desk_dir=tmp_path / "desk")
    with Clinic(db, clock=FixedClock(START), user="frontdesk", icd=built_icd_index()) as clinic:
        assert check_records(db).ok
        assert table_checksums(db) == before
        assert clinic.visits.get(demo.visit).status == "amended"
        assert clinic.visits.get(amendment.id).status == "finalized"
        # new rows get ids past the copied ones
        fresh = clinic.visits.create(
            demo.other_patient, provider_id=demo.ot, date_of_service="2026-03-03"
        )
        assert fresh.id == amendment.id + 1
        assert check_records(db).ok


def test_a_move_into_a_database_with_rows_copies_nothing(url, tmp_path):
    init_server(url, desk_dir=tmp_path / "desk", admin="avery", password=PASSWORD)
    local = open_clinic(tmp_path / "data")
    seed_superbill_demo(local)
    local.close()
    original = (tmp_path / "data" / "otdesk.db").read_bytes()
    with pytest.raises(ServiceError, match="not empty"):
        move_to_server(url, tmp_path / "data")
    assert (tmp_path / "data" / "otdesk.db").read_bytes() == original


def test_a_server_clinic_backs_up_to_one_encrypted_file_that_restores_on_a_desk(url, tmp_path):
    from otdesk.services import maintenance
    from otdesk.services.server_setup import backup_server
    from otdesk.storage import keys
    from otdesk.storage.database import open_database

    init_server(url, desk_dir=tmp_path / "desk", admin="avery", password=PASSWORD)
    db = server.open_server(url, desk_dir=tmp_path / "desk")
    with Clinic(db, clock=FixedClock(START), user="frontdesk", icd=built_icd_index()) as clinic:
        seed_superbill_demo(clinic)
        expected = table_checksums(db)
        with pytest.raises(ServiceError):
            backup_server(db, tmp_path / "out", name="avery", password="wrong password here")
        assert not (tmp_path / "out").exists()
        made = backup_server(db, tmp_path / "out", name="avery", password=PASSWORD)
    assert made.name.startswith("otdesk-server-") and oct(made.stat().st_mode & 0o777) == "0o600"
    assert list((tmp_path / "out").iterdir()) == [made]  # no work files left
    content = made.read_bytes()
    assert b"Ng-" not in content and b"CREATE TABLE" not in content  # encrypted
    maintenance.restore(made, tmp_path / "restored", unlock=keys.PasswordUnlock("avery", PASSWORD))
    path = tmp_path / "restored" / "otdesk.db"
    key = keys.unlock_database(path, keys.PasswordUnlock("avery", PASSWORD))
    with open_database(path, key=key, daily_backup=False) as local:
        restored = table_checksums(local)
    # the same clinic, and its audit log goes on with the restore itself (issue 15)
    logged = restored.pop("audit_log")
    assert restored == {k: v for k, v in expected.items() if k != "audit_log"}
    assert logged.rows == expected["audit_log"].rows + 1
