"""Patients: find one (name, birth date, account, member ID) or add one; their details,
insurance policies and plan-of-care episodes. Dates are typed MM/DD/YYYY (or picked); a
date that does not exist is refused beside its field before anything is saved, and a bad
NPI or a missing field gets the services' message beside it.

Opened from the Clinic menu the cursor waits in the search; opened to add a patient the
front desk was looking for, the typed name is filled in and the cursor waits in the first
field still empty."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from otdesk.core.visit import DISCIPLINES
from otdesk.ui.changes import ChangeBus, ChangeLink, Changes
from otdesk.ui.date_field import DateField
from otdesk.ui.forms import Form, npi_check
from otdesk.ui.modal import run_modal
from otdesk.ui.models.parsing import format_date
from otdesk.ui.models.patients import COL_NAME, PatientResultsModel
from otdesk.ui.records_dialog import CHANGED_ELSEWHERE, fill_list
from otdesk.ui.style import show_note

SEXES = [("Unknown", "U"), ("Female", "F"), ("Male", "M"), ("X", "X")]
RELATIONSHIPS = [("Self", "self"), ("Spouse", "spouse"), ("Child", "child"), ("Other", "other")]
PRIORITIES = [("Primary", 1), ("Secondary", 2), ("Tertiary", 3)]
# An inactive patient keeps their visits but is no longer offered by the day view's search.
PATIENT_STATUSES = [("Active", True), ("Inactive (not offered when finding a patient)", False)]


# what the dialog shows: patients (their policies and plans count as the patient), payers
KINDS = ("patient", "payer")


class _SubList(QWidget):
    """A list of a patient's records with a form, New and Save (policies, plans)."""

    def __init__(self, noun: str, parent: QWidget | None = None, removable: bool = False) -> None:
        super().__init__(parent)
        self.noun = noun
        self.current_id: int | None = None
        self.list = QListWidget()
        self.list.setAccessibleName(f"{noun.capitalize()} list")
        self.list.setMaximumHeight(110)
        self.list.currentItemChanged.connect(self._chosen)
        self.form = Form()
        self.new_button = QPushButton(f"New {noun}")
        self.new_button.setAccessibleName(f"New {noun}")
        self.new_button.clicked.connect(self.start_new)
        self.save_button = QPushButton(f"Save {noun}")
        self.save_button.setAccessibleName(f"Save {noun}")
        self.remove_button = QPushButton(f"Remove {noun}…")
        self.remove_button.setAccessibleName(f"Remove {noun}")
        self.remove_button.setVisible(removable)
        self.remove_button.setEnabled(False)
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setAccessibleName(f"{noun.capitalize()} message")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(self.form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.values_of = lambda record: {}
        self.title_of = str
        self.defaults: dict[str, Any] = {}

    def show_records(self, records: list[Any], select_id: int | None = None) -> None:
        if not fill_list(self.list, records, self.title_of, select_id):
            self.start_new()

    def _chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        record = item.data(Qt.ItemDataRole.UserRole)
        self.current_id = record.id
        self.remove_button.setEnabled(True)
        self.form.set_values(self.values_of(record))
        self.message.clear()

    def start_new(self) -> None:
        self.current_id = None
        self.remove_button.setEnabled(False)
        self.list.clearSelection()
        self.form.set_values(self.defaults)
        self.message.clear()

    def show_error(self, error: Exception) -> None:
        self.form.show_refusal(error, self.message)


class PatientsDialog(QDialog):
    def __init__(self, clinic: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.setWindowTitle("Patients")
        self.resize(940, 640)
        self.patient_id: int | None = None

        self.search = QLineEdit()
        self.search.setAccessibleName("Find patient")
        self.search.setPlaceholderText("Name, birth date, account or member ID")
        self.search.textChanged.connect(self._search)
        self.results_model = PatientResultsModel(parent=self)
        self.results = QTableView()
        self.results.setModel(self.results_model)
        self.results.setAccessibleName("Patients found")
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.verticalHeader().hide()
        self.results.setTabKeyNavigation(False)
        self.results.horizontalHeader().setSectionResizeMode(
            COL_NAME, QHeaderView.ResizeMode.Stretch
        )
        self.results.selectionModel().currentRowChanged.connect(
            lambda current, _p: self._open_row(current.row())
        )
        self.new_patient = QPushButton("&New patient")
        self.new_patient.setAccessibleName("New patient")
        self.new_patient.clicked.connect(self.start_new)
        left = QVBoxLayout()
        left.addWidget(self.search)
        left.addWidget(self.results, 1)
        left.addWidget(self.new_patient)

        self.details = Form()
        self.details.add_text("first_name", "&First name")
        self.details.add_text("middle_name", "&Middle name")
        self.details.add_text("last_name", "&Last name")
        self.details.add_date("date_of_birth", "&Date of birth", optional=False)
        self.details.add_choice("sex", "Se&x", SEXES)
        self.details.add_text("address1", "&Address")
        self.details.add_text("city", "&City")
        self.details.add_text("state", "S&tate", "2 letters")
        self.details.add_text("postal_code", "&ZIP")
        self.details.add_text("phone", "&Phone")
        self.details.add_text("account_number", "Acc&ount", "blank: next number")
        self.details.add_choice("active", "Stat&us", PATIENT_STATUSES)
        self.save_patient = QPushButton("&Save patient")
        self.save_patient.setAccessibleName("Save patient")
        self.save_patient.clicked.connect(self.save)
        self.patient_message = QLabel()
        self.patient_message.setProperty("role", "error")
        self.patient_message.setAccessibleName("Patient message")
        self.patient_message.setWordWrap(True)
        details_page = QWidget()
        details_layout = QVBoxLayout(details_page)
        details_layout.addWidget(self.details)
        details_layout.addWidget(self.patient_message)
        details_layout.addWidget(self.save_patient, 0, Qt.AlignmentFlag.AlignRight)
        details_layout.addStretch(1)

        self.policies = _SubList("policy", removable=True)
        self.policies.remove_button.clicked.connect(self.remove_policy)
        form = self.policies.form
        self.payer_choice = form.add_choice("payer_id", "Pa&yer", [])
        form.add_text("member_id", "Member &ID")
        form.add_text("group_number", "&Group number")
        form.add_text("subscriber_name", "Su&bscriber", "blank when the patient")
        form.add_date("subscriber_date_of_birth", "Subscriber's birth dat&e")
        form.add_choice("relationship", "&Relationship", RELATIONSHIPS)
        form.add_choice("priority", "&Order", PRIORITIES)
        form.add_date("effective_from", "Effective &from")
        form.add_date("effective_to", "Effective &to")
        self.policies.title_of = lambda p: (
            f"{p.payer_name} · {p.member_id} ({dict((v, k) for k, v in PRIORITIES)[p.priority]})"
        )
        self.policies.values_of = lambda p: {
            "payer_id": p.payer_id,
            "member_id": p.member_id,
            "group_number": p.group_number,
            "subscriber_name": p.subscriber_name,
            "relationship": p.relationship,
            "priority": p.priority,
            "effective_from": p.effective_from,
            "effective_to": p.effective_to,
            "subscriber_date_of_birth": p.subscriber_date_of_birth,
        }
        self.policies.defaults = {"relationship": "self", "priority": 1}
        self.policies.save_button.clicked.connect(self.save_policy)

        self.plans = _SubList("plan of care")
        form = self.plans.form
        form.add_choice("discipline", "&Discipline", [(d, d) for d in DISCIPLINES])
        form.add_date("start_date", "&Start", optional=False)
        form.add_date("certified_through", "&Certified through")
        form.add_date("last_progress_report", "Last &progress report")
        form.add_date("onset_date", "&Onset of the condition")
        form.add_text("prior_authorization", "Prior &authorization", "the payer's number")
        form.add_text("referring_name", "&Referring provider")
        form.add_text("referring_npi", "Referring &NPI", "10 digits (optional)", npi_check())
        self.plans.title_of = lambda p: (
            f"{p.discipline} from {format_date(p.start_date)}"
            + (f" to {format_date(p.certified_through)}" if p.certified_through else "")
        )
        self.plans.values_of = lambda p: {
            "discipline": p.discipline,
            "start_date": p.start_date,
            "certified_through": p.certified_through,
            "last_progress_report": p.last_progress_report,
            "onset_date": p.onset_date,
            "prior_authorization": p.prior_authorization,
            "referring_name": p.referring_name,
            "referring_npi": p.referring_npi,
        }
        self.plans.defaults = {"discipline": "OT"}
        self.plans.save_button.clicked.connect(self.save_plan)
        for name in ("start_date", "certified_through"):
            field = form.fields[name]
            (field.edit if isinstance(field, DateField) else field).textChanged.connect(
                self._warn_certification
            )
        self.plans.list.currentItemChanged.connect(self._warn_certification)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Patient pages")
        self.tabs.addTab(details_page, "Patient")
        self.tabs.addTab(self.policies, "Insurance")
        self.tabs.addTab(self.plans, "Plans of care")

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addWidget(self.tabs, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(close)
        self.created_id: int | None = None  # the patient added while the dialog was open
        self._shown: dict[str, Any] = {}  # the patient's form as last filled
        self.link = ChangeLink(self, None, (), self._changed_elsewhere)
        self._fill_payers()
        self.start_new()
        self.search.setFocus()

    # --- the change broadcast ---------------------------------------------------------------

    def listen(self, bus: ChangeBus | None) -> None:
        """Report every save on the window's broadcast; read again what another part (or
        desk) changed: the patients found, the open patient, the payers to choose from."""
        self.link = ChangeLink(self, bus, KINDS, self._changed_elsewhere)

    def _report(self, patient_id: int) -> None:
        self.link.report(patient=[patient_id])

    def _changed_elsewhere(self, changes: Changes) -> None:
        if changes.touches("payer"):
            self._fill_payers()
        self._search(self.search.text())
        patient_id = self.patient_id
        if patient_id is None or not changes.touches_one("patient", patient_id):
            return
        if self.details.values() == self._shown:
            self.open_patient(patient_id)
        else:  # what the person typed stays; saving it is their choice
            show_note(self.patient_message, CHANGED_ELSEWHERE)

    # --- finding ----------------------------------------------------------------------------

    def _search(self, text: str) -> None:
        # inactive patients too: this is where they are found to be made active again
        found = self.clinic.patients.search(text, include_inactive=True) if text.strip() else []
        self.results_model.set_records(found)

    def _open_row(self, row: int) -> None:
        match = self.results_model.record(row)
        if match is not None:
            self.open_patient(match.patient.id)

    def open_patient(self, patient_id: int) -> None:
        patient = self.clinic.patients.get(patient_id)
        self.patient_id = patient.id
        self.details.set_values(
            {
                "first_name": patient.first_name,
                "middle_name": patient.middle_name,
                "last_name": patient.last_name,
                "date_of_birth": patient.date_of_birth,
                "sex": patient.sex,
                "address1": patient.address1,
                "city": patient.city,
                "state": patient.state,
                "postal_code": patient.postal_code,
                "phone": patient.phone,
                "account_number": patient.account_number,
                "active": patient.active,
            }
        )
        self._shown = self.details.values()
        self.patient_message.clear()
        self._reload_subs()

    def start_new(self, first_name: str = "", last_name: str = "") -> None:
        """A blank patient form (the names filled in when given), the cursor in the first
        empty field."""
        self.patient_id = None
        self.details.set_values(
            {"sex": "U", "active": True, "first_name": first_name, "last_name": last_name}
        )
        self._shown = self.details.values()
        self.patient_message.setText("")
        self.policies.show_records([])
        self.plans.show_records([])
        self.tabs.setCurrentIndex(0)
        for name in ("first_name", "last_name", "date_of_birth"):
            if not self.details.text(name):
                self.details.fields[name].setFocus()
                break
        self._enable_subs()

    def _fill_payers(self) -> None:
        chosen = self.payer_choice.currentData()
        self.payer_choice.clear()
        for payer in self.clinic.payers.list():
            self.payer_choice.addItem(payer.name, payer.id)
        self.payer_choice.setCurrentIndex(max(self.payer_choice.findData(chosen), 0))

    def _reload_subs(self, policy_id: int | None = None, plan_id: int | None = None) -> None:
        if self.patient_id is not None:
            self.policies.show_records(self.clinic.patients.policies(self.patient_id), policy_id)
            self.plans.show_records(self.clinic.patients.plans_of_care(self.patient_id), plan_id)
        self._enable_subs()

    def _enable_subs(self) -> None:
        has_patient = self.patient_id is not None
        self.tabs.setTabEnabled(1, has_patient)
        self.tabs.setTabEnabled(2, has_patient)

    # --- saving -----------------------------------------------------------------------------

    def save(self) -> bool:
        from otdesk.services.errors import ServiceError

        self.details.clear_errors()
        show_note(self.patient_message, "", "error")
        if self.details.problems():
            return False
        values = self.details.values()
        try:
            if self.patient_id is None:
                patient = self.clinic.patients.create(**values)
                self.created_id = patient.id
            else:
                patient = self.clinic.patients.update(self.patient_id, **values)
        except ServiceError as error:
            self.details.show_refusal(error, self.patient_message)
            return False
        self._report(patient.id)
        self.open_patient(patient.id)
        show_note(self.patient_message, "Saved.")
        return True

    def save_policy(self) -> bool:
        return self._save_sub(
            self.policies,
            lambda values: self.clinic.patients.add_policy(self.patient_id, **values),
            lambda record_id, values: self.clinic.patients.update_policy(record_id, **values),
            "policy",
        )

    def _warn_certification(self, *_args: object) -> None:
        """Say, under Certified through, when the typed end is past the 90 days a
        certification covers (a warning: the plan still saves)."""
        form = self.plans.form
        warning = self.clinic.patients.certification_warning(
            form.text("start_date"), form.text("certified_through")
        )
        form.show_error("certified_through", warning or "")

    def save_plan(self) -> bool:
        return self._save_sub(
            self.plans,
            lambda values: self.clinic.patients.add_plan_of_care(self.patient_id, **values),
            lambda record_id, values: self.clinic.patients.update_plan_of_care(record_id, **values),
            "plan",
        )

    def remove_policy(self) -> bool:
        """Remove the selected policy after asking; one that visits use is refused (its
        end date ends it instead)."""
        from otdesk.services.errors import ServiceError

        policy_id = self.policies.current_id
        if policy_id is None:
            return False
        title = self.policies.list.currentItem().text()
        answer = QMessageBox.question(
            self,
            "Remove policy",
            f"Remove the policy {title}? Use this for a policy entered by mistake; a policy "
            "that has ended keeps its history when you set its Effective to date instead.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            self.clinic.patients.remove_policy(policy_id)
        except ServiceError as error:
            self.policies.show_error(error)
            return False
        self._report(self.patient_id)
        self._reload_subs()
        return True

    def _save_sub(self, sub: _SubList, create, update, which: str) -> bool:
        from otdesk.services.errors import ServiceError

        if self.patient_id is None or sub.form.problems():
            return False
        sub.form.clear_errors()
        values = sub.form.values()
        try:
            record = create(values) if sub.current_id is None else update(sub.current_id, values)
        except ServiceError as error:
            sub.show_error(error)
            return False
        self._report(self.patient_id)
        if which == "policy":
            self._reload_subs(policy_id=record.id)
        else:
            self._reload_subs(plan_id=record.id)
        return True


def ask(parent: QWidget | None, clinic: Any, changes: Any = None) -> None:
    """The dialog, reporting on and refreshing from `changes` (the window's ChangeBus)."""
    dialog = PatientsDialog(clinic, parent)
    dialog.listen(changes)
    run_modal(dialog)


def ask_new(
    parent: QWidget | None, clinic: Any, first_name: str, last_name: str, changes: Any = None
) -> int | None:
    """Add the patient the front desk searched for (their typed name filled in); the new
    patient's id once the dialog is closed, or None when none was saved."""
    dialog = PatientsDialog(clinic, parent)
    dialog.listen(changes)
    dialog.start_new(first_name, last_name)
    run_modal(dialog)
    return dialog.created_id
