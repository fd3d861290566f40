"""The units engine's explanation for the current lines and the payer's rule."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class UnitsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Units explanation")
        self.total = QLabel()
        self.total.setAccessibleName("Units total")
        self.total.setProperty("role", "strong")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAccessibleName("How the units were counted")
        self.text.setProperty("role", "hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.total)
        layout.addWidget(self.text)
        layout.addStretch(1)
        self.show_units(None, None, "")

    def show_units(self, timed_minutes: int | None, units: int | None, explanation: str) -> None:
        if units is None:
            self.total.setText("Units: no lines yet")
        else:
            self.total.setText(f"{timed_minutes} timed minutes → {units} timed units")
        self.text.setText(explanation)
