"""The one way the tests build a clinic: a real SQLite file in the test's folder, opened
through the services (open_clinic), with a clock that moves only when told (TestClock),
and the seeds the tests share. No attribute is set on a Clinic from outside, and nothing
private is called: what a test needs beside the clinic (the ids seeded, the index) comes
from fixtures of its own.

The fixtures, and who exposes them (tests/conftest.py loads this module as a plugin):
- `clock` (everywhere): a TestClock at START, 2026-03-02 14:00 UTC;
- `icd_index` (everywhere): the real ICD-10-CM index, built once per test run;
- `superbill_clinic` and `demo`: a clinic with the diagnosis index, and the superbill demo
  seeded in whatever `clinic` the test's folder gives (seed_superbill_demo);
- tests/services/conftest.py: `clinic` on both engines (SQLite, and PostgreSQL through the
  `engine` parameter), copied from templates built with open_clinic and seed_services,
  `setup` (the ids), `accounts_folder` (an encrypted clinic, closed);
- tests/ui/conftest.py: `clinic` seeded for the front desk, `seeded` (its records),
  `window` over it.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from otdesk.services import Clinic, FixedClock

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
OT_NPI = "1234567893"
OTA_NPI = "1245319599"
PT_NPI = "1679576722"
GROUP_NPI = "1679576722"

# The encrypted clinics' two accounts (encrypted_clinic).
ADMIN, ADMIN_PASSWORD = "ada", "harbor hands admin"
PAT, PAT_PASSWORD = "pat", "front desk mornings"


class TestClock(FixedClock):
    """The services' FixedClock, callable as well: the widgets take a function that gives
    the time, the services an object with now()."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(self, start: datetime = START) -> None:
        super().__init__(start)

    def __call__(self) -> datetime:
        return self.now()


def open_clinic(
    folder: Path, clock: Any = None, *, user: str | None = "frontdesk", **options: Any
) -> Clinic:
    """The clinic in `folder` (made when new) on a real SQLite file, as the services open
    it; no daily backup unless asked (options go to Clinic.open, e.g. icd=, key=). `user`
    None is the computer's account, as the app's."""
    options.setdefault("daily_backup", False)
    return Clinic.open(folder, clock=clock or TestClock(), user=user, **options)


def encrypted_clinic(folder: Path, clock: Any) -> tuple[Clinic, Any]:
    """A new encrypted clinic in `folder`, its administrator (ADMIN) signed in and a
    front-desk account (PAT) added; returns (the open clinic, its recovery key)."""
    from otdesk.services.signin import create_clinic

    clinic, recovery = create_clinic(
        folder, ADMIN, "Ada Admin", ADMIN_PASSWORD, clock=clock, daily_backup=False
    )
    clinic.accounts.add(PAT, "Pat Lee", "front-desk", PAT_PASSWORD)
    return clinic, recovery


@functools.cache
def built_icd_index() -> Any:
    """The real ICD-10-CM index, built from the installed package into a private folder
    once per test run (about 2 s)."""
    from otdesk.core import icd

    folder = Path(tempfile.mkdtemp(prefix="otdesk-icd-"))
    atexit.register(shutil.rmtree, folder, True)
    return icd.open_index(folder / icd.index_file_name("test"))


# --- the seeds ------------------------------------------------------------------------------


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


def seed_services(c: Clinic) -> Setup:
    """A practice, an OT, an OTA she supervises and a PT, Medicare, a commercial payer and
    self-pay, six fees, José Núñez with a Medicare policy and a plan of care."""
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


def seed_front_desk(clinic) -> dict:
    """A practice, an OT, Medicare and a commercial payer, one patient with a policy each."""
    clinic.practice.save(name="Harbor Hand & OT")
    ot = clinic.providers.create(
        last_name="Kim", first_name="Dana", credentials="OTR/L", role="OT", npi="1234567893"
    )
    medicare = clinic.payers.create(name="Medicare Part B", kind="medicare")
    commercial = clinic.payers.create(name="Acme Health", kind="commercial")
    ana = clinic.patients.create(
        last_name="Rivera", first_name="Ana", date_of_birth="1950-04-12", sex="F"
    )
    clinic.patients.add_policy(ana.id, payer_id=medicare.id, member_id="1EG4TE5MK72")
    bo = clinic.patients.create(
        last_name="Olsen", first_name="Bo", date_of_birth="1988-09-30", sex="M"
    )
    clinic.patients.add_policy(bo.id, payer_id=commercial.id, member_id="ACM123")
    return {"ot": ot, "medicare": medicare, "commercial": commercial, "ana": ana, "bo": bo}


@dataclass
class Demo:
    ot: int
    ota: int
    medicare: int
    commercial: int
    patient: int
    other_patient: int
    plan: int
    visit: int  # finalized, by the assistant, with a copay


def seed_superbill_demo(clinic) -> Demo:
    """A practice with every detail, an OT and an OTA she supervises, Medicare and a
    commercial payer, Zoë Ng-Ødegård (Medicare) and José Núñez (commercial), and one
    finalized visit of Zoë's with three services, two diagnoses and a copay."""
    clinic.practice.save(
        name="Harbor Hands Occupational Therapy",
        address1="1200 Riverside Drive, Suite 400",
        city="Portland",
        state="OR",
        postal_code="97201",
        phone="(503) 555-0142",
        tin="12-3456789",
        group_npi=GROUP_NPI,
        taxonomy="225X00000X",
    )
    ot = clinic.providers.create(
        last_name="Demo",
        first_name="Avery",
        credentials="OTR/L",
        role="OT",
        npi=OT_NPI,
        license_number="OT-10452",
        license_state="OR",
    )
    ota = clinic.providers.create(
        last_name="Demo",
        first_name="Blake",
        credentials="COTA/L",
        role="OTA",
        npi=OTA_NPI,
        license_number="OTA-20391",
        license_state="OR",
        supervisor_id=ot.id,
    )
    medicare = clinic.payers.create(name="Medicare Part B", kind="medicare", payer_code="MCR01")
    commercial = clinic.payers.create(name="Evergreen Health", kind="commercial")
    for code, charge, allowed in (
        ("97110", "60.00", "31.12"),
        ("97140", "55.00", "28.90"),
        ("97530", "70.00", "36.30"),
        ("97535", "65.00", "34.00"),
        ("97165", "180.00", "104.00"),
    ):
        clinic.fees.add(code, charge=charge)
        clinic.fees.add(code, allowed=allowed, payer_id=medicare.id)
    zoe = clinic.patients.create(
        last_name="Ng-Ødegård",
        first_name="Zoë",
        date_of_birth="1951-05-09",
        sex="F",
        address1="4711 SE Hawthorne Blvd, Apt 12B",
        city="Portland",
        state="OR",
        postal_code="97214",
        phone="(503) 555-0199",
        account_number="A-1001",
    )
    clinic.patients.add_policy(
        zoe.id,
        payer_id=medicare.id,
        member_id="1EG4-TE5-MK73",
        group_number="GRP-0042",
        subscriber_name="Zoë Ng-Ødegård",
        relationship="self",
    )
    plan = clinic.patients.add_plan_of_care(
        zoe.id,
        discipline="OT",
        start_date="2026-02-02",
        certified_through="2026-05-01",
        referring_name="Dr. Rowan Demo",
        referring_npi=OT_NPI,
    )
    jose = clinic.patients.create(
        last_name="Núñez",
        first_name="José",
        date_of_birth="1948-07-14",
        sex="M",
        account_number="A-1002",
    )
    clinic.patients.add_policy(jose.id, payer_id=commercial.id, member_id="EVG123456")
    visit = finalized_visit(clinic, zoe.id, ota.id)
    return Demo(ot.id, ota.id, medicare.id, commercial.id, zoe.id, jose.id, plan.id, visit)


def finalized_visit(clinic, patient_id: int, provider_id: int, day: str = "2026-03-02") -> int:
    detail = clinic.visits.create(
        patient_id, provider_id=provider_id, date_of_service=day, total_treatment_minutes=62
    )
    clinic.visits.set_diagnoses(detail.id, ["M62.81", "R26.89"])
    clinic.visits.add_line(
        detail.id,
        "97530",
        minutes=38,
        assistant_minutes=38,
        modifiers=["GO", "CO"],
        dx_pointers=["A", "B"],
    )
    clinic.visits.add_line(
        detail.id,
        "97110",
        minutes=15,
        assistant_minutes=15,
        modifiers=["GO", "CO"],
        dx_pointers=["A"],
    )
    clinic.visits.add_line(
        detail.id,
        "97535",
        minutes=9,
        assistant_minutes=9,
        modifiers=["GO", "CO"],
        dx_pointers=["B"],
    )
    clinic.visits.record_payment(detail.id, "20.00", kind="copay", method="card")
    done = clinic.visits.finalize(detail.id)
    return done.id


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def icd_index() -> Any:
    return built_icd_index()


@pytest.fixture
def superbill_clinic(tmp_path, clock):
    """A clinic with the diagnosis index (the superbill tests print diagnoses)."""
    opened = open_clinic(tmp_path / "data", clock, icd=built_icd_index())
    yield opened
    opened.close()


@pytest.fixture
def demo(clinic) -> Demo:
    """The superbill demo seeded in the test's `clinic`."""
    return seed_superbill_demo(clinic)
