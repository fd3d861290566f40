"""Asks what was done on a line whose code does not say it (unlisted codes such as 97139):
the words go on the claim line. Opened by the finding's "Describe line N..." fix."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from otdesk.core.fixes import MAX_DESCRIPTION, needs_input
from otdesk.ui.modal import run_modal

TOOLTIP = (
    'What was done, in plain words (e.g. "Fluidotherapy to the right hand"). An unlisted '
    "code's number says nothing of the service, so the claim line carries these words; "
    f"payers deny the line without them. At most {MAX_DESCRIPTION} characters."
)


@dataclass(frozen=True)
class DescriptionResult:
    description: str


class DescribeLineDialog(QDialog):
    def __init__(self, parent: QWidget | None, where: str, current: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Describe {where}")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        prompt = QLabel(f"What was done on {where}? The claim line carries these words.")
        prompt.setWordWrap(True)
        layout.addWidget(prompt)
        self.description = QLineEdit(current)
        self.description.setAccessibleName("Description of the service")
        self.description.setPlaceholderText("e.g. Fluidotherapy to the right hand")
        self.description.setMaxLength(MAX_DESCRIPTION)
        self.description.setToolTip(TOOLTIP)
        layout.addWidget(self.description)
        self.message = QLabel()
        self.message.setAccessibleName("Description message")
        self.message.setProperty("role", "error")
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Save description")
        self.ok.setAccessibleName("Save description")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.description.setFocus()

    def accept(self) -> None:
        if not self.description.text().strip():
            self.message.setText("Type what was done, or press Cancel.")
            self.description.setFocus()
            return
        super().accept()

    def result_value(self) -> DescriptionResult:
        return DescriptionResult(" ".join(self.description.text().split()))


def ask(parent: QWidget | None, where: str, current: str = "") -> DescriptionResult | None:
    dialog = DescribeLineDialog(parent, where, current)
    return dialog.result_value() if run_modal(dialog) else None


Ask = Callable[[QWidget | None, str, str], DescriptionResult | None]


def complete_fix(
    parent: QWidget | None, fix: Mapping[str, Any], visit: Any, asker: Ask | None = None
) -> dict[str, Any] | None:
    """The fix with what the person typed filled in, or None when they cancelled. A fix
    that needs nothing typed comes back as it is."""
    if not needs_input(fix):
        return dict(fix)
    index = fix["lines"][0]
    line = visit.lines[index]
    answer = (asker or ask)(parent, f"line {index + 1} ({line.code})", line.description)
    if answer is None:
        return None
    return {**fix, "set_description": answer.description}
