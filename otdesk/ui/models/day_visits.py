"""The visits of one day, for the day list (records: the services' VisitSummary)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from otdesk.ui.models.base import RIGHT, RecordTableModel

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
    "void": QColor("#777777"),
    "amended": QColor("#777777"),
}


def short_provider(name: str) -> str:
    """ "Dana Kim, OTR/L" -> "Kim": the day list is narrow; the tooltip has the rest."""
    words = name.split(",")[0].split()
    return words[-1] if words else name


def started_text(record: Any) -> str:
    """The local time the visit was started, e.g. "09:05"; empty when not known."""
    started = record.started_at
    return started.astimezone().strftime("%H:%M") if started is not None else ""


def status_text(record: Any) -> str:
    text = STATUS_TEXT.get(record.status, record.status)
    if record.version > 1 and record.status in ("draft", "finalized"):
        text += f" v{record.version}"
    if record.status == "draft" and record.error_count:
        text += f" ({record.error_count} to fix)"
    return text


class DayVisitsModel(RecordTableModel):
    HEADERS = ("Time", "Patient", "Provider", "Status", "Total")

    def display(self, record: Any, column: int) -> str:
        if column == COL_TIME:
            return started_text(record)
        if column == COL_PATIENT:
            return record.patient_name
        if column == COL_PROVIDER:
            return short_provider(record.provider_name)
        if column == COL_STATUS:
            return status_text(record)
        if column == COL_TOTAL:
            return str(record.total)
        return ""

    def sort_value(self, record: Any, column: int) -> Any:
        if column == COL_TOTAL:
            return int(record.total.amount * 100)
        if column == COL_TIME:
            return record.started_at.isoformat() if record.started_at is not None else ""
        return self.display(record, column).lower()

    def alignment(self, column: int) -> Any:
        return RIGHT if column == COL_TOTAL else None

    def tooltip(self, record: Any, column: int) -> str | None:
        parts = [
            f"{record.patient_name} ({record.account_number})"
            if record.account_number
            else record.patient_name
        ]
        parts.append(record.provider_name)
        parts.append(STATUS_TEXT.get(record.status, record.status))
        if record.payer_name:
            parts.append(record.payer_name)
        if record.error_count:
            parts.append(f"{record.error_count} error(s)")
        if record.warning_count:
            parts.append(f"{record.warning_count} warning(s)")
        parts.append(f"paid {record.paid}")
        return " · ".join(parts)

    def extra(self, row: int, record: Any, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATUS:
            colour = _STATUS_COLOUR.get(record.status)
            return QBrush(colour) if colour else None
        if role == Qt.ItemDataRole.FontRole and record.status in ("void", "amended"):
            from PySide6.QtGui import QFont

            font = QFont()
            font.setStrikeOut(record.status == "void")
            return font
        return None

    def row_of(self, visit_id: int) -> int:
        """The row of a visit, or -1."""
        for row, record in enumerate(self._records):
            if record.id == visit_id:
                return row
        return -1
