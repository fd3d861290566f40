"""Clinic > Backups…: the clinic's backups (date, size, visits, whether each verified), and
Back up now, Verify, Verify all, Restore…, Restore from a file elsewhere… and Show folder.
The slow parts (checking backups, making one) run on a worker thread: the window never
freezes. Back up now shows the copy's real percentage (SQLite's backup copies the file in
steps of pages and says how many are left); the check of the copy and, for an encrypted
clinic, sealing it report no count, so the bar says which of those it is doing and is a
busy bar meanwhile. A restore asks first, names the backup and that the database in use
is kept aside, and the window opens the restored clinic after it (otdesk.ui.health_check.
restore_in_window). A file from elsewhere is checked as each backup is before it may be
restored, then goes the same way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui import backup_list, health_check
from otdesk.ui.backup_list import BackupTable
from otdesk.ui.modal import run_modal
from otdesk.ui.worker import Worker

# What each stage of making a backup is called while it runs (services.maintenance.
# BACKUP_STAGES); only the copy counts (pages), the others show a busy bar.
STAGE_WORDS = {
    "copying": "Backing up: copying the clinic",
    "checking": "Backing up: checking the copy (SQLite's integrity check)…",
    "sealing": "Backing up: sealing the encrypted copy with the clinic's key slots…",
}


class _StageSignal(QObject):
    """Carries a backup's (stage, done, total) from the worker thread to the dialog."""

    moved = Signal(str, int, int)


class BackupsDialog(QDialog):
    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        self.folder = health_check.folder_of(window)
        self.setWindowTitle("Backups")
        self.setAccessibleName("Backups")
        intro = QLabel(
            f"Backups of the clinic, newest first, in {self.folder / 'backups'}. One is made "
            "at the first start of each day; the newest 14 are kept, and copies made before a "
            "restore are never deleted."
        )
        intro.setWordWrap(True)
        intro.setProperty("role", "hint")
        self.table = BackupTable()
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # a busy bar while a step reports no count
        self.busy.setAccessibleName("Working")
        self.busy.setMaximumWidth(200)
        self.busy.hide()
        self._stages = _StageSignal(self)
        self._stages.moved.connect(self._backup_moved)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Backups status")

        self.backup_button = QPushButton("Back up &now")
        self.backup_button.clicked.connect(self.back_up_now)
        self.verify_button = QPushButton("&Verify")
        self.verify_button.setToolTip("Check the selected backup again")
        self.verify_button.clicked.connect(self.verify_chosen)
        self.verify_all_button = QPushButton("Verify &all")
        self.verify_all_button.clicked.connect(self.verify_all)
        self.restore_button = QPushButton("&Restore…")
        self.restore_button.clicked.connect(self.restore_chosen)
        self.elsewhere_button = QPushButton("Restore from a file &elsewhere…")
        self.elsewhere_button.setToolTip(
            "Pick a backup file outside the backups folder (a copy on a USB drive, say); it "
            "is checked as the listed backups are before anything is replaced"
        )
        self.elsewhere_button.clicked.connect(self.restore_elsewhere)
        self.folder_button = QPushButton("Show &folder")
        self.folder_button.clicked.connect(self.show_folder)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        self._work_buttons = (
            self.backup_button,
            self.verify_button,
            self.verify_all_button,
            self.restore_button,
            self.elsewhere_button,
        )
        buttons = QHBoxLayout()
        for button in (*self._work_buttons, self.folder_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        status = QHBoxLayout()
        status.addWidget(self.status, 1)
        status.addWidget(self.busy)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(status)
        layout.addLayout(buttons)
        self.resize(900, 460)
        self.worker: Worker | None = None
        self.made: Any = None  # the backup Back up now made
        self.restored: Any = None  # the RestoreReport of Restore…
        self._done_note = ""  # said before the list's state once the list is checked again
        self.verify_all()

    # --- work on a worker thread -------------------------------------------------------------

    def _run(self, note: str, job: Callable[[], Any], done: Callable[[Any], None]) -> None:
        from otdesk.errors import UserError

        def wrapped(_progress: Any) -> Any:
            try:
                return job()
            except UserError as error:
                return error

        self.status.setProperty("role", None)
        self.status.setText(note)
        self.busy.setRange(0, 0)
        self.busy.setFormat("")
        self.busy.show()
        for button in self._work_buttons:
            button.setEnabled(False)
        worker = Worker(wrapped, self)
        worker.finished.connect(lambda result: self._ended(result, done))
        worker.failed.connect(lambda message: self._ended(RuntimeError(message), done))
        self.worker = worker
        worker.start()

    def _ended(self, result: Any, done: Callable[[Any], None]) -> None:
        self.busy.hide()
        self.worker = None
        if isinstance(result, Exception):
            self._say(str(result), "error")
        else:
            done(result)
        self._update_buttons()

    def busy_now(self) -> bool:
        return self.worker is not None

    def _say(self, text: str, role: str | None = None) -> None:
        from otdesk.ui import style

        if role is None:
            self.status.setProperty("role", None)
            self.status.setText(text)
            self.status.style().polish(self.status)
        else:
            style.show_note(self.status, text, role)

    def _update_buttons(self) -> None:
        idle = self.worker is None
        chosen = self.table.chosen()
        self.backup_button.setEnabled(idle)
        self.elsewhere_button.setEnabled(idle)
        self.verify_all_button.setEnabled(idle and bool(self.table.infos))
        self.verify_button.setEnabled(idle and chosen is not None)
        self.restore_button.setEnabled(
            idle and chosen is not None and backup_list.restorable(chosen)
        )

    # --- the buttons -------------------------------------------------------------------------

    def verify_all(self) -> None:
        from otdesk.services import maintenance

        key = health_check.key_of(self.window_)
        self._run(
            "Checking every backup…",
            lambda: maintenance.backups(self.folder, key=key),
            self._listed,
        )

    def _listed(self, infos: list[Any]) -> None:
        self.table.set_infos(infos)
        bad = [info for info in infos if info.problem is not None]
        done, self._done_note = self._done_note, ""
        before = f"{done} " if done else ""
        if not infos:
            self._say("There are no backups yet: Back up now makes one.")
        elif bad:
            self._say(
                f"{before}{len(bad)} of {len(infos)} backups cannot be restored (see Checked).",
                "error",
            )
        elif len(infos) == 1:
            self._say(f"{before}The backup verified: it can be restored.", "note")
        else:
            self._say(f"{before}All {len(infos)} backups verified: each can be restored.", "note")

    def verify_chosen(self) -> None:
        from otdesk.services import maintenance

        chosen = self.table.chosen()
        if chosen is None:
            return
        key = health_check.key_of(self.window_)
        self._run(
            f"Checking {chosen.backup.path.name}…",
            lambda: maintenance.backup_info(chosen.backup, self.folder, key=key),
            self._verified,
        )

    def _verified(self, info: Any) -> None:
        self.table.replace(info)
        name = info.backup.path.name
        if info.problem is None:
            self._say(f"{name}: {backup_list.state_of(info)}.", "note")
        else:
            self._say(f"{name}: {backup_list.state_of(info)}.", "error")

    def back_up_now(self) -> None:
        from otdesk.services import maintenance

        clinic = self.window_.clinic
        clock, key = clinic.ctx.clock, clinic.db.key
        moved = self._stages.moved.emit  # from the worker thread: delivered on this one
        self._run(
            "Backing up the clinic…",
            lambda: maintenance.backup_now(self.folder, clock=clock, key=key, progress=moved),
            self._backed_up,
        )

    def _backup_moved(self, stage: str, done: int, total: int) -> None:
        """A stage of Back up now: the copy as a percentage of its pages, the others by
        name with a busy bar (they report no count)."""
        if self.worker is None:
            return  # a late signal of a backup already ended
        words = STAGE_WORDS.get(stage, "Backing up…")
        if total > 0:
            percent = min(100, done * 100 // total)
            self.busy.setRange(0, 100)
            self.busy.setValue(percent)
            self.busy.setFormat("%p%")
            self.status.setText(f"{words}: {percent}% ({done:,} of {total:,} pages)…")
        else:
            self.busy.setRange(0, 0)
            self.busy.setFormat("")
            self.status.setText(words)

    def _backed_up(self, path: Any) -> None:
        self.made = path
        self._done_note = f"Backed up to {path.name}."
        self.table.clearSelection()  # the new one is selected once listed
        self.verify_all()

    def restore_chosen(self) -> None:
        chosen = self.table.chosen()
        if chosen is None or not backup_list.restorable(chosen):
            return
        report = health_check.restore_in_window(self.window_, self, chosen)
        if report is not None:
            self.restored = report
            self._done_note = backup_list.restored_note(report)
            self.verify_all()

    def pick_file(self) -> Path | None:
        """Ask which file to restore (a file dialog); None when cancelled."""
        chosen, _ = QFileDialog.getOpenFileName(
            self,
            "Restore from a file elsewhere",
            str(Path.home()),
            "otdesk backups (*.db);;All files (*)",
        )
        return Path(chosen) if chosen else None

    def restore_elsewhere(self, path: Path | None = None) -> None:
        """Restore the clinic from a file outside the backups folder (`path`, or the file
        picked): checked first as the listed backups are (refused with the problem found,
        nothing changed), then restored as they are, through the same checks."""
        from otdesk.services import maintenance

        path = path if path is not None else self.pick_file()
        if path is None:
            return
        key = health_check.key_of(self.window_)
        self._run(
            f"Checking {Path(path).name}…",
            lambda: maintenance.describe_file(path, self.folder, key=key),
            self._restore_checked,
        )

    def _restore_checked(self, info: Any) -> None:
        if not backup_list.restorable(info):
            message = f"{info.backup.path} cannot be restored: {info.problem}. Nothing was changed."
            self._say(message, "error")
            QMessageBox.warning(self, "The backup was not restored", message)
            return
        self._say(f"{info.backup.path.name}: {backup_list.state_of(info)}.", "note")
        report = health_check.restore_in_window(self.window_, self, info)
        if report is not None:
            self.restored = report
            self._done_note = backup_list.restored_note(report)
            self.verify_all()

    def show_folder(self) -> None:
        folder = self.folder / "backups"
        target = folder if folder.is_dir() else self.folder
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))

    def done(self, result: int) -> None:
        if self.worker is not None:  # a check or a backup finishes before the dialog goes
            self.worker.wait(120000)
        super().done(result)


def show_for(window: Any) -> None:
    run_modal(BackupsDialog(window))
