"""The visits of one day, for the day list."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from otdesk.ui.models.base import RIGHT, RecordTableModel
from otdesk.ui.models.records import VisitSummary

COL_TIME = 0
COL_PATIENT = 1
COL_PROVIDER = 2
COL_STATUS = 3
COL_TOTAL = 4

STATUS_TEXT = {
    "draft": "Draft",
    "finalized": "Final",
    "void": "Void",
    "amended": "Amended",
}
_STATUS_COLOUR = {
    "draft": QColor("#8a5a00"),
    "finalized": QColor("#1b6e2a"),
    "void": QColor("#888888"),
    "amended": QColor("#888888"),
}


class DayVisitsModel(RecordTableModel[VisitSummary]):
    HEADERS = ("Time", "Patient", "Provider", "Status", "Total")

    def display(self, record: VisitSummary, column: int) -> str:
        if column == COL_TIME:
            if record.created_at is None:
                return ""
            return record.created_at.astimezone().strftime("%H:%M")
        if column == COL_PATIENT:
            return record.patient
        if column == COL_PROVIDER:
            return record.provider
        if column == COL_STATUS:
            text = STATUS_TEXT.get(record.status, record.status)
            if record.status == "draft" and record.error_count:
                text += f" ({record.error_count} to fix)"
            return text
        if column == COL_TOTAL:
            return str(record.total)
        return ""

    def sort_value(self, record: VisitSummary, column: int) -> Any:
        if column == COL_TOTAL:
            return int(record.total.amount * 100)
        if column == COL_TIME:
            return record.created_at.timestamp() if record.created_at else 0.0
        return self.display(record, column).lower()

    def alignment(self, column: int) -> Any:
        return RIGHT if column == COL_TOTAL else None

    def tooltip(self, record: VisitSummary, column: int) -> str | None:
        parts = [f"{record.patient} - {STATUS_TEXT.get(record.status, record.status)}"]
        if record.error_count:
            parts.append(f"{record.error_count} error(s)")
        if record.warning_count:
            parts.append(f"{record.warning_count} warning(s)")
        return ", ".join(parts)

    def extra(self, row: int, record: VisitSummary, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATUS:
            colour = _STATUS_COLOUR.get(record.status)
            return QBrush(colour) if colour else None
        return None

    def row_of(self, visit_id: int) -> int:
        """The row of a visit, or -1."""
        for row, record in enumerate(self._records):
            if record.visit_id == visit_id:
                return row
        return -1
