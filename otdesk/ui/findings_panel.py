"""Errors, warnings and notes from the rules engine, several at a glance: each finding is
one line (a badge, a summary such as "97140 + 97530: code pair, add XU to line 2" and a
Fix button; a deleted code's replacements each get a button on the line under it, "Change
to 97165" ...); the whole message shows under it on a click (or Enter on its ▸ button).

The panel shows what otdesk.services.finding_words made of the visit's findings; the
buttons announce `fix_requested(fix, label)` and the visit editor applies the fix.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.core.visit import Finding, Severity
from otdesk.services.finding_words import FindingView
from otdesk.ui.elided_label import ElidedLabel
from otdesk.ui.flow_layout import flow_widget
from otdesk.ui.models.findings import SEVERITY_TEXT, FindingsModel

_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class _Row(QFrame):
    """One finding: badge, summary, fixes, and its whole message on a click."""

    def __init__(self, view: FindingView, panel: FindingsPanel) -> None:
        super().__init__()
        finding = view.finding
        self.setObjectName("findingRow")
        self.setProperty("severity", str(finding.severity))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        top = QHBoxLayout()
        top.setSpacing(4)
        badge = QLabel(SEVERITY_TEXT.get(finding.severity, str(finding.severity)))
        badge.setProperty("role", "severity")
        badge.setProperty("severity", str(finding.severity))
        badge.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        top.addWidget(badge)
        self.summary = ElidedLabel(view.summary)
        self.summary.setAccessibleName(f"{SEVERITY_TEXT.get(finding.severity)}: {view.summary}")
        top.addWidget(self.summary, 1)
        self.buttons: list[QPushButton] = []
        # one fix beside the summary; several (a deleted code's replacements) on a line
        # of their own under it, wrapping if they must
        several = len(view.fixes) > 1
        holder, flow = flow_widget() if several else (None, None)
        for choice in view.fixes:
            # the summary says what a single fix does; several each say their own
            button = QPushButton(choice.button if several else "Fix")
            button.setAccessibleName(choice.label)
            button.setToolTip(f"Fix: {choice.label}")
            button.setAutoDefault(False)
            button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
            button.setMaximumWidth(button.fontMetrics().horizontalAdvance(button.text()) + 26)
            button.clicked.connect(
                lambda _=False, c=choice: panel.fix_requested.emit(c.fix, c.label)
            )
            self.buttons.append(button)
            if flow is not None:
                flow.addWidget(button)
            else:
                top.addWidget(button)
        self.toggle = QToolButton()
        self.toggle.setText("▸")
        self.toggle.setAccessibleName(f"Details of: {view.summary}")
        self.toggle.setToolTip("Show the whole message")
        self.toggle.setAutoRaise(True)
        self.toggle.setFixedWidth(self.toggle.fontMetrics().horizontalAdvance("▸") + 10)
        self.toggle.clicked.connect(self.flip)
        top.addWidget(self.toggle)
        layout.addLayout(top)
        if holder is not None:
            layout.addWidget(holder)
        self.details = QLabel(finding.message)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAccessibleName(f"Details: {finding.message}")
        self.details.setProperty("role", "hint")
        self.details.hide()
        layout.addWidget(self.details)

    def flip(self) -> None:
        shown = not self.details.isVisible()
        self.details.setVisible(shown)
        self.toggle.setText("▾" if shown else "▸")
        self.toggle.setToolTip("Hide the whole message" if shown else "Show the whole message")

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.flip()
        super().mousePressEvent(event)


class FindingsPanel(QWidget):
    fix_requested = Signal(object, str)  # the fix (plain data), what it does in words

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
        self._rows_layout.setSpacing(3)
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
        self.rows: list[_Row] = []
        # What was drawn last: the visit changes with every edit, mostly with the same
        # findings, and their rows (and the focus on a button) are kept then.
        self._drawn: list[FindingView] | None = None
        self.show_findings([])

    def set_fixes_enabled(self, enabled: bool) -> None:
        for button in self.fix_buttons:
            button.setEnabled(enabled)

    def show_findings(self, views: Sequence[FindingView]) -> None:
        """Draw the findings (errors first); the model keeps them for the counts."""
        ordered = sorted(views, key=lambda v: _ORDER.get(v.finding.severity, 3))
        if ordered == self._drawn:
            return
        self._drawn = ordered
        findings: list[Finding] = [view.finding for view in ordered]
        self.model.set_records(findings)
        while self._rows_layout.count():
            item = self._rows_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()
                item.widget().deleteLater()
        self.rows = [_Row(view, self) for view in ordered]
        self.fix_buttons = [button for row in self.rows for button in row.buttons]
        for row in self.rows:
            self._rows_layout.addWidget(row)
        self._rows_layout.addStretch(1)
        counts = self.model.counts()
        parts = []
        for severity, word in (
            (Severity.ERROR, "error"),
            (Severity.WARNING, "warning"),
            (Severity.INFO, "note"),
        ):
            if counts.get(severity):
                n = counts[severity]
                parts.append(f"{n} {word}{'' if n == 1 else 's'}")
        self.summary.setText(", ".join(parts) if parts else "No problems found.")
