"""The window's one error presenter (otdesk.ui.errors): a UserError's sentence beside what
the person touched, anything else to the crash handler; the thread boundary carries errors
back instead of dropping them."""

from __future__ import annotations

import sys

from otdesk.services.errors import DatabaseLockedError, ValidationError
from otdesk.ui.errors import outcome_of, present


def test_a_user_error_is_said_beside_what_was_touched(qtbot, monkeypatch, tmp_path):
    crashes = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: crashes.append(exc))
    said = []
    present(None, ValidationError("minutes", "Minutes must be a whole number."), said.append)
    present(None, DatabaseLockedError(tmp_path / "otdesk.db"), said.append)
    assert said[0] == "Minutes must be a whole number."
    assert "is in use by another program" in said[1]
    assert crashes == []


def test_anything_else_goes_to_the_crash_handler(qtbot, monkeypatch):
    crashes = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: crashes.append(exc))
    said = []
    fault = KeyError("line")
    present(None, fault, said.append)
    assert said == [] and crashes[0][1] is fault


def test_the_thread_boundary_hands_the_error_back():
    assert outcome_of(lambda: 7) == (7, None)
    result, error = outcome_of(lambda: {}["x"])
    assert result is None and isinstance(error, KeyError)
