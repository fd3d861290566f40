"""Find a patient for something other than a visit (the encounter form): the day view's
search (name, birth date, account, member ID) in a small dialog of its own. Enter or a
double click takes the highlighted patient."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.modal import run_modal
from otdesk.ui.models.patients import COL_NAME, PatientResultsModel
from otdesk.ui.search_results import chosen_row, list_of_rows, step_row

LIMIT = 30


class _Results(PatientResultsModel):
    def tooltip(self, record: Any, column: int) -> str | None:
        return None


class PatientPickDialog(QDialog):
    def __init__(
        self, patients: Any, title: str, prompt: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._patients = patients  # the patients service: search(text, limit=...)
        self.patient_id: int | None = None
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.resize(520, 380)
        self.prompt = QLabel(prompt)
        self.prompt.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Name, birth date, account or member ID")
        self.search.setAccessibleName("Find patient")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search)
        self.search.installEventFilter(self)
        self.model = _Results(parent=self)
        self.results = QTableView()
        self.results.setModel(self.model)
        self.results.setAccessibleName("Patients found")
        list_of_rows(self.results)
        self.results.horizontalHeader().setSectionResizeMode(
            COL_NAME, QHeaderView.ResizeMode.Stretch
        )
        self.results.doubleClicked.connect(lambda index: self.choose(index.row()))
        self.results.installEventFilter(self)
        self.message = QLabel()
        self.message.setProperty("role", "hint")
        self.message.setAccessibleName("Patient search message")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(lambda: self.choose())
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addWidget(self.search)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._search("")

    def _search(self, text: str) -> None:
        found = self._patients.search(text, limit=LIMIT) if text.strip() else []
        self.model.set_records(found)
        if found:
            self.results.selectRow(0)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(found))
        if not text.strip():
            self.message.setText("Type to search.")
        elif not found:
            self.message.setText(f"No patient matches “{text.strip()}”.")
        else:
            self.message.setText("Enter takes the highlighted patient.")

    def choose(self, row: int | None = None) -> bool:
        if self.model.rowCount() == 0:
            return False
        match = self.model.record(chosen_row(self.results) if row is None else row)
        if match is None:
            return False
        self.patient_id = match.patient.id
        self.accept()
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.search and key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step_row(self.results, 1 if key == Qt.Key.Key_Down else -1)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.choose()
                return True
        return super().eventFilter(watched, event)


def ask(
    parent: QWidget | None,
    patients: Any,
    title: str = "Find patient",
    prompt: str = "Find the patient.",
) -> int | None:
    """The chosen patient's id, or None when cancelled."""
    dialog = PatientPickDialog(patients, title, prompt, parent)
    return dialog.patient_id if run_modal(dialog) else None
