"""The window's visit controller passes the version of the visit it shows with each
change; a change refused because another desk changed the visit meanwhile shows the
sentence and the visit as stored now (issue 16)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from otdesk.services.clinic import Clinic
from tests.ui.test_visit_actions import open_draft


def test_a_change_on_a_visit_changed_at_another_desk_is_refused_and_reloaded(
    qtbot, window, clinic, clock, tmp_path, seeded
):
    visit = open_draft(window, clinic, seeded, lines=(("97110", 33), ("97530", 10)))
    controller = window.controller
    other = Clinic.open(tmp_path / "data", clock=clock, user="therapist2")
    try:
        other.visits.update_line(visit.lines[1].id, minutes=20)
    finally:
        other.close()
    messages: list[str] = []
    controller.failed.connect(messages.append)

    assert not controller.edit_line(0, "minutes", 45, None)
    QApplication.processEvents()
    assert messages == [f"Visit {visit.id} was changed at another desk by therapist2; reloaded."]
    shown = controller.visit
    assert [line.minutes for line in shown.lines] == [33, 20]  # the other desk's change
    assert [line.minutes for line in clinic.visits.get(visit.id).lines] == [33, 20]
    assert controller.undo_stack.count() == 0

    # the reloaded visit carries the newer version: the same edit now goes through
    assert controller.edit_line(0, "minutes", 45, None)
    assert [line.minutes for line in clinic.visits.get(visit.id).lines] == [45, 20]
