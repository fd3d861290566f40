"""One date field for every date otdesk asks for: typed as MM/DD/YYYY (the placeholder, the
field and the message all say so), with a calendar to pick from.

A date that does not exist (02/30/2026) is never turned into another one: the field says
why and announces nothing but `refused(message)`; a field saved at once goes back to the
date it had, one in a form saved later keeps the text to be corrected.
`date_changed(date)` (None for a blank optional field) comes only for a real, new date.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from otdesk.ui.models.parsing import DATE_FORMAT, InputError, format_date, parse_date


class DateField(QWidget):
    date_changed = Signal(object)  # date, or None when an optional field is cleared
    refused = Signal(str)  # why the typed text is not a date (the old date is kept)

    def __init__(
        self,
        name: str,
        *,
        optional: bool = False,
        calendar: bool = True,
        keep_refused: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._name = name
        self._optional = optional
        # a form saved later keeps the text to correct; a field saved at once goes back
        self._keep_refused = keep_refused
        self._date: date | None = None
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(DATE_FORMAT + (" (optional)" if optional else ""))
        self.edit.setAccessibleName(name)
        self.edit.setMaxLength(10)
        self.edit.editingFinished.connect(self._typed)
        # wide enough for the date and the placeholder, no wider
        width = self.edit.fontMetrics().horizontalAdvance("00/00/00000") + 18
        self.edit.setMinimumWidth(width)
        self.setFocusProxy(self.edit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit, 1)
        self.calendar_button: QToolButton | None = None
        self._calendar: QCalendarWidget | None = None
        if calendar:
            button = QToolButton()
            button.setText("▾")
            button.setAccessibleName(f"Pick the {name.lower()} from a calendar")
            button.setToolTip("Pick from a calendar")
            button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            menu = QMenu(button)
            # the calendar is made when first opened: a dozen date fields, a few ms each
            menu.aboutToShow.connect(lambda m=menu: self._show_calendar_on_date(m))
            button.setMenu(menu)
            layout.addWidget(button)
            self.calendar_button = button

    # --- value ------------------------------------------------------------------------------

    def date(self) -> date | None:
        return self._date

    def set_date(self, day: date | None) -> None:
        """Show a date (as stored); announces nothing."""
        self._date = day
        self.edit.setText(format_date(day))

    def text(self) -> str:
        return self.edit.text()

    def setEnabled(self, enabled: bool) -> None:  # noqa: N802
        super().setEnabled(enabled)
        self.edit.setEnabled(enabled)

    def problem(self) -> str | None:
        """Why the text as typed is not a date (None when it is, or is a blank optional)."""
        try:
            day = parse_date(self.edit.text())
        except InputError as error:
            return f"{self._name}: {error}"
        if day is None and not self._optional:
            return f"{self._name}: type a date as {DATE_FORMAT}."
        return None

    def typed_date(self) -> date | None:
        """The date as typed; InputError when it is not one."""
        problem = self.problem()
        if problem:
            raise InputError(problem)
        return parse_date(self.edit.text())

    # --- typing and picking -----------------------------------------------------------------

    def _typed(self) -> None:
        problem = self.problem()
        if problem and self._keep_refused:
            self.refused.emit(problem)
            return
        if problem:
            kept = format_date(self._date)
            self.edit.setText(kept)
            self.refused.emit(f"{problem} The date stays {kept}." if kept else problem)
            return
        self._commit(parse_date(self.edit.text()))

    def _picked(self, day: QDate, menu: QMenu) -> None:
        menu.close()
        self._commit(date(day.year(), day.month(), day.day()))
        self.edit.setFocus()

    def _commit(self, day: date | None) -> None:
        self.edit.setText(format_date(day))
        if day != self._date:
            self._date = day
            self.date_changed.emit(day)

    def _show_calendar_on_date(self, menu: QMenu) -> None:
        if self._calendar is None:
            picker = QCalendarWidget()
            picker.setAccessibleName(f"{self._name} calendar")
            picker.setGridVisible(True)
            picker.clicked.connect(lambda day: self._picked(day, menu))
            picker.activated.connect(lambda day: self._picked(day, menu))
            action = QWidgetAction(menu)
            action.setDefaultWidget(picker)
            menu.addAction(action)
            self._calendar = picker
        if self._date is not None:
            day = self._date
            self._calendar.setSelectedDate(QDate(day.year, day.month, day.day))
