"""First-run set-up: the practice as the superbill prints it (name, address, phone, TIN,
group NPI, taxonomy), a first provider and the payers the clinic bills. Saved through the
services in one go; a refused field shows the services' message under it."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.forms import Form, npi_check
from otdesk.ui.modal import run_modal
from otdesk.ui.practice_dialog import practice_form

ROLES = (
    ("Occupational therapist (OT)", "OT"),
    ("OT assistant (OTA)", "OTA"),
    ("Physical therapist (PT)", "PT"),
    ("PT assistant (PTA)", "PTA"),
    ("Speech-language pathologist (SLP)", "SLP"),
)
STANDARD_PAYERS = (
    ("Medicare", "medicare", True),
    ("Medicaid", "medicaid", False),
    ("Self-pay", "self-pay", True),
)


class SetupDialog(QDialog):
    def __init__(self, clinic: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.setWindowTitle("Set up your practice")
        self.setMinimumWidth(900)
        intro = QLabel(
            "Enter your practice as its superbills should show it, and the first provider. "
            "Only the practice's name is needed now; the rest can be added later from the "
            "Clinic menu, and the superbill says what is still missing."
        )
        intro.setWordWrap(True)
        self.practice = practice_form("Practice &name")
        practice_box = QGroupBox("Practice")
        QVBoxLayout(practice_box).addWidget(self.practice)

        self.provider = Form()
        self.provider.add_text("first_name", "&First name")
        self.provider.add_text("last_name", "&Last name")
        self.provider.add_text("credentials", "&Credentials", "e.g. OTR/L")
        self.provider.add_choice("role", "&Role", list(ROLES))
        self.provider.add_text("npi", "&NPI", "10 digits", npi_check(required=True))
        provider_box = QGroupBox("First provider")
        QVBoxLayout(provider_box).addWidget(self.provider)

        payers_box = QGroupBox("Payers you bill")
        payers_layout = QVBoxLayout(payers_box)
        self.payer_boxes: list[tuple[QCheckBox, str, str]] = []
        for name, kind, checked in STANDARD_PAYERS:
            box = QCheckBox(name)
            box.setChecked(checked)
            box.setAccessibleName(f"Bill {name}")
            payers_layout.addWidget(box)
            self.payer_boxes.append((box, name, kind))
        self.commercial = QLineEdit()
        self.commercial.setPlaceholderText("A commercial plan, e.g. Blue Cross (optional)")
        self.commercial.setAccessibleName("Commercial plan name")
        payers_layout.addWidget(self.commercial)

        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setAccessibleName("Set-up message")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save set-up")
        right = QVBoxLayout()
        right.addWidget(provider_box)
        right.addWidget(payers_box)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addWidget(practice_box, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(columns)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def accept(self) -> None:
        from otdesk.services.errors import ServiceError

        if self.practice.problems() or self.provider.problems():
            return
        step = "practice"
        try:
            self.clinic.practice.save(**self.practice.values())
            step = "provider"
            if not self.clinic.providers.list():
                self.clinic.providers.create(**self.provider.values())
            step = "payers"
            existing = {p.name.lower() for p in self.clinic.payers.list()}
            wanted = [(name, kind) for box, name, kind in self.payer_boxes if box.isChecked()]
            if self.commercial.text().strip():
                wanted.append((self.commercial.text().strip(), "commercial"))
            for name, kind in wanted:
                if name.lower() not in existing:
                    self.clinic.payers.create(name=name, kind=kind)
        except ServiceError as error:
            form = self.practice if step == "practice" else self.provider
            form.show_refusal(error, self.message)
            return
        super().accept()


def ask(parent: QWidget | None, clinic: Any) -> bool:
    return run_modal(SetupDialog(clinic, parent))
