"""What the search boxes share (the code picker, the day view's patient search, the
diagnosis search): a results table that reads as a list of rows (the day's visits and the
diagnosis list look the same), the arrow keys in the box moving through it while the person
types, and Enter taking the highlighted row."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QTableView


def list_of_rows(view: QTableView, *, alternating: bool = True) -> None:
    """A read-only table of whole rows: one selected at a time, no row numbers, no grid,
    one line a row, rows shaded in turn (unless `alternating` is False), and Tab leaving
    the table instead of stepping through its cells."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setAlternatingRowColors(alternating)
    view.setTabKeyNavigation(False)


def step_row(view: QTableView, step: int) -> None:
    """Select the row `step` rows from the highlighted one, stopping at the first and the
    last (nothing when the table is empty)."""
    rows = view.model().rowCount()
    if rows:
        view.selectRow(max(0, min(rows - 1, view.currentIndex().row() + step)))


def chosen_row(view: QTableView) -> int:
    """The highlighted row, or the first when none is."""
    current = view.currentIndex()
    return current.row() if current.isValid() else 0
