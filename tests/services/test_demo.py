"""The demo clinic: invented people, visits raising each major finding, and no way to
overwrite real clinic data by accident."""

import shutil
import sqlite3
from datetime import UTC, datetime

import pytest

from otdesk.services import Clinic, DemoRefusedError, FixedClock
from otdesk.services import demo as demo_module
from otdesk.services.demo import PATIENTS, install_demo, is_demo
from otdesk.storage import NotAnOtdeskDatabaseError

DEMO_DAY = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)
MAJOR_FINDINGS = {
    "therapy-modifier-missing",
    "ncci-pair",
    "kx-required",
    "progress-report-due",
    "assistant-modifier",
    "deleted-code",
    "medicare-replacement",
    "telehealth-modifier",
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "data"
    report = install_demo(folder, clock=FixedClock(DEMO_DAY))
    return folder, report


def test_the_demo_clinic_has_what_the_front_desk_needs(seeded):
    folder, report = seeded
    assert report.replaced == "new" and report.backup is None
    assert report.patients == len(PATIENTS) == 20
    with Clinic.open(folder, clock=FixedClock(DEMO_DAY)) as clinic:
        assert is_demo(clinic)
        assert clinic.practice.get().name.endswith("(Demo)")
        roles = {p.role: p for p in clinic.providers.list()}
        assert set(roles) == {"OT", "OTA", "PT"}
        assert roles["OTA"].supervisor_id == roles["OT"].id
        kinds = {p.kind: p.unit_rule for p in clinic.payers.list()}
        assert kinds["medicare"] == "cms" and kinds["commercial"] == "per-code"
        assert {"medicaid", "self-pay"} <= set(kinds)
        assert any(fee.allowed is not None for fee in clinic.fees.list())
        names = {m.patient.display_name for m in clinic.patients.search("demo")}
        assert "Demo, Łukasz" in names
        assert clinic.patients.search("zoe ng")[0].patient.first_name == "Zoë"
        assert clinic.patients.search("jose nunez")[0].patient.last_name == "Núñez"

        today = clinic.visits.day(DEMO_DAY.date())
        statuses = {summary.status for summary in today}
        assert statuses == {"draft", "finalized"}
        rules = set()
        for summary in today:
            rules |= {f.rule for f in clinic.visits.get(summary.id).findings}
        assert rules >= MAJOR_FINDINGS
        past = clinic.visits.between("2026-05-01", "2026-06-14")
        assert len(past) > 40
        assert {"void", "draft", "finalized"} <= {s.status for s in past}
        assert any(s.version == 2 for s in past)


@pytest.fixture
def quick_seed(monkeypatch):
    """Seeding itself is checked above; the tests below are about what it replaces."""
    monkeypatch.setattr(demo_module, "seed", lambda clinic, today: (0, 0))


def test_running_it_again_replaces_the_demo(seeded, tmp_path, quick_seed):
    folder, first = seeded
    copy = tmp_path / "again"
    shutil.copytree(folder, copy)
    report = install_demo(copy, clock=FixedClock(DEMO_DAY))
    assert report.replaced == "demo" and report.backup is None
    with Clinic.open(copy, clock=FixedClock(DEMO_DAY)) as clinic:
        assert is_demo(clinic)
        assert clinic.patients.search("zoe") == []  # emptied before seeding again


def test_real_clinic_data_is_refused_unless_forced(clinic, setup, clock, quick_seed, sqlite_only):
    folder = clinic.db.path.parent
    clinic.close()
    before = sqlite3.connect(clinic.db.path)
    rows_before = before.execute("SELECT count(*) FROM patients").fetchone()
    before.close()
    with pytest.raises(DemoRefusedError, match="1 patients"):
        install_demo(folder, clock=clock)
    check = sqlite3.connect(clinic.db.path)
    assert check.execute("SELECT count(*) FROM patients").fetchone() == rows_before
    check.close()

    report = install_demo(folder, clock=clock, force=True)
    assert report.replaced == "clinic data" and "before-demo" in report.backup.name
    kept = sqlite3.connect(report.backup)
    assert kept.execute("SELECT last_name FROM patients").fetchall() == [("Núñez",)]
    kept.close()
    with Clinic.open(folder, clock=clock) as demo:
        assert is_demo(demo) and demo.patients.search("nunez") == []
        # nothing of the old clinic is left, not even in its audit log
        assert demo.audit.entries() == []
    assert b"N\xc3\xba\xc3\xb1ez" not in (folder / "otdesk.db").read_bytes()  # vacuumed


def test_a_foreign_file_is_never_overwritten(tmp_path, clock):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "otdesk.db").write_text("my own notes")
    with pytest.raises(NotAnOtdeskDatabaseError):
        install_demo(folder, clock=clock, force=True)
    assert (folder / "otdesk.db").read_text() == "my own notes"
