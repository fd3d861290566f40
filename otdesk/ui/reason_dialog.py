"""Asks for a reason before an action that needs one: finalizing over errors (override),
voiding, amending, setting units by hand. The reason goes to the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.modal import run_modal

MIN_REASON = 5


@dataclass(frozen=True)
class ReasonResult:
    reason: str


class ReasonDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        prompt: str,
        action: str,
        details: Sequence[str] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        text = QLabel(prompt)
        text.setWordWrap(True)
        layout.addWidget(text)
        if details:
            listed = QLabel("\n".join(f"• {d}" for d in details))
            listed.setWordWrap(True)
            listed.setAccessibleName("What the reason is for")
            listed.setProperty("role", "error")
            layout.addWidget(listed)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason")
        self.reason.setPlaceholderText("Reason (kept in the audit log)")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(90)
        layout.addWidget(self.reason)
        self.message = QLabel()
        self.message.setAccessibleName("Reason message")
        self.message.setProperty("role", "error")
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(action)
        self.ok.setAccessibleName(action)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reason.setFocus()

    def accept(self) -> None:
        if len(self.reason.toPlainText().strip()) < MIN_REASON:
            self.message.setText(f"Please give a reason (at least {MIN_REASON} letters).")
            self.reason.setFocus()
            return
        super().accept()

    def result_value(self) -> ReasonResult:
        return ReasonResult(" ".join(self.reason.toPlainText().split()))


def ask(
    parent: QWidget | None,
    title: str,
    prompt: str,
    action: str = "OK",
    details: Sequence[str] = (),
) -> ReasonResult | None:
    dialog = ReasonDialog(parent, title, prompt, action, details)
    return dialog.result_value() if run_modal(dialog) else None
