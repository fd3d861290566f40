"""Record a copay or payment on the visit: amount, kind, method, date, reference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from otdesk.core.money import Money, MoneyError
from otdesk.ui.date_field import DateField
from otdesk.ui.modal import run_modal

KINDS = (("copay", "Copay"), ("payment", "Payment"))
METHODS = (("card", "Card"), ("cash", "Cash"), ("check", "Check"), ("other", "Other"))


@dataclass(frozen=True)
class PaymentResult:
    kind: str
    amount: Money
    method: str
    received_on: date
    reference: str


class PaymentDialog(QDialog):
    def __init__(self, parent: QWidget | None, balance: Money, today: date) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record payment")
        self.setMinimumWidth(380)
        self.amount = QLineEdit(balance.to_json() if balance.amount > 0 else "")
        self.amount.setAccessibleName("Amount")
        self.amount.setPlaceholderText("e.g. 25.00")
        self.amount.textChanged.connect(lambda _text: self._check())
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind")
        for value, text in KINDS:
            self.kind.addItem(text, value)
        self.method = QComboBox()
        self.method.setAccessibleName("Method")
        for value, text in METHODS:
            self.method.addItem(text, value)
        self.received = DateField("Received on")
        self.received.set_date(today)
        self.reference = QLineEdit()
        self.reference.setAccessibleName("Reference")
        self.reference.setPlaceholderText("Check number, card slip… (optional)")
        self.message = QLabel()
        self.message.setAccessibleName("Amount message")
        self.message.setProperty("role", "error")
        self.received.refused.connect(self.message.setText)
        form = QFormLayout()
        form.addRow("&Amount", self.amount)
        form.addRow("", self.message)
        form.addRow("&Kind", self.kind)
        form.addRow("&Method", self.method)
        form.addRow("&Received", self.received)
        form.addRow("Re&ference", self.reference)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Record")
        self.ok.setAccessibleName("Record payment")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.amount.selectAll()
        self.amount.setFocus()

    def _parsed(self) -> tuple[Money | None, str]:
        text = self.amount.text().strip()
        if not text:
            return None, "Type the amount received."
        try:
            amount = Money.parse(text)
        except (MoneyError, TypeError):
            return None, f"{text!r} is not an amount of money (e.g. 25.00)."
        if amount.amount <= 0:
            return None, "The amount must be more than zero."
        return amount, ""

    def _check(self) -> bool:
        amount, problem = self._parsed()
        self.message.setText(problem if self.amount.text().strip() else "")
        return amount is not None

    def accept(self) -> None:
        amount, problem = self._parsed()
        if amount is None:
            self.message.setText(problem)
            self.amount.setFocus()
            return
        problem = self.received.problem()
        if problem:
            self.message.setText(problem)
            self.received.setFocus()
            return
        super().accept()

    def result_value(self) -> PaymentResult:
        amount, _ = self._parsed()
        assert amount is not None
        day = self.received.date()
        assert day is not None
        return PaymentResult(
            kind=self.kind.currentData(),
            amount=amount,
            method=self.method.currentData(),
            received_on=day,
            reference=self.reference.text().strip(),
        )


def ask(parent: QWidget | None, balance: Money, today: date) -> PaymentResult | None:
    dialog = PaymentDialog(parent, balance, today)
    return dialog.result_value() if run_modal(dialog) else None
