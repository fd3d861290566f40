"""Billing > Claim files: every 837P file written (newest first) and the claims the chosen
one holds; type the payer's claim number into a claim's row when the payer gives it (a
replacement or void of that visit then sends it). Save a copy of a file again if the
upload was lost."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.claim_file_dialog import AskPath, ask_copy_path
from otdesk.ui.modal import run_modal
from otdesk.ui.models.claims import ClaimFilesModel, ClaimRecordsModel


class ClaimFilesDialog(QDialog):
    def __init__(
        self, clinic: Any, parent: QWidget | None = None, *, ask_path: AskPath = ask_copy_path
    ) -> None:
        super().__init__(parent)
        self.service = clinic.claims
        self._ask_path = ask_path
        self.setWindowTitle("Claim files")
        self.resize(940, 600)
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Vertical)
        self.files_model = ClaimFilesModel(self.service.files(), self)
        self.files = QTableView()
        self.files.setAccessibleName("Claim files")
        self.files.setModel(self.files_model)
        self.files.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.files.verticalHeader().hide()
        self.files.horizontalHeader().setStretchLastSection(True)
        split.addWidget(self.files)
        self.claims_model = ClaimRecordsModel(parent=self)
        self.claims_model.edited.connect(self._payer_number)
        self.claims = QTableView()
        self.claims.setAccessibleName("Claims in the file")
        self.claims.setModel(self.claims_model)
        self.claims.verticalHeader().hide()
        self.claims.horizontalHeader().setStretchLastSection(True)
        split.addWidget(self.claims)
        layout.addWidget(split, 1)
        self.message = QLabel(
            "No claim files yet: Billing > Create claim file… makes one."
            if not self.files_model.rowCount()
            else "Type the payer's claim number in a claim's last column when the payer gives it."
        )
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Claim files message")
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.copy_button = QPushButton("Save a &copy…")
        self.copy_button.clicked.connect(self.save_copy)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.files.selectionModel().currentRowChanged.connect(lambda *_: self._show_claims())
        if self.files_model.rowCount():
            self.files.selectRow(0)
        self.copy_button.setEnabled(bool(self.files_model.rowCount()))
        self.files.resizeColumnsToContents()

    def current_file(self) -> Any:
        row = self.files.currentIndex().row()
        return self.files_model.record(row) if row >= 0 else None

    def _show_claims(self) -> None:
        file = self.current_file()
        self.claims_model.set_records(self.service.claims_in(file.id) if file else [])
        self.claims.resizeColumnsToContents()

    def _payer_number(self, row: int, number: str) -> None:
        from otdesk.services.errors import ServiceError

        record = self.claims_model.record(row)
        if record is None:
            return
        try:
            updated = self.service.set_payer_claim_number(record.id, number)
        except ServiceError as error:
            self.message.setText(str(error))
            return
        self.claims_model.replace_record(row, updated)
        self.message.setText(
            f"Visit {updated.visit_id}: payer's claim number "
            f"{updated.payer_claim_number or 'removed'}."
        )

    def save_copy(self) -> bool:
        from otdesk.export import ExportError, write_file_atomic

        file = self.current_file()
        if file is None:
            return False
        try:
            data = file.path.read_bytes()
        except OSError as error:
            self.message.setText(f"The kept file {file.path} cannot be read ({error.strerror}).")
            return False
        from otdesk.export import sha256

        if sha256(data) != file.sha256:
            self.message.setText(
                f"The kept file {file.path} is not the one written (its SHA-256 differs); "
                "make the claim file again instead of sending this copy."
            )
            return False
        path = self._ask_path(self, file.file_name)
        if not path:
            return False
        try:
            written = write_file_atomic(path, data)
        except ExportError as error:
            self.message.setText(str(error))
            return False
        self.message.setText(f"Saved a copy of claim file {file.id} as {written}.")
        return True


def ask(parent: QWidget | None, clinic: Any) -> None:
    run_modal(ClaimFilesDialog(clinic, parent))
