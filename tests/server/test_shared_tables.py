"""The imported rule tables shared by the desks of a clinic server (services.shared_tables),
on a real PostgreSQL server with real desk folders: an import at one desk reaches the other
desk's checks; a damaged stored copy is refused and the desk keeps its own; a clinic file
stores nothing; `server move` brings the local clinic's imports along."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update

from otdesk.core.ncci import MUE_FILE_NAME, PTP_FILE_NAME, import_mue_file, import_ptp_files
from otdesk.services import Clinic, FixedClock, shared_tables
from otdesk.services.server_setup import move_to_server
from otdesk.storage import schema as s
from otdesk.storage import server
from otdesk.storage.errors import StorageError
from tests.helpers.clinics import START
from tests.helpers.postgres import fresh_database

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ncci"
TODAY = date(2026, 11, 27)


@pytest.fixture
def desks(tmp_path):
    with fresh_database() as url:
        opened = []
        for name, create in (("one", True), ("two", False)):
            db = server.open_server(url, desk_dir=tmp_path / name, create=create)
            opened.append(Clinic(db, clock=FixedClock(START), user=f"desk {name}"))
        try:
            yield opened
        finally:
            for clinic in opened:
                clinic.close()


def _folder(clinic) -> Path:
    return Path(clinic.ctx.tables_dir)


def test_an_import_at_one_desk_reaches_the_other_desks_checks(desks):
    one, two = desks
    assert "97530" not in two.ctx.tables.mue  # desk two has read the tables once already
    import_mue_file(FIXTURES / "mue_practitioner.csv", _folder(one))
    assert shared_tables.publish(one.ctx, [MUE_FILE_NAME]) == [MUE_FILE_NAME]
    # within the minute desk two still uses its copy; its next check takes the new one
    assert "97530" not in two.ctx.tables.mue
    two.ctx.refresh_tables(now=True)
    assert two.ctx.tables.mue["97530"].value == 4
    assert (_folder(two) / MUE_FILE_NAME).read_bytes() == (
        _folder(one) / MUE_FILE_NAME
    ).read_bytes()
    # nothing moves when nothing changed
    assert shared_tables.sync(two.ctx).taken == ()
    with one.db.read() as connection:
        entry = connection.execute(
            select(s.audit_log.c.action, s.audit_log.c.entity).order_by(s.audit_log.c.id.desc())
        ).first()
    assert tuple(entry) == ("rules.share", shared_tables.ENTITY)


def test_the_ptp_table_a_desk_takes_is_queried_there(desks):
    one, two = desks
    files = [FIXTURES / "ptp_practitioner.txt", FIXTURES / "ptp_excel_export.csv"]
    import_ptp_files(files, _folder(one), TODAY)
    shared_tables.publish(one.ctx, [PTP_FILE_NAME])
    assert shared_tables.sync(two.ctx).taken == (PTP_FILE_NAME,)
    found = two.ctx.tables.ptp.edits_among(frozenset({"97161", "97140"}))
    assert [(e.column1, e.column2) for e in found] == [("97161", "97140")]


@pytest.mark.expect_log("otdesk.services.shared_tables", "WARNING")
def test_a_damaged_stored_copy_is_refused_and_the_desk_keeps_its_own(desks, caplog):
    one, two = desks
    import_mue_file(FIXTURES / "mue_practitioner.csv", _folder(one))
    shared_tables.publish(one.ctx, [MUE_FILE_NAME])
    shared_tables.sync(two.ctx)
    kept = (_folder(two) / MUE_FILE_NAME).read_bytes()
    with one.db.write() as connection:  # someone changes the stored file behind otdesk
        connection.execute(update(s.reference_files).values(content=b"not zlib", sha256="0" * 64))
    with pytest.raises(StorageError, match="does not match its checksum"):
        shared_tables.sync(two.ctx)
    assert (_folder(two) / MUE_FILE_NAME).read_bytes() == kept
    with caplog.at_level(logging.WARNING, logger="otdesk.services.shared_tables"):
        assert shared_tables.sync_quietly(two.ctx) is None
    assert "not brought up to date" in caplog.text
    assert two.ctx.tables.mue["97530"].value == 4


def test_a_clinic_file_stores_no_tables_in_its_database(tmp_path):
    with Clinic.open(tmp_path / "data", clock=FixedClock(START), daily_backup=False) as clinic:
        import_mue_file(FIXTURES / "mue_practitioner.csv", tmp_path / "data")
        assert shared_tables.publish(clinic.ctx, [MUE_FILE_NAME]) == []
        assert clinic.ctx.refresh_tables is None
        with clinic.db.read() as connection:
            assert connection.execute(select(s.reference_files.c.name)).all() == []


def test_server_move_brings_the_local_imports_to_every_desk(tmp_path):
    local = tmp_path / "data"
    Clinic.open(local, clock=FixedClock(START), daily_backup=False).close()
    import_mue_file(FIXTURES / "mue_practitioner.csv", local)
    with fresh_database() as url:
        move_to_server(url, local, clock=FixedClock(START))
        db = server.open_server(url, desk_dir=tmp_path / "other desk")
        with Clinic(db, clock=FixedClock(START)) as other:
            assert other.ctx.tables.mue["97530"].value == 4
