"""Findings of the rules engine for the visit being edited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from otdesk.core.visit import Finding, Severity
from otdesk.ui.models.base import RecordTableModel

COL_SEVERITY = 0
COL_MESSAGE = 1
COL_FIX = 2

SEVERITY_TEXT = {Severity.ERROR: "Error", Severity.WARNING: "Warning", Severity.INFO: "Info"}
SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
SEVERITY_COLOUR = {
    Severity.ERROR: QColor("#b00020"),
    Severity.WARNING: QColor("#8a5a00"),
    Severity.INFO: QColor("#1d4f91"),
}

FixLabel = Callable[[Finding], str | None]


def default_fix_label(finding: Finding) -> str | None:
    """The button text of a finding's fix: its "label" when the fix carries one."""
    if not finding.fix:
        return None
    label = finding.fix.get("label") or finding.fix.get("description")
    return str(label) if label else "Fix"


class FindingsModel(RecordTableModel[Finding]):
    HEADERS = ("Severity", "Finding", "Fix")

    def __init__(self, records=(), parent=None, fix_label: FixLabel = default_fix_label):
        super().__init__(records, parent)
        self._fix_label = fix_label

    def fix_label(self, finding: Finding) -> str | None:
        return self._fix_label(finding)

    def display(self, record: Finding, column: int) -> str:
        if column == COL_SEVERITY:
            return SEVERITY_TEXT.get(record.severity, str(record.severity))
        if column == COL_MESSAGE:
            return record.message
        if column == COL_FIX:
            return self._fix_label(record) or ""
        return ""

    def sort_value(self, record: Finding, column: int) -> Any:
        if column == COL_SEVERITY:
            return SEVERITY_RANK.get(record.severity, 9)
        return self.display(record, column)

    def tooltip(self, record: Finding, column: int) -> str | None:
        return f"{record.message} [{record.rule}]"

    def extra(self, row: int, record: Finding, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_SEVERITY:
            return QBrush(SEVERITY_COLOUR.get(record.severity, QColor("black")))
        return None

    def counts(self) -> dict[Severity, int]:
        out = {severity: 0 for severity in Severity}
        for finding in self._records:
            out[finding.severity] = out.get(finding.severity, 0) + 1
        return out
