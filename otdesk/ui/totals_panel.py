"""Charges, payments (copay) and the balance of the visit, with "Record payment"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from otdesk.core.money import Money


class TotalsPanel(QWidget):
    payment_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Totals")
        self.charges = QLabel()
        self.payments = QLabel()
        self.balance = QLabel()
        for label, name in (
            (self.charges, "Total charges"),
            (self.payments, "Payments"),
            (self.balance, "Balance"),
        ):
            label.setAccessibleName(name)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.balance.setProperty("role", "strong")
        self.record_payment = QPushButton("Record payment…")
        self.record_payment.setAccessibleName("Record a payment or copay")
        self.record_payment.setAutoDefault(False)
        self.record_payment.clicked.connect(self.payment_requested)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Charges", self.charges)
        form.addRow("Payments", self.payments)
        form.addRow("Balance", self.balance)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.record_payment, 0, Qt.AlignmentFlag.AlignRight)
        self.show_totals(Money(0), Money(0))

    def show_totals(self, charges: Money, payments: Money) -> None:
        self.charges.setText(str(charges))
        self.payments.setText(str(payments))
        self.balance.setText(str(charges - payments))
