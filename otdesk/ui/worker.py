"""Long work off the window's thread: a function runs in a QThread and reports progress
through signals; it never touches a widget. The window stays responsive."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from otdesk import logs
from otdesk.ui.errors import outcome_of

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Job = Callable[[Progress], Any]


class CancelledError(Exception):
    """Raised inside the job's progress callback when the person pressed Cancel."""


class _Runner(QObject):
    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, job: Job) -> None:
        super().__init__()
        self._job = job
        self.cancelled = False
        self.result: Any = None

    @Slot()
    def run(self) -> None:
        def report(done: int, total: int) -> None:
            if self.cancelled:
                raise CancelledError()
            self.progress.emit(done, total)

        try:
            result, error = outcome_of(lambda: self._job(report))
            if isinstance(error, CancelledError):
                self.failed.emit("CancelledError.")
            elif error is not None:
                # the type, the place and the message with patient identifiers removed
                log.warning("background job failed: %s", logs.describe_error(error))
                self.failed.emit(str(error) or type(error).__name__)
            else:
                self.result = result
                self.finished.emit(result)
        finally:
            # The thread ends with its job, so wait() returns as soon as the job is done,
            # even when the window's thread no longer delivers the signals (shutdown).
            QThread.currentThread().quit()


class Worker(QObject):
    """Runs one job on its own thread. Connect to `progress`, `finished`, `failed` (all
    delivered on the window's thread), then call start()."""

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, job: Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._runner = _Runner(job)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.progress.connect(self.progress)
        self._runner.finished.connect(self._done)
        self._runner.failed.connect(self._fail)
        self.result: Any = None
        self.error: str | None = None
        self.done = False

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._runner.cancelled = True

    def wait(self, ms: int = 30000) -> bool:
        """Block until the job ends (tests and shutdown); `result` is then set even if the
        finished signal has not been delivered yet."""
        ended = bool(self._thread.wait(ms))
        if ended and self.result is None:
            self.result = self._runner.result
        return ended

    def _done(self, result: object) -> None:
        self.result = result
        self._stop()
        self.finished.emit(result)

    def _fail(self, message: str) -> None:
        self.error = message
        self._stop()
        self.failed.emit(message)

    def _stop(self) -> None:
        self.done = True
        self._thread.quit()
        self._thread.wait()


def run_with_progress(
    parent: QWidget | None, title: str, job: Job, cancellable: bool = True
) -> tuple[Any, str | None]:
    """Run job in a worker behind a modal progress dialog; returns (result, error)."""
    dialog = QProgressDialog(title, "Cancel" if cancellable else "", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    if not cancellable:
        dialog.setCancelButton(None)
    worker = Worker(job)

    def on_progress(done: int, total: int) -> None:
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, max(total, 1)))

    worker.progress.connect(on_progress)
    worker.finished.connect(lambda _r: dialog.close())
    worker.failed.connect(lambda _m: dialog.close())
    dialog.canceled.connect(worker.cancel)
    worker.start()
    while not worker.done:
        QApplication.processEvents()
        worker.wait(20)
    QApplication.processEvents()
    dialog.deleteLater()
    worker.deleteLater()
    return worker.result, worker.error
