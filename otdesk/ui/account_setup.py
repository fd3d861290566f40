"""The clinic's first administrator and its recovery key, in the window.

Two starts need them: a brand-new clinic (the welcome's Set up my practice:
services.signin.create_clinic) and a clinic kept by a version of otdesk from before accounts,
at its first start after the upgrade (services.signin.encrypt_existing: the data and its
plain backups are encrypted, or the backups deleted if the person prefers). Either way the
recovery key is shown once, with the recovery sheet to save as PDF or print, and the person
confirms it has been kept before going on.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.modal import run_modal
from otdesk.ui.people_dialog import PasswordFields

NEW_INTRO = (
    "Each person who uses otdesk signs in with their own name and password, and the clinic's "
    "data is kept encrypted on this computer. First, make the account of the clinic's "
    "administrator: the person who adds the others (Clinic > People)."
)
UPGRADE_INTRO = (
    "This version of otdesk gives each person their own account and keeps the clinic's data "
    "encrypted. Your data is here as it was; it is encrypted now, once, after you make the "
    "first administrator's account (the person who adds the others at Clinic > People). If "
    "an earlier start made that account and did not finish, type its name and password."
)


class FirstAdministratorDialog(QDialog):
    """Name, display name and the password twice; `upgrade` adds what to do with the old
    plain backups. `attempt(name, display_name, password, plain_backups)` makes the
    account (and for an upgrade encrypts the data); its result is kept in result_value."""

    def __init__(
        self,
        attempt: Callable[[str, str, str, str], Any],
        *,
        upgrade: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._attempt = attempt
        self.result_value: Any = None
        self.setWindowTitle("Encrypt the clinic's data" if upgrade else "The first administrator")
        self.setMinimumWidth(620)
        heading = QLabel(
            "<h3>Encrypt the clinic's data</h3>" if upgrade else "<h3>The first administrator</h3>"
        )
        intro = QLabel(UPGRADE_INTRO if upgrade else NEW_INTRO)
        intro.setWordWrap(True)
        self.name = QLineEdit()
        self.name.setAccessibleName("Sign-in name")
        self.name.setPlaceholderText("e.g. dana.kim (letters, digits, dots, hyphens)")
        self.display_name = QLineEdit()
        self.display_name.setAccessibleName("Display name")
        self.display_name.setPlaceholderText("e.g. Dana Kim")
        self.passwords = PasswordFields()
        self.name.textChanged.connect(lambda text: setattr(self.passwords, "account_name", text))
        form = QFormLayout()
        form.addRow("Sign-in &name", self.name)
        form.addRow("&Display name", self.display_name)
        self.passwords.add_rows(form, "&Password")
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(form)
        self.encrypt_backups = QRadioButton("&Encrypt the old backups too (recommended)")
        self.delete_backups = QRadioButton("Dele&te the old backups (a new, encrypted one is made)")
        self.encrypt_backups.setChecked(True)
        self._backups = QButtonGroup(self)
        self._backups.addButton(self.encrypt_backups)
        self._backups.addButton(self.delete_backups)
        if upgrade:
            layout.addWidget(QLabel("The backups made before today are plain files:"))
            layout.addWidget(self.encrypt_backups)
            layout.addWidget(self.delete_backups)
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("First administrator message")
        self.message.setMinimumHeight(self.message.fontMetrics().lineSpacing() * 2 + 4)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Encrypt and continue" if upgrade else "Continue")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.name.setFocus()

    def accept(self) -> None:
        from otdesk.services.errors import ServiceError

        problem = self.passwords.problem()
        if not self.name.text().strip():
            problem = ("Sign-in name: type one (e.g. dana.kim).", self.name)
        if problem:
            self.message.setText(problem[0])
            problem[1].setFocus()
            return
        backups = "delete" if self.delete_backups.isChecked() else "encrypt"
        self.message.setText("Working…")
        self.ok_button.setEnabled(False)
        try:
            self.result_value = self._attempt(
                self.name.text(), self.display_name.text(), self.passwords.text(), backups
            )
        except (ServiceError, OSError) as error:
            self.message.setText(str(error))
            field = {"name": self.name, "display_name": self.display_name}.get(
                getattr(error, "field", ""), self.passwords.first
            )
            field.setFocus()
            return
        finally:
            self.ok_button.setEnabled(True)
        super().accept()


def ask_pdf_path(parent: QWidget | None, suggested: str) -> Path | None:
    """Where to save the recovery sheet (a seam: tests answer instead of the dialog)."""
    path, _ = QFileDialog.getSaveFileName(
        parent, "Save the recovery sheet", suggested, "PDF (*.pdf)"
    )
    return Path(path) if path else None


def default_printer(parent: QWidget | None, paper: str) -> Any:
    from otdesk.ui.superbill_preview import ask_printer

    return ask_printer(parent, paper)


class RecoverySheetDialog(QDialog):
    """The recovery key, shown this once, with the sheet to save or print; Continue only
    once the person says it has been kept."""

    def __init__(
        self,
        recovery_key: str,
        practice_name: str,
        made_on: date,
        *,
        ask_path: Callable[[QWidget | None, str], Path | None] = ask_pdf_path,
        ask_printer: Callable[[QWidget | None, str], Any] = default_printer,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.recovery_key = recovery_key
        self.practice_name = practice_name
        self.made_on = made_on
        self._ask_path = ask_path
        self._ask_printer = ask_printer
        self.setWindowTitle("The clinic's recovery key")
        self.setMinimumWidth(780)
        intro = QLabel(
            "<b>This is the clinic's recovery key. It is shown only now.</b><br>"
            "It opens the clinic's data and every backup when nobody can sign in (every "
            "administrator's password forgotten). Print the recovery sheet, or save it and "
            "print it, and keep the paper locked away from this computer.<br><br>"
            "<b>If every password and this key are lost, the clinic's data and its backups can "
            "never be opened again</b>: there is no other copy and no way around the "
            "encryption."
        )
        intro.setWordWrap(True)
        self.key = QLabel(recovery_key)
        self.key.setAccessibleName("Recovery key")
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(font.pointSizeF() * 1.4 if font.pointSizeF() > 0 else 14)
        font.setBold(True)
        self.key.setFont(font)
        self.key.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.save_button = QPushButton("&Save the recovery sheet (PDF)…")
        self.save_button.clicked.connect(self.save_sheet)
        self.print_button = QPushButton("&Print…")
        self.print_button.clicked.connect(self.print_sheet)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.print_button)
        row.addStretch(1)
        self.kept = QCheckBox(
            "I have &kept the recovery key (printed or written down) somewhere safe"
        )
        self.kept.setAccessibleName("Recovery key kept")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Recovery sheet message")
        # room for two lines from the start: a dialog does not grow for a wrapped label, it
        # squeezes the others
        self.message.setMinimumHeight(self.message.fontMetrics().lineSpacing() * 2 + 4)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.continue_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.continue_button.setText("&Continue")
        self.continue_button.setEnabled(False)
        self.kept.toggled.connect(self.continue_button.setEnabled)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(self.key)
        layout.addSpacing(6)
        layout.addLayout(row)
        layout.addWidget(self.kept)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.print_button.setFocus()

    def sheet(self) -> bytes:
        from otdesk.export.recovery_sheet import render_recovery_sheet

        return render_recovery_sheet(
            self.recovery_key, practice_name=self.practice_name, made_on=self.made_on
        )

    def save_sheet(self) -> None:
        path = self._ask_path(self, "otdesk-recovery-sheet.pdf")
        if path is None:
            return
        try:
            # owner-only: anyone who has the key can open every record
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "wb") as handle:
                handle.write(self.sheet())
        except OSError as error:
            self.message.setText(f"The sheet was not saved: {error.strerror or error}.")
            return
        self.message.setText(
            f"Saved to {path}. Print it, keep the paper safe, then delete the file: a copy on "
            "this computer is a copy anyone at it could find."
        )

    def print_sheet(self) -> None:
        from otdesk.ui.superbill_preview import PrintError, print_pdf

        printer = self._ask_printer(self, "letter")
        if printer is None:
            return
        try:
            pages = print_pdf(self.sheet(), printer)
        except PrintError as error:
            self.message.setText(str(error))
            return
        self.message.setText(f"Sent to the printer ({pages} page).")

    def reject(self) -> None:
        # Escape does not skip the key: it is shown only now
        if self.kept.isChecked():
            super().reject()
        else:
            self.message.setText(
                "Keep the recovery key first (print or save the sheet), then tick the box."
            )


def show_recovery_sheet(parent: QWidget | None, recovery_key: str, practice_name: str,
                        made_on: date, **seams: Any) -> None:  # fmt: skip
    run_modal(RecoverySheetDialog(recovery_key, practice_name, made_on, parent=parent, **seams))
