"""The session timer in the window: one activity at a time (moving it adds the first
line's minutes there, and says so), surviving a restart of the window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from otdesk.core.catalog import default_catalog
from otdesk.ui.main_window import MainWindow
from otdesk.ui.models.charge_lines import COL_MINUTES


def draft_with_two_lines(clinic, seeded):
    visit = clinic.visits.create(seeded["bo"].id, provider_id=seeded["ot"].id)
    visit = clinic.visits.add_line(visit.id, "97110")
    return clinic.visits.add_line(visit.id, "97530")


def open_in(window, visit_id):
    window.refresh_day()
    window.controller.open(visit_id)
    QApplication.processEvents()


def press(qtbot, window, key):
    # A button's shortcut "animates" a click, which lands about 100 ms later.
    qtbot.keyClick(window, key)
    qtbot.wait(250)


def test_timer_switches_lines_and_survives_a_new_window(
    qtbot, window, clinic, clock, settings, icd_index, seeded
):
    visit = draft_with_two_lines(clinic, seeded)
    open_in(window, visit.id)
    editor = window.editor
    model = editor.lines_model

    editor.lines.select_row(0)
    press(qtbot, window, Qt.Key_F5)
    state = editor.timer.state()
    assert state is not None and state.running and state.row == 0
    assert model.timed_row() == 0

    clock.advance(minutes=5)
    editor.timer.tick()
    assert editor.timer.time.text() == "05:00"
    assert model.data(model.index(0, COL_MINUTES)) == "0 +5 timer"

    # one click on another line, Start: the timer moves to it, the first line gets its 5
    # minutes at once (no paused timer left behind on it), and the panel says so
    editor.lines.select_row(1)
    press(qtbot, window, Qt.Key_F5)
    timers = clinic.timers.states(visit.id)
    first, second = (ln.id for ln in window.controller.visit.lines)
    assert first not in timers and timers[second].running
    assert window.controller.visit.lines[0].minutes == 5
    assert model.data(model.index(0, COL_MINUTES)) == "5"
    assert editor.timer.note.isVisible()
    assert editor.timer.note.text().startswith("Added 5 min to line 1 (97110)")
    assert window.status_note.text().startswith("Added 5 min to line 1")
    assert editor.timer.state().row == 1
    assert editor.timer.time.text() == "00:00"

    clock.advance(minutes=3)
    # the window goes away (closed or crashed); a new one finds the timer still running
    window.close()
    again = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(again)
    again.show()
    open_in(again, visit.id)
    state = again.editor.timer.state()
    assert state.running and state.row == 1
    clock.advance(seconds=20)
    again.editor.timer.tick()
    assert again.editor.timer.time.text() == "03:20"

    # pause, then stop: the minutes go into the line and the units follow
    qtbot.mouseClick(again.editor.timer.pause, Qt.LeftButton)
    assert not again.editor.timer.state().running
    assert again.editor.timer.pause.text().startswith("Resume")
    clock.advance(minutes=10)
    again.editor.timer.tick()
    assert again.editor.timer.time.text() == "03:20"
    qtbot.mouseClick(again.editor.timer.stop, Qt.LeftButton)
    lines = clinic.visits.get(visit.id).lines
    assert [(ln.minutes, ln.timer) for ln in lines] == [(5, None), (3, None)]
    assert again.editor.timer.note.text().startswith("Added 3 min to line 2 (97530)")


def test_timer_needs_a_selected_line_and_a_draft(qtbot, window, clinic, seeded):
    visit = draft_with_two_lines(clinic, seeded)
    open_in(window, visit.id)
    timer = window.editor.timer
    window.editor.lines.view.clearSelection()
    window.editor.lines.view.setCurrentIndex(window.editor.lines_model.index(-1, -1))
    assert not timer.start.isEnabled()
    window.editor.lines.select_row(0)
    assert timer.start.isEnabled()
    assert not timer.stop.isEnabled()
