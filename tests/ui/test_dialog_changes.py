"""The dialogs that show data on the window's change broadcast (otdesk.ui.changes): each
reports what it stored as it stores it (the dialog the origin), and reads again what
another part of the window, or another desk, reports of the kinds it shows, keeping what
the person typed. Replacing the clinic and switching the person report EVERYTHING."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox

from otdesk.ui.audit_dialog import AuditDialog
from otdesk.ui.changes import EVERYTHING, ChangeBus, Changes
from otdesk.ui.clinic_codes_dialog import ClinicCodesDialog
from otdesk.ui.fee_schedule_dialog import FeeScheduleDialog
from otdesk.ui.patients_dialog import PatientsDialog
from otdesk.ui.payers_dialog import PayersDialog
from otdesk.ui.people_dialog import PeopleDialog
from otdesk.ui.providers_dialog import ProvidersDialog
from otdesk.ui.records_dialog import CHANGED_ELSEWHERE
from tests.helpers.clinics import OTA_NPI, open_clinic

from .helpers import show, when_modal
from .signed_in import PAT, make_clinic, switch_at_lock


class Heard:
    """A bus and what was reported on it."""

    def __init__(self) -> None:
        self.bus = ChangeBus()
        self.reports: list[Changes] = []
        self.bus.changed.connect(self.reports.append)

    def pairs(self) -> list[frozenset]:
        return [report.pairs for report in self.reports]


@pytest.fixture
def heard():
    return Heard()


def listening(qtbot, dialog, heard):
    dialog.listen(heard.bus)
    return show(qtbot, dialog)


def _titles(view) -> list[str]:
    return [view.item(row).text() for row in range(view.count())]


def _row(view, words: str) -> int:
    return next(row for row, title in enumerate(_titles(view)) if words in title)


def test_providers_report_a_save_and_read_another_desks(qtbot, clinic, seeded, heard):
    dialog = listening(qtbot, ProvidersDialog(clinic), heard)
    assert dialog.current_id == seeded["ot"].id
    dialog.form.fields["credentials"].setText("OTR/L, CHT")
    assert dialog.save()
    assert heard.pairs() == [frozenset({("provider", seeded["ot"].id)})]
    assert heard.reports[0].origin is dialog

    # another desk adds one while a change is being typed here: listed, the typing kept
    dialog.form.fields["license_number"].setText("OT-TYPED")
    added = clinic.providers.create(last_name="Lee", first_name="Sam", role="OTA", npi=OTA_NPI)
    heard.bus.report(Changes.of_pairs([("provider", added.id)]))
    assert any(added.display_name in title for title in _titles(dialog.list))
    assert dialog.form.text("license_number") == "OT-TYPED"
    assert dialog.current_id == seeded["ot"].id
    assert dialog.saved_note.text() == CHANGED_ELSEWHERE

    # untouched, the open record is read again
    assert dialog.save()
    clinic.providers.update(seeded["ot"].id, license_number="OT-ELSEWHERE")
    heard.bus.report(Changes.of(provider=[seeded["ot"].id]))
    assert dialog.form.text("license_number") == "OT-ELSEWHERE"
    # an assistant's supervisor being chosen stays chosen when the list is read again
    dialog.list.setCurrentRow(_row(dialog.list, added.display_name))
    dialog.supervisor.setCurrentIndex(dialog.supervisor.findData(seeded["ot"].id))
    heard.bus.report(Changes.of("provider"))
    assert dialog.supervisor.currentData() == seeded["ot"].id
    assert dialog.current_id == added.id
    dialog.list.setCurrentRow(_row(dialog.list, "Kim"))
    # a report of another kind is not for this dialog
    clinic.providers.update(seeded["ot"].id, license_number="OT-UNSEEN")
    heard.bus.report(Changes.of("fee_schedule"))
    assert dialog.form.text("license_number") == "OT-ELSEWHERE"


def test_payers_report_a_save_and_list_another_desks(qtbot, clinic, seeded, heard):
    dialog = listening(qtbot, PayersDialog(clinic), heard)
    dialog.start_new()
    dialog.form.fields["name"].setText("Cascade Care")
    assert dialog.save()
    created = next(p for p in clinic.payers.list() if p.name == "Cascade Care")
    assert heard.pairs() == [frozenset({("payer", created.id)})]
    other = clinic.payers.create(name="Summit Mutual", kind="commercial")
    heard.bus.report(Changes.of(payer=[other.id]))
    assert "Summit Mutual" in " ".join(_titles(dialog.list))
    assert dialog.current_id == created.id  # still the one shown
    # a new one half filled in stays new, and no listed payer looks chosen
    dialog.start_new()
    dialog.form.fields["name"].setText("Coastal")
    clinic.payers.create(name="Harbor Plan", kind="commercial")
    heard.bus.report(Changes.of("payer"))
    assert "Harbor Plan" in " ".join(_titles(dialog.list))
    assert dialog.current_id is None and dialog.form.text("name") == "Coastal"
    assert dialog.list.selectedItems() == []


def test_the_fee_schedule_reports_its_changes_and_reads_others(qtbot, clinic, heard, tmp_path):
    dialog = listening(qtbot, FeeScheduleDialog(clinic), heard)
    rows = dialog.model.rowCount()
    dialog.code.setText("97110")
    dialog.charge.setText("61.00")
    assert dialog.add_fee()
    assert heard.pairs() == [frozenset({("fee_schedule", None)})]
    assert dialog.model.rowCount() == rows + 1
    assert dialog.export_csv(tmp_path / "fees.csv")
    assert len(heard.reports) == 1  # an export stores nothing

    clinic.fees.add("97140", charge="52.00")  # as another desk would
    heard.bus.report(Changes.of_pairs([("fee", None)]))
    assert dialog.model.rowCount() == rows + 2
    payer = clinic.payers.create(name="Cascade Care", kind="commercial")
    heard.bus.report(Changes.of(payer=[payer.id]))
    assert dialog.payer.findText("Cascade Care") >= 0


def test_patients_report_each_save_and_read_the_open_patient_again(qtbot, clinic, seeded, heard):
    ana = seeded["ana"].id
    dialog = listening(qtbot, PatientsDialog(clinic), heard)
    dialog.open_patient(ana)
    dialog.details.fields["phone"].setText("5035550123")
    assert dialog.save()
    assert heard.pairs() == [frozenset({("patient", ana)})]
    assert heard.reports[0].origin is dialog

    # renamed at another desk: the untouched form shows the new name, the search too
    dialog.search.setText("Riv")
    clinic.patients.update(ana, last_name="Rivers")
    heard.bus.report(Changes.of_pairs([("patient", ana)]))
    assert dialog.details.text("last_name") == "Rivers"
    assert dialog.results_model.rowCount() == 1
    # a form being changed here is kept, and the person told
    dialog.details.fields["city"].setText("Salem")
    clinic.patients.update(ana, last_name="Rivera")
    heard.bus.report(Changes.of(patient=[ana]))
    assert dialog.details.text("city") == "Salem"
    assert dialog.details.text("last_name") == "Rivers"
    assert dialog.patient_message.text() == CHANGED_ELSEWHERE
    # another patient's change leaves the open one alone; a new payer can be chosen
    clinic.payers.create(name="Cascade Care", kind="commercial")
    heard.bus.report(Changes.of("payer", patient=[seeded["bo"].id]))
    assert dialog.details.text("city") == "Salem"
    assert dialog.payer_choice.findText("Cascade Care") >= 0


def test_clinic_codes_report_a_removal_and_list_another_desks(qtbot, clinic, heard, monkeypatch):
    clinic.codes.add("98975", label="Remote monitoring set-up", kind="untimed")
    dialog = listening(qtbot, ClinicCodesDialog(clinic), heard)
    clinic.codes.add("98976", label="Remote monitoring, respiratory", kind="untimed")
    heard.bus.report(Changes.of("clinic_code"))
    assert dialog.table.rowCount() == 2
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    dialog.table.selectRow(0)
    dialog.remove()
    assert len(heard.reports) == 2 and heard.reports[-1].origin is dialog
    assert heard.pairs()[-1] == frozenset({("clinic_code", None)})
    assert dialog.table.rowCount() == 1 and dialog.changed


@pytest.fixture
def accounts(tmp_path, clock):
    """The encrypted clinic of signed_in.make_clinic: Ada (administrator) and Pat."""
    made, *_ = make_clinic(tmp_path / "clinic", clock, close=False)
    yield made
    made.close()


def _people(dialog) -> list[str]:
    return [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]


def test_people_report_account_changes_and_read_another_desks(qtbot, accounts, heard):
    dialog = listening(qtbot, PeopleDialog(accounts), heard)
    dialog.table.selectRow(_people(dialog).index(PAT))
    dialog.disable_or_enable()
    assert heard.pairs() == [frozenset({("account", None)})]
    assert dialog.table.item(_people(dialog).index(PAT), 3).text() == "Disabled"
    dialog.lock_minutes.setValue(7)
    dialog.save_lock_minutes()
    assert len(heard.reports) == 2

    accounts.accounts.add("sam", "Sam Ortiz", "biller", "billing on tuesdays")
    accounts.accounts.set_lock_minutes(9)
    heard.bus.report(Changes.of("account"))
    assert "sam" in _people(dialog)
    assert dialog.selected().name == PAT  # the one chosen stays chosen
    assert dialog.lock_minutes.value() == 9  # not being changed here: read again


def test_the_audit_log_reads_again_on_any_report_and_reports_its_export(
    qtbot, accounts, heard, tmp_path
):
    dialog = AuditDialog(accounts, ask_path=lambda parent, name: tmp_path / name)
    dialog = listening(qtbot, dialog, heard)
    shown = dialog.table.rowCount()
    patient = accounts.patients.create(
        last_name="Olsen", first_name="Kai", date_of_birth="1990-01-01"
    )
    heard.bus.report(Changes.of(patient=[patient.id]))
    assert dialog.table.rowCount() == shown + 1
    assert dialog.table.item(0, 2).text() == "Patient added"
    dialog.export()
    assert heard.pairs() == [frozenset({("patient", patient.id)}), frozenset({("audit", None)})]
    # a date half typed is the person's to finish: a report does not read it
    dialog.start.edit.setText("13/45")
    accounts.patients.update(patient.id, phone="5035550100")
    heard.bus.report(Changes.of(patient=[patient.id]))
    assert dialog.table.item(0, 2).text() != "Patient changed"


def test_a_dialog_opened_from_the_window_reaches_the_day_while_it_is_open(
    qtbot, window, clinic, seeded
):
    ana = seeded["ana"].id
    clinic.visits.create(ana, provider_id=seeded["ot"].id)
    window.changes.report(Changes.of("visit"))
    assert "Rivera" in window.day.visits_model.records()[0].patient_name
    seen = {}

    def rename(dialog: PatientsDialog) -> None:
        dialog.open_patient(ana)
        dialog.details.fields["last_name"].setText("Rivers")
        assert dialog.save()
        # the day list behind the dialog has it already, before the dialog closes
        seen["day"] = window.day.visits_model.records()[0].patient_name
        dialog.reject()

    from otdesk.ui import app as ui_app

    ui_app.add_management_actions(window)
    when_modal(PatientsDialog, rename)
    window.findChild(QAction, "Pa&tients…").trigger()
    assert "Rivers" in seen["day"]


def test_replacing_the_clinic_reports_everything(qtbot, window, clinic, seeded, tmp_path, clock):
    heard = Heard()
    window.changes.changed.connect(heard.reports.append)
    again = open_clinic(tmp_path / "data", clock)  # the same folder, as after a restore
    try:
        again.practice.save(name="Harbor Hands Restored")
        again.visits.create(seeded["bo"].id, provider_id=seeded["ot"].id)
        window.replace_clinic(again)
        assert heard.pairs() == [frozenset({(EVERYTHING, None)})]
        assert window.windowTitle().startswith("Harbor Hands Restored")
        assert ["Olsen" in v.patient_name for v in window.day.visits_model.records()] == [True]
    finally:
        window.replace_clinic(clinic)
        again.close()


def test_switching_the_person_reports_everything(qtbot, tmp_path, clock, settings):
    from otdesk.ui import app as ui_app
    from otdesk.ui import session

    from .signed_in import PAT_PASSWORD, FakeMonotonic, forget_style_sheet

    made, *_ = make_clinic(tmp_path / "clinic", clock, close=False)
    window = ui_app.build_window(made, clock, settings, loader=None)
    session.install(window, made, lambda: None, now=FakeMonotonic())
    qtbot.addWidget(window)
    show(qtbot, window)
    heard = Heard()
    window.changes.changed.connect(heard.reports.append)
    olsen = made.patients.search("Olsen")[0].patient.id
    try:
        shown = len(window.day.visits_model.records())
        made.visits.create(olsen, provider_id=made.providers.list()[0].id)
        qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier | Qt.ShiftModifier)  # Lock now
        screen = window.session.lock.screen
        switch_at_lock(qtbot, screen, PAT, PAT_PASSWORD)
        QApplication.processEvents()
        assert made.person.name == PAT
        assert heard.pairs() == [frozenset({(EVERYTHING, None)})]
        # the day is read again for Pat: the visit made meanwhile shows
        assert len(window.day.visits_model.records()) == shown + 1
    finally:
        window.session.watcher.stop()
        made.close()
        forget_style_sheet()


def test_a_closed_dialog_no_longer_reads_again(qtbot, clinic, heard):
    dialog = listening(qtbot, FeeScheduleDialog(clinic), heard)
    rows = dialog.model.rowCount()
    dialog.reject()  # closed; Qt deletes it a moment later
    clinic.fees.add("97140", charge="52.00")
    heard.bus.report(Changes.of("fee_schedule"))
    assert dialog.model.rowCount() == rows
