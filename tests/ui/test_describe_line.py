"""An unlisted code's "Describe line N..." fix: a small dialog asks what was done and the
description is saved through the services."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from otdesk.ui import describe_line_dialog
from otdesk.ui.describe_line_dialog import DescribeLineDialog, DescriptionResult
from tests.ui.test_charge_entry import press, start_visit_for, type_text


def _unlisted_visit(qtbot, window):
    editor = window.editor
    start_visit_for(qtbot, window, "rivera")
    qtbot.keyClicks(editor.picker.search, "97139")
    press(qtbot, editor.picker.search, Qt.Key_Return)
    type_text(qtbot, "15")
    return editor


def _describe_button(editor):
    """The Fix button of the unlisted code's check (its summary says what it does)."""
    row = next(r for r in editor.findings.rows if "needs a description" in r.summary.text())
    assert "describe line 1" in row.summary.text()
    [button] = row.buttons
    return button


def test_the_fix_asks_for_the_description_and_saves_it(qtbot, window, clinic, monkeypatch):
    editor = _unlisted_visit(qtbot, window)
    button = _describe_button(editor)
    assert button.text() == "Fix" and button.accessibleName() == "Describe line 1 (97139)..."
    asked = []

    def answer(parent, where, current):
        asked.append((where, current))
        return DescriptionResult("Fluidotherapy, right hand")

    monkeypatch.setattr(describe_line_dialog, "ask", answer)
    qtbot.mouseClick(button, Qt.LeftButton)
    assert asked == [("line 1 (97139)", "")]
    visit = window.controller.visit
    assert visit.lines[0].description == "Fluidotherapy, right hand"
    assert clinic.visits.get(visit.id).lines[0].description == "Fluidotherapy, right hand"
    assert not any(f.rule == "unlisted-description" for f in visit.findings)


def test_cancelling_the_dialog_saves_nothing(qtbot, window, clinic, monkeypatch):
    editor = _unlisted_visit(qtbot, window)
    monkeypatch.setattr(describe_line_dialog, "ask", lambda *args: None)
    qtbot.mouseClick(_describe_button(editor), Qt.LeftButton)
    visit = window.controller.visit
    assert clinic.visits.get(visit.id).lines[0].description == ""
    assert any(f.rule == "unlisted-description" for f in visit.findings)


def test_the_dialog_wants_words_and_tidies_them(qtbot):
    dialog = DescribeLineDialog(None, "line 2 (97039)")
    qtbot.addWidget(dialog)
    dialog.show()
    assert "line 2 (97039)" in dialog.windowTitle()
    assert "claim line" in dialog.description.toolTip()
    dialog.accept()
    assert dialog.isVisible() and "Type what was done" in dialog.message.text()
    qtbot.keyClicks(dialog.description, "  Mirror   therapy ")
    qtbot.keyClick(dialog.description, Qt.Key_Return)
    QApplication.processEvents()
    assert not dialog.isVisible()
    assert dialog.result_value() == DescriptionResult("Mirror therapy")
    assert dialog.description.maxLength() == 80
