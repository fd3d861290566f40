"""The screen for a clinic database that cannot be used as it is (empty although backups
exist, not an otdesk file, damaged): it names the damage and the file, which is left as it
is, lists the backups (date, size, visits, whether each verified) and restores the one
chosen through otdesk.services.maintenance.restore, the same checks as `otdesk restore`.
The exact command for the same restore is shown too.

Shown at start before the window (open_or_restore), and over the window when damage is
found later (otdesk.ui.health_check)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui import backup_list
from otdesk.ui.backup_list import BackupTable
from otdesk.ui.modal import run_modal
from otdesk.ui.worker import Worker

# (the dialog, the backup chosen) -> the RestoreReport, or None: how a restore is done when
# a window has the clinic open (otdesk.ui.health_check.restore_in_window)
Restorer = Callable[[QWidget, Any], Any]


def title_of(error: Any) -> str:
    from otdesk.services.errors import EmptyDatabaseError, NotAnOtdeskDatabaseError

    if isinstance(error, EmptyDatabaseError):
        return "The clinic database is empty"
    if isinstance(error, NotAnOtdeskDatabaseError):
        return "The clinic database cannot be read"
    return "The clinic database is damaged"


class DamagedDialog(QDialog):
    """`error` is the UnusableDatabaseError met; `folder` the clinic's data folder. After
    exec(), `report` is the RestoreReport when a backup was restored."""

    def __init__(
        self,
        error: Any,
        folder: Path,
        *,
        clock: Any = None,
        key: Any = None,
        leave_text: str = "&Quit",
        restorer: Restorer | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        from otdesk.paths import cli_command
        from otdesk.ui import style

        app = QApplication.instance()
        if isinstance(app, QApplication) and not app.styleSheet():
            style.apply_sheet(app)  # shown before the main window, which sets it otherwise
        self.folder = Path(folder)
        self._clock = clock
        self._key = key
        self._restorer = restorer
        self.report: Any = None
        self.setWindowTitle(title_of(error))
        self.setAccessibleName("Damaged clinic database")

        heading = QLabel(f"<h3>{title_of(error)}</h3>")
        detail = getattr(error, "detail", None) or str(error)
        self.message = QLabel(
            f"{detail} otdesk will not use it as it is and will not make a new one over it."
        )
        self.message.setWordWrap(True)
        self.message.setAccessibleName("What is wrong")
        self.file = QLabel(f"File: {getattr(error, 'path', None) or self.folder / 'otdesk.db'}")
        self.file.setWordWrap(True)
        self.file.setProperty("role", "hint")
        intro = QLabel(
            "Restore from a backup: choose one below (the newest that verified is selected)."
        )
        intro.setWordWrap(True)
        self.table = BackupTable()
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _index: self.restore_chosen())
        self.status = QLabel("Checking the backups…")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Backups status")
        command_label = QLabel("The same from the command line (for reference):")
        command_label.setProperty("role", "hint")
        self.command = QLineEdit(cli_command("restore", "--latest", data_dir=self.folder))
        self.command.setReadOnly(True)
        self.command.setAccessibleName("Restore command")
        self.command.setCursorPosition(0)

        self.restore_button = QPushButton("&Restore from a backup…")
        self.restore_button.setProperty("role", "primary")
        self.restore_button.setAccessibleName("Restore from a backup")
        self.restore_button.setEnabled(False)
        self.restore_button.setDefault(True)
        self.restore_button.clicked.connect(self.restore_chosen)
        self.leave_button = QPushButton(leave_text)
        self.leave_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.leave_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.message)
        layout.addWidget(self.file)
        layout.addSpacing(6)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(command_label)
        layout.addWidget(self.command)
        layout.addLayout(buttons)
        self.resize(860, 520)

        self._worker = Worker(self._list_backups, self)
        self._worker.finished.connect(self._listed)
        self._worker.failed.connect(lambda message: self.status.setText(message))
        self._worker.start()

    def _list_backups(self, _progress: Any) -> list[Any]:
        from otdesk.services import maintenance

        return maintenance.backups(self.folder, key=self._key)

    def _listed(self, infos: list[Any]) -> None:
        self.table.set_infos(infos)
        good = sum(1 for info in infos if backup_list.restorable(info))
        if not infos:
            self.status.setText(
                f"No backup was found in {self.folder / 'backups'}. A backup file copied from "
                "elsewhere can be restored with the command below (give its name instead of "
                "--latest)."
            )
        elif good == 0:
            self.status.setText(f"None of the {len(infos)} backups can be restored (see above).")
        else:
            self.status.setText(f"{good} of {len(infos)} backups verified and can be restored.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.table.chosen()
        self.restore_button.setEnabled(chosen is not None and backup_list.restorable(chosen))

    def listed(self) -> bool:
        """The backups have been checked and listed (for tests and the keyboard walk)."""
        return self._worker.done

    def restore_chosen(self) -> None:
        chosen = self.table.chosen()
        if chosen is None or not backup_list.restorable(chosen):
            return
        if self._restorer is not None:
            report = self._restorer(self, chosen)
        else:
            report = backup_list.restore(
                self, self.folder, chosen, key=self._key, clock=self._clock
            )
        if report is None:
            return
        self.report = report
        QMessageBox.information(self, "Backup restored", backup_list.restored_note(report))
        self.accept()

    def done(self, result: int) -> None:
        # the backups' check ends before the dialog goes (its thread reads their files)
        self._worker.wait(60000)
        super().done(result)


def ask(
    parent: QWidget | None,
    error: Any,
    folder: Path,
    *,
    clock: Any = None,
    key: Any = None,
    leave_text: str = "&Quit",
    restorer: Restorer | None = None,
) -> Any:
    """Show the screen; the RestoreReport when a backup was restored, else None."""
    dialog = DamagedDialog(
        error,
        folder,
        clock=clock,
        key=key,
        leave_text=leave_text,
        restorer=restorer,
        parent=parent,
    )
    run_modal(dialog)
    return dialog.report


def open_or_restore(opener: Callable[[], Any], folder: Path, clock: Any = None) -> Any:
    """opener() (opening the clinic), and when the database cannot be used as it is, the
    damaged screen until a restored backup opens; None when the person quit. Other storage
    errors (locked, too new, a full disk) are raised for the caller to say."""
    from otdesk.services.errors import UnusableDatabaseError

    while True:
        try:
            return opener()
        except UnusableDatabaseError as error:
            if ask(None, error, folder, clock=clock) is None:
                return None
