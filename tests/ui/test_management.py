"""Management dialogs over a real clinic: fee schedule (table edits, CSV import/export),
patients with policies and plans of care, payers, NCCI/MUE import with progress, and the
Clinic menu and Print superbill entries of the window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from otdesk.core.money import Money
from otdesk.ui import app as ui_app
from otdesk.ui.fee_schedule_dialog import FeeScheduleDialog
from otdesk.ui.models.fees import COL_ALLOWED, COL_CHARGE, COL_FROM, COL_LABEL, COL_TO, FeesModel
from otdesk.ui.ncci_import_dialog import NcciImportDialog
from otdesk.ui.patients_dialog import PatientsDialog
from otdesk.ui.payers_dialog import PayersDialog
from tests.ui.helpers import show, type_into_cell

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ncci"


def test_fees_model(qtmodeltester, clinic):
    clinic.fees.add("97110", charge="45.00", effective_from="2020-01-01")
    model = FeesModel(clinic.fees.list())
    qtmodeltester.check(model)
    assert model.data(model.index(0, COL_CHARGE)) == "$45.00"


def test_fee_schedule_edit_add_import_export(qtbot, clinic, tmp_path):
    dialog = show(qtbot, FeeScheduleDialog(clinic))
    dialog.code.setText("97110")
    dialog.charge.setText("45")
    dialog.start.edit.setText("02/29/2026")  # not a date: refused, nothing added
    assert not dialog.add_fee()
    assert "February 2026 has 28 days" in dialog.message.text()
    assert clinic.fees.list() == []
    dialog.start.edit.setText("01/01/2026")
    assert dialog.add_fee()
    assert [(f.code, f.charge) for f in clinic.fees.list()] == [("97110", Money("45"))]
    # each code's label; the date columns fit a date
    model, header = dialog.model, dialog.table.horizontalHeader()
    assert model.data(model.index(0, COL_LABEL)).startswith("Therapeutic exercise")
    assert model.data(model.index(0, COL_FROM)) == "01/01/2026"
    metrics = dialog.table.fontMetrics()
    assert header.sectionSize(COL_FROM) > metrics.horizontalAdvance("01/01/2026")
    assert header.sectionSize(COL_TO) > metrics.horizontalAdvance("01/01/2026")

    # edit in place; bad money is refused beside the table
    type_into_cell(qtbot, dialog.table, dialog.model.index(0, COL_CHARGE), "50.25")
    assert clinic.fees.list()[0].charge == Money("50.25")
    type_into_cell(qtbot, dialog.table, dialog.model.index(0, COL_ALLOWED), "lots")
    assert "not an amount" in dialog.message.text()
    assert clinic.fees.list()[0].allowed is None

    dialog.charge.setText("abc")
    dialog.code.setText("97140")
    assert not dialog.add_fee()
    assert "not an amount" in dialog.message.text()

    out = tmp_path / "fees.csv"
    assert dialog.export_csv(out)
    assert "97110" in out.read_text(encoding="utf-8-sig")

    bad = tmp_path / "bad.csv"
    bad.write_text("code,charge\n97140,40.00\n97530,forty\n", encoding="utf-8")
    assert not dialog.import_csv(bad)
    assert "row 3" in dialog.message.text()
    assert len(clinic.fees.list()) == 1  # nothing half-imported
    good = tmp_path / "good.csv"
    good.write_text("code,charge,effective_from\n97140,40.00,2026-01-01\n", encoding="utf-8")
    assert dialog.import_csv(good)
    assert "1 added" in dialog.message.text()
    assert dialog.model.rowCount() == 2


def test_patients_dialog_adds_a_patient_policy_and_plan(qtbot, clinic):
    dialog = show(qtbot, PatientsDialog(clinic))
    assert QApplication.focusWidget() is dialog.search  # opened to find someone
    form = dialog.details
    qtbot.keyClicks(form.fields["first_name"], "Cy")
    qtbot.keyClicks(form.fields["last_name"], "Park")
    qtbot.keyClicks(form.fields["date_of_birth"].edit, "02/30/1970")
    assert not dialog.save()
    assert form.messages["date_of_birth"].text() == (
        "Date of birth: 02/30/1970 is not a date: February 1970 has 28 days (type MM/DD/YYYY)."
    )
    assert clinic.patients.search("park") == []  # nothing saved, nothing moved to March
    form.fields["date_of_birth"].edit.setText("02/28/1970")
    assert dialog.save()
    assert dialog.patient_message.text() == "Saved."
    assert dialog.patient_message.property("role") == "note"  # not in the error's red
    patient = clinic.patients.search("park")[0].patient
    assert patient.first_name == "Cy" and str(patient.date_of_birth) == "1970-02-28"

    assert dialog.tabs.isTabEnabled(1)
    policies = dialog.policies
    policies.form.fields["member_id"].setText("1EG4TE5MK99")
    assert dialog.save_policy()
    assert [p.member_id for p in clinic.patients.policies(patient.id)] == ["1EG4TE5MK99"]

    plans = dialog.plans
    plans.form.fields["start_date"].edit.setText("03/01/2026")
    qtbot.keyClicks(plans.form.fields["referring_npi"], "1234567890")
    assert "check digit" in plans.form.messages["referring_npi"].text()
    assert not dialog.save_plan()
    plans.form.fields["referring_npi"].setText("1234567893")
    plans.form.fields["certified_through"].edit.setText("05/31/2026")
    plans.form.fields["onset_date"].edit.setText("04/31/2026")
    assert not dialog.save_plan()
    assert "April 2026 has 30 days" in plans.form.messages["onset_date"].text()
    plans.form.fields["onset_date"].edit.setText("02/20/2026")
    plans.form.fields["prior_authorization"].setText("PA-7781")
    assert dialog.save_plan()
    saved = clinic.patients.plans_of_care(patient.id)
    assert [
        (str(p.start_date), str(p.certified_through), str(p.onset_date), p.prior_authorization)
        for p in saved
    ] == [("2026-03-01", "2026-05-31", "2026-02-20", "PA-7781")]

    # find an existing patient by member ID and open them
    dialog.search.setText("ACM123")
    dialog.results.selectRow(0)
    assert form.fields["last_name"].text() == "Olsen"


def test_patients_dialog_removes_a_mistaken_policy_but_not_one_in_use(
    qtbot, clinic, monkeypatch, seeded
):
    from PySide6.QtWidgets import QMessageBox

    ana = seeded["ana"].id
    mistaken = clinic.patients.add_policy(
        ana, payer_id=seeded["commercial"].id, member_id="WRONG1", priority=2
    )
    dialog = show(qtbot, PatientsDialog(clinic))
    dialog.open_patient(ana)
    policies = dialog.policies
    dialog.tabs.setCurrentWidget(policies)
    policies.start_new()
    assert policies.remove_button.isVisible() and not policies.remove_button.isEnabled()
    assert dialog.plans.remove_button.isHidden()  # plans of care are ended, not removed

    answers = [QMessageBox.StandardButton.No]
    asked = []

    def question(_parent, _title, text):
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    titles = [policies.list.item(row).text() for row in range(policies.list.count())]
    policies.list.setCurrentRow(titles.index(next(t for t in titles if "WRONG1" in t)))
    assert policies.remove_button.isEnabled()
    assert not dialog.remove_policy()  # "No": nothing removed
    assert "WRONG1" in asked[0]
    assert mistaken.id in [p.id for p in clinic.patients.policies(ana)]
    answers.append(QMessageBox.StandardButton.Yes)
    assert dialog.remove_policy()
    assert [p.member_id for p in clinic.patients.policies(ana)] == ["1EG4TE5MK72"]
    assert policies.list.count() == 1

    # the Medicare policy is on a visit: refused, with the way out said beside the form
    clinic.visits.create(ana, provider_id=seeded["ot"].id)
    policies.list.setCurrentRow(0)
    answers.append(QMessageBox.StandardButton.Yes)
    assert not dialog.remove_policy()
    assert "end date" in policies.message.text()
    assert len(clinic.patients.policies(ana)) == 1


def test_patients_dialog_makes_a_patient_inactive_and_finds_them_again(qtbot, clinic, seeded):
    bo = seeded["bo"].id
    dialog = show(qtbot, PatientsDialog(clinic))
    dialog.open_patient(bo)
    status = dialog.details.fields["active"]
    assert status.currentData() is True
    status.setCurrentIndex(status.findData(False))
    assert dialog.save()
    assert clinic.patients.get(bo).active is False
    assert clinic.patients.search("Olsen") == []  # the day view no longer offers them

    dialog.search.setText("Olsen")  # the patients dialog still finds them
    assert dialog.results_model.rowCount() == 1
    assert dialog.results_model.index(0, 0).data() == "Olsen, Bo (inactive)"
    dialog.results.selectRow(0)
    status.setCurrentIndex(status.findData(True))
    assert dialog.save()
    assert [m.patient.id for m in clinic.patients.search("Olsen")] == [bo]


def test_payers_dialog_saves_the_rule_settings(qtbot, clinic):
    dialog = show(qtbot, PayersDialog(clinic))
    qtbot.mouseClick(dialog.new_button, Qt.LeftButton)
    form = dialog.form
    form.fields["name"].setText("State Medicaid")
    form.fields["kind"].setCurrentIndex(form.fields["kind"].findData("medicaid"))
    form.fields["ncci_applies"].setCurrentIndex(form.fields["ncci_applies"].findData(False))
    assert dialog.save()
    payer = next(p for p in clinic.payers.list() if p.name == "State Medicaid")
    assert payer.kind == "medicaid" and payer.unit_rule == "cms" and payer.ncci_applies is False
    form.fields["name"].setText("Medicare Part B")  # taken
    assert not dialog.save()
    assert "already" in form.messages["name"].text()


@pytest.mark.expect_log("otdesk.ui.worker", "WARNING")
def test_ncci_import_runs_in_a_worker_and_reports(qtbot, clinic):
    dialog = show(qtbot, NcciImportDialog(clinic))
    assert dialog.import_ptp([FIXTURES / "ptp_practitioner.txt"])
    assert "PTP edits" in dialog.result.text()
    from otdesk.core import ncci

    assert (clinic.db.path.parent / ncci.PTP_FILE_NAME).exists()
    assert not dialog.import_mue(FIXTURES / "mue_bad_value.txt")
    assert "Nothing was imported" in dialog.result.text()
    assert dialog.import_mue(FIXTURES / "mue_practitioner.csv")
    assert "MUE values" in dialog.result.text()


def test_clinic_menu_and_print_entry(qtbot, window, clinic, seeded):
    ui_app.add_management_actions(window)
    texts = [a.text().replace("&", "") for a in window.clinic_menu.actions()]
    assert texts == [
        "Practice…",
        "Providers…",
        "Payers…",
        "Fee schedule…",
        "Clinic codes…",
        "Favourite codes…",
        "Superbill settings…",
        "Patients…",
        "NCCI and MUE tables…",
    ]
    assert window.print_action.isVisible() and window.print_day_action.isVisible()
    opened = []
    visit = clinic.visits.create(seeded["ana"].id, provider_id=seeded["ot"].id)
    window.controller.open(visit.id)
    window.set_superbill_handler(lambda parent, visit_id: opened.append(visit_id))
    assert window.print_action.isVisible() and window.print_action.isEnabled()
    qtbot.keyClick(window, Qt.Key_P, Qt.ControlModifier)
    assert opened == [visit.id]


def test_favourite_codes_are_the_clinics_and_grouped(qtbot, window, clinic):
    from otdesk.ui.code_picker import group_favourites
    from otdesk.ui.favourites_dialog import FavouritesDialog

    service = window.favourite_service()
    catalog = window.editor.picker.catalog()
    dialog = show(qtbot, FavouritesDialog(service, catalog))
    before = dialog.codes()
    dialog.code.setText("97999")
    assert not dialog.add_code()
    assert "not in the procedure catalog" in dialog.message.text()
    dialog.code.setText("97033")
    if "97033" in before:
        assert not dialog.add_code()
    dialog.list.clear()
    for code in ("97530", "97165", "97035", "97110"):
        dialog.code.setText(code)
        assert dialog.add_code()
    dialog.list.setCurrentRow(3)
    qtbot.mouseClick(dialog.up, Qt.LeftButton)
    dialog.accept()
    assert service.settings().favourite_codes == ("97530", "97165", "97110", "97035")
    window.load_favourites()
    assert window.editor.picker.favourite_codes() == ["97165", "97530", "97110", "97035"]
    assert group_favourites(["97530", "97165", "G0283", "NOPE"], catalog) == [
        ("Evaluation", ("97165",)),
        ("Treatment", ("97530",)),
        ("Modalities", ("G0283",)),
    ]


def test_patients_dialog_warns_of_a_certification_past_90_days(qtbot, clinic, seeded):
    dialog = show(qtbot, PatientsDialog(clinic))
    dialog.open_patient(seeded["ana"].id)
    plans = dialog.plans
    dialog.tabs.setCurrentWidget(plans)
    plans.start_new()
    message = plans.form.messages["certified_through"]
    plans.form.fields["start_date"].edit.setText("03/01/2026")
    qtbot.keyClicks(plans.form.fields["certified_through"].edit, "05/29/2026")  # day 90
    assert message.isHidden()
    plans.form.fields["certified_through"].edit.setText("05/30/2026")  # day 91
    assert message.isVisible()
    assert "through 2026-05-29" in message.text() and "recertification" in message.text()
    assert dialog.save_plan()  # a warning, not a refusal
    saved = clinic.patients.plans_of_care(seeded["ana"].id)
    assert any(str(p.certified_through) == "2026-05-30" for p in saved)
    # choosing the saved plan again shows the warning again
    plans.start_new()
    assert message.isHidden()
    from PySide6.QtCore import Qt

    rows = [plans.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(plans.list.count())]
    plans.list.setCurrentRow(-1)
    plans.list.setCurrentRow(
        next(i for i, p in enumerate(rows) if str(p.certified_through) == "2026-05-30")
    )
    assert message.isVisible()
