"""A visit entered with the keyboard alone; every control has an accessible name."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QCalendarWidget,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
)

from otdesk.ui.models.charge_lines import COL_DX, COL_MINUTES


def key(qtbot, k, modifier=Qt.NoModifier):
    qtbot.keyClick(QApplication.focusWidget(), k, modifier)
    QApplication.processEvents()


def type_enter(qtbot, text):
    qtbot.keyClicks(QApplication.focusWidget(), text)
    key(qtbot, Qt.Key_Return)


def test_keyboard_only_visit(qtbot, window, clinic):
    editor = window.editor
    key(qtbot, Qt.Key_N, Qt.ControlModifier)
    type_enter(qtbot, "olsen")  # commercial payer: per-code units, no GO needed
    assert window.controller.visit.payer_name == "Acme Health"
    type_enter(qtbot, "ther ex")
    type_enter(qtbot, "23")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.picker.search)
    type_enter(qtbot, "ionto")
    type_enter(qtbot, "10")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.picker.search)
    key(qtbot, Qt.Key_D, Qt.ControlModifier)
    type_enter(qtbot, "muscle weakness")
    assert window.controller.visit.diagnoses == ("M62.81",)

    key(qtbot, Qt.Key_L, Qt.ControlModifier)
    view = editor.lines.view
    assert QApplication.focusWidget() is view
    assert view.currentIndex().column() == COL_MINUTES
    for row in range(2):
        view.setCurrentIndex(editor.lines_model.index(row, COL_MINUTES))
        for _ in range(COL_DX - COL_MINUTES):
            key(qtbot, Qt.Key_Right)
        assert view.currentIndex().column() == COL_DX
        type_enter(qtbot, "A")
        qtbot.waitUntil(lambda: QApplication.focusWidget() is view)
    visit = window.controller.visit
    assert [(ln.code, ln.minutes, ln.units, ln.dx_pointers) for ln in visit.lines] == [
        ("97110", 23, 2, ("A",)),
        ("97033", 10, 1, ("A",)),
    ]
    assert not visit.errors, [f.message for f in visit.errors]

    key(qtbot, Qt.Key_Return, Qt.ControlModifier)
    assert clinic.visits.get(visit.id).status == "finalized"


INTERACTIVE = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView)


def _internal(widget) -> bool:
    parent = widget.parent()
    while parent is not None:
        # parts Qt builds inside a control (spin box editors, clear buttons, popups)
        if isinstance(parent, QAbstractSpinBox | QComboBox | QCalendarWidget | QLineEdit):
            return True
        parent = parent.parent()
    return widget.objectName().startswith("qt_") or isinstance(widget, QHeaderView)


def test_every_control_has_an_accessible_name(qtbot, window, clinic, seeded):
    visit = clinic.visits.create(seeded["ana"].id, provider_id=seeded["ot"].id)
    clinic.visits.add_line(visit.id, "97110", minutes=20)
    window.refresh_day()
    window.controller.open(visit.id)
    missing = []
    for kind in (*INTERACTIVE, QPlainTextEdit):
        for widget in window.findChildren(kind):
            if _internal(widget):
                continue
            if not widget.accessibleName().strip():
                kind, parent = type(widget).__name__, type(widget.parent()).__name__
                text = getattr(widget, "text", lambda: "")()
                missing.append(f"{kind} in {parent}: {text!r}")
    assert missing == [], missing
