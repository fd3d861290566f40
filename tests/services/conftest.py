"""A small clinic with a clock the tests move, on both engines: a real SQLite file, and a
real PostgreSQL database on the test server (issue 16; tests/helpers/postgres.py). A test
that is about the SQLite file itself (its bytes, backups beside it, encryption) asks for
`sqlite_only`; the other tests of the services run on both."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from otdesk.services import Clinic, FixedClock
from tests.helpers.clinics import Setup, encrypted_clinic, open_clinic, seed_services


@pytest.fixture(scope="session")
def _templates(tmp_path_factory):
    """An empty migrated clinic and the seeded one, built once and copied per test (a
    migration and some 30 durable commits would cost each test a few hundred ms)."""
    root = tmp_path_factory.mktemp("templates")
    clock = FixedClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    with open_clinic(root / "empty", clock, user="setup"):
        pass
    with open_clinic(root / "seeded", clock, user="setup") as seeded:
        ids = seed_services(seeded)
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
                assert seed_services(made) == ids
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
    opened = open_clinic(tmp_path / "data", clock)
    yield opened
    opened.close()


@pytest.fixture
def setup(_templates, clinic) -> Setup:
    """The ids of the seeded clinic `clinic` is a copy of."""
    return _templates[1]


class Made(NamedTuple):
    folder: Path
    recovery: Any


@pytest.fixture
def made(tmp_path, clock) -> Made:
    """A new encrypted clinic (tests/helpers/clinics.encrypted_clinic: its administrator
    and a front-desk account), closed: its folder and its recovery key, for the tests that
    sign in to it (test_accounts, test_sign_in_cost)."""
    folder = tmp_path / "clinic"
    clinic, recovery = encrypted_clinic(folder, clock)
    clinic.close()
    return Made(folder, recovery)
