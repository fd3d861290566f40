"""The fee schedule (records: the services' Fee), edited in place like the charge lines:
an accepted edit is announced with `edited(row, field, value)`, a refused one with
`rejected(row, column, message)`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal

from otdesk.core.money import Money, MoneyError
from otdesk.ui.models.base import RIGHT, AnyIndex, RecordTableModel
from otdesk.ui.models.parsing import InputError, format_date, parse_date

COL_CODE = 0
COL_LABEL = 1
COL_PAYER = 2
COL_CHARGE = 3
COL_ALLOWED = 4
COL_FROM = 5
COL_TO = 6

EDITABLE = {
    COL_CHARGE: "charge",
    COL_ALLOWED: "allowed",
    COL_FROM: "effective_from",
    COL_TO: "effective_to",
}
CLINIC_CHARGE = "(clinic's charge)"


def parse_money(text: str) -> Money | None:
    if not text.strip():
        return None
    try:
        amount = Money.parse(text)
    except (MoneyError, TypeError):
        raise InputError(f"{text.strip()!r} is not an amount of money (e.g. 45.00).") from None
    if amount.amount < 0:
        raise InputError("A fee cannot be negative.")
    return amount


class FeesModel(RecordTableModel):
    HEADERS = ("Code", "Service", "Payer", "Charge", "Allowed", "From", "To")
    edited = Signal(int, str, object)
    rejected = Signal(int, int, str)

    def __init__(
        self, records=(), parent=None, label_of: Callable[[str], str] | None = None
    ) -> None:
        super().__init__(records, parent)
        # a code's words (the catalog's, or the clinic code's label)
        self._label_of = label_of or (lambda _code: "")

    def display(self, record: Any, column: int) -> str:
        if column == COL_CODE:
            return record.code
        if column == COL_LABEL:
            return self._label_of(record.code)
        if column == COL_PAYER:
            return record.payer_name or CLINIC_CHARGE
        if column == COL_CHARGE:
            return "" if record.charge is None else str(record.charge)
        if column == COL_ALLOWED:
            return "" if record.allowed is None else str(record.allowed)
        if column == COL_FROM:
            return format_date(record.effective_from)
        if column == COL_TO:
            return format_date(record.effective_to)
        return ""

    def sort_value(self, record: Any, column: int) -> Any:
        if column in (COL_CHARGE, COL_ALLOWED):
            amount = record.charge if column == COL_CHARGE else record.allowed
            return -1 if amount is None else int(amount.amount * 100)
        if column in (COL_FROM, COL_TO):
            day = record.effective_from if column == COL_FROM else record.effective_to
            return day.isoformat() if day else ""
        return self.display(record, column)

    def alignment(self, column: int) -> Any:
        return RIGHT if column in (COL_CHARGE, COL_ALLOWED) else None

    def tooltip(self, record: Any, column: int) -> str | None:
        if column in (COL_FROM, COL_TO):
            return "A date as MM/DD/YYYY; blank: no limit."
        if column == COL_LABEL:
            return self._label_of(record.code) or None
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() in EDITABLE:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        column = index.column()
        if column not in EDITABLE:
            return False
        text = "" if value is None else str(value)
        try:
            parsed = parse_money(text) if column in (COL_CHARGE, COL_ALLOWED) else parse_date(text)
        except InputError as problem:
            self.rejected.emit(index.row(), column, str(problem))
            return False
        self.edited.emit(index.row(), EDITABLE[column], parsed)
        return True
