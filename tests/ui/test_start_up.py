"""What the window does without at start (it opens on "No visit open"): the visit panels are
built for the first visit and then work as if they had always been there; the superbill,
export and dialog modules load when first used."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from otdesk.core.catalog import default_catalog
from otdesk.ui.main_window import MainWindow


def names(widget: QWidget) -> set[str]:
    return {child.accessibleName() for child in widget.findChildren(QWidget)}


def open_draft(window, clinic):
    seeded = clinic.seeded
    visit = clinic.visits.create(seeded["ana"].id, provider_id=seeded["ot"].id)
    visit = clinic.visits.add_line(visit.id, "97110", minutes=20)
    window.refresh_day()
    window.controller.open(visit.id)
    QApplication.processEvents()
    return visit


def test_the_visit_panels_are_built_for_the_first_visit(qtbot, window, clinic, icd_index):
    editor = window.editor
    assert editor.stack.currentWidget() is editor.empty
    assert "Add a service" in names(editor)  # code search is there from the start
    assert "Charge lines box" not in names(editor)

    visit = open_draft(window, clinic)
    assert editor.stack.currentWidget() is editor.page
    assert {"Charge lines box", "Diagnoses box", "Session timer box"} <= names(editor)
    assert editor.header.provider.currentText() == "Dana Kim, OTR/L"
    assert editor.lines_model.rowCount() == 1
    # the index handed over while there was no panel reached it
    assert editor.diagnoses.index() is icd_index

    editor.focus_code_search()
    qtbot.keyClicks(editor.picker.search, "97530")
    qtbot.keyClick(editor.picker.search, Qt.Key_Return)
    assert [line.code for line in clinic.visits.get(visit.id).lines] == ["97110", "97530"]
    assert editor.lines_model.rowCount() == 2


def test_a_panel_asked_for_before_any_visit_is_built_then(qtbot, clinic, clock, settings):
    window = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(window)
    window.start_icd(lambda progress: None)
    assert "Building the diagnosis index" in window.editor.diagnoses.status.text()
    assert "Charge lines box" in names(window.editor)
    assert window.editor.stack.currentWidget() is window.editor.empty
    qtbot.waitUntil(lambda: "not available" in window.editor.diagnoses.status.text())


def test_the_editor_splitter_is_kept_by_a_run_that_opens_no_visit(
    qtbot, window, clinic, clock, settings
):
    open_draft(window, clinic)
    window.editor.splitter.setSizes([250, 900])  # the checks and totals made wide
    state = window.editor.splitter.saveState()
    window.close()
    assert settings.value("window/editor_splitter") == state

    quiet = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(quiet)
    quiet.close()
    assert "Charge lines box" not in names(quiet.editor)
    assert settings.value("window/editor_splitter") == state  # saved back as it was

    later = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(later)
    splitter = later.editor.splitter  # built now, and given the position kept
    built = splitter.saveState()
    splitter.restoreState(state)
    assert splitter.saveState() == built


def test_opening_the_window_loads_neither_superbills_nor_dialogs(tmp_path):
    """The first screen needs none of them: they load when first used."""
    code = f"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path
from PySide6.QtCore import QSettings
from otdesk.ui import app as ui_app
application = ui_app.create_app()
clock = ui_app.SystemClock()
clinic = ui_app.open_clinic(Path({str(tmp_path / "data")!r}), clock)
settings = QSettings({str(tmp_path / "settings.ini")!r}, QSettings.Format.IniFormat)
window = ui_app.build_window(clinic, clock, settings, loader=None)
window.show()
application.processEvents()
print(" ".join(sorted(sys.modules)))
clinic.close()
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(done.stdout.split())
    assert "otdesk.ui.code_picker" in loaded
    not_yet = {
        "reportlab",
        "otdesk.export",
        "otdesk.services.superbills",
        "otdesk.ui.superbill_dialog",
        "otdesk.ui.patients_dialog",
        "otdesk.ui.fee_schedule_dialog",
        "otdesk.ui.payment_dialog",
        "otdesk.ui.reason_dialog",
        "otdesk.ui.lines_table",
        "otdesk.ui.diagnoses_panel",
    }
    assert not_yet & loaded == set()
