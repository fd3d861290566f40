"""The charge lines of the visit being edited, edited in place.

The model never changes its rows itself: an accepted edit is announced with `edited(row,
field, value)`, the visit controller saves it through the services and hands back fresh
rows. A refused edit is announced with `rejected(row, column, message)` so the view can show
the message beside the cell; nothing is saved.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from otdesk.ui.models.base import CENTER, RIGHT, AnyIndex, RecordTableModel
from otdesk.ui.models.parsing import (
    InputError,
    parse_minutes,
    parse_modifiers,
    parse_pointers,
    parse_units,
)
from otdesk.ui.models.records import LineRow

COL_CODE = 0
COL_LABEL = 1
COL_MINUTES = 2
COL_UNITS = 3
COL_MODIFIERS = 4
COL_DX = 5
COL_CHARGE = 6

FIELD_OF_COLUMN = {
    COL_CODE: "code",
    COL_MINUTES: "minutes",
    COL_UNITS: "units",
    COL_MODIFIERS: "modifiers",
    COL_DX: "dx_pointers",
}
OVERRIDE_MARK = " (set)"
_TIMER_BACKGROUND = QBrush(QColor("#e3f1e6"))
_OVERRIDE_BACKGROUND = QBrush(QColor("#fff4d6"))
# What the window filled in by itself (a default nobody changed) looks like this.
_AUTO_FOREGROUND = QBrush(QColor("#4a5a78"))


def automatic_modifiers(record: Any) -> tuple[str, ...]:
    """The line's modifiers added by default and not changed since."""
    return tuple(getattr(record, "auto_modifiers", None) or ())


def automatic_pointers(record: Any) -> bool:
    return bool(getattr(record, "auto_pointers", False)) and bool(record.dx_pointers)


def _is_auto(record: Any, column: int) -> bool:
    if column == COL_MODIFIERS:
        auto = automatic_modifiers(record)
        return bool(auto) and set(record.modifiers) <= set(auto)
    return column == COL_DX and automatic_pointers(record)


class ChargeLinesModel(RecordTableModel[LineRow]):
    HEADERS = ("Code", "Service", "Minutes", "Units", "Modifiers", "Dx", "Charge")

    edited = Signal(int, str, object)  # row, field name, parsed value
    rejected = Signal(int, int, str)  # row, column, message

    def __init__(self, records=(), parent=None) -> None:
        super().__init__(records, parent)
        self._read_only = False
        self._timed_row = -1
        self._pending_minutes: dict[int, int] = {}
        self._diagnosis_count: int | None = None

    # --- state the view shows ---------------------------------------------------------------

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only

    def is_read_only(self) -> bool:
        return self._read_only

    def set_timed_row(self, row: int) -> None:
        """Mark the row whose timer runs (-1: none)."""
        if row == self._timed_row:
            return
        old, self._timed_row = self._timed_row, row
        for changed in (old, row):
            if 0 <= changed < self.rowCount():
                self.dataChanged.emit(
                    self.index(changed, 0), self.index(changed, self.columnCount() - 1)
                )

    def timed_row(self) -> int:
        return self._timed_row

    def set_pending_minutes(self, pending: dict[int, int]) -> None:
        """Timer minutes per row not yet added to the line (they are when the timer stops)."""
        if pending == self._pending_minutes:
            return
        rows = set(pending) | set(self._pending_minutes)
        self._pending_minutes = dict(pending)
        for row in rows:
            if 0 <= row < self.rowCount():
                index = self.index(row, COL_MINUTES)
                self.dataChanged.emit(index, index)

    def set_diagnosis_count(self, count: int | None) -> None:
        self._diagnosis_count = count

    def update_records(self, records) -> None:
        """New rows after a save: same number of rows keeps the view's selection."""
        records = list(records)
        if len(records) != len(self._records):
            self.set_records(records)
            return
        self._records = records
        if records:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(records) - 1, self.columnCount() - 1)
            )

    # --- Qt ---------------------------------------------------------------------------------

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and not self._read_only and index.column() in FIELD_OF_COLUMN:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if (
            role != Qt.ItemDataRole.EditRole
            or not index.isValid()
            or self._read_only
            or index.column() not in FIELD_OF_COLUMN
        ):
            return False
        row, column = index.row(), index.column()
        text = "" if value is None else str(value)
        try:
            parsed = self.parse(column, text)
        except InputError as problem:
            self.rejected.emit(row, column, str(problem))
            return False
        if parsed == self._current(row, column):
            return True
        self.edited.emit(row, FIELD_OF_COLUMN[column], parsed)
        return True

    def parse(self, column: int, text: str) -> Any:
        if column == COL_CODE:
            code = text.strip().upper()
            if not code:
                raise InputError("Type a procedure code, like 97110.")
            return code
        if column == COL_MINUTES:
            return parse_minutes(text)
        if column == COL_UNITS:
            return parse_units(text.replace(OVERRIDE_MARK, ""))
        if column == COL_MODIFIERS:
            return parse_modifiers(text)
        if column == COL_DX:
            return parse_pointers(text, self._diagnosis_count)
        raise InputError("This column cannot be edited.")

    def _current(self, row: int, column: int) -> Any:
        record = self._records[row]
        return {
            COL_CODE: record.code,
            COL_MINUTES: record.minutes,
            COL_UNITS: record.units_override,
            COL_MODIFIERS: record.modifiers,
            COL_DX: record.dx_pointers,
        }.get(column)

    # --- how rows look ----------------------------------------------------------------------

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and index.isValid()
            and index.column() == COL_MINUTES
            and self._pending_minutes.get(index.row())
        ):
            record = self._records[index.row()]
            return f"{record.minutes} +{self._pending_minutes[index.row()]} timer"
        return super().data(index, role)

    def display(self, record: LineRow, column: int) -> str:
        if column == COL_CODE:
            return record.code
        if column == COL_LABEL:
            return record.label
        if column == COL_MINUTES:
            return str(record.minutes)
        if column == COL_UNITS:
            mark = OVERRIDE_MARK if record.units_override is not None else ""
            return f"{record.units}{mark}"
        if column == COL_MODIFIERS:
            return " ".join(record.modifiers)
        if column == COL_DX:
            return "".join(record.dx_pointers)
        if column == COL_CHARGE:
            return "" if record.charge is None else str(record.charge)
        return ""

    def edit_value(self, record: LineRow, column: int) -> Any:
        if column == COL_UNITS:
            return "" if record.units_override is None else str(record.units_override)
        if column == COL_MODIFIERS:
            return ", ".join(record.modifiers)
        return self.display(record, column)

    def sort_value(self, record: LineRow, column: int) -> Any:
        if column == COL_MINUTES:
            return record.minutes
        if column == COL_UNITS:
            return record.units
        if column == COL_CHARGE:
            return -1 if record.charge is None else int(record.charge.amount * 100)
        return self.display(record, column)

    def tooltip(self, record: LineRow, column: int) -> str | None:
        if column == COL_UNITS:
            if record.units_override is not None:
                reason = record.override_reason or "no reason given"
                return f"Units set by hand ({reason}). Clear the cell to compute them again."
            if not record.timed:
                return "Untimed code: 1 unit per service."
            return "Computed from the minutes. Type a number to set the units by hand."
        if column == COL_CHARGE and record.charge is None:
            return "No fee for this code in the fee schedule."
        if column == COL_MINUTES and getattr(record, "timer", None) is not None:
            return "The timer's minutes are added to the line when the timer stops."
        if column == COL_DX:
            if automatic_pointers(record):
                return (
                    "Pointed at A automatically: the visit has one diagnosis. Type letters "
                    "(A-L, e.g. AB) to choose others."
                )
            return "Diagnosis pointers: letters of the diagnosis list (A-L), e.g. AB."
        if column == COL_MODIFIERS:
            auto = automatic_modifiers(record)
            if auto:
                return (
                    f"{' and '.join(auto)} added automatically: the payer and the provider "
                    "call for them on this line. Type to change the modifiers (up to 4)."
                )
            return "Modifiers, e.g. GO 59 (up to 4)."
        if column == COL_CODE:
            return "F2 or a double click changes this line's code."
        if column == COL_LABEL:
            return record.label
        return None

    def alignment(self, column: int) -> Any:
        if column in (COL_MINUTES, COL_UNITS, COL_CHARGE):
            return RIGHT
        if column == COL_DX:
            return CENTER
        return None

    def extra(self, row: int, record: LineRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole:
            if row == self._timed_row:
                return _TIMER_BACKGROUND
            if column == COL_UNITS and record.units_override is not None:
                return _OVERRIDE_BACKGROUND
        if role == Qt.ItemDataRole.FontRole:
            if column == COL_UNITS and record.units_override is not None:
                font = QFont()
                font.setBold(True)
                return font
            if _is_auto(record, column):
                font = QFont()
                font.setItalic(True)
                return font
        if role == Qt.ItemDataRole.ForegroundRole and _is_auto(record, column):
            return _AUTO_FOREGROUND
        return None
