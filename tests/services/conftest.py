"""A small clinic on a real SQLite file, with a clock the tests move."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from otdesk.services import Clinic, FixedClock

TODAY = date(2026, 3, 2)
OT_NPI = "1234567893"
OTA_NPI = "1245319599"
PT_NPI = "1679576722"


@dataclass
class Setup:
    ot: int
    ota: int
    pt: int
    medicare: int
    commercial: int
    self_pay: int
    patient: int
    plan: int


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def _templates(tmp_path_factory):
    """An empty migrated clinic and the seeded one, built once and copied per test (a
    migration and some 30 durable commits would cost each test a few hundred ms)."""
    root = tmp_path_factory.mktemp("templates")
    clock = FixedClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    with Clinic.open(root / "empty", clock=clock, user="setup"):
        pass
    with Clinic.open(root / "seeded", clock=clock, user="setup") as seeded:
        ids = _seed(seeded)
    for name in ("empty", "seeded"):
        shutil.rmtree(root / name / "backups", ignore_errors=True)
    return root, ids


def _copy(template, folder):
    folder.mkdir(mode=0o700, exist_ok=True)
    shutil.copy2(template / "otdesk.db", folder / "otdesk.db")


@pytest.fixture
def clinic(tmp_path, clock, _templates):
    """An empty clinic (the seeded one when the test also asks for `setup`)."""
    _copy(_templates[0] / "empty", tmp_path / "data")
    opened = Clinic.open(tmp_path / "data", clock=clock, user="frontdesk", daily_backup=False)
    yield opened
    opened.close()


@pytest.fixture
def setup(_templates, clinic) -> Setup:
    """The seeded clinic in `clinic` (its database replaced by a copy of the template)."""
    root, ids = _templates
    path = clinic.db.path
    clinic.close()
    for leftover in path.parent.glob("otdesk.db*"):
        leftover.unlink()
    _copy(root / "seeded", path.parent)
    reopened = Clinic.open(
        path.parent, clock=clinic.ctx.clock, user="frontdesk", daily_backup=False
    )
    clinic.__dict__.update(reopened.__dict__)
    return ids


def _seed(c: Clinic) -> Setup:
    c.practice.save(name="Harbor Hands OT", group_npi=OT_NPI, tin="12-3456789", state="OR")
    ot = c.providers.create(
        last_name="Demo", first_name="Avery", credentials="OTR/L", role="OT", npi=OT_NPI
    )
    ota = c.providers.create(
        last_name="Demo",
        first_name="Blake",
        credentials="COTA",
        role="OTA",
        npi=OTA_NPI,
        supervisor_id=ot.id,
    )
    pt = c.providers.create(last_name="Demo", first_name="Casey", role="PT", npi=PT_NPI)
    medicare = c.payers.create(name="Medicare Part B", kind="medicare", payer_code="MCR01")
    commercial = c.payers.create(name="Evergreen Health", kind="commercial")
    self_pay = c.payers.create(name="Self-pay", kind="self-pay")
    for code, charge, allowed in (
        ("97110", "60.00", "31.12"),
        ("97140", "55.00", "28.90"),
        ("97530", "70.00", "36.30"),
        ("97535", "65.00", "34.00"),
        ("97165", "180.00", "104.00"),
        ("97010", "15.00", None),
    ):
        c.fees.add(code, charge=charge)
        if allowed:
            c.fees.add(code, allowed=allowed, payer_id=medicare.id)
    patient = c.patients.create(
        last_name="Núñez", first_name="José", date_of_birth="1948-07-14", sex="M"
    )
    c.patients.add_policy(patient.id, payer_id=medicare.id, member_id="1EG4-TE5-MK73")
    plan = c.patients.add_plan_of_care(
        patient.id,
        discipline="OT",
        start_date="2026-02-02",
        certified_through="2026-05-01",
        referring_name="Dr. Rowan Demo",
        referring_npi=OT_NPI,
    )
    return Setup(ot.id, ota.id, pt.id, medicare.id, commercial.id, self_pay.id, patient.id, plan.id)
