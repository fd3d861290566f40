"""Clinic > Audit log (administrators): who did what and when, filtered by person, days and
patient, and Export CSV. The reading and the CSV are services.audit_log's; this dialog only
asks and shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.changes import ChangeBus, ChangeLink, Changes
from otdesk.ui.date_field import DateField
from otdesk.ui.modal import run_modal

COLUMNS = ("When", "Who", "Action", "Record", "Details")


def ask_csv_path(parent: QWidget | None, suggested: str) -> Path | None:
    """The file to export to (a seam: tests answer instead of the file dialog)."""
    path, _ = QFileDialog.getSaveFileName(parent, "Export the audit log", suggested, "CSV (*.csv)")
    return Path(path) if path else None


class AuditDialog(QDialog):
    def __init__(self, clinic: Any, parent: QWidget | None = None, ask_path=ask_csv_path) -> None:
        from otdesk.services import audit_log

        super().__init__(parent)
        self.clinic = clinic
        self._ask_path = ask_path
        self.setWindowTitle("Audit log")
        self.setMinimumSize(1000, 560)
        self.person = QComboBox()
        self.person.setAccessibleName("Person")
        self.person.addItem("Everyone", None)
        for name in audit_log.people(clinic.ctx):
            self.person.addItem(name, name)
        self.start = DateField("From", optional=True, keep_refused=True)
        self.end = DateField("To", optional=True, keep_refused=True)
        for field in (self.start, self.end):
            field.edit.setPlaceholderText("MM/DD/YYYY")  # blank is any day; the width fits
        self.patient = QComboBox()
        self.patient.setAccessibleName("Patient")
        self.patient.setEditable(True)
        self.patient.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.patient.addItem("Every patient", None)
        for patient in audit_log.patient_choices(clinic.ctx):
            self.patient.addItem(patient[1], patient[0])
        self.show_button = QPushButton("&Show")
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.refresh)
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.clicked.connect(self.export)
        filters = QHBoxLayout()
        for text, widget in (
            ("&Person", self.person),
            ("&From", self.start),
            ("&To", self.end),
            ("P&atient", self.patient),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget, 1 if widget is self.patient else 0)
        filters.addWidget(self.show_button)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Audit entries")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Audit log message")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.link = ChangeLink(self, None, (), self._changed_elsewhere)
        self.refresh()

    def listen(self, bus: ChangeBus | None) -> None:
        """Every stored change writes to the log: read it again on any report (from
        another part or desk), with the filter as it is."""
        self.link = ChangeLink(self, bus, (), self._changed_elsewhere)

    def _changed_elsewhere(self, _changes: Changes) -> None:
        if any(field.problem() for field in (self.start, self.end)):
            return  # a half-typed date: the person's Show reads it, not a broadcast
        self.refresh()

    def wanted(self) -> Any:
        """The filter as typed; None (and a message) when a date is not one."""
        from otdesk.services.audit_log import AuditFilter

        for field in (self.start, self.end):
            problem = field.problem()
            if problem:
                self.say(problem, error=True)
                field.setFocus()
                return None
        index = self.patient.currentIndex()
        typed = self.patient.currentText()
        patient_id = self.patient.itemData(index) if self.patient.itemText(index) == typed else None
        if patient_id is None and typed and typed != self.patient.itemText(0):
            found = self.patient.findText(typed)
            if found < 0:
                self.say(f"Patient: no patient is called {typed}; pick one from the list.", True)
                self.patient.setFocus()
                return None
            patient_id = self.patient.itemData(found)
        return AuditFilter(
            person=self.person.currentData(),
            start=self.start.typed_date(),
            end=self.end.typed_date(),
            patient_id=patient_id,
        )

    def refresh(self) -> None:
        from otdesk.services import audit_log
        from otdesk.services.errors import ServiceError

        wanted = self.wanted()
        if wanted is None:
            return
        try:
            found = audit_log.entries(self.clinic.ctx, wanted)
        except ServiceError as error:
            self.say(str(error), error=True)
            return
        self.table.setRowCount(len(found))
        for row, entry in enumerate(found):
            record = entry.entity + (f" {entry.entity_id}" if entry.entity_id is not None else "")
            cells = (
                entry.at.astimezone().strftime("%m/%d/%Y %H:%M:%S"),
                entry.user,
                entry.what,
                record,
                entry.details,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == len(cells) - 1:
                    item.setToolTip(text)
                elif column == 2:
                    item.setToolTip(entry.action)  # the code, as the CSV has it
                self.table.setItem(row, column, item)
        more = (
            " (the newest; Export CSV has them all)" if len(found) == audit_log.SHOWN_LIMIT else ""
        )
        self.say(f"{len(found)} entries{more}.")

    def export(self) -> None:
        from otdesk.services import audit_log
        from otdesk.services.errors import ServiceError

        wanted = self.wanted()
        if wanted is None:
            return
        path = self._ask_path(self, "audit-log.csv")
        if path is None:
            return
        try:
            count = audit_log.export_csv(self.clinic.ctx, wanted, path)
        except (ServiceError, OSError) as error:
            self.say(f"The audit log was not exported: {error}", error=True)
            return
        self.link.report("audit")  # the export is recorded in the log
        self.say(f"{count} entries written to {path}.")

    def say(self, text: str, error: bool = False) -> None:
        self.message.setProperty("role", "error" if error else "")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)


def show(parent: QWidget | None, clinic: Any, changes: ChangeBus | None = None) -> None:
    """Clinic > Audit log, refreshing from `changes` (the window's ChangeBus)."""
    dialog = AuditDialog(clinic, parent)
    dialog.listen(changes)
    run_modal(dialog)
