"""Signing in: a name and password (or the recovery key) open the clinic as that person.

For an encrypted clinic the password unwraps the database key from the account's slot
(nothing opens without it); the account row then says who it is and whether it may sign
in. Failed tries are kept beside the database (storage.signin_record: they cannot be
written into a clinic that did not open) and copied into the audit log at the next
successful sign-in; after five in a row the next try must wait (core.accounts.
sign_in_delay). The recovery key is the emergency way in (45 CFR 164.312(a)(2)(ii)): it
opens the clinic and sets a new password for an administrator, and says so in the audit
log.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# Loaded with this module rather than at the first sign-in: the window's sign-in screen
# imports this module while the person types (ui.start_flow.warm_up), and each of these
# took some 35 ms after Enter otherwise (benchmarks/startup.py): the AES-GCM that unwraps a
# key slot, and SQLAlchemy's SQLite dialects, which the encrypted open loads.
import cryptography.hazmat.primitives.ciphers.aead  # noqa: F401
import sqlalchemy.dialects.sqlite.pysqlcipher  # noqa: F401

from otdesk.core.accounts import Person, Role, sign_in_delay
from otdesk.paths import database_path
from otdesk.services.accounts import (
    WRONG_NAME_OR_PASSWORD,
    SignInError,
    account_name,
    record_slot,
    slot_fingerprint,
)
from otdesk.services.clinic import Clinic
from otdesk.services.clock import Clock, SystemClock
from otdesk.services.errors import ServiceError
from otdesk.storage import keys, signin_record
from otdesk.storage.encrypt import clinic_state, encrypt_in_place
from otdesk.storage.errors import KeyFileError, WrongKeyError


class SignInPausedError(SignInError):
    """Too many failures in a row for this name: the next try must wait."""

    def __init__(self, name: str, seconds: int) -> None:
        super().__init__(
            f"Too many failed sign-ins for {name} in a row: wait {seconds} seconds before "
            "the next try. (An administrator can reset a forgotten password.)"
        )
        self.seconds = seconds


def sign_in(
    data_dir: str | os.PathLike[str] | None,
    name: str,
    password: str,
    *,
    path: Path | None = None,
    clock: Clock | None = None,
    **options: Any,
) -> Clinic:
    """Open the clinic as the person `name`. Raises SignInError (wrong name or password,
    disabled account, or SignInPausedError) without opening anything, or the storage
    errors of a damaged or locked clinic."""
    clock = clock or SystemClock()
    database = path or database_path(data_dir)
    typed = str(name).strip().casefold()
    record = signin_record.load(database)
    wait = _wait(record.of(typed), clock.now())
    if wait:
        raise SignInPausedError(typed, wait)
    key, opened = None, None
    if clinic_state(database) == "encrypted":
        try:
            # the slots read once: the slot that opens is the one verify_sign_in compares
            opened = keys.load_key_file(database)
            key = keys.PasswordUnlock(typed, password)(opened)
        except (WrongKeyError, KeyFileError):  # KeyFileError: a name no slot can have
            _failed(database, typed, clock.now())
            raise SignInError(WRONG_NAME_OR_PASSWORD) from None
    clinic = Clinic.open(path=database, clock=clock, key=key, **options)
    try:
        person = clinic.accounts.verify_sign_in(typed, password, opened=opened)
    except SignInError:
        clinic.close()
        _failed(database, typed, clock.now())
        raise
    except BaseException:
        clinic.close()
        raise
    _succeeded(clinic, database, person, "signin")
    return clinic


def recover(
    data_dir: str | os.PathLike[str] | None,
    recovery_key: str,
    administrator: str,
    new_password: str,
    *,
    path: Path | None = None,
    clock: Clock | None = None,
    display_name: str = "",
    **options: Any,
) -> Clinic:
    """The emergency way in: the recovery key opens the clinic, `administrator` (an
    existing administrator, or a new one when `display_name` is given) gets `new_password`,
    and the clinic is returned signed in as them. Raises WrongKeyError or
    RecoveryKeyFormatError for a recovery key that does not open it."""
    clock = clock or SystemClock()
    database = path or database_path(data_dir)
    key = keys.unlock_database(database, keys.RecoveryUnlock(recovery_key))
    clinic = Clinic.open(path=database, clock=clock, key=key, **options)
    try:
        name = account_name(administrator)
        accounts = clinic.accounts
        existing = {a.name: a for a in accounts.list()}
        account = existing.get(name)
        if account is None:
            if not display_name:
                raise ServiceError(
                    f"There is no account {name}; give a display name to add it as a new "
                    "administrator."
                )
            clinic.ctx.sign_in_as(Person(name, display_name, Role.ADMINISTRATOR))
            account = accounts.add(name, display_name, Role.ADMINISTRATOR, new_password)
        else:
            if account.role is not Role.ADMINISTRATOR:
                raise ServiceError(
                    f"{name} is not an administrator; the recovery key resets an "
                    "administrator's password."
                )
            clinic.ctx.sign_in_as(account.person)
            if account.disabled:
                account = accounts.enable(name, new_password)
            else:
                account = accounts.reset_password(name, new_password)
    except BaseException:
        clinic.close()
        raise
    _succeeded(clinic, database, account.person, "signin.recovery")
    return clinic


def create_clinic(
    data_dir: str | os.PathLike[str] | None,
    name: str,
    display_name: str,
    password: str,
    *,
    path: Path | None = None,
    clock: Clock | None = None,
    demo: bool = False,
    **options: Any,
) -> tuple[Clinic, keys.RecoveryKey]:
    """A new, encrypted clinic with its first administrator, returned signed in as them,
    with the recovery key to print once (the recovery sheet). Refuses a folder that holds a
    clinic already."""
    clock = clock or SystemClock()
    database = path or database_path(data_dir)
    if clinic_state(database) != "missing":
        raise ServiceError(f"There is a clinic in {database.parent} already; sign in to it.")
    key, recovery = keys.new_database_key(), keys.new_recovery_key()
    keys.write_key_file(keys.key_file_path(database), keys.KeySlots.new(key, recovery))
    clinic = Clinic.open(path=database, clock=clock, key=key, **options)
    try:
        account = clinic.accounts.create_first_administrator(
            name, display_name, password, demo=demo
        )
    except BaseException:
        clinic.close()
        for made in (database, keys.key_file_path(database)):
            made.unlink(missing_ok=True)
        raise
    _succeeded(clinic, database, account.person, "clinic.create")
    return clinic, recovery


def encrypt_existing(
    data_dir: str | os.PathLike[str] | None,
    name: str,
    password: str,
    *,
    display_name: str = "",
    path: Path | None = None,
    clock: Clock | None = None,
    plain_backups: str = "encrypt",
    **options: Any,
) -> tuple[Clinic, keys.RecoveryKey]:
    """The first start of a clinic from before accounts: it gets its first administrator
    (or, when one was made by a start cut short, that administrator signs in), is
    encrypted in place with its plain backups, and is returned signed in, with the
    recovery key to print."""
    clock = clock or SystemClock()
    database = path or database_path(data_dir)
    if clinic_state(database) != "plain":
        raise ServiceError(f"The clinic in {database.parent} is not a plain (unencrypted) one.")
    typed = str(name).strip().casefold()
    with Clinic.open(path=database, clock=clock, daily_backup=False) as plain:
        if plain.accounts.count() == 0:
            plain.accounts.create_first_administrator(typed, display_name or typed, password)
        person = plain.accounts.authenticate(typed, password)
        if person.role is not Role.ADMINISTRATOR:
            raise SignInError(
                f"{person.name} is not an administrator; an administrator encrypts the clinic."
            )
    key, recovery = keys.new_database_key(), keys.new_recovery_key()
    slots = keys.KeySlots.new(key, recovery).with_password(key, typed, password)
    encrypt_in_place(database, key, slots, plain_backups=plain_backups)
    clinic = Clinic.open(path=database, clock=clock, key=key, **options)
    with clinic.db.write() as connection:  # the hash and this slot are of one password
        record_slot(connection, typed, slot_fingerprint(slots, typed))
    _succeeded(clinic, database, person, "clinic.encrypt")
    return clinic, recovery


def check_password(clinic: Clinic, name: str, password: str) -> Person:
    """The lock screen's check while the clinic stays open: the same person, or another
    who switches in. SignInError when the name and password do not match. The failed
    tries are kept where the sign-in keeps them: beside a clinic file, and for a server
    clinic in that server's own place in the desk folder (Database.pending_place)."""
    database = clinic.db.pending_place
    typed = str(name).strip().casefold()
    record = signin_record.load(database)
    wait = _wait(record.of(typed), clinic.ctx.now())
    if wait:
        raise SignInPausedError(typed, wait)
    try:
        person = clinic.accounts.authenticate(typed, password)
    except SignInError:
        _failed(database, typed, clinic.ctx.now())
        with clinic.db.write() as connection:
            clinic.ctx.audit(connection, "unlock.failed", "account", None, after={"name": typed})
        raise
    signin_record.forget_name(database, typed)
    return person


def sign_out(clinic: Clinic) -> None:
    """The person signed in leaves (the window's sign-out or close, the end of a command):
    recorded in the audit log; the clinic is then in no one's name (it stays open: closing
    it is the caller's)."""
    person = clinic.person
    if person is None:
        return
    clinic.ctx.audit_alone("signout", "account", None, after={"name": person.name})
    clinic.ctx.person = None


def record_lock(clinic: Clinic, *, idle: bool = True) -> None:
    """The window covered itself with the lock screen (after the idle minutes, or asked
    for): recorded in the name of the person it locked out."""
    person = clinic.person
    after = {"name": person.name if person else clinic.ctx.user, "idle": idle}
    with clinic.db.write() as connection:
        clinic.ctx.audit(connection, "lock", "account", None, after=after)


def record_unlock(clinic: Clinic, person: Person) -> None:
    """The lock screen opened for `person` (from check_password): the same person back, or
    another who switches in; the clinic now acts as them and the log says which."""
    before = clinic.person
    clinic.ctx.sign_in_as(person)
    after: dict[str, Any] = {"name": person.name}
    if before is not None and before.name != person.name:
        after["switched_from"] = before.name
    with clinic.db.write() as connection:
        clinic.ctx.audit(connection, "unlock", "account", None, after=after)


def _wait(item: signin_record.NameRecord, now: datetime) -> int:
    delay = sign_in_delay(item.in_a_row)
    if not delay or item.last_at is None:
        return 0
    left = item.last_at + timedelta(seconds=delay) - now
    return max(0, int(left.total_seconds() + 0.999))


def _failed(database: Path, name: str, at: datetime) -> None:
    signin_record.note_failure(database, name, at)


def _succeeded(clinic: Clinic, database: Path, person: Person, action: str) -> None:
    """Signed in: the entry for it (the failed tries kept before it go into the audit log
    first, with the write: storage.database Database.write), and the name's failures in a
    row no longer count. A clinic opened for reading keeps the entry aside when another
    program is writing (ServiceContext.audit_alone)."""
    clinic.ctx.sign_in_as(person)
    clinic.ctx.audit_alone(action, "account", None, after={"name": person.name})
    signin_record.forget_name(database, person.name)
