"""The visit header saves as it is changed; bad input is refused beside the field; the
diagnosis index arrives from a worker while the window stays usable."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from otdesk.core.catalog import default_catalog
from otdesk.ui.main_window import MainWindow
from otdesk.ui.models.charge_lines import COL_CODE


def open_draft(window, clinic, seeded, patient="ana"):
    visit = clinic.visits.create(seeded[patient].id, provider_id=seeded["ot"].id)
    visit = clinic.visits.add_line(visit.id, "97110", minutes=20)
    window.refresh_day()
    window.controller.open(visit.id)
    QApplication.processEvents()
    return visit


def test_header_changes_are_saved_at_once(qtbot, window, clinic, seeded):
    visit = open_draft(window, clinic, seeded)
    header = window.editor.header
    assert header.payer.currentText().startswith("Medicare Part B")
    self_pay = header.payer_choices.index((None, None))
    header.payer.setCurrentIndex(self_pay)
    header.payer.activated.emit(self_pay)
    stored = clinic.visits.get(visit.id)
    assert stored.payer_id is None and stored.policy_id is None
    assert not any("need GO" in f.message for f in stored.findings)

    pos = header.pos.findData("02")
    header.pos.setCurrentIndex(pos)
    header.pos.activated.emit(pos)
    assert clinic.visits.get(visit.id).place_of_service == "02"

    header.total_time.setText("4o")
    header.total_time.editingFinished.emit()
    assert "whole number" in header.message.text()
    assert clinic.visits.get(visit.id).total_treatment_minutes is None
    header.total_time.setText("45")
    header.total_time.editingFinished.emit()
    assert clinic.visits.get(visit.id).total_treatment_minutes == 45
    assert not header.message.isVisible()

    window.editor.confirm_future = lambda *_args: True
    header.date.edit.setText("03/04/2026")
    header.date.edit.editingFinished.emit()
    assert clinic.visits.get(visit.id).date_of_service == date(2026, 3, 4)
    assert window.day.current_date() == date(2026, 3, 4)  # the day list follows the visit
    assert window.day.visits_model.row_of(visit.id) == 0


def test_typing_on_a_code_goes_to_the_code_search_and_f2_changes_it(qtbot, window, clinic, seeded):
    visit = open_draft(window, clinic, seeded)
    editor = window.editor
    model = editor.lines_model
    view = editor.lines.view
    view.setFocus()
    view.setCurrentIndex(model.index(0, COL_CODE))
    qtbot.keyClicks(view, "97")
    QApplication.processEvents()
    assert QApplication.focusWidget() is editor.picker.search
    assert editor.picker.search.text() == "97"
    assert clinic.visits.get(visit.id).lines[0].code == "97110"
    # F2 is the explicit edit; a code outside everything is refused beside the table
    editor.picker.search.setText("")
    view.setFocus()
    view.setCurrentIndex(model.index(0, COL_CODE))
    qtbot.keyClick(view, Qt.Key_F2)
    cell = view.indexWidget(view.currentIndex())
    assert cell is not None
    cell.selectAll()
    qtbot.keyClicks(cell, "ABC")
    qtbot.keyClick(cell, Qt.Key_Return)
    QApplication.processEvents()
    assert editor.lines.message.isVisible() and "ABC" in editor.lines.message.text()
    assert clinic.visits.get(visit.id).lines[0].code == "97110"


def test_the_index_arrives_from_a_worker(qtbot, clinic, clock, settings, icd_index):
    steps = []

    def loader(progress):
        for done in (0, 500, 1000):
            progress(done, 1000)
            steps.append(done)
        return icd_index

    window = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(window)
    window.start_icd(loader)
    panel = window.editor.diagnoses
    assert panel.index() is None
    assert "Building the diagnosis index" in panel.search.placeholderText()
    qtbot.waitUntil(lambda: panel.index() is not None, timeout=10000)
    assert steps == [0, 500, 1000]
    assert clinic.ctx.icd is icd_index
    assert "M62.81" in panel.search.placeholderText()


@pytest.mark.expect_log("otdesk.ui.worker", "WARNING")
def test_an_index_that_cannot_be_built_says_so(qtbot, clinic, clock, settings):
    def loader(progress):
        raise OSError("disk full")

    window = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(window)
    window.start_icd(loader)
    panel = window.editor.diagnoses
    qtbot.waitUntil(lambda: "not available" in panel.status.text(), timeout=10000)
    assert "disk full" in panel.status.text()
    assert panel.index() is None


def test_keyboard_shortcuts_window(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: shown.append(self.text()))
    qtbot.keyClick(window, Qt.Key_F1)
    assert shown and "Ctrl+Enter" in shown[0]


def progress_dialogs_shown():
    from PySide6.QtWidgets import QApplication, QProgressDialog

    windows = QApplication.topLevelWidgets()
    return [w for w in windows if isinstance(w, QProgressDialog) and w.isVisible()]


class HeldBuild:
    """An index build that reports `first` (of 1000) and then waits to be let go, in a
    window shown for it: the progress dialog can be looked at while the build is held."""

    def __init__(self, qtbot, window, index, first: int, then: tuple[int, ...]) -> None:
        import threading

        self.release = threading.Event()

        def loader(progress):
            progress(first, 1000)
            self.release.wait(20)
            for done in then:
                progress(done, 1000)
            return index

        window.show()
        window.start_icd(loader)
        qtbot.waitUntil(lambda: window._icd_dialog is not None, timeout=10000)
        self.dialog = window._icd_dialog
        qtbot.waitUntil(self.dialog.isVisible, timeout=10000)  # after ICD_DIALOG_AFTER_MS


def test_a_long_first_build_shows_a_progress_dialog_that_does_not_block(
    qtbot, clinic, clock, settings, icd_index
):
    from PySide6.QtWidgets import QApplication

    window = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(window)
    build = HeldBuild(qtbot, window, icd_index, 300, (1000,))
    try:
        dialog = build.dialog
        assert dialog.value() == 300 and dialog.maximum() == 1000
        assert not dialog.isModal() and QApplication.activeModalWidget() is None
        assert progress_dialogs_shown() == [dialog]
        assert "30%" in window.editor.diagnoses.search.placeholderText()
    finally:
        build.release.set()
    qtbot.waitUntil(lambda: window.editor.diagnoses.index() is icd_index, timeout=10000)
    assert window._icd_dialog is None and not progress_dialogs_shown()


def test_hiding_the_progress_dialog_lets_the_build_go_on(qtbot, clinic, clock, settings, icd_index):
    window = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(window)
    build = HeldBuild(qtbot, window, icd_index, 100, (500, 900))
    try:
        build.dialog.cancel()  # the Hide button
        assert not build.dialog.isVisible()
    finally:
        build.release.set()
    qtbot.waitUntil(lambda: window.editor.diagnoses.index() is icd_index, timeout=10000)
    assert window._icd_dialog is None and not progress_dialogs_shown()  # not shown again
