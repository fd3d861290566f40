"""The charge lines table: edit minutes, units, modifiers and diagnosis pointers in place.

Typing over a selected minutes, units, modifiers or pointers cell edits it (undoable).
A line's code is changed only on purpose (F2 or a double click on the code): typed on the
code or its label, the text goes to the code search instead, to add a line. The minutes of
a line just added are where the keyboard loop waits: Enter (or Tab, or Escape, even with
nothing typed or nothing changed) goes back to the code search; a shortcut that moves the
focus elsewhere (Ctrl+D) saves the minutes and goes there.

A refused entry shows its message in a line under the table (and the cell keeps its old
value); Delete removes the selected line after the editor asks.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.models import charge_lines as cl

# Cells that typing replaces; the others send what is typed to the code search.
TYPE_OVER_COLUMNS = frozenset({cl.COL_MINUTES, cl.COL_UNITS, cl.COL_MODIFIERS, cl.COL_DX})
_COMMAND_KEYS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


def _typed_text(event: QKeyEvent) -> str:
    """The printable text of a key press without Ctrl or Alt ("" for other keys)."""
    text = event.text()
    if event.modifiers() & _COMMAND_KEYS or not text or not text.isprintable():
        return ""
    return text if text.strip() else ""


class LinesView(QTableView):
    typed_elsewhere = Signal(str)  # typed on a cell that typing does not change

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        text = _typed_text(event)
        if (
            text
            and self.state() != QAbstractItemView.State.EditingState
            and self.currentIndex().column() not in TYPE_OVER_COLUMNS
        ):
            self.typed_elsewhere.emit(text)
            return
        super().keyPressEvent(event)


class LinesTable(QWidget):
    remove_requested = Signal(int)  # row
    row_chosen = Signal(int)  # the current row changed (e.g. to switch the timer)
    loop_done = Signal()  # the just-added line's minutes editor closed with a key

    def __init__(self, model: cl.ChargeLinesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = LinesView()
        self.view.setModel(model)
        self.view.setAccessibleName("Charge lines")
        self.view.setAccessibleDescription(
            "Type to edit minutes, units, modifiers and diagnosis pointers; F2 on a code "
            "changes it; Delete removes a line"
        )
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.view.setTabKeyNavigation(False)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 10)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(cl.COL_LABEL, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(56)
        self.delegate = QStyledItemDelegate(self.view)
        self.view.setItemDelegate(self.delegate)
        # after the view's own slot, which gives the focus back to the table
        self.delegate.closeEditor.connect(self._editor_closed)
        self._loop_editor: QWidget | None = None
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

    def edit_minutes(self, row: int, loop: bool = False) -> None:
        """Put the cursor in a line's minutes cell, ready to type; with `loop` (a line
        just added), closing it goes back to the code search (loop_done)."""
        self.select_row(row, cl.COL_MINUTES)
        self.view.setFocus()
        if self.model.is_read_only():
            return
        index = self.model.index(row, cl.COL_MINUTES)
        self.view.edit(index)
        self._loop_editor = self.view.indexWidget(index) if loop else None

    def commit_editing(self) -> None:
        """Save what is typed in an open cell editor (before finalizing or printing)."""
        if self.view.state() != QAbstractItemView.State.EditingState:
            return
        editor = self.view.indexWidget(self.view.currentIndex())
        if editor is not None:
            self.delegate.commitData.emit(editor)
            self.delegate.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)

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

    def _editor_closed(self, editor: QWidget, _hint: QAbstractItemDelegate.EndEditHint) -> None:
        if editor is not self._loop_editor:
            return
        self._loop_editor = None
        # Closed by a key in the table, not by the focus going elsewhere (Ctrl+D): the
        # focus is on the table then, or on nothing yet (a window the system has not
        # made active, as under a bare X server).
        focus = QApplication.focusWidget()
        if focus is None or focus is self.view or self.view.isAncestorOf(focus):
            self.loop_done.emit()

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
