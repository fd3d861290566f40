"""What the window does without at start (it opens on "No visit open"): the visit panels are
built for the first visit and then work as if they had always been there; the superbill,
export and dialog modules load when first used."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from otdesk.core.catalog import default_catalog
from otdesk.ui.main_window import MainWindow
from tests.helpers.clinics import START as CLINIC_START


def names(widget: QWidget) -> set[str]:
    return {child.accessibleName() for child in widget.findChildren(QWidget)}


def open_draft(window, clinic, seeded):
    visit = clinic.visits.create(seeded["ana"].id, provider_id=seeded["ot"].id)
    visit = clinic.visits.add_line(visit.id, "97110", minutes=20)
    window.refresh_day()
    window.controller.open(visit.id)
    QApplication.processEvents()
    return visit


def test_the_visit_panels_are_built_for_the_first_visit(qtbot, window, clinic, icd_index, seeded):
    editor = window.editor
    assert editor.stack.currentWidget() is editor.empty
    assert "Add a service" in names(editor)  # code search is there from the start
    assert "Charge lines box" not in names(editor)

    visit = open_draft(window, clinic, seeded)
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
    qtbot, window, clinic, clock, settings, seeded
):
    open_draft(window, clinic, seeded)
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


# --- the first screen: shown before the services have loaded ------------------------------


def closed_clinic_folder(clinic, seeded):
    """The clinic's data folder with one draft visit today and two favourite codes, the
    database closed (as when the app starts)."""
    from otdesk.services.superbills import SuperbillService

    visit = clinic.visits.create(seeded["ana"].id, provider_id=seeded["ot"].id)
    SuperbillService(clinic.ctx).save_settings(favourite_codes="97530 97110")
    folder = clinic.db.path.parent
    clinic.close()
    return folder, visit


@pytest.fixture
def first_screen(qtbot, clock, settings):
    """first_screen(folder, loader): the window as `otdesk` starts it; its workers are
    waited for and its clinic closed at the end, even when the test fails half-way."""
    from otdesk.ui import app as ui_app

    shown = []

    def start(folder, loader=None):
        window = ui_app.show_first_screen(folder, clock, settings, loader=loader)
        if window is not None:
            qtbot.addWidget(window)
            shown.append(window)
        return window

    yield start
    for window in shown:
        window.close()
        worker = window.icd_worker()
        if worker is not None:
            worker.wait(20000)
        window.close_clinic()


def test_the_day_shows_before_the_services_and_what_is_done_meanwhile_waits(
    qtbot, clinic, first_screen, seeded
):
    folder, visit = closed_clinic_folder(clinic, seeded)
    services_open_at_icd_start = []

    def icd_loader(_progress):
        services_open_at_icd_start.append(window.clinic is not None)

    window = first_screen(folder, icd_loader)
    assert window.clinic is None  # the services are still opening on their thread
    assert window.windowTitle().startswith("Harbor Hand & OT")
    assert [v.id for v in window.day.visits_model.records()] == [visit.id]
    assert "1 visit" in window.day.summary.text()
    assert set(window.editor.picker.favourite_buttons) == {"97530", "97110"}  # code search

    window.day.visits.selectRow(0)  # a click on the visit, and a patient search typed
    window.day.search.setText("Olsen")
    assert window.clinic is None and window.controller.visit is None
    with qtbot.waitSignal(window.clinic_opened, timeout=20000):
        pass
    assert window.controller.visit.id == visit.id  # the click ran once the services opened
    assert [i.row() for i in window.day.visits.selectionModel().selectedRows()] == [0]
    assert window.day.patients_model.rowCount() == 1
    assert [v.id for v in window.day.visits_model.records()] == [visit.id]
    # the diagnosis index loads after the services, not competing with them
    qtbot.waitUntil(lambda: bool(services_open_at_icd_start), timeout=20000)
    assert services_open_at_icd_start == [True]


@pytest.mark.expect_log("otdesk.ui.worker", "WARNING")
def test_a_database_the_services_cannot_open_is_said_and_the_window_closes(
    qtbot, clinic, first_screen, monkeypatch, seeded
):
    folder, _visit = closed_clinic_folder(clinic, seeded)
    other_program = sqlite3.connect(folder / "otdesk.db")
    other_program.execute("BEGIN IMMEDIATE")  # holds the write lock; reading still works
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, title, text: shown.append(text))
    try:
        window = first_screen(folder)
        assert window.day.visits_model.rowCount() == 1
        qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    finally:
        other_program.rollback()
        other_program.close()
    assert "locked" in shown[0] and str(folder / "otdesk.db") in shown[0]
    assert not window.isVisible() and window.clinic is None and window.open_failed


def test_closing_before_the_services_open_still_closes_the_database(clinic, first_screen, seeded):
    folder, _visit = closed_clinic_folder(clinic, seeded)
    window = first_screen(folder)
    window.close()
    window.close_clinic()  # waits for the services, then closes them
    # SQLite removes the write-ahead log when the last connection to the file closes
    assert not (folder / "otdesk.db-wal").exists()


def test_a_new_or_empty_database_is_opened_by_the_services_first(qtbot, tmp_path, clock, settings):
    from otdesk.services.clinic import Clinic
    from otdesk.ui import app as ui_app

    assert ui_app.show_first_screen(tmp_path / "new", clock, settings, loader=None) is None
    Clinic.open(tmp_path / "empty", clock=clock).close()  # no practice: the welcome
    assert ui_app.show_first_screen(tmp_path / "empty", clock, settings, loader=None) is None


def test_the_first_screen_window_is_built_without_sqlalchemy(clinic, tmp_path, seeded):
    """What makes the first screen quick: nothing the window needs to appear imports it."""
    folder, _visit = closed_clinic_folder(clinic, seeded)
    code = f"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from datetime import datetime
from PySide6.QtCore import QSettings
from otdesk.services.first_screen import FirstScreen
from otdesk.ui import app as ui_app
application = ui_app.create_app()
first = FirstScreen.open({str(folder)!r})
settings = QSettings({str(tmp_path / "settings.ini")!r}, QSettings.Format.IniFormat)
clock = lambda: datetime.fromisoformat({CLINIC_START.isoformat()!r})
window = ui_app.build_window(None, clock, settings, None, first_screen=first)
window.show()
application.processEvents()
print(window.day.visits_model.rowCount())
print(sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic")))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines() == ["1", "[]"]
