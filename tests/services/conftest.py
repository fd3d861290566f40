"""A small clinic with a clock the tests move, on both engines: a real SQLite file, and a
real PostgreSQL database on the test server (issue 16; tests/helpers/postgres.py). A test
that is about the SQLite file itself (its bytes, backups beside it, encryption) asks for
`sqlite_only`; the other tests of the services run on both."""

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


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.server)]


@pytest.fixture(params=ENGINES)
def engine(request):
    """The database engine the test's clinic is on."""
    if request.param == "postgresql" and "sqlite_only" in request.fixturenames:
        pytest.skip("about the SQLite clinic file itself")
    return request.param


@pytest.fixture
def sqlite_only():
    """Asked for by the tests about the clinic file itself: they run on SQLite only."""


@pytest.fixture(scope="session")
def _server_templates(_templates):
    """The same two clinics as template databases on the test server, built once; each
    test gets its own database copied from one (CREATE DATABASE ... TEMPLATE)."""
    from otdesk.storage import server
    from tests.helpers import postgres

    root, ids = _templates
    clock = FixedClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    names = {}
    for name in ("empty", "seeded"):
        url, database = postgres.template_database(f"otdesk_template_{name}")
        db = server.open_server(url, desk_dir=root / f"desk-{name}", create=True)
        with Clinic(db, clock=clock, user="setup") as made:
            if name == "seeded":
                assert _seed(made) == ids
        names[name] = database
    yield names
    for database in names.values():
        postgres.drop_database(database)


@pytest.fixture
def clinic(request, tmp_path, clock, engine, _templates):
    """An empty clinic, or the seeded one when the test also asks for `setup`."""
    template = "seeded" if "setup" in request.fixturenames else "empty"
    if engine == "postgresql":
        from otdesk.storage import server
        from tests.helpers import postgres

        names = request.getfixturevalue("_server_templates")
        with postgres.fresh_database(template=names[template]) as url:
            db = server.open_server(url, desk_dir=tmp_path / "data")
            opened = Clinic(db, clock=clock, user="frontdesk")
            yield opened
            opened.close()
        return
    _copy(_templates[0] / template, tmp_path / "data")
    opened = Clinic.open(tmp_path / "data", clock=clock, user="frontdesk", daily_backup=False)
    yield opened
    opened.close()


@pytest.fixture
def setup(_templates, clinic) -> Setup:
    """The ids of the seeded clinic `clinic` is a copy of."""
    return _templates[1]


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
