"""The visits of one day, for the day list (records: the services' VisitSummary): the
appointment time, the patient's whole name, the provider with credentials, the status and
the total."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from otdesk.core.visit import VisitStatus
from otdesk.ui.models.base import DETAIL_ROLE, RIGHT, RecordTableModel
from otdesk.ui.models.parsing import format_time

COL_TIME = 0
COL_PATIENT = 1
COL_PROVIDER = 2
COL_STATUS = 3
COL_TOTAL = 4

STATUS_TEXT = {
    VisitStatus.DRAFT: "Draft",
    VisitStatus.FINALIZED: "Final",
    VisitStatus.VOID: "Void",
    VisitStatus.AMENDED: "Amended",
}
_STATUS_COLOUR = {
    VisitStatus.DRAFT: QColor("#8a5a00"),
    VisitStatus.FINALIZED: QColor("#1b6e2a"),
    VisitStatus.VOID: QColor("#777777"),
    VisitStatus.AMENDED: QColor("#777777"),
}


def time_text(record: Any) -> str:
    """The appointment's time, e.g. "9:30 AM"; empty when not known."""
    return format_time(getattr(record, "appointment_time", None))


def status_text(record: Any) -> str:
    text = STATUS_TEXT.get(record.status, record.status)
    if record.version > 1 and record.status in (VisitStatus.DRAFT, VisitStatus.FINALIZED):
        text += f" v{record.version}"
    return text


def status_detail(record: Any) -> str:
    """What is left on a draft: "1 to fix" (errors), else "" ."""
    if record.status == VisitStatus.DRAFT and record.error_count:
        return f"{record.error_count} to fix"
    return ""


class DayVisitsModel(RecordTableModel):
    HEADERS = ("Time", "Patient", "Provider", "Status", "Total")

    def display(self, record: Any, column: int) -> str:
        if column == COL_TIME:
            return time_text(record)
        if column == COL_PATIENT:
            return record.patient_name
        if column == COL_PROVIDER:
            return record.provider_name
        if column == COL_STATUS:
            return status_text(record)
        if column == COL_TOTAL:
            return str(record.total)
        return ""

    def sort_value(self, record: Any, column: int) -> Any:
        if column == COL_TOTAL:
            return int(record.total.amount * 100)
        if column == COL_TIME:
            at = getattr(record, "appointment_time", None)
            return at.isoformat() if at is not None else "99"  # no time: last
        return self.display(record, column).lower()

    def alignment(self, column: int) -> Any:
        return RIGHT if column == COL_TOTAL else None

    def tooltip(self, record: Any, column: int) -> str | None:
        parts = [time_text(record) or "no appointment time"]
        parts += [
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
        if role == DETAIL_ROLE:
            if column == COL_PATIENT:
                return record.provider_name
            if column == COL_STATUS:
                return status_detail(record)
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATUS:
            colour = _STATUS_COLOUR.get(record.status)
            return QBrush(colour) if colour else None
        if role == Qt.ItemDataRole.FontRole and record.status in (
            VisitStatus.VOID,
            VisitStatus.AMENDED,
        ):
            from PySide6.QtGui import QFont

            font = QFont()
            font.setStrikeOut(record.status == VisitStatus.VOID)
            return font
        return None

    def row_of(self, visit_id: int) -> int:
        """The row of a visit, or -1."""
        for row, record in enumerate(self._records):
            if record.id == visit_id:
                return row
        return -1
