"""The visit's ordered diagnosis list, lettered A-L."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from otdesk.core.visit import DX_LETTERS
from otdesk.ui.models.base import CENTER, RecordTableModel
from otdesk.ui.models.records import DiagnosisRow

COL_LETTER = 0
COL_CODE = 1
COL_DESCRIPTION = 2

_WARN = QBrush(QColor("#8a5a00"))


class DiagnosesModel(RecordTableModel[DiagnosisRow]):
    HEADERS = ("", "Code", "Description")

    def display(self, record: DiagnosisRow, column: int) -> str:
        if column == COL_LETTER:
            return record.letter
        if column == COL_CODE:
            return record.code
        if column == COL_DESCRIPTION:
            if record.billable is False:
                return f"{record.description} - not billable, pick a more specific code"
            return record.description
        return ""

    def sort_value(self, record: DiagnosisRow, column: int) -> Any:
        if column == COL_LETTER:
            return DX_LETTERS.find(record.letter)
        return self.display(record, column)

    def alignment(self, column: int) -> Any:
        return CENTER if column == COL_LETTER else None

    def tooltip(self, record: DiagnosisRow, column: int) -> str | None:
        return f"{record.letter}: {record.code} {record.description}".strip()

    def extra(self, row: int, record: DiagnosisRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and record.billable is False:
            return _WARN
        return None

    def codes(self) -> list[str]:
        return [record.code for record in self._records]


DX_COL_CODE = 0
DX_COL_DESCRIPTION = 1
DX_COL_BILLABLE = 2
_BILLABLE = QBrush(QColor("#1b5e20"))


def billable_first(found: list) -> list:
    """Search results with the billable codes first (in their order), then categories:
    "M62.8" lists M62.81, M62.82 ... before M62.8 and M62.83 themselves."""
    return [d for d in found if d.billable] + [d for d in found if not d.billable]


class DxResultsModel(RecordTableModel):
    """ICD-10-CM search results (records are otdesk.core.icd.Diagnosis)."""

    HEADERS = ("Code", "Description", "")

    def display(self, record, column: int) -> str:
        if column == DX_COL_CODE:
            return record.code
        if column == DX_COL_DESCRIPTION:
            return record.description
        if column == DX_COL_BILLABLE:
            return "billable" if record.billable else "category ›"
        return ""

    def tooltip(self, record, column: int) -> str | None:
        if record.billable:
            return f"{record.code} {record.description} (billable)"
        return (
            f"{record.code} {record.description}: a category, not billable. Enter opens "
            "its billable codes."
        )

    def extra(self, row: int, record, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            if not record.billable:
                return _WARN
            if column == DX_COL_BILLABLE:
                return _BILLABLE
        return None
