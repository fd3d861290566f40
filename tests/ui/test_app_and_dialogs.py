"""Start-up pieces (welcome, set-up, demo, crash handling, the CLI staying Qt-free) and the
dialogs' inline checks."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from otdesk.core.money import Money
from otdesk.ui import app as ui_app
from otdesk.ui import welcome_dialog
from otdesk.ui.payment_dialog import PaymentDialog
from otdesk.ui.providers_dialog import ProvidersDialog
from otdesk.ui.reason_dialog import ReasonDialog
from otdesk.ui.setup_dialog import SetupDialog
from otdesk.ui.welcome_dialog import WelcomeChoice, WelcomeDialog


def test_other_commands_never_import_qt():
    code = (
        "import sys, otdesk.cli as c; c.main(['units', '97110=20'])\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt was imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_welcome_buttons(qtbot):
    dialog = WelcomeDialog()
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.demo, Qt.LeftButton)
    assert dialog.choice is WelcomeChoice.DEMO


def fresh_clinic(tmp_path, clock):
    from otdesk.services.clinic import Clinic

    return Clinic.open(tmp_path / "fresh", clock=clock)


def test_setup_checks_the_npi_as_typed_and_saves_everything(qtbot, tmp_path, clock):
    clinic = fresh_clinic(tmp_path, clock)
    try:
        dialog = SetupDialog(clinic)
        qtbot.addWidget(dialog)
        qtbot.keyClicks(dialog.practice.fields["name"], "Harbor OT")
        qtbot.keyClicks(dialog.provider.fields["first_name"], "Dana")
        qtbot.keyClicks(dialog.provider.fields["last_name"], "Kim")
        qtbot.keyClicks(dialog.provider.fields["npi"], "1234567890")
        assert "check digit" in dialog.provider.messages["npi"].text()
        dialog.accept()
        assert clinic.practice.get() is None  # nothing saved with a bad NPI
        dialog.provider.fields["npi"].clear()
        qtbot.keyClicks(dialog.provider.fields["npi"], "1234567893")
        assert dialog.provider.messages["npi"].text() == ""
        dialog.commercial.setText("Acme Health")
        dialog.accept()
        assert dialog.result() == dialog.DialogCode.Accepted
        assert clinic.practice.get().name == "Harbor OT"
        assert [p.npi for p in clinic.providers.list()] == ["1234567893"]
        kinds = sorted(p.kind for p in clinic.payers.list())
        assert kinds == ["commercial", "medicare", "self-pay"]
    finally:
        clinic.close()


def test_setup_shows_the_services_message_beside_the_field(qtbot, tmp_path, clock):
    clinic = fresh_clinic(tmp_path, clock)
    try:
        dialog = SetupDialog(clinic)
        qtbot.addWidget(dialog)
        dialog.practice.fields["name"].setText("Harbor OT")
        dialog.provider.fields["first_name"].setText("Dana")
        dialog.provider.fields["npi"].setText("1234567893")
        dialog.accept()  # no last name: the services refuse it
        assert "Last name" in dialog.provider.messages["last_name"].text()
        assert clinic.providers.list() == []
    finally:
        clinic.close()


def test_first_run_demo_opens_its_own_folder(qtbot, tmp_path, clock, monkeypatch):
    clinic = fresh_clinic(tmp_path, clock)
    monkeypatch.setattr(welcome_dialog, "ask", lambda parent=None: WelcomeChoice.DEMO)
    demo, note = ui_app.first_run(clinic, None, clock)
    try:
        assert note == " (demo clinic)"
        assert demo.db.path.parent == tmp_path / "fresh" / ui_app.DEMO_FOLDER
        assert demo.practice.get() is not None
        assert demo.visits.day(clock.now().date())
    finally:
        demo.close()


@pytest.mark.expect_log("otdesk", "ERROR")
def test_unexpected_errors_are_logged_without_their_message(qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("otdesk").addHandler(handler)
    try:
        ui_app.install_excepthook(lambda: None, tmp_path / "otdesk.log")
        try:
            raise ValueError("Rivera, Ana born 1950-04-12")
        except ValueError as error:
            sys.excepthook(type(error), error, error.__traceback__)
    finally:
        logging.getLogger("otdesk").removeHandler(handler)
    assert shown and "otdesk.log" in shown[0][2]
    logged = records[0].getMessage()
    assert "ValueError" in logged and "test_app_and_dialogs.py" in logged
    assert "Rivera" not in logged and "1950" not in logged


def test_start_up_runs_without_garbage_collections_and_freezes_what_it_built():
    import gc

    frozen = gc.get_freeze_count()
    try:
        with ui_app.start_up_objects():
            assert not gc.isenabled()
            built = [[] for _ in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(built)
        # a caller that had turned collection off keeps it off, even when start-up fails
        gc.disable()
        with pytest.raises(RuntimeError), ui_app.start_up_objects():
            raise RuntimeError("no database")
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()  # the rest of the test session collects as usual


def test_reason_dialog_wants_a_real_reason(qtbot):
    dialog = ReasonDialog(None, "Void visit", "Why?", "Void", ["one error"])
    qtbot.addWidget(dialog)
    dialog.accept()
    assert "reason" in dialog.message.text()
    qtbot.keyClicks(dialog.reason, "Entered twice")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.result_value().reason == "Entered twice"


def test_payment_dialog_refuses_what_is_not_money(qtbot):
    dialog = PaymentDialog(None, Money("70.00"), date(2026, 3, 2))
    qtbot.addWidget(dialog)
    assert dialog.amount.text() == "70.00"
    dialog.amount.clear()
    qtbot.keyClicks(dialog.amount, "abc")
    assert "not an amount" in dialog.message.text()
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    dialog.amount.setText("$25")
    dialog.accept()
    result = dialog.result_value()
    assert result.amount == Money("25") and result.kind == "copay"
    assert result.received_on == date(2026, 3, 2)


def test_providers_dialog_checks_npi_as_typed(qtbot, clinic, seeded):
    dialog = ProvidersDialog(clinic)
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 1
    qtbot.mouseClick(dialog.new_button, Qt.LeftButton)
    form = dialog.form
    form.fields["first_name"].setText("Lee")
    form.fields["last_name"].setText("Park")
    form.fields["role"].setCurrentIndex(form.fields["role"].findData("OTA"))
    qtbot.keyClicks(form.fields["npi"], "12345")
    assert "10" in form.messages["npi"].text()
    assert not dialog.save()
    form.fields["npi"].setText("1245319599")
    form.fields["supervisor_id"].setCurrentIndex(1)
    assert dialog.save()
    created = [p for p in clinic.providers.list() if p.last_name == "Park"][0]
    assert created.role == "OTA" and created.supervisor_id == seeded["ot"].id
