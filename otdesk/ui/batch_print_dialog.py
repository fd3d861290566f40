"""Superbills for a whole day (or date range) at once: to the printer, into one PDF, or one
PDF per visit in a folder. Finalized visits only, drafts when asked (watermarked DRAFT).

The visits are checked first; incomplete ones are left out unless a reason is given to
issue them anyway. Checking and making the PDFs run in a worker behind a progress dialog
with Cancel; cancelling writes and records nothing. Printing itself happens on the
window's thread (QPainter on a printer), then every superbill is recorded as issued.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.core.visit import VisitStatus
from otdesk.errors import UserError
from otdesk.ui import reason_dialog
from otdesk.ui.date_field import DateField
from otdesk.ui.style import show_note
from otdesk.ui.superbill_preview import (
    AskPrinter,
    AskReason,
    AskSavePath,
    PrintError,
    ask_printer,
    ask_save_path,
    documents_folder,
    print_pdf,
)
from otdesk.ui.worker import Worker

AskFolder = Callable[[QWidget | None], str | None]
DESTINATIONS = ("printer", "file", "folder")


def ask_folder(parent: QWidget | None) -> str | None:
    path = QFileDialog.getExistingDirectory(parent, "Folder for the superbills", documents_folder())
    return path or None


class BatchPrintDialog(QDialog):
    finished_batch = Signal(str)  # the summary shown at the end

    def __init__(
        self,
        service: Any,  # otdesk.services.superbills.SuperbillService
        day: date,
        parent: QWidget | None = None,
        *,
        ask_printer: AskPrinter = ask_printer,
        ask_save_path: AskSavePath = ask_save_path,
        ask_folder: AskFolder = ask_folder,
        ask_reason: AskReason = reason_dialog.ask,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self._ask_printer = ask_printer
        self._ask_save_path = ask_save_path
        self._ask_folder = ask_folder
        self._ask_reason = ask_reason
        self.worker: Worker | None = None
        self.progress: QProgressDialog | None = None
        # Called on the worker's thread at every step (done, total); tests use it.
        self.worker_step: Callable[[int, int], None] | None = None
        self._cancel = False
        self.setWindowTitle("Print superbills")
        self.setAccessibleName("Print superbills")
        self.setMinimumWidth(440)

        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.start = self._date_field(day, "From")
        self.end = self._date_field(day, "To")
        form.addRow("&From", self.start)
        form.addRow("&To", self.end)
        self.drafts = QCheckBox("Include drafts (marked DRAFT)")
        self.drafts.setAccessibleName("Include drafts")
        form.addRow("", self.drafts)
        layout.addLayout(form)

        self.destination = QButtonGroup(self)
        self.to_printer = QRadioButton("Print them")
        self.to_file = QRadioButton("Save into one PDF file")
        self.to_folder = QRadioButton("Save one PDF per visit into a folder")
        for index, button in enumerate((self.to_printer, self.to_file, self.to_folder)):
            button.setAccessibleName(button.text())
            self.destination.addButton(button, index)
            layout.addWidget(button)
        self.to_printer.setChecked(True)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Batch summary")
        layout.addWidget(self.summary)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Batch message")
        layout.addWidget(self.message)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.go = QPushButton()
        self.go.setDefault(True)
        self.go.clicked.connect(self.run)
        close = QPushButton("Close")
        close.setAccessibleName("Close without making superbills")
        close.clicked.connect(self.reject)
        buttons.addWidget(self.go)
        buttons.addWidget(close)
        layout.addLayout(buttons)

        self.start.date_changed.connect(self._count)
        self.end.date_changed.connect(self._count)
        for field in (self.start, self.end):
            field.refused.connect(lambda text: show_note(self.message, text, "error"))
        self.drafts.toggled.connect(self._count)
        self.destination.idToggled.connect(lambda *_: self._name_the_button())
        self._found = 0
        self._count()

    def _date_field(self, day: date, name: str) -> DateField:
        field = DateField(name)
        field.set_date(day)
        return field

    def dates(self) -> tuple[date, date]:
        first = self.start.date() or date.today()
        last = self.end.date() or first
        return (first, last) if first <= last else (last, first)

    def _count(self, *_args: Any) -> None:
        first, last = self.dates()
        try:
            found = self.service.batch_visits(first, last, include_drafts=self.drafts.isChecked())
        except UserError as error:  # a locked database: say so
            self.summary.setText(f"Cannot read the visits: {error}")
            self._found = 0
            self._name_the_button()
            return
        drafts = sum(1 for visit in found if visit.status == VisitStatus.DRAFT)
        span = f"{first:%m/%d/%Y}" + (f" to {last:%m/%d/%Y}" if last != first else "")
        text = f"{len(found)} visit{'s' if len(found) != 1 else ''} on {span}"
        if drafts:
            text += f" ({drafts} draft{'s' if drafts != 1 else ''})"
        self.summary.setText(text + ".")
        self._found = len(found)
        self._name_the_button()

    def _name_the_button(self) -> None:
        """The button says what it will do: print, or save one PDF, or one PDF each."""
        count = self._found
        noun = "superbill" if count == 1 else "superbills"
        where = DESTINATIONS[max(self.destination.checkedId(), 0)]
        if where == "printer":
            text = f"Print {count} {noun}…"
        elif where == "file":
            text = f"Save {count} {noun} in one PDF…"
        else:
            text = f"Save {count} {noun}, one PDF each…"
        self.go.setText(text)
        self.go.setAccessibleName(text.rstrip("…"))
        self.go.setEnabled(count > 0)

    # --- running ----------------------------------------------------------------------------

    def run(self) -> bool:
        """Check the visits, ask where they go, make and issue them. True when done."""
        first, last = self.dates()
        show_note(self.message, "")
        plan = self._in_worker(
            "Checking the visits…",
            lambda step, cancelled: self.service.plan_batch(
                first,
                last,
                include_drafts=self.drafts.isChecked(),
                progress=step,
                cancelled=cancelled,
            ),
        )
        if plan is None:
            return False
        reason = None
        if plan.incomplete:
            details = [
                f"{p.data.patient.name} ({p.data.patient.account_number}, "
                f"{p.data.date_of_service:%m/%d/%Y}): " + "; ".join(p.completeness.problems)
                for p in plan.incomplete
            ]
            answer = self._ask_reason(
                self,
                "Incomplete superbills",
                f"{len(plan.incomplete)} of the superbills are incomplete. Give a reason to "
                "issue them anyway (kept in the audit log), or Cancel to leave them out.",
                "Issue anyway",
                details=details,
            )
            reason = answer.reason if answer is not None else None
        if not plan.ready and reason is None:
            show_note(
                self.message,
                "No superbill is complete enough to issue; nothing was made.",
                "error",
            )
            return False
        where = self.destination.checkedId()
        if DESTINATIONS[where] == "printer":
            return self._print(plan, reason)
        if DESTINATIONS[where] == "file":
            from otdesk.services.superbills import batch_file_name

            path = self._ask_save_path(self, batch_file_name(first, last))
            if not path:
                return False
            target: dict[str, Any] = {"out": path}
        else:
            folder = self._ask_folder(self)
            if not folder:
                return False
            target = {"folder": folder}
        result = self._in_worker(
            "Making the superbills…",
            lambda step, cancelled: self.service.issue_batch(
                plan, reason=reason, progress=step, cancelled=cancelled, **target
            ),
        )
        if result is None:
            return False
        self._done(len(result.issued), len(result.skipped), "saved")
        return True

    def _print(self, plan: Any, reason: str | None) -> bool:
        printer = self._ask_printer(self, self.service.settings().paper)
        if printer is None:
            return False
        rendered = self._in_worker(
            "Making the superbills…",
            lambda step, cancelled: self.service.render_batch(
                plan, reason=reason, progress=step, cancelled=cancelled
            ),
        )
        if rendered is None:
            return False
        try:
            print_pdf(rendered.document, printer)
        except PrintError as error:
            show_note(self.message, str(error), "error")
            return False
        issued = self.service.record_printed(rendered)
        self._done(len(issued), len(rendered.skipped), "printed")
        return True

    def _done(self, issued: int, skipped: int, how: str) -> None:
        text = f"{issued} superbill{'s' if issued != 1 else ''} {how} and recorded as issued."
        if skipped:
            text += f" {skipped} left out (incomplete, void or replaced)."
        show_note(self.message, text)
        self.finished_batch.emit(text)

    def cancel_running(self) -> None:
        """Stop the running step (the progress dialog's Cancel)."""
        self._cancel = True
        if self.worker is not None:
            self.worker.cancel()

    def _in_worker(self, title: str, job: Callable[[Any, Any], Any]) -> Any:
        """Run job(step, cancelled) in a worker behind a progress dialog; its result, or
        None (with the message shown) when it failed or was cancelled."""
        self._cancel = False
        progress = QProgressDialog(title, "Cancel", 0, 0, self)
        progress.setWindowTitle("Superbills")
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        self.progress = progress

        def run(report: Callable[[int, int], None]) -> Any:
            def step(done: int, total: int) -> None:
                if self.worker_step is not None:
                    self.worker_step(done, total)
                report(done, total)

            return job(step, lambda: self._cancel)

        worker = Worker(run)
        self.worker = worker

        def show(done: int, total: int) -> None:
            progress.setMaximum(max(total, 1))
            progress.setValue(min(done, max(total, 1)))

        worker.progress.connect(show)
        progress.canceled.connect(self.cancel_running)
        worker.start()
        while not worker.done:
            QApplication.processEvents()
            worker.wait(20)
        QApplication.processEvents()
        # closing a progress dialog emits canceled: a failed batch is not a cancelled one
        progress.canceled.disconnect(self.cancel_running)
        progress.close()
        progress.deleteLater()
        self.progress = None
        self.worker = None
        worker.deleteLater()
        if worker.error is not None:
            cancelled = self._cancel or worker.error.startswith("CancelledError")
            if cancelled:
                show_note(self.message, "Cancelled; nothing was written or recorded.")
            else:
                show_note(self.message, worker.error, "error")
            return None
        return worker.result
