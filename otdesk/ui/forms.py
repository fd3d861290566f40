"""A small form helper for the management dialogs: labelled fields, each with an inline
message under it. A field may check what is typed as it is typed (the NPI check digit); a
date field (otdesk.ui.date_field) refuses a date that does not exist before anything is
saved; the services have the last word when saving, and a refused field gets their
message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from otdesk.ui.date_field import DateField
from otdesk.ui.models.parsing import parse_date

Check = Callable[[str], str | None]


def npi_check(required: bool = False) -> Check:
    from otdesk.core.npi import npi_problem

    def check(text: str) -> str | None:
        if not text.strip():
            return "An NPI is required." if required else None
        problem = npi_problem(text)
        return f"{problem}." if problem else None

    return check


class Form(QWidget):
    """Fields by name. values() gives what is typed; show_error(field, text) marks one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.fields: dict[str, QWidget] = {}
        self.messages: dict[str, QLabel] = {}
        self._checks: dict[str, Check] = {}

    def add_text(
        self,
        name: str,
        label: str,
        placeholder: str = "",
        check: Check | None = None,
        width: int | None = None,
    ) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        if width:
            edit.setMaximumWidth(width)
        if check is not None:
            self._checks[name] = check
            edit.textChanged.connect(lambda text, n=name: self._check(n, text))
        self._add(name, label, edit)
        return edit

    def add_date(self, name: str, label: str, optional: bool = True) -> DateField:
        """A date typed MM/DD/YYYY (or picked); values() gives a date, or None if blank."""
        field = DateField(label.replace("&", ""), optional=optional, keep_refused=True)
        field.refused.connect(lambda text, n=name: self.show_error(n, text))
        field.date_changed.connect(lambda _day, n=name: self.show_error(n, ""))
        self._add(name, label, field)
        return field

    def add_choice(self, name: str, label: str, choices: list[tuple[str, Any]]) -> QComboBox:
        combo = QComboBox()
        for text, value in choices:
            combo.addItem(text, value)
        self._add(name, label, combo)
        return combo

    def _add(self, name: str, label: str, widget: QWidget) -> None:
        widget.setAccessibleName(label.replace("&", ""))
        message = QLabel()
        message.setProperty("role", "error")
        message.setAccessibleName(f"{label.replace('&', '')} message")
        message.setWordWrap(True)
        message.hide()
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(widget)
        column.addWidget(message)
        self.layout_.addRow(label, box)
        self.fields[name] = widget
        self.messages[name] = message

    def _check(self, name: str, text: str) -> None:
        problem = self._checks[name](text)
        self.show_error(name, problem or "")

    def problems(self) -> dict[str, str]:
        """What is wrong with what is typed (each shown under its field), by field name."""
        found = {}
        for name, check in self._checks.items():
            problem = check(self.text(name))
            if problem:
                found[name] = problem
                self.show_error(name, problem)
        for name, widget in self.fields.items():
            if isinstance(widget, DateField):
                problem = widget.problem()
                if problem:
                    found[name] = problem
                    self.show_error(name, problem)
        return found

    def text(self, name: str) -> str:
        widget = self.fields[name]
        if isinstance(widget, QLineEdit | DateField):
            return widget.text().strip()
        if isinstance(widget, QComboBox):
            return str(widget.currentData() or "")
        return ""

    def value(self, name: str) -> Any:
        widget = self.fields[name]
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, DateField):
            return parse_date(widget.text()) if widget.problem() is None else widget.text()
        return self.text(name)

    def values(self) -> dict[str, Any]:
        return {name: self.value(name) for name in self.fields}

    def set_values(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            widget = self.fields.get(name)
            if isinstance(widget, DateField):
                widget.set_date(value if isinstance(value, date) else parse_date(value or ""))
            elif isinstance(widget, QLineEdit):
                widget.setText("" if value is None else str(value))
            elif isinstance(widget, QComboBox):
                index = widget.findData(value)
                widget.setCurrentIndex(max(index, 0))
        self.clear_errors()

    def show_error(self, name: str, text: str) -> bool:
        """Show text under the named field; False when there is no such field."""
        message = self.messages.get(name)
        if message is None:
            return False
        message.setText(text)
        message.setVisible(bool(text))
        return True

    def show_refusal(self, error: Exception, fallback: QLabel) -> None:
        """A service's refusal under the field it names (a ValidationError's `field`), or in
        `fallback` when it names none or one this form does not have."""
        field = getattr(error, "field", None)
        if not (field and self.show_error(field, str(error))):
            fallback.setText(str(error))

    def clear_errors(self) -> None:
        for message in self.messages.values():
            message.clear()
            message.hide()
