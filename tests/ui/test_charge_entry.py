"""A full charge entry typed as a person would, over a real clinic database."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from otdesk.ui import reason_dialog
from otdesk.ui.models.charge_lines import COL_MINUTES, COL_MODIFIERS, COL_UNITS


def press(qtbot, widget, key, modifier=Qt.NoModifier):
    qtbot.keyClick(widget, key, modifier)
    QApplication.processEvents()


def type_text(qtbot, text: str) -> None:
    """Type into whatever has the keyboard focus, then press Enter."""
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key_Return)
    QApplication.processEvents()


def start_visit_for(qtbot, window, name: str) -> None:
    press(qtbot, window, Qt.Key_N, Qt.ControlModifier)
    assert QApplication.focusWidget() is window.day.search
    type_text(qtbot, name)


def messages(window) -> list[str]:
    return [f.message for f in window.controller.visit.findings]


def test_full_charge_entry(qtbot, window, clinic):
    editor = window.editor
    start_visit_for(qtbot, window, "rivera")
    visit = window.controller.visit
    assert visit is not None and visit.patient_name.startswith("Rivera")
    assert visit.payer_name == "Medicare Part B"
    assert window.day.visits_model.rowCount() == 1
    assert QApplication.focusWidget() is editor.picker.search

    # search "ther ex", add 97110 and type 33 minutes; focus comes back to the search
    qtbot.keyClicks(editor.picker.search, "ther ex")
    assert editor.picker.model.record(0).code == "97110"
    press(qtbot, editor.picker.search, Qt.Key_Return)
    type_text(qtbot, "33")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.picker.search)
    # 97140 with 7 minutes
    qtbot.keyClicks(editor.picker.search, "97140")
    press(qtbot, editor.picker.search, Qt.Key_Return)
    type_text(qtbot, "7")

    lines = window.controller.visit.lines
    assert [(ln.code, ln.minutes, ln.units) for ln in lines] == [("97110", 33, 2), ("97140", 7, 1)]
    model = editor.lines_model
    assert model.data(model.index(0, COL_UNITS)) == "2"
    assert model.data(model.index(1, COL_UNITS)) == "1"
    assert "The 1 unit left goes to 97140" in editor.units.text.text()
    assert "40 timed minutes" in editor.units.total.text()

    # Medicare wants GO: it is there by itself, shown as automatic, and nothing is red
    assert not any("need GO" in m for m in messages(window))
    assert [ln.modifiers for ln in window.controller.visit.lines] == [("GO",), ("GO",)]
    font = model.data(model.index(0, COL_MODIFIERS), Qt.FontRole)
    assert font is not None and font.italic()
    assert "automatically" in model.data(model.index(0, COL_MODIFIERS), Qt.ToolTipRole)

    # 97530 with 97140 is an NCCI pair: one line in the checks, its fix one click away
    qtbot.keyClicks(editor.picker.search, "TA")
    press(qtbot, editor.picker.search, Qt.Key_Return)
    type_text(qtbot, "10")
    assert any("NCCI" in m for m in messages(window))
    row = next(r for r in editor.findings.rows if "code pair" in r.summary.text())
    assert row.summary.text() == "97140 + 97530: code pair, add XU to line 3"
    (xu,) = row.buttons
    assert xu.text() == "Fix" and xu.accessibleName() == "Add XU to line 3 (97530)"
    qtbot.mouseClick(xu, Qt.LeftButton)
    assert not any("NCCI" in m for m in messages(window))
    assert window.controller.visit.lines[2].modifiers == ("GO", "XU")

    # M62.81 from the drop-down: every line points at it by itself
    press(qtbot, window, Qt.Key_D, Qt.ControlModifier)
    assert QApplication.focusWidget() is editor.diagnoses.search
    qtbot.keyClicks(editor.diagnoses.search, "M62.81")
    assert editor.diagnoses.results_model.record(0).code == "M62.81"
    press(qtbot, editor.diagnoses.search, Qt.Key_Return)
    assert window.controller.visit.diagnoses == ("M62.81",)
    assert "Muscle weakness" in editor.dx_model.data(editor.dx_model.index(0, 2))
    assert all(ln.dx_pointers == ("A",) for ln in window.controller.visit.lines)
    assert window.controller.visit.total_treatment_minutes == 50  # 33 + 7 + 10
    assert not window.controller.visit.errors, messages(window)

    # finalize: read-only afterwards, and the day list says so
    press(qtbot, window, Qt.Key_Return, Qt.ControlModifier)
    visit = window.controller.visit
    assert visit.status == "finalized"
    assert clinic.visits.get(visit.id).status == "finalized"
    assert model.is_read_only()
    assert not model.flags(model.index(0, COL_MINUTES)) & Qt.ItemIsEditable
    assert not editor.picker.isEnabled()
    assert editor.amend_button.isVisible() and not editor.finalize_button.isVisible()
    assert window.day.visits_model.record(0).status == "finalized"


def test_finalize_with_errors_needs_an_override_reason(qtbot, window, clinic, monkeypatch):
    editor = window.editor
    start_visit_for(qtbot, window, "rivera")
    qtbot.keyClicks(editor.picker.search, "97110")
    press(qtbot, editor.picker.search, Qt.Key_Return)
    type_text(qtbot, "20")
    assert window.controller.visit.errors

    asked = []
    monkeypatch.setattr(reason_dialog, "ask", lambda *a, **k: asked.append(k) or None)
    press(qtbot, window, Qt.Key_Return, Qt.ControlModifier)
    assert asked and asked[0]["details"]  # the errors were listed
    assert window.controller.visit.status == "draft"

    monkeypatch.setattr(
        reason_dialog, "ask", lambda *a, **k: reason_dialog.ReasonResult("Payer confirmed by phone")
    )
    press(qtbot, window, Qt.Key_Return, Qt.ControlModifier)
    visit = clinic.visits.get(window.controller.visit.id)
    assert visit.status == "finalized"
    assert visit.override_reason == "Payer confirmed by phone"


def test_bad_minutes_are_refused_beside_the_table(qtbot, window, clinic):
    editor = window.editor
    start_visit_for(qtbot, window, "rivera")
    qtbot.keyClicks(editor.picker.search, "97110")
    press(qtbot, editor.picker.search, Qt.Key_Return)
    type_text(qtbot, "twenty")
    assert "whole number" in editor.lines.message.text()
    assert clinic.visits.get(window.controller.visit.id).lines[0].minutes == 0
