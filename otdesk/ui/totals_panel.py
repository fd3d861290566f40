"""Charges, payments (copay) and the balance of the visit, with "Record payment"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

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
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        for column, (text, label) in enumerate(
            (("Charges", self.charges), ("Payments", self.payments), ("Balance", self.balance))
        ):
            caption = QLabel(text)
            caption.setProperty("role", "hint")
            grid.addWidget(caption, 0, column)
            grid.addWidget(label, 1, column)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(self.record_payment, 0, 3, 2, 1, Qt.AlignmentFlag.AlignVCenter)
        grid.setColumnStretch(2, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        self.show_totals(Money(0), Money(0))

    def show_totals(self, charges: Money, payments: Money) -> None:
        self.charges.setText(str(charges))
        self.payments.setText(str(payments))
        self.balance.setText(str(charges - payments))
