"""The charge lines table: edit minutes, units, modifiers and diagnosis pointers in place.

A refused entry shows its message in a line under the table (and the cell keeps its old
value); Delete removes the selected line after the editor asks.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.models import charge_lines as cl


class LinesTable(QWidget):
    remove_requested = Signal(int)  # row
    row_chosen = Signal(int)  # the current row changed (e.g. to switch the timer)

    def __init__(self, model: cl.ChargeLinesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = QTableView()
        self.view.setModel(model)
        self.view.setAccessibleName("Charge lines")
        self.view.setAccessibleDescription(
            "Type to edit minutes, units, modifiers and diagnosis pointers; Delete removes a line"
        )
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.view.setTabKeyNavigation(False)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(30)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(cl.COL_LABEL, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(56)
        self.view.installEventFilter(self)
        self.view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.row_chosen.emit(current.row())
        )

        self.message = QLabel()
        self.message.setAccessibleName("Charge line message")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.hide()

        model.rejected.connect(self._show_rejection)
        model.edited.connect(lambda *_: self.clear_message())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.message)

    def current_row(self) -> int:
        index = self.view.currentIndex()
        return index.row() if index.isValid() else -1

    def select_row(self, row: int, column: int = cl.COL_MINUTES) -> None:
        if 0 <= row < self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(row, column))

    def edit_minutes(self, row: int) -> None:
        """Put the cursor in a line's minutes cell, ready to type."""
        self.select_row(row, cl.COL_MINUTES)
        self.view.setFocus()
        if not self.model.is_read_only():
            self.view.edit(self.model.index(row, cl.COL_MINUTES))

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def clear_message(self) -> None:
        self.message.clear()
        self.message.hide()

    def _show_rejection(self, row: int, column: int, text: str) -> None:
        code = self.model.record(row).code if self.model.record(row) else ""
        column_name = cl.ChargeLinesModel.HEADERS[column]
        self.show_message(f"Line {row + 1} ({code}), {column_name}: {text}")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Delete
            and self.view.state() != QAbstractItemView.State.EditingState
            and not self.model.is_read_only()
        ):
            row = self.current_row()
            if row >= 0:
                self.remove_requested.emit(row)
                return True
        return super().eventFilter(watched, event)
