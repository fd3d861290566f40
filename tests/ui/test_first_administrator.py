"""The first administrator in the window: a plain clinic from before accounts upgraded at
its first start (the data and its old backups encrypted, or the backups deleted), a new
clinic set up from the welcome, and the recovery sheet shown once (saved as PDF, printed,
kept before going on)."""

from __future__ import annotations

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialog

from otdesk.services.clinic import Clinic
from otdesk.storage.encrypt import clinic_state
from otdesk.ui import app as ui_app
from otdesk.ui.account_setup import FirstAdministratorDialog, RecoverySheetDialog
from otdesk.ui.setup_dialog import SetupDialog
from otdesk.ui.start_flow import StartFlow
from otdesk.ui.welcome_dialog import WelcomeDialog
from tests.helpers.clinics import seed_front_desk

from .helpers import show, when_modal
from .signed_in import forget_style_sheet

KEY = "ABCDE-FGHJK-MNPQR-STVWX-YZ012-34567-89ABC-DEFGH"


@pytest.fixture
def flows(clock, settings):
    made = []

    def make(folder):
        def open_window(clinic, note, **kw):
            return ui_app.build_window(clinic, clock, settings, loader=None, title_note=note, **kw)

        flow = StartFlow(folder, clock, settings, open_window, warm=None)
        made.append(flow)
        return flow

    yield make
    for flow in made:
        if flow.window is not None:
            flow.window.close()
        flow.finish()
    forget_style_sheet()


def _first_administrator(name, password, delete=False):
    def fill(dialog: FirstAdministratorDialog) -> None:
        dialog.name.setText(name)
        dialog.display_name.setText("Dana Kim")
        dialog.passwords.first.setText(password)
        dialog.passwords.second.setText(password)
        if delete:
            dialog.delete_backups.setChecked(True)
        dialog.accept()

    return fill


def _keep_sheet(seen):
    def keep(sheet: RecoverySheetDialog) -> None:
        seen["key"] = sheet.recovery_key
        sheet.reject()  # Escape: the key is shown only now, so it stays
        seen["stayed"] = sheet.isVisible()
        seen["continue_before"] = sheet.continue_button.isEnabled()
        sheet.kept.setChecked(True)
        sheet.accept()

    return keep


@pytest.mark.parametrize("delete", [False, True])
def test_a_plain_clinic_is_encrypted_at_its_first_start(qtbot, tmp_path, clock, flows, delete):
    folder = tmp_path / "old"
    with Clinic.open(folder, clock=clock) as old:
        seed_front_desk(old)
    clock.advance(days=1)
    Clinic.open(folder, clock=clock).close()  # a day's first open backs it up
    plain_backups = list((folder / "backups").glob("*"))
    assert plain_backups and clinic_state(folder / "otdesk.db") == "plain"
    seen: dict = {}
    when_modal(FirstAdministratorDialog, _first_administrator("dana", "kim family clinic", delete))
    # the sheet appears once the encryption is done: looked for from the start
    when_modal(RecoverySheetDialog, _keep_sheet(seen), tries=3000)
    flow = flows(folder)
    assert flow.begin()
    assert seen["stayed"] and not seen["continue_before"]
    assert clinic_state(folder / "otdesk.db") == "encrypted"
    assert flow.clinic.person.name == "dana" and flow.window.isVisible()
    assert flow.window.day.patients_model is not None
    for path in folder.rglob("*"):
        if path.is_file():
            assert b"Rivera" not in path.read_bytes(), path.name
    for path in folder.rglob("*"):  # nothing plain is left: the backups sealed or deleted
        if path.is_file() and path.stat().st_size:
            assert not path.read_bytes().startswith(b"SQLite format 3"), path.name


def test_a_new_clinic_gets_its_administrator_and_recovery_sheet_then_the_practice(
    qtbot, tmp_path, clock, flows
):
    folder = tmp_path / "new"
    seen: dict = {}

    def welcome(dialog: WelcomeDialog) -> None:
        qtbot.mouseClick(dialog.set_up, Qt.LeftButton)

    def practice(dialog: SetupDialog) -> None:
        dialog.practice.set_values({"name": "Kim Family OT"})
        dialog.provider.set_values({"first_name": "Dana", "last_name": "Kim", "npi": "1234567893"})
        dialog.accept()

    when_modal(WelcomeDialog, welcome)
    when_modal(FirstAdministratorDialog, _first_administrator("dana", "kim family clinic"), 3000)
    when_modal(RecoverySheetDialog, _keep_sheet(seen), tries=3000)
    when_modal(SetupDialog, practice, tries=3000)
    flow = flows(folder)
    assert flow.begin()
    assert clinic_state(folder / "otdesk.db") == "encrypted"
    assert flow.clinic.person.name == "dana"
    assert flow.clinic.practice.get().name == "Kim Family OT"
    assert flow.window.windowTitle().startswith("Kim Family OT")
    from otdesk.services import signin

    flow.finish()
    reopened = signin.recover(folder, seen["key"], "dana", "another long phrase", clock=clock)
    reopened.close()


def test_a_password_typed_differently_keeps_the_dialog(qtbot):
    tried = []
    dialog = show(qtbot, FirstAdministratorDialog(lambda *a: tried.append(a)))
    dialog.name.setText("dana")
    dialog.passwords.first.setText("kim family clinic")
    dialog.passwords.second.setText("kim family clinc")
    dialog.accept()
    assert dialog.message.text() == "The two passwords are not the same; type the second again."
    assert not tried and dialog.isVisible()


def test_the_recovery_sheet_is_saved_owner_only_and_printed(qtbot, tmp_path):
    from datetime import date

    saved = tmp_path / "sheet.pdf"
    printed = tmp_path / "printed.pdf"

    def printer(_parent, _paper):
        chosen = QPrinter(QPrinter.PrinterMode.HighResolution)
        chosen.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        chosen.setOutputFileName(str(printed))
        return chosen

    dialog = show(
        qtbot,
        RecoverySheetDialog(
            KEY,
            "Kim Family OT",
            date(2026, 3, 2),
            ask_path=lambda _p, _s: saved,
            ask_printer=printer,
        ),
    )
    assert dialog.key.text() == KEY
    qtbot.mouseClick(dialog.save_button, Qt.LeftButton)
    text = "".join(page.extract_text() for page in PdfReader(saved).pages)
    assert all(group in text for group in KEY.split("-")) and "Kim Family OT" in text
    assert saved.stat().st_mode & 0o077 == 0
    assert dialog.message.text().startswith(f"Saved to {saved}.")
    qtbot.mouseClick(dialog.print_button, Qt.LeftButton)
    assert printed.stat().st_size > 1000
    assert dialog.message.text() == "Sent to the printer (1 page)."
    assert not dialog.continue_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key_Escape)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    dialog.kept.setChecked(True)
    assert dialog.continue_button.isEnabled()
