"""The audit log as a hash chain: each entry stores the SHA-256 of the entry before it and
of its own content, so an entry changed, removed, reordered or slipped in by other means
than otdesk (plain SQL on the file, say) no longer fits and `otdesk check` names it.

The content hashed is the entry's id and every column, in one fixed text form; the first
entry's previous hash is the empty string. Written by the services inside each action's
transaction (which holds the write lock, so two appends cannot race for the same tail).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # stored as naive UTC
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value
