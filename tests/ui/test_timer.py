"""The session timer in the window: start, switch lines, survive a restart of the window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from otdesk.core.catalog import default_catalog
from otdesk.ui.main_window import MainWindow
from otdesk.ui.models.charge_lines import COL_MINUTES


def draft_with_two_lines(clinic):
    seeded = clinic.seeded
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
    qtbot, window, clinic, clock, settings, icd_index
):
    visit = draft_with_two_lines(clinic)
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

    # one click on another line, Start: the running timer moves to it
    editor.lines.select_row(1)
    press(qtbot, window, Qt.Key_F5)
    timers = clinic.timers.states(visit.id)
    first, second = (ln.id for ln in window.controller.visit.lines)
    assert not timers[first].running and timers[first].elapsed_seconds == 300
    assert timers[second].running
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
    assert lines[1].minutes == 3
    assert lines[1].timer is None
    # the first line's paused 5 minutes are still waiting on its timer
    assert lines[0].timer is not None and lines[0].timer.elapsed_seconds == 300


def test_timer_needs_a_selected_line_and_a_draft(qtbot, window, clinic):
    visit = draft_with_two_lines(clinic)
    open_in(window, visit.id)
    timer = window.editor.timer
    window.editor.lines.view.clearSelection()
    window.editor.lines.view.setCurrentIndex(window.editor.lines_model.index(-1, -1))
    assert not timer.start.isEnabled()
    window.editor.lines.select_row(0)
    assert timer.start.isEnabled()
    assert not timer.stop.isEnabled()
