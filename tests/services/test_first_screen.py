"""The window's first screen read without SQLAlchemy: the same day list, practice name and
favourite codes as the services give, and None (the services open it first) for every file
it should not trust."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from otdesk.services import Clinic, FixedClock
from otdesk.services.demo import install_demo
from otdesk.services.first_screen import FirstScreen
from otdesk.services.superbills import SuperbillService
from otdesk.storage.dialect import APPLICATION_ID
from otdesk.storage.migrations import HEAD_REVISION

DEMO_DAY = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("first-screen") / "data"
    install_demo(folder, clock=FixedClock(DEMO_DAY))
    return folder


def test_every_day_list_is_the_services_one(demo):
    first = FirstScreen.open(demo)
    assert first is not None
    with Clinic.open(demo, clock=FixedClock(DEMO_DAY), daily_backup=False) as clinic:
        everything = clinic.visits.between("2026-01-01", "2026-12-31")
        days = sorted({visit.date_of_service for visit in everything})
        # the demo has what a day list must get right: each status, an amendment (a second
        # version), payments, several payers
        assert {v.status for v in everything} == {"draft", "finalized", "void"}
        assert any(v.version > 1 for v in everything)
        assert any(v.paid.amount > 0 for v in everything)
        assert len({v.payer_name for v in everything}) > 2
        assert len(days) > 5
        for day in days:
            assert first.day(day) == clinic.visits.day(day), day
        assert first.practice_name == clinic.practice.get().name
    assert first.day(datetime(2025, 1, 1).date()) == []


def test_favourite_codes_follow_the_superbill_settings(demo, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(demo, folder)
    with Clinic.open(folder, clock=FixedClock(DEMO_DAY), daily_backup=False) as clinic:
        service = SuperbillService(clinic.ctx)
        assert FirstScreen.open(folder).favourite_codes() == service.settings().favourite_codes
        service.save_settings(favourite_codes="97530 97110 97010")
    assert FirstScreen.open(folder).favourite_codes() == ("97530", "97110", "97010")


def test_reading_it_loads_no_sqlalchemy_and_changes_nothing(demo):
    database = demo / "otdesk.db"
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    code = f"""
import sys
from datetime import date
from otdesk.services.first_screen import FirstScreen
first = FirstScreen.open({str(demo)!r})
print(len(first.day(date(2026, 6, 15))), len(first.favourite_codes()))
print(sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic")))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    counts, loaded = done.stdout.splitlines()
    visits, favourites = map(int, counts.split())
    assert visits > 0 and favourites > 0
    assert loaded == "[]"
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before


def test_files_the_services_must_open_first(demo, tmp_path):
    assert FirstScreen.open(tmp_path / "nothing-here") is None

    with Clinic.open(tmp_path / "new", daily_backup=False):
        pass  # a database with no practice yet: the welcome shows
    assert FirstScreen.open(tmp_path / "new") is None

    older = tmp_path / "older"
    shutil.copytree(demo, older)
    with sqlite3.connect(older / "otdesk.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0000'")
    connection.close()
    assert FirstScreen.open(older) is None  # a migration is due

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    with sqlite3.connect(foreign / "otdesk.db") as connection:
        connection.execute("CREATE TABLE notes (text)")
    connection.close()
    assert FirstScreen.open(foreign) is None

    # marked as otdesk's, at this schema, yet without the practice table (a half-made or
    # tampered file): the services say what is wrong; the first screen does not crash
    hollow = tmp_path / "hollow"
    hollow.mkdir()
    with sqlite3.connect(hollow / "otdesk.db") as connection:
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute("CREATE TABLE alembic_version (version_num TEXT)")
        connection.execute("INSERT INTO alembic_version VALUES (?)", (HEAD_REVISION,))
    connection.close()
    assert FirstScreen.open(hollow) is None

    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "otdesk.db").write_bytes(b"this is not a database" * 100)
    assert FirstScreen.open(damaged) is None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_the_files_its_read_leaves_are_readable_by_their_owner_only(demo, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(demo, folder)
    for leftover in folder.glob("otdesk.db-*"):
        leftover.unlink()  # as after otdesk closed: the write-ahead log is gone
    assert FirstScreen.open(folder).day(DEMO_DAY.date())
    files = list(folder.glob("otdesk.db*"))
    assert len(files) > 1  # SQLite made its -wal/-shm files for the read
    assert {oct(path.stat().st_mode & 0o077) for path in files} == {"0o0"}


@pytest.fixture(scope="module")
def encrypted_demo(demo, tmp_path_factory):
    """The demo clinic encrypted in place (issue 15), with its key."""
    from otdesk.storage.encrypt import encrypt_in_place
    from tests.helpers.keys import new_keys

    folder = tmp_path_factory.mktemp("first-screen-encrypted") / "data"
    shutil.copytree(demo, folder)
    made = new_keys()
    encrypt_in_place(folder / "otdesk.db", made.key, made.slots)
    return folder, made.key


def test_an_encrypted_clinic_reads_the_same_given_its_key(encrypted_demo, demo):
    folder, key = encrypted_demo
    first = FirstScreen.open(folder, key=key)
    plain = FirstScreen.open(demo)
    assert first is not None and FirstScreen.open(folder) is None
    with Clinic.open(folder, clock=FixedClock(DEMO_DAY), daily_backup=False, key=key) as clinic:
        for day in sorted(
            {v.date_of_service for v in clinic.visits.between("2026-01-01", "2026-12-31")}
        ):
            assert first.day(day) == clinic.visits.day(day) == plain.day(day), day
    assert first.favourite_codes() == plain.favourite_codes()


def test_reading_an_encrypted_clinic_loads_no_sqlalchemy_and_changes_nothing(encrypted_demo):
    folder, key = encrypted_demo
    database = folder / "otdesk.db"
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    code = f"""
import sys
from datetime import date
from otdesk.services.first_screen import FirstScreen
from otdesk.storage.keys import DatabaseKey
first = FirstScreen.open({str(folder)!r}, key=DatabaseKey(bytes.fromhex({key.hex!r})))
print(len(first.day(date(2026, 6, 15))))
print(sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic")))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    visits, loaded = done.stdout.splitlines()
    assert int(visits) > 0 and loaded == "[]"
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before


def test_a_clinic_with_accounts_shows_its_day_only_to_whoever_signed_in(demo, tmp_path):
    """No one signed in: nothing (not even the practice's day); a therapist: their own
    visits, as the services give them; the front desk: every visit."""
    from otdesk.core.accounts import Person, Role

    folder = tmp_path / "accounts"
    shutil.copytree(demo, folder)
    day = DEMO_DAY.date()
    with Clinic.open(folder, clock=FixedClock(DEMO_DAY), daily_backup=False) as clinic:
        everyone = clinic.visits.day(day)
        providers = {visit.provider_id for visit in everyone}
        assert len(providers) > 1  # the demo's day has visits of several providers
        ot = sorted(providers)[0]
        admin = clinic.accounts.create_first_administrator("ada", "Ada Admin", "harbor admin 1")
        clinic.ctx.sign_in_as(admin.person)
        therapist = clinic.accounts.add(
            "avery", "Avery Demo", Role.THERAPIST, "hands on therapy", provider_id=ot
        ).person
        desk = clinic.accounts.add("pat", "Pat Lee", Role.FRONT_DESK, "front desk mornings")
        clinic.ctx.sign_in_as(therapist)
        own = clinic.visits.day(day)
    assert own and {visit.provider_id for visit in own} == {ot} and len(own) < len(everyone)

    assert FirstScreen.open(folder) is None  # before sign-in: nothing of the clinic shows
    first = FirstScreen.open(folder, person=therapist)
    assert first is not None and first.day(day) == own
    assert FirstScreen.open(folder, person=desk.person).day(day) == everyone
    # a therapist account without a provider (made before the rule) sees no visit
    stray = Person("sam", "Sam", Role.THERAPIST, None)
    assert FirstScreen.open(folder, person=stray).day(day) == []


def test_an_encrypted_clinic_shows_a_therapist_signed_in_their_own_visits(tmp_path):
    """As after a sign-in to the encrypted demo: the key the password unwrapped and the
    person it signed in."""
    from otdesk.core.accounts import Role
    from otdesk.services.accounts import DEMO_NAME, DEMO_PASSWORD
    from otdesk.services.signin import sign_in

    folder = tmp_path / "encrypted"
    clock = FixedClock(DEMO_DAY)
    install_demo(folder, clock=clock, encrypted=True)
    day = DEMO_DAY.date()
    with sign_in(folder, DEMO_NAME, DEMO_PASSWORD, clock=clock, daily_backup=False) as clinic:
        ot = sorted({visit.provider_id for visit in clinic.visits.day(day)})[-1]
        clinic.accounts.add(
            "avery", "Avery Demo", Role.THERAPIST, "hands on therapy", provider_id=ot
        )
    with sign_in(folder, "avery", "hands on therapy", clock=clock, daily_backup=False) as clinic:
        own = clinic.visits.day(day)
        key, person = clinic.db.key, clinic.person
    assert own and {visit.provider_id for visit in own} == {ot}
    assert FirstScreen.open(folder, key=key) is None  # the key alone says not who
    assert FirstScreen.open(folder, key=key, person=person).day(day) == own
