"""Procedure codes found by the code picker's search."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from otdesk.core.catalog import Procedure
from otdesk.ui.models.base import RecordTableModel

COL_CODE = 0
COL_LABEL = 1
COL_KIND = 2
COL_CATEGORY = 3

_KIND_TEXT = {
    "timed": "15-min",
    "addon": "15-min add-on",
    "untimed": "per visit",
    "item": "per item",
}
_GREY = QBrush(QColor("#777777"))


class CodeResultsModel(RecordTableModel[Procedure]):
    HEADERS = ("Code", "Description", "Billed", "Category")

    def display(self, record: Procedure, column: int) -> str:
        if column == COL_CODE:
            return record.code
        if column == COL_LABEL:
            return f"{record.label} (deleted code)" if record.deleted else record.label
        if column == COL_KIND:
            return _KIND_TEXT.get(str(record.kind), str(record.kind))
        if column == COL_CATEGORY:
            return record.category
        return ""

    def tooltip(self, record: Procedure, column: int) -> str | None:
        if record.deleted:
            return f"{record.code} is a deleted code: pick its replacement."
        kind = _KIND_TEXT.get(str(record.kind), str(record.kind))
        return f"{record.code} {record.label} ({kind})"

    def extra(self, row: int, record: Procedure, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and record.deleted:
            return _GREY
        return None
