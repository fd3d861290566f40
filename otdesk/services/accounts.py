"""People's accounts: add, change, disable, reset and change passwords, the idle-lock time.

An account's password is stored twice, for two jobs: as an Argon2id hash in the accounts
table (to check it while the clinic is open: the lock screen, a clinic server) and as the
account's key slot in `otdesk.keys` (to unwrap the database key at sign-in; see
otdesk.storage.keys). Every change here keeps the two together, in one transaction: the
row, a fingerprint of the new slot (the meta row SLOTS_KEY) and, last, the key file; the
commit then makes the row and the fingerprint true together. A change cut short after the
key file was written leaves a slot whose fingerprint is not the recorded one.

Signing in to an encrypted clinic therefore costs one Argon2id run, the slot's: when the
slot that opened is the one recorded beside the hash, both were made from this password
and the hash is not checked again; when they disagree (a change cut short, a restored key
file, slots made before the fingerprints were kept) the hash is checked once, mended when
stale, and the fingerprint recorded (verify_sign_in). A disabled account loses its slot, so
its password no longer decrypts the files even outside otdesk.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import argon2
from sqlalchemy import Connection, func, insert, select, update

from otdesk.core.accounts import (
    DEFAULT_LOCK_MINUTES,
    LOCK_MINUTES_RANGE,
    Permission,
    Person,
    Role,
    normalize_password,
    password_problem,
)
from otdesk.paths import data_file
from otdesk.services import permissions
from otdesk.services import validate as v
from otdesk.services.context import ServiceContext
from otdesk.services.errors import NotFoundError, ServiceError, ValidationError
from otdesk.storage import keys
from otdesk.storage import schema as s
from otdesk.storage.errors import DatabaseLockedError
from otdesk.storage.values import inserted_id

_LOCK_KEY = "lock_minutes"
# {account name: fingerprint of the key slot written with its current hash} (one row: a
# meta key holds at most 64 characters, an account name alone may)
SLOTS_KEY = "account_slots"
# The demo clinic's administrator: invented data only, so its well-known password is
# allowed (and printed when the demo is made); every other account follows the rules.
DEMO_NAME = "demo"
WRONG_NAME_OR_PASSWORD = "The name or the password is not right."  # never which of the two
DEMO_PASSWORD = "demo"


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    display_name: str
    role: Role
    provider_id: int | None
    disabled: bool
    created_at: datetime
    password_changed_at: datetime

    @property
    def person(self) -> Person:
        return Person(self.name, self.display_name, self.role, self.provider_id)


class SignInError(ServiceError):
    """The name and password do not open the clinic (deliberately vague: which of the two
    is wrong is not said)."""


def account_name(text: Any) -> str:
    """A sign-in name as stored: trimmed and casefolded; letters, digits, . _ - only."""
    name = v.text(text, "name", max_len=64, required=True).casefold()
    if not all(c.isalnum() or c in "._-" for c in name):
        raise ValidationError(
            "name", "Name: use letters, digits, dots, hyphens or underscores (e.g. pat.lee)."
        )
    if name == keys.RECOVERY_SLOT:
        raise ValidationError("name", "Name: 'recovery' is kept for the recovery key.")
    return name


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (data/common_passwords.txt), compared casefolded
    in NFKC form."""
    lines = data_file("common_passwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(
        normalize_password(line.strip()).casefold()
        for line in lines
        if line.strip() and not line.startswith("#")
    )


def _hasher() -> argon2.PasswordHasher:
    # the key slots' Argon2id cost, so the test suite's cheap cost applies to both
    cost = keys.current_cost()
    return argon2.PasswordHasher(
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        type=argon2.Type.ID,
    )


def hash_password(password: str) -> str:
    return _hasher().hash(normalize_password(password))


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, normalize_password(password))
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def slot_fingerprint(slots: keys.KeySlots, name: str) -> str | None:
    """A name for the account `name`'s key slot in `slots` as it is now (its salt, nonce and
    wrapped key are new at every wrap), or None when it has none. It says nothing of the
    password or the key."""
    wanted = _lookup(name)
    for slot in slots.slots:
        if slot.kind == "password" and slot.name == wanted:
            digest = hashlib.sha256(b"otdesk slot v1\0" + slot.salt + slot.nonce + slot.wrapped)
            return digest.hexdigest()[:32]
    return None


def record_slot(connection: Connection, name: str, fingerprint: str | None) -> None:
    """Record (inside the caller's transaction) that the account `name`'s hash and its slot
    `fingerprint` were written for the same password; None forgets the account's."""
    recorded = _recorded_slots(connection)
    if fingerprint is None:
        if recorded.pop(name, None) is None:
            return
    else:
        recorded[name] = fingerprint
    value = json.dumps(recorded, sort_keys=True)
    if connection.execute(select(s.meta.c.key).where(s.meta.c.key == SLOTS_KEY)).first():
        connection.execute(update(s.meta).where(s.meta.c.key == SLOTS_KEY).values(value=value))
    else:
        connection.execute(insert(s.meta).values(key=SLOTS_KEY, value=value))


def _recorded_slots(connection: Connection) -> dict[str, str]:
    text = connection.execute(select(s.meta.c.value).where(s.meta.c.key == SLOTS_KEY)).scalar()
    try:
        found = json.loads(text) if text else {}
    except ValueError:  # unreadable: every sign-in checks its hash once and records again
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): str(v) for k, v in found.items()}


class AccountService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # --- reading ----------------------------------------------------------------------------

    def list(self, *, include_disabled: bool = True) -> list[Account]:
        query = select(s.accounts).order_by(s.accounts.c.display_name)
        if not include_disabled:
            query = query.where(s.accounts.c.disabled.is_(False))
        with self.ctx.db.read() as connection:
            return [_account(row) for row in connection.execute(query)]

    def get(self, name: str, connection: Connection | None = None) -> Account:
        with self.ctx.reading(connection) as reading:
            row = reading.execute(
                select(s.accounts).where(s.accounts.c.name == _lookup(name))
            ).first()
        if row is None:
            raise NotFoundError("account", name)
        return _account(row)

    def count(self) -> int:
        with self.ctx.db.read() as connection:
            return int(
                connection.execute(select(func.count()).select_from(s.accounts)).scalar() or 0
            )

    def verify_sign_in(
        self, name: str, password: str, *, opened: keys.KeySlots | None = None
    ) -> Person:
        """Who signs in with this name and password; SignInError when they do not match or
        the account is disabled. `opened`: the key slots whose slot for `name` the
        password has just opened (an encrypted clinic's sign-in); that opening is the
        proof of the password, and the hash is checked only when the slot is not the one
        recorded with it (see the module's note), then mended if stale. None: the hash
        is the proof (a plain clinic, the lock screen, a server)."""
        with self.ctx.db.read() as connection:
            try:
                row = self._row(name, connection)
            except (NotFoundError, ValidationError):
                raise SignInError(WRONG_NAME_OR_PASSWORD) from None
            recorded = _recorded_slots(connection).get(row.name) if opened else None
        if row.disabled:
            raise SignInError(
                f"The account {row.name} is disabled; an administrator can enable it."
            )
        person = _account(row).person
        if opened is None:
            if not password_matches(row.password_hash, password):
                raise SignInError(WRONG_NAME_OR_PASSWORD)
            return person
        fingerprint = slot_fingerprint(opened, row.name)
        if fingerprint is None:  # the slots given hold none for this name
            raise SignInError(WRONG_NAME_OR_PASSWORD)
        if recorded == fingerprint:
            return person
        stale = not password_matches(row.password_hash, password)
        try:
            with self.ctx.db.write() as connection:
                if stale:  # a password change cut short after its slot was written
                    connection.execute(
                        update(s.accounts)
                        .where(s.accounts.c.id == row.id)
                        .values(password_hash=hash_password(password))
                    )
                record_slot(connection, row.name, fingerprint)
        except DatabaseLockedError:
            if not self.ctx.db.read_only:
                raise
            # a read-only command beside a writer: the mending waits for the next sign-in
        return person

    def authenticate(self, name: str, password: str) -> Person:
        """The person whose name and password these are (the lock screen; a server's
        sign-in). SignInError when they do not match or the account is disabled."""
        return self.verify_sign_in(name, password)

    # --- the first administrator ------------------------------------------------------------

    def create_first_administrator(
        self, name: str, display_name: str, password: str, *, demo: bool = False
    ) -> Account:
        """The clinic's first account, an administrator, when it has none (practice set-up,
        the upgrade of a clinic from before accounts). `demo` allows the demo's password."""
        clean = self._clean_new(name, display_name, Role.ADMINISTRATOR, None)
        if not (demo and clean["name"] == DEMO_NAME and password == DEMO_PASSWORD):
            self._check_password(password, clean["name"])
        with self.ctx.db.write() as connection:
            count = connection.execute(select(func.count()).select_from(s.accounts)).scalar()
            if count:
                raise ServiceError("This clinic has accounts already; sign in as an administrator.")
            account = self._insert(connection, clean, password)
            # last in the transaction: a slot that cannot be written undoes the account
            self._write_slot(connection, account.name, password)
        return account

    # --- an administrator's work ------------------------------------------------------------

    def add(
        self,
        name: str,
        display_name: str,
        role: str | Role,
        password: str,
        *,
        provider_id: int | None = None,
    ) -> Account:
        self.ctx.require(Permission.PEOPLE)
        clean = self._clean_new(name, display_name, role, provider_id)
        self._check_password(password, clean["name"])
        with self.ctx.db.write() as connection:
            exists = connection.execute(
                select(s.accounts.c.id).where(s.accounts.c.name == clean["name"])
            ).first()
            if exists:
                raise ValidationError("name", f"Name: {clean['name']} is taken already.")
            account = self._insert(connection, clean, password)
            self._write_slot(connection, clean["name"], password)
            return account

    def update(self, name: str, **changes: Any) -> Account:
        """Change an account's display name, role or (therapist) provider."""
        self.ctx.require(Permission.PEOPLE)
        unknown = set(changes) - {"display_name", "role", "provider_id"}
        if unknown:
            raise ValidationError(sorted(unknown)[0], f"Unknown account field(s): {unknown}.")
        with self.ctx.db.write() as connection:
            row = self._row(name, connection)
            values: dict[str, Any] = {}
            if "display_name" in changes:
                values["display_name"] = v.text(
                    changes["display_name"], "display_name", max_len=100, required=True
                )
            if "role" in changes:
                values["role"] = str(_role(changes["role"]))
                if row.role == Role.ADMINISTRATOR and values["role"] != Role.ADMINISTRATOR:
                    self._keep_an_administrator(connection, row.name, "change the role of")
            if "provider_id" in changes:
                values["provider_id"] = self._provider(connection, changes["provider_id"])
            role = Role(values.get("role", row.role))
            provider = values.get("provider_id", row.provider_id)
            if role is Role.THERAPIST and provider is None:
                raise ValidationError(
                    "provider_id", "Provider: a therapist's account names the provider it is."
                )
            connection.execute(update(s.accounts).where(s.accounts.c.id == row.id).values(values))
            self.ctx.audit(
                connection,
                "account.change",
                "account",
                row.id,
                before={k: getattr(row, k) for k in values},
                after=values,
            )
            return self.get(row.name, connection)

    def disable(self, name: str, reason: str = "") -> Account:
        """Disable an account: it cannot sign in, and its key slot is removed. The last
        administrator who can sign in cannot be disabled."""
        self.ctx.require(Permission.PEOPLE)
        with self.ctx.db.write() as connection:
            row = self._row(name, connection)
            if row.disabled:
                return _account(row)
            if row.role == Role.ADMINISTRATOR:
                self._keep_an_administrator(connection, row.name, "disable")
            connection.execute(
                update(s.accounts).where(s.accounts.c.id == row.id).values(disabled=True)
            )
            self.ctx.audit(connection, "account.disable", "account", row.id, reason=reason or None)
            self._remove_slot(connection, row.name)
            return self.get(row.name, connection)

    def enable(self, name: str, new_password: str) -> Account:
        """Enable a disabled account with a new password (its old slot is gone)."""
        self.ctx.require(Permission.PEOPLE)
        with self.ctx.db.write() as connection:
            row = self._row(name, connection)
            self._check_password(new_password, row.name)
            connection.execute(
                update(s.accounts)
                .where(s.accounts.c.id == row.id)
                .values(
                    disabled=False,
                    password_hash=hash_password(new_password),
                    password_changed_at=self.ctx.now(),
                )
            )
            self.ctx.audit(connection, "account.enable", "account", row.id)
            self._write_slot(connection, row.name, new_password)
            return self.get(row.name, connection)

    def reset_password(self, name: str, new_password: str) -> Account:
        """An administrator sets another person's password (they forgot it)."""
        self.ctx.require(Permission.PEOPLE)
        return self._set_password(name, new_password, "account.password_reset")

    def change_own_password(self, current: str, new_password: str) -> Account:
        person = self.ctx.person
        if person is None:
            raise ServiceError("Sign in first to change your password.")
        row = self._row(person.name)
        if not password_matches(row.password_hash, current):
            raise ValidationError("current", "Current password: that is not your password.")
        return self._set_password(person.name, new_password, "account.password_change")

    # --- the idle lock ----------------------------------------------------------------------

    def lock_minutes(self) -> int:
        with self.ctx.db.read() as connection:
            value = connection.execute(
                select(s.meta.c.value).where(s.meta.c.key == _LOCK_KEY)
            ).scalar()
        try:
            minutes = int(value) if value is not None else DEFAULT_LOCK_MINUTES
        except ValueError:
            return DEFAULT_LOCK_MINUTES
        low, high = LOCK_MINUTES_RANGE
        return minutes if low <= minutes <= high else DEFAULT_LOCK_MINUTES

    def set_lock_minutes(self, minutes: Any) -> int:
        self.ctx.require(Permission.PEOPLE)
        low, high = LOCK_MINUTES_RANGE
        value = v.int_value(minutes, "lock_minutes", low=low, high=high)
        with self.ctx.db.write() as connection:
            before = connection.execute(
                select(s.meta.c.value).where(s.meta.c.key == _LOCK_KEY)
            ).scalar()
            if before is None:
                connection.execute(insert(s.meta).values(key=_LOCK_KEY, value=str(value)))
            else:
                connection.execute(
                    update(s.meta).where(s.meta.c.key == _LOCK_KEY).values(value=str(value))
                )
            self.ctx.audit(
                connection, "settings.lock_minutes", "settings", None,
                before={"lock_minutes": before}, after={"lock_minutes": value},
            )  # fmt: skip
        return value

    # --- helpers ----------------------------------------------------------------------------

    def _set_password(self, name: str, new_password: str, action: str) -> Account:
        with self.ctx.db.write() as connection:
            row = self._row(name, connection)
            if row.disabled:
                raise ServiceError(f"The account {row.name} is disabled; enable it instead.")
            self._check_password(new_password, row.name)
            connection.execute(
                update(s.accounts)
                .where(s.accounts.c.id == row.id)
                .values(
                    password_hash=hash_password(new_password), password_changed_at=self.ctx.now()
                )
            )
            self.ctx.audit(connection, action, "account", row.id)
            # last in the transaction: a key file that cannot be written undoes the change
            self._write_slot(connection, row.name, new_password)
            return self.get(row.name, connection)

    def _clean_new(
        self, name: Any, display_name: Any, role: Any, provider_id: Any
    ) -> dict[str, Any]:
        clean = {
            "name": account_name(name),
            "display_name": v.text(display_name, "display_name", max_len=100, required=True),
            "role": str(_role(role)),
            "provider_id": provider_id,
        }
        if clean["role"] == Role.THERAPIST and provider_id is None:
            raise ValidationError(
                "provider_id", "Provider: a therapist's account names the provider it is."
            )
        return clean

    def _check_password(self, password: Any, name: str) -> None:
        if not isinstance(password, str):
            raise ValidationError("password", "Password: type one.")
        problem = password_problem(password, name=name, common=common_passwords())
        if problem:
            raise ValidationError("password", f"Password: {problem}")

    def _insert(self, connection: Connection, clean: dict[str, Any], password: str) -> Account:
        now = self.ctx.now()
        values = {
            **clean,
            "provider_id": self._provider(connection, clean["provider_id"]),
            "password_hash": hash_password(password),
            "created_at": now,
            "created_by": self.ctx.user,
            "password_changed_at": now,
        }
        account_id = inserted_id(connection.execute(insert(s.accounts).values(values)))
        self.ctx.audit(
            connection,
            "account.add",
            "account",
            account_id,
            after={k: values[k] for k in ("name", "display_name", "role", "provider_id")},
        )
        return self.get(clean["name"], connection)

    def _provider(self, connection: Connection, provider_id: Any) -> int | None:
        if provider_id is None or provider_id == "":
            return None
        wanted = v.int_value(provider_id, "provider_id", low=1, high=2**31)
        found = connection.execute(
            select(s.providers.c.id).where(s.providers.c.id == wanted)
        ).first()
        if found is None:
            raise ValidationError("provider_id", f"Provider: there is no provider {wanted}.")
        return wanted

    def _row(self, name: str, connection: Connection | None = None) -> Any:
        with self.ctx.reading(connection) as reading:
            row = reading.execute(
                select(s.accounts).where(s.accounts.c.name == _lookup(name))
            ).first()
        if row is None:
            raise NotFoundError("account", name)
        return row

    def _keep_an_administrator(self, connection: Connection, name: str, doing: str) -> None:
        others = connection.execute(
            select(func.count())
            .select_from(s.accounts)
            .where(
                s.accounts.c.role == str(Role.ADMINISTRATOR),
                s.accounts.c.disabled.is_(False),
                s.accounts.c.name != name,
            )
        ).scalar()
        if not others:
            raise ServiceError(
                f"{name} is the last administrator who can sign in; you cannot {doing} that "
                "account. Add another administrator first."
            )

    def _write_slot(self, connection: Connection, name: str, password: str) -> None:
        """Put the account's key slot in the key file (an encrypted clinic only), and its
        fingerprint beside the hash written in the same transaction (`connection`)."""
        key = self.ctx.db.key
        if key is None:
            return
        path = keys.key_file_path(self.ctx.db.path)
        slots = keys.load_key_file(self.ctx.db.path).with_password(key, name, password)
        record_slot(connection, name, slot_fingerprint(slots, name))
        keys.write_key_file(path, slots)  # last: a key file not written undoes the rest

    def _remove_slot(self, connection: Connection, name: str) -> None:
        if self.ctx.db.key is None:
            return
        slots = keys.load_key_file(self.ctx.db.path)
        record_slot(connection, name, None)
        if name in slots.names():
            keys.write_key_file(keys.key_file_path(self.ctx.db.path), slots.without(name))


def _lookup(name: str) -> str:
    return str(name).strip().casefold()


def _role(value: Any) -> Role:
    if isinstance(value, Role):
        return value
    text = str(value or "").strip().lower().replace(" ", "-").replace("_", "-")
    aliases = {"admin": "administrator", "frontdesk": "front-desk", "front": "front-desk"}
    try:
        return Role(aliases.get(text, text))
    except ValueError:
        raise ValidationError(
            "role", "Role: administrator, biller, front-desk or therapist."
        ) from None


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        display_name=row.display_name,
        role=Role(row.role),
        provider_id=row.provider_id,
        disabled=bool(row.disabled),
        created_at=row.created_at,
        password_changed_at=row.password_changed_at,
    )


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(AccountService)
