"""Signing in to an encrypted clinic costs one Argon2id run, the key slot's: its opening is
the proof of the password while the slot is the one written with the account's hash. A
disabled account is still refused, a hash left stale by a password change cut short is
mended, and failed tries are still paced and logged. The runs are counted by wrapping
argon2-cffi's calls (they still run); no clock is read."""

from __future__ import annotations

from collections import Counter

import argon2
import argon2.low_level
import pytest

from otdesk.services import Clinic
from otdesk.services.accounts import SLOTS_KEY, SignInError, password_matches
from otdesk.services.signin import (
    SignInPausedError,
    check_password,
    encrypt_existing,
    sign_in,
)
from otdesk.storage import keys
from otdesk.storage import schema as s
from tests.helpers.clinics import ADMIN_PASSWORD, PAT_PASSWORD

NEW_PASSWORD = "a password changed at noon"


@pytest.fixture
def runs(monkeypatch):
    """How many Argon2id runs were made, by kind: "slot" (a key slot derived),
    "verify" and "hash" (an account's password hash checked or made)."""
    counted: Counter[str] = Counter()
    derive = argon2.low_level.hash_secret_raw
    verify, make = argon2.PasswordHasher.verify, argon2.PasswordHasher.hash

    def counted_derive(*args, **kwargs):
        counted["slot"] += 1
        return derive(*args, **kwargs)

    def counted_verify(self, *args, **kwargs):
        counted["verify"] += 1
        return verify(self, *args, **kwargs)

    def counted_hash(self, *args, **kwargs):
        counted["hash"] += 1
        return make(self, *args, **kwargs)

    monkeypatch.setattr(argon2.low_level, "hash_secret_raw", counted_derive)
    monkeypatch.setattr(argon2.PasswordHasher, "verify", counted_verify)
    monkeypatch.setattr(argon2.PasswordHasher, "hash", counted_hash)
    return counted


def _sign_in(folder, name, password, clock):
    return sign_in(folder, name, password, clock=clock, daily_backup=False)


def _as_maintenance(folder, clock, key):
    """The clinic opened with its key and no one signed in (to look at the rows)."""
    return Clinic.open(folder, clock=clock, key=key, daily_backup=False)


def _hash_of(clinic, name):
    from sqlalchemy import select

    with clinic.db.read() as connection:
        return connection.execute(
            select(s.accounts.c.password_hash).where(s.accounts.c.name == name)
        ).scalar()


def _actions(clinic):
    person, clinic.ctx.person = clinic.person, None
    try:
        return [entry.action for entry in clinic.audit.entries(limit=10_000)]
    finally:
        clinic.ctx.person = person


def _cut_short_password_change(folder, name, new_password, key):
    """What a password change leaves when it stops after writing the key file and before
    its transaction commits (AccountService._set_password writes the slot last): the new
    slot in the key file, the old hash in the database."""
    database = folder / "otdesk.db"
    slots = keys.load_key_file(database).with_password(key, name, new_password)
    keys.write_key_file(keys.key_file_path(database), slots)


def test_signing_in_costs_one_argon2_run(made, clock, runs):
    with _sign_in(made.folder, "pat", PAT_PASSWORD, clock) as clinic:
        assert clinic.person.name == "pat"
        assert "signin" in _actions(clinic)
    assert runs == {"slot": 1}
    runs.clear()
    # an account added later, and the administrator who made the clinic: the same
    with _sign_in(made.folder, "ada", ADMIN_PASSWORD, clock) as clinic:
        clinic.accounts.add("bo", "Bo Ames", "biller", "billing all day long")
    runs.clear()
    _sign_in(made.folder, "bo", "billing all day long", clock).close()
    assert runs == {"slot": 1}


def test_a_wrong_password_costs_one_run_and_is_still_paced_and_logged(made, clock, runs):
    before = (made.folder / "otdesk.db").read_bytes()
    for _ in range(5):
        with pytest.raises(SignInError, match="not right"):
            _sign_in(made.folder, "pat", "not her password", clock)
    assert runs == {"slot": 5}  # the slot refuses it; the hash is never reached
    assert (made.folder / "otdesk.db").read_bytes() == before
    with pytest.raises(SignInPausedError):
        _sign_in(made.folder, "pat", PAT_PASSWORD, clock)
    clock.advance(3)
    with _sign_in(made.folder, "pat", PAT_PASSWORD, clock) as clinic:
        assert _actions(clinic).count("signin.failed") == 5


def test_a_disabled_account_whose_slot_still_opens_is_refused(made, clock, runs):
    # an enable cut short: its new slot was written, the account is still disabled
    with _sign_in(made.folder, "ada", ADMIN_PASSWORD, clock) as clinic:
        clinic.accounts.disable("pat", "on leave")
        key = clinic.db.key
    _cut_short_password_change(made.folder, "pat", NEW_PASSWORD, key)
    runs.clear()
    with pytest.raises(SignInError, match="disabled") as caught:
        _sign_in(made.folder, "pat", NEW_PASSWORD, clock)
    assert not isinstance(caught.value, SignInPausedError)
    assert runs == {"slot": 1}
    # the refusal counts as a failed try, logged at the next sign-in
    with _sign_in(made.folder, "ada", ADMIN_PASSWORD, clock) as clinic:
        assert "signin.failed" in _actions(clinic)


def test_a_password_change_cut_short_is_mended_at_the_next_sign_in(made, clock, runs):
    with _sign_in(made.folder, "ada", ADMIN_PASSWORD, clock) as clinic:
        key = clinic.db.key
    _cut_short_password_change(made.folder, "pat", NEW_PASSWORD, key)
    with _as_maintenance(made.folder, clock, key) as clinic:
        old_hash = _hash_of(clinic, "pat")
    assert password_matches(old_hash, PAT_PASSWORD)
    # the old password no longer opens the slot
    with pytest.raises(SignInError):
        _sign_in(made.folder, "pat", PAT_PASSWORD, clock)
    runs.clear()
    with _sign_in(made.folder, "pat", NEW_PASSWORD, clock) as clinic:
        assert clinic.person.name == "pat"
        # the lock screen (which checks the hash) takes the new password, not the old
        assert check_password(clinic, "pat", NEW_PASSWORD).name == "pat"
        with pytest.raises(SignInError):
            check_password(clinic, "pat", PAT_PASSWORD)
    # this sign-in: the slot, the stale hash checked, the new hash made (then the lock
    # screen's two checks)
    assert runs == {"slot": 1, "verify": 3, "hash": 1}
    runs.clear()
    _sign_in(made.folder, "pat", NEW_PASSWORD, clock).close()
    assert runs == {"slot": 1}  # in step again


def test_slots_from_before_the_fingerprints_are_checked_once(made, clock, runs):
    """A clinic whose slots were made by an earlier version (nothing recorded beside the
    hashes), or whose record is unreadable: the hash is checked once, then not again."""
    from sqlalchemy import delete, insert

    with _sign_in(made.folder, "ada", ADMIN_PASSWORD, clock) as clinic:
        key = clinic.db.key
    with _as_maintenance(made.folder, clock, key) as clinic, clinic.db.write() as connection:
        connection.execute(delete(s.meta).where(s.meta.c.key == SLOTS_KEY))
    runs.clear()
    _sign_in(made.folder, "pat", PAT_PASSWORD, clock).close()
    assert runs == {"slot": 1, "verify": 1}  # the hash was right: not made again
    runs.clear()
    _sign_in(made.folder, "pat", PAT_PASSWORD, clock).close()
    assert runs == {"slot": 1}

    with _as_maintenance(made.folder, clock, key) as clinic, clinic.db.write() as connection:
        connection.execute(delete(s.meta).where(s.meta.c.key == SLOTS_KEY))
        connection.execute(insert(s.meta).values(key=SLOTS_KEY, value="not json"))
    runs.clear()
    _sign_in(made.folder, "pat", PAT_PASSWORD, clock).close()
    assert runs == {"slot": 1, "verify": 1}


def test_a_password_changed_in_full_keeps_sign_in_at_one_run(made, clock, runs):
    with _sign_in(made.folder, "pat", PAT_PASSWORD, clock) as clinic:
        clinic.accounts.change_own_password(PAT_PASSWORD, NEW_PASSWORD)
    with _sign_in(made.folder, "ada", ADMIN_PASSWORD, clock) as clinic:
        clinic.accounts.reset_password("pat", "reset by the administrator")
        clinic.accounts.disable("pat")
        clinic.accounts.enable("pat", "enabled again today")
    runs.clear()
    with _sign_in(made.folder, "pat", "enabled again today", clock) as clinic:
        assert check_password(clinic, "pat", "enabled again today").name == "pat"
    assert runs == {"slot": 1, "verify": 1}  # the sign-in's slot; the lock screen's hash


def test_a_clinic_encrypted_in_place_signs_in_with_one_run(tmp_path, clock, runs):
    folder = tmp_path / "old"
    with Clinic.open(folder, clock=clock):
        pass
    clinic, _recovery = encrypt_existing(
        folder, "ada", ADMIN_PASSWORD, display_name="Ada Admin", clock=clock
    )
    clinic.close()
    runs.clear()
    _sign_in(folder, "ada", ADMIN_PASSWORD, clock).close()
    assert runs == {"slot": 1}


def test_a_plain_clinic_still_checks_the_hash(tmp_path, clock, runs):
    """No slots (a clinic not encrypted yet, as the upgrade meets it): the hash is the
    proof, and a wrong password is refused by it."""
    folder = tmp_path / "plain"
    with Clinic.open(folder, clock=clock, daily_backup=False) as clinic:
        clinic.accounts.create_first_administrator("ada", "Ada Admin", ADMIN_PASSWORD)
    runs.clear()
    with _sign_in(folder, "ada", ADMIN_PASSWORD, clock) as clinic:
        assert clinic.person.name == "ada"
    assert runs == {"verify": 1}
    with pytest.raises(SignInError, match="not right"):
        _sign_in(folder, "ada", "not the password", clock)
