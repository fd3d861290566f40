"""The practice's details (name, address, phone, TIN, group NPI checked as typed,
taxonomy), saved through the practice service."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from otdesk.ui.forms import Form, npi_check
from otdesk.ui.modal import run_modal


def practice_form(name_label: str = "&Name") -> Form:
    """The practice's fields, as the superbill prints them (the first-run set-up and
    Clinic > Practice)."""
    form = Form()
    form.add_text("name", name_label, "e.g. Harbor Hand & OT")
    form.add_text("address1", "&Address", "street and number")
    form.add_text("address2", "Address &2", "suite, floor (optional)")
    form.add_text("city", "&City")
    form.add_text("state", "&State", "2 letters", width=80)
    form.add_text("postal_code", "&ZIP", "97202 or 97202-1234", width=170)
    form.add_text("phone", "&Phone", "503-555-0100")
    form.add_text("tin", "&TIN / EIN", "12-3456789", width=170)
    form.add_text("group_npi", "&Group NPI", "10 digits", npi_check(), width=170)
    form.add_text("taxonomy", "Ta&xonomy", "e.g. 225X00000X", width=170)
    return form


class PracticeDialog(QDialog):
    def __init__(self, clinic: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.setWindowTitle("Practice")
        self.setMinimumWidth(480)
        self.form = practice_form()
        practice = clinic.practice.get()
        if practice is not None:
            self.form.set_values(asdict(practice))
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setAccessibleName("Practice message")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def accept(self) -> None:
        from otdesk.services.errors import ServiceError

        if self.form.problems():
            return
        try:
            self.clinic.practice.save(**self.form.values())
        except ServiceError as error:
            self.form.show_refusal(error, self.message)
            return
        super().accept()


def ask(parent: QWidget | None, clinic: Any) -> bool:
    return run_modal(PracticeDialog(clinic, parent))
