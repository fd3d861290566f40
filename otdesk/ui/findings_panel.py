"""Errors, warnings and information from the rules engine, each with its one-click fix.

The rows are drawn from a FindingsModel (rebuilt when a reset brings other findings) as wrapped text
and real buttons, so long messages stay readable and every fix is reachable with Tab.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from otdesk.core.visit import Finding, Severity
from otdesk.ui.models.findings import SEVERITY_TEXT, FindingsModel

_BADGE_STYLE = {
    Severity.ERROR: "background:#b00020;color:white;",
    Severity.WARNING: "background:#f0b400;color:black;",
    Severity.INFO: "background:#1d4f91;color:white;",
}


class FindingsPanel(QWidget):
    fix_requested = Signal(object)  # Finding

    def __init__(self, model: FindingsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setAccessibleName("Findings")
        self.summary = QLabel()
        self.summary.setAccessibleName("Findings summary")
        self.summary.setProperty("role", "caption")

        self._rows = QWidget()
        self._rows_layout = QVBoxLayout(self._rows)
        self._rows_layout.setContentsMargins(0, 0, 4, 0)
        self._rows_layout.setSpacing(6)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._rows)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll = scroll

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        self.fix_buttons: list[QPushButton] = []
        # The findings last drawn: the model resets on every change to the visit, mostly
        # with the same findings, and their rows are kept then.
        self._drawn: list[Finding] | None = None
        model.modelReset.connect(self._rebuild)
        self._rebuild()

    def set_fixes_enabled(self, enabled: bool) -> None:
        for button in self.fix_buttons:
            button.setEnabled(enabled)

    def _rebuild(self) -> None:
        findings = self.model.records()
        if findings == self._drawn:
            return
        self._drawn = findings
        while self._rows_layout.count():
            item = self._rows_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.fix_buttons = []
        counts = self.model.counts()
        if not findings:
            self.summary.setText("No problems found.")
        else:
            parts = []
            for severity, word in (
                (Severity.ERROR, "error"),
                (Severity.WARNING, "warning"),
                (Severity.INFO, "note"),
            ):
                if counts.get(severity):
                    n = counts[severity]
                    parts.append(f"{n} {word}{'' if n == 1 else 's'}")
            self.summary.setText(", ".join(parts))
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        for finding in sorted(findings, key=lambda f: order.get(f.severity, 3)):
            self._rows_layout.addWidget(self._row(finding))
        self._rows_layout.addStretch(1)

    def _row(self, finding: Finding) -> QWidget:
        row = QFrame()
        row.setObjectName("findingRow")
        row.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(row)
        layout.setContentsMargins(6, 4, 6, 4)
        top = QHBoxLayout()
        badge = QLabel(SEVERITY_TEXT.get(finding.severity, str(finding.severity)))
        badge.setStyleSheet(
            _BADGE_STYLE.get(finding.severity, "") + "border-radius:3px;padding:1px 6px;"
        )
        badge.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        top.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        message = QLabel(finding.message)
        message.setWordWrap(True)
        message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        message.setAccessibleName(f"{SEVERITY_TEXT.get(finding.severity)}: {finding.message}")
        top.addWidget(message, 1)
        layout.addLayout(top)
        label = self.model.fix_label(finding)
        if label:
            button = QPushButton(label)
            button.setAccessibleName(label)
            button.setToolTip(f"Fix: {label}")
            button.setAutoDefault(False)
            button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _=False, f=finding: self.fix_requested.emit(f))
            self.fix_buttons.append(button)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignRight)
        return row
