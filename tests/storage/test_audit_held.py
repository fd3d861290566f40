"""Audit entries wait on their write transaction's connection until its end
(storage.audit_chain.held_until_commit, used by Database.write), on a real clinic file: they
are appended in order, chained, when the block ends, and never when it fails."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from otdesk.storage import audit_chain, open_database
from otdesk.storage import schema as s

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _content(action: str) -> dict:
    return {
        "at": NOW,
        "user": "tester",
        "action": action,
        "entity": "visit",
        "entity_id": 1,
        "before_json": None,
        "after_json": "{}",
        "reason": None,
    }


def _actions(database) -> list[str]:
    with database.read() as connection:
        rows = connection.execute(select(s.audit_log).order_by(s.audit_log.c.id)).mappings()
        entries = [dict(row) for row in rows]
    assert audit_chain.verify(entries).ok
    return [entry["action"] for entry in entries]


def test_entries_wait_for_the_end_of_the_write_then_chain_in_order(tmp_path):
    with open_database(tmp_path / "otdesk.db", now=NOW, daily_backup=False) as database:
        before = _actions(database)
        with database.write() as connection:
            audit_chain.add(connection, _content("first"))
            audit_chain.add(connection, _content("second"))
            count = select(func.count()).select_from(s.audit_log)
            assert connection.execute(count).scalar() == len(before)  # still held
        assert _actions(database) == [*before, "first", "second"]


def test_a_failed_write_appends_nothing_and_the_next_one_starts_clean(tmp_path):
    with open_database(tmp_path / "otdesk.db", now=NOW, daily_backup=False) as database:
        before = _actions(database)
        with pytest.raises(RuntimeError), database.write() as connection:
            audit_chain.add(connection, _content("lost with its transaction"))
            raise RuntimeError("the action failed")
        with database.write() as connection:
            audit_chain.add(connection, _content("next"))
        assert _actions(database) == [*before, "next"]
        # outside a write: appended at once
        with database.engine.connect() as plain, plain.begin():
            audit_chain.add(plain, _content("direct"))
        assert _actions(database)[-1] == "direct"
