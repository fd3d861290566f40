"""A full disk, on a real (small, filled) file system: every write that cannot be made is
one sentence naming the disk and saying nothing was saved, what was stored stays as it
was, and work goes on once space is freed."""

from __future__ import annotations

import logging
import os

import pytest

from otdesk import single_instance
from otdesk.errors import DiskFullError, UserError
from otdesk.export import ExportError, write_file_atomic
from otdesk.logs import setup_logging
from otdesk.storage import BackupError
from tests.helpers.clinics import open_clinic

from ..helpers.disks import small_disk


@pytest.fixture
def disk(tmp_path):
    with small_disk(tmp_path / "disk") as mounted:
        yield mounted


@pytest.fixture
def clinic_on_disk(disk, clock):
    opened = open_clinic(disk.root / "data", clock)
    ot = opened.providers.create(last_name="Demo", first_name="Avery", role="OT")
    patient = opened.patients.create(last_name="Demo", first_name="Kai", date_of_birth="1990-01-02")
    visit = opened.visits.create(patient.id, provider_id=ot.id)
    visit = opened.visits.add_line(visit.id, "97110", minutes=30)
    yield opened, visit
    opened.close()


def test_a_save_on_a_full_disk_is_named_and_changes_nothing(disk, clinic_on_disk):
    clinic, visit = clinic_on_disk
    disk.fill()
    with pytest.raises(UserError) as caught:
        for minutes in range(31, 400):  # until the WAL needs a page the disk does not have
            clinic.visits.add_line(visit.id, "97530", minutes=minutes % 60 + 1)
    message = str(caught.value)
    assert "The disk is full" in message and str(disk.root / "data") in message
    assert "nothing was saved" in message
    stored = clinic.visits.get(visit.id)
    disk.free()
    # nothing half-written: every line is whole, and the next save works
    assert all(line.code in ("97110", "97530") for line in stored.lines)
    after = clinic.visits.add_line(visit.id, "97140", minutes=10)
    assert after.lines[-1].code == "97140"
    assert len(after.lines) == len(stored.lines) + 1


def test_a_backup_on_a_full_disk_is_named_and_leaves_no_partial_file(disk, clinic_on_disk):
    clinic, _visit = clinic_on_disk
    folder = clinic.db.path.parent / "backups"
    disk.fill()
    with pytest.raises(BackupError, match="The disk is full") as caught:
        clinic.db.backup(now=clinic.ctx.now())
    assert "no backup was made" in str(caught.value)
    assert not folder.exists() or not [n for n in os.listdir(folder) if "partial" in n]
    disk.free()
    assert clinic.db.backup(now=clinic.ctx.now()).exists()


def test_a_pdf_on_a_full_disk_is_named_and_leaves_no_partial_file(disk):
    target = disk.root / "superbill.pdf"
    disk.fill()
    with pytest.raises(ExportError) as caught:
        write_file_atomic(target, b"%PDF-1.4\n" + b"x" * 200_000)
    assert "The disk is full" in str(caught.value) and "superbill.pdf was not written" in str(
        caught.value
    )
    assert sorted(os.listdir(disk.root)) == [".filler"]


def test_the_lock_file_on_a_full_disk_is_named(disk):
    folder = disk.root / "clinic"
    folder.mkdir()
    disk.fill()
    with pytest.raises(DiskFullError, match="otdesk did not open"):
        single_instance.acquire(folder)


@pytest.mark.expect_log("otdesk.test_disk_full", "WARNING")
def test_a_full_disk_stops_the_log_not_the_program(disk, capsys):
    path = setup_logging(disk.root / "logs")
    logger = logging.getLogger("otdesk.test_disk_full")
    try:
        logger.warning("before")
        disk.fill()
        for _ in range(2000):
            logger.warning("a line that no longer fits %s", "x" * 200)
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "baseFilename", None) == str(path):
                root.removeHandler(handler)
                handler.close()
    assert capsys.readouterr().err == ""
    assert "before" in path.read_text()
