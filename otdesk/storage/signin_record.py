"""Failed sign-ins, kept beside the clinic database in `otdesk.signin` (owner-only JSON).

A wrong password opens nothing, so the failure cannot go into the encrypted database's
audit log at that moment: it is kept here (the typed account name, how many failures in a
row, when) until the next successful sign-in copies it into the audit log. The count in a
row paces the next try (core.accounts.sign_in_delay). No password, no patient data; at most
MAX_NAMES names are kept (the oldest are dropped), so typing nonsense cannot grow it.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from otdesk.errors import is_disk_full
from otdesk.storage.errors import disk_full_error
from otdesk.storage.files import write_private_atomic

FILE_NAME = "otdesk.signin"
MAX_NAMES = 50
MAX_KEPT = 200  # failures waiting for the audit log, newest kept


@dataclass
class NameRecord:
    in_a_row: int = 0
    last_at: datetime | None = None


@dataclass
class SignInRecord:
    names: dict[str, NameRecord] = field(default_factory=dict)
    # (name, when) of failures not yet copied into the audit log, oldest first
    unlogged: list[tuple[str, datetime]] = field(default_factory=list)

    def failed(self, name: str, at: datetime) -> NameRecord:
        record = self.names.pop(name, NameRecord())
        record.in_a_row += 1
        record.last_at = at
        self.names[name] = record  # newest last
        while len(self.names) > MAX_NAMES:
            self.names.pop(next(iter(self.names)))
        self.unlogged.append((name, at))
        del self.unlogged[:-MAX_KEPT]
        return record

    def succeeded(self, name: str) -> list[tuple[str, datetime]]:
        """Forget `name`'s failures in a row; return (and forget) every failure still to be
        written into the audit log."""
        self.names.pop(name, None)
        waiting, self.unlogged = self.unlogged, []
        return waiting

    def of(self, name: str) -> NameRecord:
        return self.names.get(name, NameRecord())


def record_path(database: Path) -> Path:
    return database.with_name(FILE_NAME)


def load(database: Path) -> SignInRecord:
    """The record beside `database`; an unreadable or missing one counts as empty (it only
    paces tries, it guards nothing by itself)."""
    try:
        data = json.loads(record_path(database).read_text(encoding="utf-8"))
        names = {
            str(name): NameRecord(int(item["in_a_row"]), _when(item.get("last_at")))
            for name, item in data.get("names", {}).items()
        }
        unlogged = [(str(name), _when(at)) for name, at in data.get("unlogged", [])]
        return SignInRecord(names, [(n, at) for n, at in unlogged if at is not None])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return SignInRecord()


def save(database: Path, record: SignInRecord) -> None:
    data = {
        "names": {
            name: {"in_a_row": item.in_a_row, "last_at": _iso(item.last_at)}
            for name, item in record.names.items()
        },
        "unlogged": [[name, _iso(at)] for name, at in record.unlogged],
    }
    path = record_path(database)
    try:
        write_private_atomic(path, json.dumps(data, indent=1).encode("utf-8"))
    except OSError as error:
        if is_disk_full(error):
            raise disk_full_error(path.parent, "the failed sign-in was not recorded") from None
        # pacing is best effort: a read-only folder must not stop a sign-in
        with contextlib.suppress(OSError):
            path.unlink()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _when(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
