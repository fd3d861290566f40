"""The audit log as a hash chain: each entry stores the SHA-256 of the entry before it and
of its own content, so an entry changed, removed, reordered or slipped in by other means
than otdesk (plain SQL on the file, say) no longer fits and `otdesk check` names it.

The content hashed is the entry's id and every column, in one fixed text form; the first
entry's previous hash is the empty string. Written by the services inside each action's
transaction, at its end (held_until_commit), under the write lock (SQLite) or the tail's
advisory lock (PostgreSQL), so two appends cannot race for the same tail.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

GENESIS = ""
CONTENT_COLUMNS = (
    "id",
    "at",
    "user",
    "action",
    "entity",
    "entity_id",
    "before_json",
    "after_json",
    "reason",
)


def entry_hash(entry: Mapping[str, Any], prev_hash: str) -> str:
    """The SHA-256 (hex) of one entry's content and the hash of the entry before it."""
    values = [_canonical(entry[name]) for name in CONTENT_COLUMNS]
    text = json.dumps([prev_hash, *values], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    first_bad_id: int | None  # the first entry that does not fit, None when all do
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None and self.problem is None


def verify(entries: Iterable[Mapping[str, Any]]) -> ChainReport:
    """Walk the entries in id order and report the first that does not fit the chain."""
    prev = GENESIS
    count = 0
    last_id = 0
    for entry in entries:
        count += 1
        if entry["prev_hash"] != prev:
            return ChainReport(
                count,
                entry["id"],
                f"audit entry {entry['id']} does not follow entry {last_id or 'none'}: an "
                "entry before it was removed, changed or inserted",
            )
        expected = entry_hash(entry, prev)
        if entry["entry_hash"] != expected:
            return ChainReport(
                count, entry["id"], f"audit entry {entry['id']} was changed after it was written"
            )
        prev = expected
        last_id = entry["id"]
    return ChainReport(count, None, None)


def append(connection: Connection, content: Mapping[str, Any]) -> int:
    """Append one entry (its columns but the id: CONTENT_COLUMNS[1:]) to the audit log
    inside the caller's write transaction, chained to the entry before it; returns its id."""
    return append_all(connection, [content])[-1]


def append_all(connection: Connection, contents: list[Mapping[str, Any]]) -> list[int]:
    """Append entries in order (as append()), under one lock of the tail; their ids."""
    from sqlalchemy import insert, select

    from otdesk.storage import dialect, schema

    log = schema.audit_log
    dialect.lock_audit_tail(connection)
    tail = connection.execute(
        select(log.c.id, log.c.entry_hash).order_by(log.c.id.desc()).limit(1)
    ).first()
    prev_id, prev_hash = (tail.id, tail.entry_hash) if tail else (0, GENESIS)
    rows = []
    for content in contents:
        entry = {"id": prev_id + 1, **{name: content[name] for name in CONTENT_COLUMNS[1:]}}
        digest = entry_hash(entry, prev_hash)
        rows.append({**entry, "prev_hash": prev_hash, "entry_hash": digest})
        prev_id, prev_hash = entry["id"], digest
    if rows:
        connection.execute(insert(log), rows)
    return [row["id"] for row in rows]


# The entries of a write transaction wait on its connection until just before its commit
# (Database.write): on a clinic server the tail's lock, which makes every desk's writes go
# one after the other, is then held for the few statements of the appending and the commit,
# not for the whole action (a save's recomputing and reading back included).
_HELD = "audit_held"  # in the write transaction's state (dialect.write_state)


@contextlib.contextmanager
def held_until_commit(connection: Connection) -> Iterator[None]:
    """Inside: add() keeps the entries on `connection`; at the end of the block (when it
    ends without an error) they are appended, in order. Forgotten on an error (the
    transaction rolls back)."""
    from otdesk.storage import dialect

    state = dialect.write_state(connection)
    state[_HELD] = []
    try:
        yield
        held = state.pop(_HELD)
        if held:
            append_all(connection, held)
    finally:
        state.pop(_HELD, None)


def add(connection: Connection, content: Mapping[str, Any]) -> None:
    """Append an entry now, or at the end of the transaction when it holds its entries
    (held_until_commit)."""
    from otdesk.storage import dialect

    held = dialect.write_state(connection).get(_HELD)
    if held is None:
        append(connection, content)
    else:
        held.append(dict(content))


def is_written(connection: Connection, content: Mapping[str, Any]) -> bool:
    """Whether an entry with this time, action and `after` is in the log already (a kept
    entry's `after` holds a token of its own: storage.signin_record)."""
    from sqlalchemy import select

    from otdesk.storage import schema

    log = schema.audit_log
    found = connection.execute(
        select(log.c.id).where(
            log.c.at == content["at"],
            log.c.action == content["action"],
            log.c.after_json == content["after_json"],
        )
    ).first()
    return found is not None


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # stored as naive UTC
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value
