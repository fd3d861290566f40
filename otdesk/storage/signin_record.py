"""Audit entries that could not be written yet, and failed sign-ins, kept beside the clinic
database in `otdesk.signin` (owner-only JSON).

A wrong password opens nothing, so the failure cannot go into the encrypted database's
audit log at that moment: it is kept here (the typed account name, how many failures in a
row, when). A command that only reads (`otdesk visits`, `export visits`, `check`) must not
wait for another program's write lock either, so its own audit entries (its sign-in, its
sign-out, the record of an export) are kept here when the database is locked. Every entry
kept here is written into the audit chain, oldest first and with the time it happened, by
the next write transaction of any program that opens the clinic (storage.database
Database.write); then it is dropped from this file. Each kept entry carries a token of its
own in its `after` (the "deferred" key), so an entry already in the chain is never written
twice (a program stopped between its commit and dropping the entry here).

The count of failures in a row paces the next try (core.accounts.sign_in_delay). No
password, no patient data; at most MAX_NAMES names and MAX_KEPT failed sign-ins are kept
(the oldest are dropped), so typing nonsense cannot grow it. The other entries kept are
never dropped before they are in the chain. Several otdesk programs may change this file
at once: each change is made under a lock (`otdesk.signin.lock`), never held while waiting
for the database.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from otdesk.errors import is_disk_full
from otdesk.storage.errors import StorageError, disk_full_error
from otdesk.storage.files import locked, write_private_atomic

FILE_NAME = "otdesk.signin"
LOCK_NAME = "otdesk.signin.lock"
MAX_NAMES = 50
MAX_KEPT = 200  # failed sign-ins waiting for the audit log, newest kept
FAILED_SIGN_IN = "signin.failed"
# the key of a kept entry's `after` that holds its token (see the module's note)
TOKEN_KEY = "deferred"


@dataclass
class NameRecord:
    in_a_row: int = 0
    last_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """An audit entry waiting for the chain: its columns (storage.audit_chain.
    CONTENT_COLUMNS) but the id, which it gets when written."""

    at: datetime
    user: str
    action: str
    entity: str
    entity_id: int | None = None
    before_json: str | None = None
    after_json: str | None = None
    reason: str | None = None

    def columns(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "user": self.user,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "before_json": self.before_json,
            "after_json": self.after_json,
            "reason": self.reason,
        }


def new_token() -> str:
    return secrets.token_hex(8)


@dataclass
class SignInRecord:
    names: dict[str, NameRecord] = field(default_factory=dict)
    # entries not yet written into the audit log, oldest first
    pending: list[PendingEntry] = field(default_factory=list)

    def failed(self, name: str, at: datetime) -> NameRecord:
        record = self.names.pop(name, NameRecord())
        record.in_a_row += 1
        record.last_at = at
        self.names[name] = record  # newest last
        while len(self.names) > MAX_NAMES:
            self.names.pop(next(iter(self.names)))
        after = {"at": at.isoformat(), "name": name, TOKEN_KEY: new_token()}
        self.pending.append(
            PendingEntry(
                at, name, FAILED_SIGN_IN, "account", None, None, json.dumps(after, sort_keys=True)
            )
        )
        failures = [e for e in self.pending if e.action == FAILED_SIGN_IN]
        if len(failures) > MAX_KEPT:
            dropped = failures[: len(failures) - MAX_KEPT]
            self.pending = [e for e in self.pending if not any(e is d for d in dropped)]
        return record

    def of(self, name: str) -> NameRecord:
        return self.names.get(name, NameRecord())


def record_path(database: Path) -> Path:
    return database.with_name(FILE_NAME)


def load(database: Path) -> SignInRecord:
    """The record beside `database`; an unreadable or missing one counts as empty."""
    try:
        data = json.loads(record_path(database).read_text(encoding="utf-8"))
        names = {
            str(name): NameRecord(int(item["in_a_row"]), _when(item.get("last_at")))
            for name, item in data.get("names", {}).items()
        }
        pending = [entry for entry in map(_entry, data.get("pending", [])) if entry]
        record = SignInRecord(names, pending)
        # a record written before entries were kept: its failures, as entries
        for name, at in data.get("unlogged", []):
            when = _when(at)
            if when is not None:
                record.pending.append(_failure(str(name), when))
        return record
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return SignInRecord()


def save(database: Path, record: SignInRecord) -> None:
    data = {
        "names": {
            name: {"in_a_row": item.in_a_row, "last_at": _iso(item.last_at)}
            for name, item in record.names.items()
        },
        "pending": [{**entry.columns(), "at": entry.at.isoformat()} for entry in record.pending],
    }
    path = record_path(database)
    try:
        write_private_atomic(path, json.dumps(data, indent=1).encode("utf-8"))
    except OSError as error:
        if is_disk_full(error):
            raise disk_full_error(path.parent, "the audit entry was not recorded") from None
        if any(entry.action != FAILED_SIGN_IN for entry in record.pending):
            raise StorageError(
                f"Cannot write {path} ({error.strerror}): an audit entry waiting for the "
                "clinic database could not be kept. Nothing else was changed.",
                path=path,
            ) from None
        # pacing is best effort: a read-only folder must not stop a sign-in
        with contextlib.suppress(OSError):
            path.unlink()


@contextlib.contextmanager
def editing(database: Path) -> Iterator[SignInRecord]:
    """The record, to change in the block and written back at its end, under the lock
    that keeps two programs from changing it at once."""
    with locked(database.with_name(LOCK_NAME)):
        record = load(database)
        yield record
        save(database, record)


def note_failure(database: Path, name: str, at: datetime) -> NameRecord:
    """A failed sign-in of `name`: counted for the pacing and kept for the audit log."""
    with editing(database) as record:
        return record.failed(name, at)


def forget_name(database: Path, name: str) -> None:
    """`name` signed in: its failures in a row no longer count (those kept for the audit
    log stay until written)."""
    if name not in load(database).names:
        return  # nothing to forget: the file is not written (and fsynced) again
    with editing(database) as record:
        record.names.pop(name, None)


def defer(database: Path, entry: PendingEntry) -> None:
    """Keep `entry` for the next write (its `after` must hold its token, see new_token).
    Raises StorageError when it cannot be kept."""
    with editing(database) as record:
        record.pending.append(entry)


# Every write asks for the entries waiting (Database.write); once a record exists it would
# be read and parsed each time. The file is only ever replaced whole (a new file renamed
# over it), so its inode, time and size tell whether what was read last is still what is
# there.
_LAST_READ: dict[Path, tuple[tuple[int, int, int], list[PendingEntry]]] = {}


def pending(database: Path) -> list[PendingEntry]:
    """The entries waiting, oldest first (read without the lock: the file is only ever
    replaced whole)."""
    path = record_path(database)
    try:
        info = path.stat()
    except OSError:
        _LAST_READ.pop(path, None)
        return []
    stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
    last = _LAST_READ.get(path)
    if last is not None and last[0] == stamp:
        return list(last[1])
    entries = load(database).pending
    _LAST_READ[path] = (stamp, entries)
    return list(entries)


def written(database: Path, entries: Sequence[PendingEntry]) -> None:
    """`entries` are in the audit chain now (committed): drop them from the file."""
    with editing(database) as record:
        left = list(record.pending)
        for entry in entries:
            for index, kept in enumerate(left):
                if kept == entry:
                    del left[index]
                    break
        record.pending = left


def _failure(name: str, at: datetime) -> PendingEntry:
    record = SignInRecord()
    record.failed(name, at)
    return record.pending[0]


def _entry(item: Any) -> PendingEntry | None:
    at = _when(item.get("at"))
    if at is None or at.tzinfo is None:
        return None
    entity_id = item.get("entity_id")
    return PendingEntry(
        at=at,
        user=str(item["user"]),
        action=str(item["action"]),
        entity=str(item["entity"]),
        entity_id=int(entity_id) if entity_id is not None else None,
        before_json=item.get("before_json"),
        after_json=item.get("after_json"),
        reason=item.get("reason"),
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _when(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
