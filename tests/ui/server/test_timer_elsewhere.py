"""A session timer running at another desk, on a real PostgreSQL server (issue 16): this
window shows it running, whose and where; pausing it is refused with the services'
sentence; Take over makes it this person's at this desk and it goes on running."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from otdesk.services.timers import desk_name
from tests.ui.signed_in import PAT, PAT_PASSWORD

from .test_other_desks import NOTICED_MS
from .windows import signed_in_on_server


def test_another_desks_timer_shows_running_and_is_taken_over(qtbot, server_clinic, server_start):
    window = signed_in_on_server(qtbot, server_start(server_clinic.url), PAT, PAT_PASSWORD)
    visit, other = server_clinic.visit, server_clinic.other
    window.controller.open(visit.id)
    QApplication.processEvents()
    panel = window.editor.timer
    assert not panel.take_over.isVisible()

    other.timers.start(visit.lines[0].id)  # Ada starts it at desk two
    where = f"started at desk {desk_name(other.ctx.desk)} by ada"
    qtbot.waitUntil(lambda: where in panel.caption.text(), timeout=NOTICED_MS)
    assert desk_name(other.ctx.desk) not in ("", "another desk")
    assert panel.caption.text().startswith("Timing line 1: 97110")
    assert panel.take_over.isVisible() and panel.state().running

    panel.pause.click()
    QApplication.processEvents()
    assert window.editor.message.text() == (
        f"The timer on line 1 of visit {visit.id} is running for ada at another desk; take "
        "it over to pause it."
    )
    assert other.timers.states(visit.id)[visit.lines[0].id].started_at is not None

    panel.take_over.click()
    QApplication.processEvents()
    stored = other.timers.states(visit.id)[visit.lines[0].id]
    assert stored.running and stored.started_by == "pat"
    assert stored.desk == window.clinic.ctx.desk
    assert not panel.take_over.isVisible() and where not in panel.caption.text()
    entries = [e.action for e in other.audit.entries(limit=50)]
    assert "timer.take_over" in entries
