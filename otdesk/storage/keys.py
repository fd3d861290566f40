"""The database key and the key slots that unlock it (as LUKS does), in `otdesk.keys`.

The clinic database is encrypted with SQLCipher under one random 256-bit key, given to
SQLCipher as a raw key (no SQLCipher KDF at open). That key is stored only wrapped: once per
account (a slot named after the account) and once under the recovery key. A slot is the
database key encrypted with AES-256-GCM under a key-encryption key that Argon2id derives
from the password and the slot's own random salt; the Argon2 parameters are stored in the
slot, so a slot keeps opening after the defaults change. Changing a password rewraps only
that slot; every other slot is left byte for byte as it was.

The key file sits beside the database (it cannot live inside the file it unlocks), is
readable by its owner only, and is replaced atomically (written beside, fsynced, renamed).
It names the database file it belongs to (SQLCipher's random salt, the file's first 16
bytes, which never change for the life of the file), so a restore cut short between its two
renames is finished, or forgotten, at the next open (settle_key_file).

The cipher settings of the file (`cipher` in the key file, CIPHER_PROFILES): SQLCipher 4's
defaults authenticate every page with HMAC-SHA512; files made since December 2026 use
HMAC-SHA256, which is as strong for a page MAC and runs on the SHA extensions most desk
CPUs have (Intel since 2019-2021, AMD Zen, Apple silicon): about 40% less time per page read
(benchmarks/storage.py). The profile travels with the slots (in backups too); a key file
without one is of the older SQLCipher 4 default.

Argon2id cost: PRODUCTION_COST below (RFC 9106's second recommended option: 3 passes
over 64 MiB with 4 lanes; benchmarks/storage.py times one unwrap), fixed in code. The test
suite lowers it by calling use_test_cost() from its conftest; nothing a shipped build reads
(no setting, no environment variable) can.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from otdesk.errors import is_disk_full
from otdesk.storage.errors import (
    KeyFileError,
    RecoveryKeyFormatError,
    StorageError,
    WrongKeyError,
    disk_full_error,
)
from otdesk.storage.files import fsync_folder, write_private_atomic

KEY_FILE_NAME = "otdesk.keys"
PENDING_SUFFIX = ".new"
KEY_BYTES = 32
FILE_ID_BYTES = 16  # SQLCipher's per-file salt, the first bytes of an encrypted file
_FORMAT = "otdesk-keys"
_VERSION = 1
_KEY_ID_LABEL = b"otdesk database key id v1"
_SALT_BYTES = 16
_NONCE_BYTES = 12
RECOVERY_SLOT = "recovery"
# SQLCipher page settings a file is made with: the name in the key file -> the HMAC
# algorithm (the raw key's HMAC subkey is derived with PBKDF2 over the same hash).
CIPHER_PROFILES = {"sqlcipher4": "HMAC_SHA512", "sqlcipher4-sha256": "HMAC_SHA256"}
LEGACY_CIPHER = "sqlcipher4"  # SQLCipher 4's defaults: key files that name no profile
CIPHER = "sqlcipher4-sha256"  # what new database keys encrypt with

# Crockford's base32: no I, L, O or U; what is typed as I or L means 1, O means 0.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TYPED_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
RECOVERY_GROUPS = 8
RECOVERY_GROUP_SIZE = 5
_RECOVERY_CHECK = 4  # the last four characters are a check of the 36 before them (180 bits)
_RECOVERY_LENGTH = RECOVERY_GROUPS * RECOVERY_GROUP_SIZE


@dataclass(frozen=True, slots=True)
class Argon2Cost:
    """Argon2id parameters: passes, memory in KiB, lanes."""

    time_cost: int
    memory_kib: int
    parallelism: int


PRODUCTION_COST = Argon2Cost(time_cost=3, memory_kib=64 * 1024, parallelism=4)
# The cheapest Argon2 accepts (8 KiB per lane): only for the test suite.
TEST_COST = Argon2Cost(time_cost=1, memory_kib=8, parallelism=1)
_cost = PRODUCTION_COST


def use_test_cost(cost: Argon2Cost = TEST_COST) -> None:
    """Make new slots cheap to derive. Called from the test suite's conftest only; slots
    made meanwhile carry their parameters and unlock anywhere."""
    global _cost
    _cost = cost


def current_cost() -> Argon2Cost:
    """The Argon2 parameters new slots are made with."""
    return _cost


@dataclass(frozen=True, slots=True)
class DatabaseKey:
    """The random key SQLCipher encrypts the database with. Its repr never shows it."""

    raw: bytes = field(repr=False)
    # the SQLCipher settings of the file this key encrypts (CIPHER_PROFILES)
    cipher: str = CIPHER

    def __post_init__(self) -> None:
        if len(self.raw) != KEY_BYTES:
            raise ValueError("a database key is 32 bytes")
        if self.cipher not in CIPHER_PROFILES:
            raise ValueError(f"unknown cipher profile {self.cipher!r}")

    @property
    def hmac_algorithm(self) -> str:
        """SQLCipher's cipher_hmac_algorithm for this key's file."""
        return CIPHER_PROFILES[self.cipher]

    @property
    def hex(self) -> str:
        return self.raw.hex()

    @property
    def key_id(self) -> str:
        """A name for this key that reveals nothing of it (to match slots, backups and
        databases without trying the key)."""
        return hmac.new(self.raw, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:32]


def new_database_key() -> DatabaseKey:
    return DatabaseKey(secrets.token_bytes(KEY_BYTES))


@dataclass(frozen=True, slots=True)
class RecoveryKey:
    """The recovery key: 40 characters in 8 groups of 5 (Crockford base32, the last 4 a
    check), typed back by a person. str() is the grouped form to print."""

    chars: str = field(repr=False)

    def __str__(self) -> str:
        return "-".join(self.groups)

    @property
    def groups(self) -> tuple[str, ...]:
        size = RECOVERY_GROUP_SIZE
        return tuple(self.chars[i : i + size] for i in range(0, len(self.chars), size))

    @classmethod
    def parse(cls, typed: str) -> RecoveryKey:
        """The recovery key as typed (any case, with spaces, dashes or none; I and L read
        as 1, O as 0). RecoveryKeyFormatError when it is not one."""
        cleaned = "".join(ch for ch in typed.upper() if ch not in " -\t\n\r").translate(_TYPED_AS)
        if len(cleaned) != _RECOVERY_LENGTH:
            raise RecoveryKeyFormatError(
                f"A recovery key has {_RECOVERY_LENGTH} letters and digits in "
                f"{RECOVERY_GROUPS} groups of {RECOVERY_GROUP_SIZE}; this one has "
                f"{len(cleaned)}. Type it again from the recovery sheet."
            )
        wrong = sorted({ch for ch in cleaned if ch not in _ALPHABET})
        if wrong:
            raise RecoveryKeyFormatError(
                "A recovery key has only digits and the letters on the recovery sheet; "
                f"{', '.join(repr(ch) for ch in wrong)} is not one of them."
            )
        body = cleaned[:-_RECOVERY_CHECK]
        if _check_chars(body) != cleaned[-_RECOVERY_CHECK:]:
            raise RecoveryKeyFormatError(
                "This recovery key has a typing mistake (its last group does not match the "
                "others). Compare each group with the recovery sheet and type it again."
            )
        return cls(cleaned)


def new_recovery_key() -> RecoveryKey:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH - _RECOVERY_CHECK))
    return RecoveryKey(body + _check_chars(body))


def _check_chars(body: str) -> str:
    digest = int.from_bytes(hashlib.sha256(body.encode("ascii")).digest()[:4], "big")
    out = []
    for _ in range(_RECOVERY_CHECK):
        out.append(_ALPHABET[digest & 31])
        digest >>= 5
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Slot:
    """One wrapped copy of the database key. `kind` is "password" (named after an account)
    or "recovery" (named RECOVERY_SLOT)."""

    kind: str
    name: str
    cost: Argon2Cost
    salt: bytes = field(repr=False)
    nonce: bytes = field(repr=False)
    wrapped: bytes = field(repr=False)

    def _aad(self) -> bytes:
        # The slot's description is authenticated with the key: a slot renamed or given
        # other parameters by hand no longer unwraps.
        return json.dumps(
            [_FORMAT, _VERSION, self.kind, self.name, _cost_json(self.cost), _b64(self.salt)],
            separators=(",", ":"),
        ).encode("utf-8")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "kdf": "argon2id",
            **_cost_json(self.cost),
            "salt": _b64(self.salt),
            "nonce": _b64(self.nonce),
            "wrapped": _b64(self.wrapped),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Slot:
        if data.get("kdf") != "argon2id" or data.get("kind") not in ("password", "recovery"):
            raise ValueError("unknown slot kind")
        return cls(
            kind=str(data["kind"]),
            name=str(data["name"]),
            cost=Argon2Cost(int(data["t"]), int(data["m"]), int(data["p"])),
            salt=_unb64(data["salt"]),
            nonce=_unb64(data["nonce"]),
            wrapped=_unb64(data["wrapped"]),
        )


class Unlocker(Protocol):
    """Something that unwraps the database key from a set of slots (a password of an
    account, or the recovery key): `unlocker(slots) -> DatabaseKey`, or WrongKeyError."""

    def __call__(self, slots: KeySlots) -> DatabaseKey: ...


@dataclass(frozen=True, slots=True)
class PasswordUnlock:
    """Unlock with an account's password. Its repr never shows the password."""

    name: str
    password: str = field(repr=False)

    def __call__(self, slots: KeySlots) -> DatabaseKey:
        return slots.unlock(self.name, self.password)


@dataclass(frozen=True, slots=True)
class RecoveryUnlock:
    """Unlock with the recovery key as typed."""

    typed: str = field(repr=False)

    def __call__(self, slots: KeySlots) -> DatabaseKey:
        return slots.unlock_recovery(self.typed)


@dataclass(frozen=True, slots=True)
class KeyUnlock:
    """Unlock with the database key itself (already unwrapped at sign-in), checked against
    the slots' key id."""

    key: DatabaseKey

    def __call__(self, slots: KeySlots) -> DatabaseKey:
        if self.key.key_id != slots.key_id:
            raise WrongKeyError(
                "The clinic's key does not unlock this file: it was made with other "
                "passwords. Use a password of its day or the recovery key."
            )
        return self.key


@dataclass(frozen=True, slots=True)
class KeySlots:
    """The slots of one database key, and the database file they belong to (`file_id`:
    the hex of its first 16 bytes; None until the encrypted file exists). Immutable: the
    changing methods return a new KeySlots (write it with write_key_file)."""

    key_id: str
    slots: tuple[Slot, ...] = ()
    file_id: str | None = None
    cipher: str = CIPHER  # the SQLCipher settings of the file (CIPHER_PROFILES)

    @classmethod
    def new(cls, key: DatabaseKey, recovery: RecoveryKey) -> KeySlots:
        """Slots for a new key holding only the recovery slot (add accounts with
        with_password)."""
        return cls(key.key_id, cipher=key.cipher).with_recovery(key, recovery)

    def names(self) -> list[str]:
        """The accounts that have a slot (not the recovery slot), in the order added."""
        return [slot.name for slot in self.slots if slot.kind == "password"]

    def has_recovery(self) -> bool:
        return any(slot.kind == "recovery" for slot in self.slots)

    def unlock(self, name: str, password: str) -> DatabaseKey:
        """The database key, unwrapped with an account's password; WrongKeyError when the
        account has no slot or the password is not its password."""
        slot = self._find("password", _slot_name(name))
        key = _unwrap(slot, password) if slot is not None else None
        if key is None:
            if slot is None:
                _derive(password, secrets.token_bytes(_SALT_BYTES), self._probe_cost())
            raise WrongKeyError(
                "That name and password do not unlock the clinic (wrong password or recovery "
                "key); nothing was opened or changed."
            )
        return self._checked(key)

    def unlock_recovery(self, typed: str) -> DatabaseKey:
        """The database key, unwrapped with the recovery key as typed.
        RecoveryKeyFormatError when it has a typing mistake, WrongKeyError when it is a
        recovery key but not this clinic's."""
        recovery = RecoveryKey.parse(typed)
        slot = self._find("recovery", RECOVERY_SLOT)
        key = _unwrap(slot, recovery.chars) if slot is not None else None
        if key is None:
            raise WrongKeyError(
                "That recovery key does not unlock the clinic (wrong password or recovery "
                "key); nothing was opened or changed."
            )
        return self._checked(key)

    def with_password(self, key: DatabaseKey, name: str, password: str) -> KeySlots:
        """Add the account `name`'s slot, or replace it (a new password): the other slots
        are kept as they are."""
        return self._with(_wrap(self._own(key), "password", _slot_name(name), password))

    def with_recovery(self, key: DatabaseKey, recovery: RecoveryKey) -> KeySlots:
        """Add the recovery slot, or replace it with a new recovery key."""
        return self._with(_wrap(self._own(key), "recovery", RECOVERY_SLOT, recovery.chars))

    def without(self, name: str) -> KeySlots:
        """Remove the account `name`'s slot (a disabled account). The last way in (the
        recovery slot and one account) cannot be removed."""
        wanted = _slot_name(name)
        kept = tuple(s for s in self.slots if not (s.kind == "password" and s.name == wanted))
        if len(kept) == len(self.slots):
            raise KeyFileError(f"There is no account {name!r} among the clinic's keys.")
        if not any(s.kind == "password" for s in kept):
            raise KeyFileError(
                f"{name!r} holds the last account key of the clinic; add another account "
                "before removing it."
            )
        return replace(self, slots=kept)

    def bound_to(self, file_id: str | None) -> KeySlots:
        return replace(self, file_id=file_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "key_id": self.key_id,
            "database": self.file_id,
            "cipher": self.cipher,
            "slots": [slot.to_json() for slot in self.slots],
        }

    @classmethod
    def from_json(cls, data: Any) -> KeySlots:
        """ValueError when `data` is not a key file's content."""
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError("not an otdesk key file")
        if data.get("version") != _VERSION:
            raise ValueError(f"key file version {data.get('version')!r} is not known")
        slots = tuple(Slot.from_json(item) for item in data["slots"])
        database = data.get("database")
        cipher = str(data.get("cipher", LEGACY_CIPHER))
        if cipher not in CIPHER_PROFILES:
            raise ValueError(f"cipher profile {cipher!r} is not known")
        return cls(str(data["key_id"]), slots, str(database) if database else None, cipher)

    def _find(self, kind: str, name: str) -> Slot | None:
        for slot in self.slots:
            if slot.kind == kind and slot.name == name:
                return slot
        return None

    def _own(self, key: DatabaseKey) -> DatabaseKey:
        if key.key_id != self.key_id:
            raise KeyFileError("That database key is not the one these slots hold.")
        return key

    def _checked(self, key: DatabaseKey) -> DatabaseKey:
        if key.key_id != self.key_id:  # a slot copied in from another clinic's file
            raise WrongKeyError(
                "A key slot of this clinic holds another clinic's key; nothing was opened."
            )
        return replace(key, cipher=self.cipher)  # the file's settings, from its key file

    def _with(self, slot: Slot) -> KeySlots:
        others = [s for s in self.slots if not (s.kind == slot.kind and s.name == slot.name)]
        position = next(
            (i for i, s in enumerate(self.slots) if s.kind == slot.kind and s.name == slot.name),
            len(others),
        )
        others.insert(position, slot)
        return replace(self, slots=tuple(others))

    def _probe_cost(self) -> Argon2Cost:
        # An unknown account costs as much time as a wrong password (no timing hint).
        for slot in self.slots:
            if slot.kind == "password":
                return slot.cost
        return current_cost()


def _slot_name(name: str) -> str:
    cleaned = name.strip().casefold()
    if not cleaned or cleaned == RECOVERY_SLOT:
        raise KeyFileError(f"{name!r} cannot be the name of an account key.")
    return cleaned


def _secret(password: str) -> bytes:
    # NIST SP 800-63B: passwords are compared after Unicode normalisation (NFKC).
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def _derive(secret: str, salt: bytes, cost: Argon2Cost) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        secret=_secret(secret),
        salt=salt,
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _wrap(key: DatabaseKey, kind: str, name: str, secret: str) -> Slot:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    unsealed = Slot(kind, name, current_cost(), secrets.token_bytes(_SALT_BYTES), b"", b"")
    nonce = secrets.token_bytes(_NONCE_BYTES)
    kek = _derive(secret, unsealed.salt, unsealed.cost)
    wrapped = AESGCM(kek).encrypt(nonce, key.raw, unsealed._aad())
    return replace(unsealed, nonce=nonce, wrapped=wrapped)


def _unwrap(slot: Slot, secret: str) -> DatabaseKey | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kek = _derive(secret, slot.salt, slot.cost)
    try:
        raw = AESGCM(kek).decrypt(slot.nonce, slot.wrapped, slot._aad())
    except InvalidTag:
        return None
    return DatabaseKey(raw) if len(raw) == KEY_BYTES else None


def _cost_json(cost: Argon2Cost) -> dict[str, int]:
    return {"t": cost.time_cost, "m": cost.memory_kib, "p": cost.parallelism}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(str(text), validate=True)


# --- the key file ----------------------------------------------------------------------


def key_file_path(database: Path) -> Path:
    """Where the key slots of the database at `database` live: otdesk.keys beside it."""
    return Path(database).with_name(KEY_FILE_NAME)


def pending_key_file(database: Path) -> Path:
    """The slots a restore writes before it swaps the database in (see settle_key_file)."""
    path = key_file_path(database)
    return path.with_name(path.name + PENDING_SUFFIX)


def database_file_id(database: Path) -> str | None:
    """The hex of an encrypted database file's first 16 bytes (SQLCipher's salt: random
    at creation, the same for the life of the file); None for a missing or empty file."""
    try:
        with Path(database).open("rb") as handle:
            head = handle.read(FILE_ID_BYTES)
    except (FileNotFoundError, IsADirectoryError):
        return None
    return head.hex() if len(head) == FILE_ID_BYTES else None


def read_key_file(path: Path) -> KeySlots:
    """The slots in the key file at `path`. KeyFileError naming the file when it is missing
    or not a key file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileError(
            f"The clinic's key file {path} is missing: without it the encrypted clinic "
            "cannot be opened. Put it back from where it was copied, or restore a backup "
            "(a backup carries its own keys).",
            path=Path(path),
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise KeyFileError(
            f"Cannot read the clinic's key file {path}: {error}.", path=path
        ) from None
    try:
        return KeySlots.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError) as error:
        raise KeyFileError(
            f"{path} is not a readable otdesk key file ({error}); it has not been changed.",
            path=Path(path),
        ) from None


def write_key_file(path: Path, slots: KeySlots) -> None:
    """Replace the key file at `path` atomically: written beside it (owner-only), fsynced,
    renamed over it, and the folder fsynced."""
    path = Path(path)
    data = json.dumps(slots.to_json(), indent=1).encode("utf-8") + b"\n"
    try:
        write_private_atomic(path, data)
    except OSError as error:
        raise _write_failed(path, error) from None


def _write_failed(path: Path, error: OSError) -> StorageError:
    if is_disk_full(error):
        return disk_full_error(path.parent, "the clinic's keys were not changed")
    return KeyFileError(f"Cannot write the clinic's key file {path}: {error.strerror or error}.")


def settle_key_file(database: Path) -> None:
    """Finish or forget a restore cut short: a pending key file that belongs to the
    database file now in place is renamed over the key file; one that does not (the swap
    never happened) is removed."""
    pending = pending_key_file(database)
    if not pending.exists():
        return
    try:
        slots = read_key_file(pending)
    except KeyFileError:
        slots = None
    if (
        slots is not None
        and slots.file_id is not None
        and (slots.file_id == database_file_id(database))
    ):
        os.replace(pending, key_file_path(database))
        fsync_folder(pending.parent)
    else:
        with contextlib.suppress(FileNotFoundError):
            pending.unlink()


def load_key_file(database: Path) -> KeySlots:
    """The slots of the clinic database at `database` (after settle_key_file)."""
    settle_key_file(database)
    return read_key_file(key_file_path(database))


def unlock_database(database: Path, unlocker: Unlocker) -> DatabaseKey:
    """The key of the clinic database at `database`, unwrapped from its key file with a
    password (PasswordUnlock) or the recovery key (RecoveryUnlock); WrongKeyError,
    RecoveryKeyFormatError or KeyFileError (no key file) otherwise."""
    return unlocker(load_key_file(database))


def slot_names(database: Path) -> list[str]:
    """The accounts that have a key slot in the clinic's key file."""
    return load_key_file(database).names()
