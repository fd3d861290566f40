"""Tables of the Billing dialogs: the visits a claim file would hold (with what holds one
back), the claim files written, and the claims in one file."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal

from otdesk.ui.models.base import RIGHT, RecordTableModel

KIND = {"1": "Original", "7": "Replacement", "8": "Void"}


class _ClaimRowsModel(RecordTableModel[Any]):
    """The columns a claim row shows wherever it is listed: visit (version), date, account,
    payer, kind of claim, total; a subclass adds its last column (last_cell)."""

    COL_VISIT, COL_DATE, COL_ACCOUNT, COL_PAYER, COL_KIND, COL_TOTAL, COL_LAST = range(7)

    def display(self, record: Any, column: int) -> str:
        if column == self.COL_VISIT:
            return f"{record.visit_id} (v{record.version})"
        if column == self.COL_DATE:
            return f"{record.date_of_service:%m/%d/%Y}"
        if column == self.COL_ACCOUNT:
            return record.account_number
        if column == self.COL_PAYER:
            return record.payer_name
        if column == self.COL_KIND:
            resent = " (sent again)" if getattr(record, "already_in", None) is not None else ""
            return KIND[record.frequency_code] + resent
        if column == self.COL_TOTAL:
            return str(self.total(record))
        return self.last_cell(record)

    def total(self, record: Any) -> Any:
        return record.total

    def last_cell(self, record: Any) -> str:
        raise NotImplementedError

    def sort_value(self, record: Any, column: int) -> Any:
        if column == self.COL_VISIT:
            return record.visit_id
        if column == self.COL_DATE:
            return record.date_of_service.toordinal()
        if column == self.COL_TOTAL:
            return int(self.total(record).amount * 100)
        return self.display(record, column)

    def alignment(self, column: int) -> Any:
        return RIGHT if column == self.COL_TOTAL else None


class PendingClaimsModel(_ClaimRowsModel):
    """PendingClaim records (otdesk.services.claims)."""

    COL_STATE = _ClaimRowsModel.COL_LAST
    HEADERS = ("Visit", "Date", "Account", "Payer", "Claim", "Total", "Ready?")
    EXTRA_ROLES = frozenset({Qt.ItemDataRole.ForegroundRole})

    def total(self, record: Any) -> Any:
        return record.claim.total

    def last_cell(self, record: Any) -> str:
        if record.problems:
            more = len(record.problems) - 1
            return f"Held: {record.problems[0]}" + (f" (+{more} more)" if more else "")
        return "Ready"

    def tooltip(self, record: Any, column: int) -> str | None:
        lines = [*record.problems, *record.notes]
        return "\n".join(f"• {line}" for line in lines) or None

    def extra(self, row: int, record: Any, column: int, role: int) -> Any:
        if column == self.COL_STATE and record.problems:
            from PySide6.QtGui import QColor

            return QColor("#a3262a")
        return None


class ClaimFilesModel(RecordTableModel[Any]):
    """ClaimFileSummary records, newest first."""

    COL_ID, COL_WHEN, COL_INTERCHANGE, COL_USAGE, COL_CLAIMS, COL_TOTAL, COL_FILE = range(7)
    HEADERS = ("File", "Written", "Interchange", "Test?", "Claims", "Total", "File name")

    def display(self, record: Any, column: int) -> str:
        if column == self.COL_ID:
            return str(record.id)
        if column == self.COL_WHEN:
            return f"{record.created_at.astimezone():%m/%d/%Y %H:%M}"
        if column == self.COL_INTERCHANGE:
            return f"{record.interchange_control:09d}"
        if column == self.COL_USAGE:
            return "Test" if record.usage == "T" else "Production"
        if column == self.COL_CLAIMS:
            return str(record.claim_count)
        if column == self.COL_TOTAL:
            return str(record.total)
        return record.file_name

    def sort_value(self, record: Any, column: int) -> Any:
        if column in (self.COL_ID, self.COL_WHEN):
            return record.id
        if column == self.COL_CLAIMS:
            return record.claim_count
        if column == self.COL_TOTAL:
            return int(record.total.amount * 100)
        return self.display(record, column)

    def tooltip(self, record: Any, column: int) -> str | None:
        resent = f"\nSent again: {record.resend_reason}" if record.resend_reason else ""
        return f"{record.path}\nSHA-256 {record.sha256}{resent}"

    def alignment(self, column: int) -> Any:
        return RIGHT if column in (self.COL_CLAIMS, self.COL_TOTAL) else None


class ClaimRecordsModel(_ClaimRowsModel):
    """ClaimRecord records of one file; the payer's claim number is typed in place."""

    COL_PAYER_NUMBER = _ClaimRowsModel.COL_LAST
    HEADERS = ("Visit", "Date", "Account", "Payer", "Claim", "Total", "Payer's claim no.")
    edited = Signal(int, str)  # row, the payer's claim number typed

    def last_cell(self, record: Any) -> str:
        return record.payer_claim_number

    def tooltip(self, record: Any, column: int) -> str | None:
        if record.override_reason:
            return f"Sent anyway: {record.override_reason}"
        return f"Patient control number {record.patient_control_number}"

    def flags(self, index: Any) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == self.COL_PAYER_NUMBER:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Any, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        if index.column() != self.COL_PAYER_NUMBER:
            return False
        self.edited.emit(index.row(), "" if value is None else str(value).strip())
        return True

    def replace_record(self, row: int, record: Any) -> None:
        self._records[row] = record
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
