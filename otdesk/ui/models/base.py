"""A read-mostly table model over a list of plain records, the base of every otdesk model.

Each subclass names its columns with COL_* constants, a header per column and how a column
shows, sorts and (where editable) reads a value. RECORD_ROLE hands a view the record itself;
SORT_ROLE gives a value that sorts naturally (numbers as numbers, money in cents).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
# A cell's second, smaller line (drawn by otdesk.ui.two_line_delegate), from extra().
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 3

R = TypeVar("R")
AnyIndex = QModelIndex | QPersistentModelIndex


_BASE_ROLES = frozenset(
    {
        RECORD_ROLE,
        SORT_ROLE,
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.EditRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.TextAlignmentRole,
    }
)


class RecordTableModel(QAbstractTableModel, Generic[R]):
    """Rows are records; columns are described by the subclass."""

    HEADERS: ClassVar[tuple[str, ...]] = ()
    # Roles extra() answers (colours, fonts); views ask for many roles per cell, and the
    # ones nobody answers are turned away first (it keeps typing-speed searches fast).
    EXTRA_ROLES: ClassVar[frozenset[int]] = frozenset(
        {
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.BackgroundRole,
            Qt.ItemDataRole.FontRole,
            DETAIL_ROLE,
        }
    )

    def __init__(self, records: Sequence[R] = (), parent=None) -> None:
        super().__init__(parent)
        self._records: list[R] = list(records)

    # --- records ---------------------------------------------------------------------------

    def set_records(self, records: Sequence[R]) -> None:
        """Replace every row (a reset: views keep no stale indexes)."""
        self.beginResetModel()
        self._records = list(records)
        self.endResetModel()

    def records(self) -> list[R]:
        return list(self._records)

    def record(self, row: int) -> R | None:
        return self._records[row] if 0 <= row < len(self._records) else None

    # --- Qt --------------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._records):
            return str(section + 1)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _BASE_ROLES and role not in self.EXTRA_ROLES:
            return None
        if not index.isValid() or index.row() >= len(self._records):
            return None
        record = self._records[index.row()]
        column = index.column()
        if role == RECORD_ROLE:
            return record
        if role == SORT_ROLE:
            return self.sort_value(record, column)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(record, column)
        if role == Qt.ItemDataRole.EditRole:
            return self.edit_value(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(record, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        return self.extra(index.row(), record, column, role)

    # --- for subclasses --------------------------------------------------------------------

    def display(self, record: R, column: int) -> str:
        raise NotImplementedError

    def sort_value(self, record: R, column: int) -> Any:
        return self.display(record, column)

    def edit_value(self, record: R, column: int) -> Any:
        return self.display(record, column)

    def tooltip(self, record: R, column: int) -> str | None:
        return None

    def alignment(self, column: int) -> Any:
        return None

    def extra(self, row: int, record: R, column: int, role: int) -> Any:
        return None


RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
CENTER = int(Qt.AlignmentFlag.AlignCenter)
