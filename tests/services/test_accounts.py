"""Accounts and signing in, on real encrypted clinics: the first administrator, adding and
disabling people, passwords and their key slots kept together, failed sign-ins paced and
logged, the recovery key as the emergency way in, and the roles refusing in the services."""

from __future__ import annotations

import pytest

from otdesk.core.accounts import Permission, Person, Role
from otdesk.services.accounts import SignInError
from otdesk.services.errors import PermissionDeniedError, ServiceError, ValidationError
from otdesk.services.signin import (
    SignInPausedError,
    check_password,
    create_clinic,
    encrypt_existing,
    recover,
    sign_in,
)
from otdesk.storage import keys
from otdesk.storage.errors import WrongKeyError
from tests.helpers.clinics import ADMIN_PASSWORD, PAT_PASSWORD


def _entries(clinic):
    """The audit log, read by the maintenance context (reading it needs the administrator
    role, which not every test's person has)."""
    person = clinic.person
    clinic.ctx.person = None
    try:
        return clinic.audit.entries(limit=10_000)
    finally:
        clinic.ctx.person = person


def _audit_actions(clinic):
    return [entry.action for entry in _entries(clinic)]


def test_a_new_clinic_is_encrypted_and_its_administrator_is_signed_in(tmp_path, clock):
    folder = tmp_path / "clinic"
    clinic, recovery = create_clinic(folder, "Ada", "Ada Admin", ADMIN_PASSWORD, clock=clock)
    try:
        assert clinic.person == Person("ada", "Ada Admin", Role.ADMINISTRATOR)
        assert clinic.db.key is not None and clinic.ctx.user == "ada"
        assert keys.slot_names(folder / "otdesk.db") == ["ada"]
        assert "clinic.create" in _audit_actions(clinic)
    finally:
        clinic.close()
    assert str(recovery).count("-") == keys.RECOVERY_GROUPS - 1
    with pytest.raises(ServiceError, match="already"):
        create_clinic(folder, "bo", "Bo", ADMIN_PASSWORD, clock=clock)


def test_signing_in_opens_the_clinic_as_that_person_and_is_audited(made, clock):
    folder, _ = made
    with sign_in(folder, "PAT", PAT_PASSWORD, clock=clock, daily_backup=False) as clinic:
        assert clinic.person.role is Role.FRONT_DESK and clinic.person.display_name == "Pat Lee"
        entries = _entries(clinic)
        assert entries[-1].action == "signin" and entries[-1].user == "pat"


@pytest.mark.parametrize(
    ("name", "password"),
    [("pat", "not her password"), ("nobody", PAT_PASSWORD), ("", ""), ("recovery", "x")],
)
def test_a_wrong_name_or_password_opens_nothing_and_says_no_more(made, clock, name, password):
    folder, _ = made
    before = (folder / "otdesk.db").read_bytes()
    with pytest.raises(SignInError) as caught:
        sign_in(folder, name, password, clock=clock, daily_backup=False)
    assert str(caught.value) == "The name or the password is not right."
    assert (folder / "otdesk.db").read_bytes() == before


def test_failed_sign_ins_slow_down_after_five_and_are_logged_at_the_next_success(made, clock):
    folder, _ = made
    for _ in range(5):
        with pytest.raises(SignInError):
            sign_in(folder, "pat", "guess", clock=clock, daily_backup=False)
    with pytest.raises(SignInPausedError) as paused:
        sign_in(folder, "pat", PAT_PASSWORD, clock=clock, daily_backup=False)
    assert paused.value.seconds == 2 and "wait 2 seconds" in str(paused.value)
    # another name is not held up by pat's failures
    sign_in(folder, "ada", ADMIN_PASSWORD, clock=clock, daily_backup=False).close()
    clock.advance(3)
    with sign_in(folder, "pat", PAT_PASSWORD, clock=clock, daily_backup=False) as clinic:
        failed = [e for e in _entries(clinic) if e.action == "signin.failed"]
    assert len(failed) == 5 and {e.after["name"] for e in failed} == {"pat"}
    # the count in a row started again
    with pytest.raises(SignInError) as again:
        sign_in(folder, "pat", "guess", clock=clock, daily_backup=False)
    assert not isinstance(again.value, SignInPausedError)


def test_a_disabled_account_cannot_sign_in_and_loses_its_key_slot(made, clock):
    folder, _ = made
    with sign_in(folder, "ada", ADMIN_PASSWORD, clock=clock, daily_backup=False) as clinic:
        clinic.accounts.disable("pat", "left the clinic")
    assert keys.slot_names(folder / "otdesk.db") == ["ada"]
    with pytest.raises(SignInError):
        sign_in(folder, "pat", PAT_PASSWORD, clock=clock, daily_backup=False)
    # the password alone no longer decrypts the file, outside otdesk too
    with pytest.raises(WrongKeyError):
        keys.unlock_database(folder / "otdesk.db", keys.PasswordUnlock("pat", PAT_PASSWORD))
    with sign_in(folder, "ada", ADMIN_PASSWORD, clock=clock, daily_backup=False) as clinic:
        clinic.accounts.enable("pat", "a fresh start today")
    sign_in(folder, "pat", "a fresh start today", clock=clock, daily_backup=False).close()


def test_nobody_can_disable_or_demote_the_last_administrator(made, clock):
    folder, _ = made
    with sign_in(folder, "ada", ADMIN_PASSWORD, clock=clock, daily_backup=False) as clinic:
        with pytest.raises(ServiceError, match="last administrator"):
            clinic.accounts.disable("ada")
        with pytest.raises(ServiceError, match="last administrator"):
            clinic.accounts.update("ada", role="biller")
        clinic.accounts.add("cy", "Cy Owner", "administrator", "second administrator")
        clinic.accounts.disable("ada")
        assert clinic.accounts.get("ada").disabled


def test_changing_a_password_rewraps_only_that_slot(made, clock):
    folder, _ = made
    database = folder / "otdesk.db"
    before = {slot.name: slot for slot in keys.load_key_file(database).slots}
    with sign_in(folder, "pat", PAT_PASSWORD, clock=clock, daily_backup=False) as clinic:
        with pytest.raises(ValidationError, match="not your password"):
            clinic.accounts.change_own_password("wrong", "a brand new phrase")
        clinic.accounts.change_own_password(PAT_PASSWORD, "a brand new phrase")
    after = {slot.name: slot for slot in keys.load_key_file(database).slots}
    assert after["pat"] != before["pat"]
    assert {n: s for n, s in after.items() if n != "pat"} == {
        n: s for n, s in before.items() if n != "pat"
    }
    with pytest.raises(SignInError):
        sign_in(folder, "pat", PAT_PASSWORD, clock=clock, daily_backup=False)
    sign_in(folder, "pat", "a brand new phrase", clock=clock, daily_backup=False).close()


@pytest.mark.parametrize(
    ("password", "problem"),
    [("short", "at least 8"), ("password", "most common"), ("football", "most common"),
     ("pat.lee", "at least 8"), ("patricia", "most common")],
)  # fmt: skip
def test_new_passwords_follow_the_rules(made, clock, password, problem):
    folder, _ = made
    with sign_in(folder, "ada", ADMIN_PASSWORD, clock=clock, daily_backup=False) as clinic:
        with pytest.raises(ValidationError, match=problem) as caught:
            clinic.accounts.add("bo", "Bo Ames", "biller", password)
        assert caught.value.field == "password"
        with pytest.raises(Exception, match="no account"):
            clinic.accounts.get("bo")


def test_only_an_administrator_manages_people(made, clock):
    folder, _ = made
    with sign_in(folder, "pat", PAT_PASSWORD, clock=clock, daily_backup=False) as clinic:
        for attempt in (
            lambda: clinic.accounts.add("bo", "Bo Ames", "biller", "billing all day long"),
            lambda: clinic.accounts.disable("ada"),
            lambda: clinic.accounts.reset_password("ada", "taken over by pat"),
            lambda: clinic.accounts.set_lock_minutes(30),
        ):
            with pytest.raises(PermissionDeniedError) as caught:
                attempt()
            assert "you need the Administrator role; Pat Lee is signed in as Front desk" in str(
                caught.value
            )
        assert [a.name for a in clinic.accounts.list()] == ["ada", "pat"]


def test_a_therapist_account_names_its_provider(made, clock):
    folder, _ = made
    with sign_in(folder, "ada", ADMIN_PASSWORD, clock=clock, daily_backup=False) as clinic:
        with pytest.raises(ValidationError, match="names the provider"):
            clinic.accounts.add("avery", "Avery Demo", "therapist", "hands on therapy")
        ot = clinic.providers.create(last_name="Demo", first_name="Avery", role="OT")
        account = clinic.accounts.add(
            "avery", "Avery Demo", "therapist", "hands on therapy", provider_id=ot.id
        )
        assert account.person.provider_id == ot.id
        assert not account.person.may(Permission.EVERY_VISIT)


def test_the_recovery_key_opens_the_clinic_and_resets_an_administrator(made, clock):
    folder, recovery = made
    with pytest.raises(WrongKeyError):
        recover(folder, str(keys.new_recovery_key()), "ada", "back in business now", clock=clock)
    with recover(
        folder, str(recovery).lower(), "ada", "back in business now", clock=clock,
        daily_backup=False,
    ) as clinic:  # fmt: skip
        assert clinic.person.name == "ada"
        assert "signin.recovery" in _audit_actions(clinic)
    sign_in(folder, "ada", "back in business now", clock=clock, daily_backup=False).close()


def test_the_lock_screen_takes_the_same_person_or_another(made, clock):
    folder, _ = made
    with sign_in(folder, "pat", PAT_PASSWORD, clock=clock, daily_backup=False) as clinic:
        assert check_password(clinic, "pat", PAT_PASSWORD).name == "pat"
        assert check_password(clinic, "ada", ADMIN_PASSWORD).role is Role.ADMINISTRATOR
        with pytest.raises(SignInError):
            check_password(clinic, "pat", "nope")
        assert "unlock.failed" in _audit_actions(clinic)


def test_a_plain_clinic_from_before_accounts_is_encrypted_at_its_first_start(tmp_path, clock):
    from otdesk.services import Clinic

    folder = tmp_path / "old"
    with Clinic.open(folder, clock=clock) as old:
        old.patients.create(
            last_name="Quillfeather", first_name="Zephyrine", date_of_birth="1961-02-03"
        )
    clinic, recovery = encrypt_existing(
        folder, "ada", ADMIN_PASSWORD, display_name="Ada Admin", clock=clock
    )
    try:
        assert clinic.db.key is not None and clinic.person.role is Role.ADMINISTRATOR
        assert [m.patient.last_name for m in clinic.patients.search("quill")] == ["Quillfeather"]
    finally:
        clinic.close()
    for path in folder.rglob("*"):
        if path.is_file():
            assert b"Quillfeather" not in path.read_bytes(), path.name
    sign_in(folder, "ada", ADMIN_PASSWORD, clock=clock, daily_backup=False).close()
    assert recover(folder, str(recovery), "ada", "another long phrase", clock=clock).person
