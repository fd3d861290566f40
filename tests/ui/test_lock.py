"""The idle lock: the window covered after the clinic's minutes without input (and at File >
Lock now), nothing of a patient left visible, a value being typed saved first; the same
person back with their password, another switching in (the running session timer goes on),
and each step in the audit log."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QVBoxLayout

from otdesk.ui import app as ui_app
from otdesk.ui import session
from otdesk.ui.lock import LOCKED_TITLE
from otdesk.ui.models.charge_lines import COL_MINUTES

from .helpers import type_into_cell
from .signed_in import (
    ADMIN,
    ADMIN_PASSWORD,
    PAT,
    PAT_PASSWORD,
    FakeMonotonic,
    forget_style_sheet,
    make_clinic,
)


@pytest.fixture
def signed_in(qtbot, tmp_path, clock, settings):
    clinic, _recovery, seeded, visit = make_clinic(tmp_path / "clinic", clock, close=False)
    window = ui_app.build_window(clinic, clock, settings, loader=None)
    idle = FakeMonotonic()
    signed_out: list[bool] = []
    session.install(window, clinic, lambda: signed_out.append(True), now=idle)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    window.idle, window.signed_out, window.visit = idle, signed_out, visit
    yield window
    window.session.watcher.stop()
    clinic.close()
    forget_style_sheet()


def _entries(clinic):
    """The audit log as the test reads it (not as the signed-in person, who may be a front
    desk without the right to read it)."""
    import dataclasses

    from otdesk.services.audit import AuditService

    return AuditService(dataclasses.replace(clinic.ctx, person=None)).entries(limit=10_000)


def _actions(window):
    return [(e.action, e.user) for e in _entries(window.clinic)]


def _covered(window) -> bool:
    parts = (window.splitter, window.day, window.editor, window.menuBar(), window.statusBar())
    return not any(part.isVisible() for part in parts)


def _type_password(qtbot, window, password):
    screen = window.session.lock.screen
    qtbot.waitUntil(lambda: QApplication.activeWindow() is screen, timeout=2000)
    qtbot.keyClicks(screen.panel.password, password)
    qtbot.keyClick(screen.panel.password, Qt.Key_Return)


def test_the_window_locks_after_the_minutes_without_input_and_hides_everything(qtbot, signed_in):
    window, idle = signed_in, signed_in.idle
    assert window.clinic.accounts.lock_minutes() == 10
    idle.advance(9 * 60 + 59)
    window.session.watcher.check()
    assert not window.session.lock.is_locked
    qtbot.keyClick(window.day.search, Qt.Key_A)  # a key: the ten minutes start again
    idle.advance(9 * 60)
    window.session.watcher.check()
    assert not window.session.lock.is_locked
    idle.advance(60)
    window.session.watcher.check()
    assert window.session.lock.is_locked
    screen = window.session.lock.screen
    assert screen.isVisible() and screen.isModal()
    assert _covered(window)
    assert window.windowTitle() == LOCKED_TITLE
    assert "Ada Admin is signed in" in screen.who.text()
    assert screen.panel.name.text() == ADMIN and screen.panel.name.isReadOnly()
    # nothing of a patient in what the lock screen shows
    shown = " ".join(w.text() for w in screen.findChildren(QLineEdit)) + screen.who.text()
    assert "Rivera" not in shown
    assert _actions(window)[-1] == ("session.lock", ADMIN)
    assert window.clinic.audit.entries(limit=10_000)[-1].after == {"name": ADMIN, "idle": True}

    _type_password(qtbot, window, "not it")
    assert screen.panel.message.text() == "The name or the password is not right."
    assert window.session.lock.is_locked and _covered(window)
    _type_password(qtbot, window, ADMIN_PASSWORD)
    assert not window.session.lock.is_locked
    assert window.splitter.isVisible() and window.menuBar().isVisible()
    assert window.windowTitle().startswith("Harbor Hand & OT")
    assert [a for a, _ in _actions(window)[-2:]] == ["unlock.failed", "session.unlock"]
    # the idle time starts again after the unlock
    window.session.watcher.check()
    assert not window.session.lock.is_locked


def test_a_value_being_typed_in_a_line_is_saved_before_the_lock(qtbot, signed_in):
    window = signed_in
    window.controller.open(window.visit.id)
    QApplication.processEvents()
    view = window.editor.lines.view
    index = window.editor.lines_model.index(0, COL_MINUTES)
    type_into_cell(qtbot, view, index, "38", enter=False)
    assert view.indexWidget(view.currentIndex()) is not None  # the cell editor is open
    window.session.lock.lock()
    line = window.clinic.visits.get(window.visit.id).lines[0]
    assert line.minutes == 38
    _type_password(qtbot, window, ADMIN_PASSWORD)
    assert window.controller.visit.id == window.visit.id  # the same visit, still open


def test_another_person_switches_in_and_the_running_timer_goes_on(qtbot, signed_in, clock):
    window = signed_in
    clinic = window.clinic
    line_id = window.visit.lines[0].id
    clinic.timers.start(line_id)
    clock.advance(minutes=3)
    assert window.session.people_action.isVisible()
    window.controller.open(window.visit.id)
    window.day.visits.setFocus()  # the day list: given the focus back, it opens a visit
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier | Qt.ShiftModifier)  # File > Lock now
    assert window.session.lock.is_locked
    screen = window.session.lock.screen
    qtbot.mouseClick(screen.switch_button, Qt.LeftButton)
    assert screen.panel.name.text() == "" and not screen.panel.name.isReadOnly()
    qtbot.keyClicks(screen.panel.name, PAT)
    qtbot.keyClick(screen.panel.name, Qt.Key_Return)
    qtbot.keyClicks(screen.panel.password, PAT_PASSWORD)
    qtbot.keyClick(screen.panel.password, Qt.Key_Return)
    assert not window.session.lock.is_locked
    assert clinic.person.name == PAT
    assert window.session.who.text() == "Signed in: Pat Lee (Front desk)"
    assert not window.session.people_action.isVisible()
    assert not window.session.audit_action.isVisible()
    QApplication.processEvents()
    assert window.controller.visit is None  # Ada's visit is put away for Pat
    assert window.day.search_note.text() == "Pat Lee is signed in."
    clock.advance(minutes=2)
    state = clinic.timers.states(window.visit.id)[line_id]
    assert state.running and state.elapsed_seconds == 5 * 60
    actions = _actions(window)
    assert ("session.lock", ADMIN) in actions and actions[-1] == ("session.switch", PAT)
    assert _entries(clinic)[-1].after == {"name": PAT, "from": ADMIN}


def test_a_dialog_open_at_the_lock_is_covered_and_keeps_what_was_typed(qtbot, signed_in):
    window = signed_in
    dialog = QDialog(window)
    dialog.setWindowTitle("Patient: Rivera, Ana")
    field = QLineEdit()
    QVBoxLayout(dialog).addWidget(field)
    seen = {}

    def while_open():
        qtbot.keyClicks(field, "half typed")
        window.session.watcher.check()  # not yet
        window.idle.advance(10 * 60)
        window.session.watcher.check()
        seen["locked"] = window.session.lock.is_locked
        seen["field"] = field.isVisible()
        seen["title"] = dialog.windowTitle()
        seen["covered"] = _covered(window)
        _type_password(qtbot, window, ADMIN_PASSWORD)
        seen["after"] = (field.isVisible(), field.text(), dialog.windowTitle(), dialog.isVisible())
        dialog.reject()

    QTimer.singleShot(0, while_open)
    dialog.exec()
    assert seen["locked"] and seen["covered"]
    assert not seen["field"] and seen["title"] == LOCKED_TITLE
    assert seen["after"] == (True, "half typed", "Patient: Rivera, Ana", True)


def test_the_file_menu_and_sign_out(qtbot, signed_in):
    window = signed_in
    menu = window.session.file_menu
    assert window.menuBar().actions()[0].menu() is menu
    assert [a.text() for a in menu.actions() if not a.isSeparator()] == [
        "&Lock now",
        "&Change my password…",
        "Sign &out",
    ]
    assert window.session.lock_action.shortcut().toString() == "Ctrl+Shift+L"
    window.session.sign_out_action.trigger()
    assert window.signed_out == [True]
    assert _actions(window)[-1] == ("session.signout", ADMIN)


def test_the_lock_minutes_come_from_the_clinic(qtbot, signed_in):
    window = signed_in
    window.clinic.accounts.set_lock_minutes(2)
    window.session.watcher.set_minutes(window.clinic.accounts.lock_minutes())
    window.idle.advance(2 * 60)
    window.session.watcher.check()
    assert window.session.lock.is_locked
