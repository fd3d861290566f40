"""Billing > Create claim file: the finalized visits of a date range that need a claim
(originals, replacements of amended visits, voids), each marked ready or held back with its
reasons; Create writes the 837P file (kept in the data folder) and can save a copy where the
clearinghouse upload expects it. Held-back claims go too only with a reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui import reason_dialog
from otdesk.ui.modal import run_modal
from otdesk.ui.models.claims import PendingClaimsModel

AskReason = Callable[[QWidget | None, str, str, str, list[str]], str | None]
AskPath = Callable[[QWidget | None, str], str | None]


def ask_reason(parent: QWidget | None, title: str, prompt: str, action: str,
               details: list[str]) -> str | None:  # fmt: skip
    found = reason_dialog.ask(parent, title, prompt, action, details)
    return found.reason if found is not None else None


def ask_copy_path(parent: QWidget | None, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(
        parent, "Save a copy of the claim file", suggested, "Claim files (*.837 *.txt)"
    )
    return path or None


class ClaimFileDialog(QDialog):
    created = Signal(str)  # what happened, for the status bar

    def __init__(
        self,
        clinic: Any,
        day: date,
        parent: QWidget | None = None,
        *,
        ask_reason: AskReason = ask_reason,
        ask_path: AskPath = ask_copy_path,
    ) -> None:
        super().__init__(parent)
        self.service = clinic.claims
        self._ask_reason = ask_reason
        self._ask_path = ask_path
        self.plan: Any = None
        self.result: Any = None
        self.setWindowTitle("Create claim file")
        self.resize(900, 520)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.start = QDateEdit(QDate(day.year, day.month, day.day))
        self.end = QDateEdit(QDate(day.year, day.month, day.day))
        for label, edit in (("&From", self.start), ("&To", self.end)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("MM/dd/yyyy")
            edit.setAccessibleName(label.replace("&", ""))
            caption = QLabel(label)
            caption.setBuddy(edit)
            bar.addWidget(caption)
            bar.addWidget(edit)
        self.find_button = QPushButton("&Find visits")
        self.find_button.clicked.connect(self.find)
        bar.addWidget(self.find_button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.model = PendingClaimsModel(parent=self)
        self.table = QTableView()
        self.table.setAccessibleName("Claims to send")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(
            PendingClaimsModel.COL_STATE, QHeaderView.ResizeMode.Stretch
        )
        self.table.verticalHeader().hide()
        layout.addWidget(self.table, 1)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setAccessibleName("Why a claim is held back")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.details)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_details())
        self.include_held = QCheckBox("Send the held-back claims &too (asks for a reason)")
        layout.addWidget(self.include_held)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Claim file summary")
        layout.addWidget(self.summary)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.create_button = QPushButton("&Create claim file")
        self.create_button.clicked.connect(self.create)
        self.copy_button = QPushButton("Save a &copy…")
        self.copy_button.clicked.connect(self.save_copy)
        self.copy_button.setEnabled(False)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        for button in (self.create_button, self.copy_button, close):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.find()

    def _range(self) -> tuple[date, date]:
        return self.start.date().toPython(), self.end.date().toPython()  # type: ignore[return-value]

    def find(self) -> None:
        from otdesk.services.errors import ServiceError

        start, end = self._range()
        try:
            self.plan = self.service.plan(start, end)
        except ServiceError as error:
            self.summary.setText(str(error))
            self.model.set_records([])
            self.create_button.setEnabled(False)
            return
        self.model.set_records(self.plan.pending)
        self.table.resizeColumnsToContents()
        ready, held = len(self.plan.ready), len(self.plan.held)
        skipped = len(self.plan.skipped)
        self.summary.setText(
            f"{ready} ready, {held} held back"
            + (f"; {skipped} visit{'s' if skipped != 1 else ''} not claimable or already in a "
               "file" if skipped else "")
            + "."
        )  # fmt: skip
        self.include_held.setEnabled(held > 0)
        self.create_button.setEnabled(bool(self.plan.pending))
        if self.plan.pending:
            self.table.selectRow(0)
        self._show_details()

    def _show_details(self) -> None:
        row = self.table.currentIndex().row()
        pending = self.model.record(row) if row >= 0 else None
        if pending is None:
            self.details.setText("")
            return
        lines = [f"• {p}" for p in pending.problems] + [f"Note: {n}" for n in pending.notes]
        self.details.setText("\n".join(lines) or "Ready to send.")

    def create(self) -> bool:
        from otdesk.services.errors import ServiceError

        if self.plan is None:
            return False
        reason = None
        if self.include_held.isChecked() and self.plan.held:
            problems = [f"Visit {p.visit_id}: {p.problems[0]}" for p in self.plan.held]
            reason = self._ask_reason(
                self,
                "Send held-back claims",
                "These claims have problems a payer or clearinghouse may reject. Why send "
                "them anyway?",
                "Send anyway",
                problems,
            )
            if reason is None:
                return False
        try:
            self.result = self.service.create_file(self.plan, override_reason=reason)
        except ServiceError as error:
            self.summary.setText(str(error))
            return False
        file = self.result.file
        done = (
            f"Claim file {file.id} written: {file.claim_count} claim"
            f"{'s' if file.claim_count != 1 else ''}, {file.total}, "
            f"{'test' if file.usage == 'T' else 'production'} (kept as {file.path})."
        )
        self.summary.setText(done)
        self.copy_button.setEnabled(True)
        self.create_button.setEnabled(False)
        self.created.emit(done)
        return True

    def save_copy(self) -> bool:
        from otdesk.export import ExportError, write_file_atomic

        if self.result is None:
            return False
        path = self._ask_path(self, self.result.file.file_name)
        if not path:
            return False
        try:
            written = write_file_atomic(path, self.result.text.encode("ascii"))
        except ExportError as error:
            self.summary.setText(str(error))
            return False
        self.summary.setText(f"{self.summary.text()} A copy is in {written}.")
        return True


def ask(parent: Any, clinic: Any, day: date) -> Any:
    """Open the dialog on the day shown; the claim file result, or None."""
    dialog = ClaimFileDialog(clinic, day, parent)
    if hasattr(parent, "show_status"):
        dialog.created.connect(parent.show_status)
    run_modal(dialog)
    return dialog.result
