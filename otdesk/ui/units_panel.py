"""The units engine's explanation for the current lines and the payer's rule."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget


class UnitsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Units explanation")
        self.total = QLabel()
        self.total.setAccessibleName("Units total")
        self.total.setProperty("role", "strong")
        self.total.setWordWrap(True)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAccessibleName("How the units were counted")
        self.text.setProperty("role", "hint")
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.text)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.total)
        layout.addWidget(scroll, 1)
        self.show_units(None, None, "")

    def show_units(self, timed_minutes: int | None, units: int | None, explanation: str) -> None:
        if units is None:
            self.total.setText("Units: no lines yet")
        else:
            word = "unit" if units == 1 else "units"
            self.total.setText(f"{timed_minutes} timed minutes · {units} {word} billed")
        self.text.setText(explanation)
