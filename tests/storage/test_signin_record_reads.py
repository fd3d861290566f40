"""The entries kept for the audit chain (storage.signin_record) are asked for at every write:
the file is parsed again only when it was replaced, and a change by any program is seen."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from otdesk.storage import signin_record

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _entry(action: str) -> signin_record.PendingEntry:
    after = json.dumps({"token": signin_record.new_token()})
    return signin_record.PendingEntry(AT, "frontdesk", action, "account", after_json=after)


def test_pending_entries_are_parsed_again_only_when_the_file_was_replaced(tmp_path, monkeypatch):
    database = tmp_path / "otdesk.db"
    assert signin_record.pending(database) == []
    signin_record.defer(database, _entry("signin"))
    parsed = []
    real_load = signin_record.load

    def counting_load(path):
        parsed.append(path)
        return real_load(path)

    monkeypatch.setattr(signin_record, "load", counting_load)
    first = signin_record.pending(database)
    again = signin_record.pending(database)
    assert [e.action for e in first] == [e.action for e in again] == ["signin"]
    assert len(parsed) == 1  # the second ask found the same file
    again.clear()  # what a caller does with its list does not change what is kept
    assert len(signin_record.pending(database)) == 1

    signin_record.defer(database, _entry("signout"))  # replaced: read afresh
    assert [e.action for e in signin_record.pending(database)] == ["signin", "signout"]
    signin_record.written(database, signin_record.pending(database))
    assert signin_record.pending(database) == []
    signin_record.record_path(database).unlink()
    assert signin_record.pending(database) == []
