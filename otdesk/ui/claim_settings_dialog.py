"""Billing > Claim settings: who sends the claim files (submitter, contact), to which
clearinghouse (receiver), test or production, and each payer's payer ID and claim filing
indicator. Nothing is saved until Save."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.forms import Form
from otdesk.ui.modal import run_modal

COL_NAME, COL_ID, COL_FILING = range(3)


class ClaimSettingsDialog(QDialog):
    def __init__(self, clinic: Any, parent: QWidget | None = None) -> None:
        from otdesk.services.claims import FILING_BY_KIND, ID_QUALIFIERS
        from otdesk.services.setup import CLAIM_FILING_INDICATORS

        super().__init__(parent)
        self.clinic = clinic
        self.service = clinic.claims
        self.setWindowTitle("Claim settings")
        self.setMinimumWidth(620)
        qualifiers = [(f"{code} – {words}", code) for code, words in ID_QUALIFIERS.items()]
        self.form = Form()
        self.form.add_text(
            "submitter_name", "&Submitter name", "the clinic, as the clearinghouse knows it"
        )
        self.form.add_text("submitter_id", "Submitter &ID", "given by the clearinghouse")
        self.form.add_choice("submitter_qualifier", "Submitter ID &qualifier", qualifiers)
        self.form.add_text("contact_name", "&Contact name")
        self.form.add_text("contact_phone", "Contact &phone", "503-555-0100")
        self.form.add_text("contact_email", "Contact &email")
        self.form.add_text("receiver_name", "&Receiver (clearinghouse)")
        self.form.add_text("receiver_id", "Receiver I&D", "given by the clearinghouse")
        self.form.add_choice("receiver_qualifier", "Receiver ID q&ualifier", qualifiers)
        self.form.add_choice(
            "usage", "Files &are", [("Test files (T)", "T"), ("Production files (P)", "P")]
        )  # fmt: skip
        self.form.set_values(asdict(self.service.settings()))

        payers_box = QGroupBox("Payers")
        column = QVBoxLayout(payers_box)
        self.payers = [p for p in clinic.payers.list() if p.kind != "self-pay"]
        self.table = QTableWidget(len(self.payers), 3)
        self.table.setAccessibleName("Payers' claim IDs")
        self.table.setHorizontalHeaderLabels(["Payer", "Payer ID", "Claim filing indicator"])
        self.table.verticalHeader().hide()
        self.filing_boxes: list[QComboBox] = []
        self.id_edits: list[QLineEdit] = []
        for row, payer in enumerate(self.payers):
            name = QTableWidgetItem(payer.name)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, COL_NAME, name)
            edit = QLineEdit(payer.payer_code)
            edit.setAccessibleName(f"Payer ID of {payer.name}")
            self.table.setCellWidget(row, COL_ID, edit)
            self.id_edits.append(edit)
            box = QComboBox()
            box.setAccessibleName(f"Claim filing indicator of {payer.name}")
            usual = FILING_BY_KIND.get(payer.kind, "CI")
            box.addItem(f"Usual for {payer.kind} ({usual})", "")
            for code, words in CLAIM_FILING_INDICATORS.items():
                box.addItem(f"{code} – {words}", code)
            box.setCurrentIndex(max(0, box.findData(payer.claim_filing_indicator or "")))
            self.table.setCellWidget(row, COL_FILING, box)
            self.filing_boxes.append(box)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        column.addWidget(self.table)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setProperty("role", "error")
        self.message.setAccessibleName("Claim settings message")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(payers_box, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def accept(self) -> None:
        from otdesk.services.errors import ServiceError

        try:
            self.service.save_settings(**self.form.values())
            for payer, edit, box in zip(self.payers, self.id_edits, self.filing_boxes, strict=True):
                code, filing = edit.text().strip(), box.currentData() or ""
                if code != payer.payer_code or filing != (payer.claim_filing_indicator or ""):
                    self.service.set_payer(payer.id, payer_code=code, filing=filing)
        except ServiceError as error:
            self.form.show_refusal(error, self.message)
            return
        super().accept()


def ask(parent: QWidget | None, clinic: Any) -> bool:
    return run_modal(ClaimSettingsDialog(clinic, parent))
