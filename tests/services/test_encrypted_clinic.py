"""The services over an encrypted clinic: Clinic.open and maintenance take the database key
unwrapped at sign-in (the accounts work passes it), and everything works as on a plain
file; the first screen reads the encrypted file through sqlcipher3 given the key."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from otdesk.services import Clinic, FixedClock, maintenance
from otdesk.services.first_screen import FirstScreen
from otdesk.storage import containers, keys
from otdesk.storage.errors import EncryptedDatabaseError, WrongKeyError
from tests.helpers.keys import NAME, PASSWORD, write_test_keys

CLOCK = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def encrypted(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    made = write_test_keys(folder / "otdesk.db")
    clock = FixedClock(CLOCK)
    with Clinic.open(folder, clock=clock, key=made.key, user="setup") as clinic:
        clinic.practice.save(name="Harbor Hands OT")
        ot = clinic.providers.create(
            last_name="Demo", first_name="Avery", role="OT", npi="1234567893"
        )
        patient = clinic.patients.create(
            last_name="Quillfeather", first_name="Zephyrine", date_of_birth="1961-02-03"
        )
        clinic.visits.create(patient.id, provider_id=ot.id, date_of_service=date(2026, 3, 2))
    return folder, made, clock


def _unlocked(folder):
    return keys.unlock_database(folder / "otdesk.db", keys.PasswordUnlock(NAME, PASSWORD))


def test_the_clinic_opens_with_the_key_its_password_unwraps(encrypted):
    folder, made, clock = encrypted
    key = _unlocked(folder)
    assert key == made.key
    with Clinic.open(folder, clock=clock, key=key, daily_backup=False) as clinic:
        day = clinic.visits.day(date(2026, 3, 2))
        assert [v.patient_name for v in day] == ["Quillfeather, Zephyrine"]
        first = FirstScreen.open(folder, key=key)
        assert first is not None and first.practice_name == "Harbor Hands OT"
        assert first.day(date(2026, 3, 2)) == day
    assert FirstScreen.open(folder) is None  # no key: the services open it (and say why)
    assert FirstScreen.open(folder, key=keys.new_database_key()) is None
    with pytest.raises(WrongKeyError):
        Clinic.open(folder, clock=clock, key=keys.new_database_key())
    with pytest.raises(EncryptedDatabaseError):
        Clinic.open(folder, clock=clock)


def test_backup_verify_check_and_restore_take_the_key(encrypted):
    folder, made, clock = encrypted
    backup = maintenance.backup_now(folder, clock=clock, key=made.key)
    assert containers.is_container(backup)
    infos = maintenance.backups(folder, key=made.key)
    assert infos and all(i.problem is None and not i.locked for i in infos)
    assert infos[0].visits == 1
    health = maintenance.check(folder, key=made.key)
    assert health.ok, health
    # without the key the backups are whole but their contents are not checked
    assert all(i.locked for i in maintenance.backups(folder))
    report = maintenance.restore(
        backup,
        folder,
        clock=clock,
        key=made.key,
        unlock=keys.RecoveryUnlock(str(made.recovery)),
    )
    assert report.encrypted_backup and report.key == made.key
    latest = maintenance.restore(
        None, folder, clock=clock, key=made.key, unlock=keys.KeyUnlock(made.key)
    )
    assert latest.restored_from.parent == folder / "backups"
    with Clinic.open(folder, clock=clock, key=made.key, daily_backup=False) as clinic:
        assert len(clinic.visits.day(date(2026, 3, 2))) == 1
