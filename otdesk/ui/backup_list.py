"""What the damaged-start screen and Clinic > Backups share: the table of backups (date,
size, visits, whether it verified), asking for the password or recovery key an encrypted
backup needs, and restoring one through otdesk.services.maintenance.restore (the same
checks as `otdesk restore`), off the window's thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.modal import run_modal
from otdesk.ui.worker import Worker

HEADERS = ("Date", "Made", "Size", "Visits", "Checked")
# Why each backup was made, as its file name says (storage.backups.REASONS).
MADE = {
    "daily": "First start of the day",
    "manual": "Back up now",
    "before-migration": "Before an upgrade",
    "before-restore": "Before a restore",
    "before-demo": "Before the demo",
    "before-server-move": "Before the server move",
    "elsewhere": "A file from elsewhere",
}
VERIFIED = "Verified: restores"
LOCKED = "Whole; opens with a password of its day or the recovery key"
NOT_CHECKED = "Checking…"


def when(info: Any) -> str:
    """The backup's time as the window shows dates: MM/DD/YYYY, then the time."""
    return info.backup.taken_at.strftime("%m/%d/%Y %H:%M")


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(size // 1024, 1)} KB"


def state_of(info: Any) -> str:
    """Whether the backup verified, in a few words."""
    if info.problem is not None:
        return f"Cannot be restored: {info.problem}"
    if info.locked:
        return LOCKED
    return VERIFIED


def restorable(info: Any) -> bool:
    return info.problem is None


def describe(info: Any) -> str:
    """One backup in a sentence: its file name, date, size and visits."""
    visits = f", {info.visits} visits" if info.visits is not None else ""
    return f"{info.backup.path.name} ({when(info)}, {human_size(info.size)}{visits})"


class BackupTable(QTableWidget):
    """The backups, newest first, one row each; the first restorable one is selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(HEADERS), parent)
        self.setHorizontalHeaderLabels(HEADERS)
        self.setAccessibleName("Backups")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        for column in range(len(HEADERS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.infos: list[Any] = []

    def set_infos(self, infos: list[Any]) -> None:
        chosen = self.chosen()
        keep = chosen.backup.path if chosen is not None else None
        self.infos = list(infos)
        self.setRowCount(len(self.infos))
        select = None
        for row, info in enumerate(self.infos):
            visits = str(info.visits) if info.visits is not None else "—"
            made = MADE.get(info.backup.reason, info.backup.reason)
            cells = (when(info), made, human_size(info.size), visits, state_of(info))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{info.backup.path}\n{text}")
                if column in (2, 3):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.setItem(row, column, item)
            kept = keep is not None and info.backup.path == keep
            if kept or (select is None and keep is None and restorable(info)):
                select = row
        if select is not None:
            self.selectRow(select)

    def replace(self, info: Any) -> None:
        """Show `info` (one backup checked again) in its row."""
        self.set_infos([info if i.backup.path == info.backup.path else i for i in self.infos])

    def chosen(self) -> Any:
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        if not rows or not 0 <= rows[0].row() < len(self.infos):
            return None
        return self.infos[rows[0].row()]


# --- an encrypted backup's password or recovery key -------------------------------------------


class UnlockDialog(QDialog):
    """A password of the backup's day (with the account's name), or the recovery key."""

    def __init__(self, info: Any, message: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unlock the backup")
        intro = QLabel(
            f"The backup {describe(info)} is encrypted. Type the name and password of an "
            "account as they were on that day, or the recovery key from the recovery sheet."
        )
        intro.setWordWrap(True)
        self.name = QLineEdit()
        self.name.setAccessibleName("Account name")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.recovery = QLineEdit()
        self.recovery.setAccessibleName("Recovery key")
        self.recovery.setPlaceholderText("XXXXX-XXXXX-… (8 groups of 5)")
        self.message = QLabel(message)
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Unlock message")
        form = QFormLayout()
        form.addRow("Account &name:", self.name)
        form.addRow("&Password:", self.password)
        form.addRow(QLabel("or"))
        form.addRow("&Recovery key:", self.recovery)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Unlock and restore")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())
        self.unlock: Any = None

    def _accept(self) -> None:
        from otdesk.services.clinic_files import PasswordUnlock, RecoveryUnlock

        if self.recovery.text().strip():
            self.unlock = RecoveryUnlock(self.recovery.text())
        elif self.name.text().strip() and self.password.text():
            self.unlock = PasswordUnlock(self.name.text().strip(), self.password.text())
        else:
            self.message.setText("Type an account's name and password, or the recovery key.")
            return
        self.accept()


def ask_unlock(parent: QWidget | None, info: Any, message: str = "") -> Any:
    """A keys.Unlocker for the encrypted backup `info`, or None (cancelled)."""
    dialog = UnlockDialog(info, message, parent)
    return dialog.unlock if run_modal(dialog) else None


# --- restoring -------------------------------------------------------------------------------


def confirm_restore(parent: QWidget | None, info: Any) -> bool:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Restore this backup?")
    box.setText(f"Restore the clinic from the backup {describe(info)}?")
    box.setInformativeText(
        "The backup is checked first; only a copy that passes replaces the clinic database. "
        "The database in use now is kept aside (a healthy one as a before-restore backup, a "
        "damaged one renamed beside it), never deleted. Work entered after this backup was "
        "made is not in it."
    )
    restore = box.addButton("&Restore", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(restore)
    box.exec()
    answer = box.clickedButton() is restore
    box.deleteLater()
    return answer


def run_job(parent: QWidget | None, title: str, job: Callable[[], Any]) -> Any:
    """job() on a worker thread behind a busy dialog that cannot be cancelled; returns its
    result, or the UserError it raised (any other error is raised here, on the window's
    thread, for the handler of unexpected errors)."""
    from PySide6.QtWidgets import QProgressDialog

    from otdesk.errors import UserError

    def wrapped(_progress: Any) -> Any:
        try:
            return job()
        except UserError as error:
            return error

    dialog = QProgressDialog(title, "", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setCancelButton(None)
    dialog.setMinimumDuration(300)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    worker = Worker(wrapped)
    worker.start()
    while not worker.done:
        QApplication.processEvents()
        worker.wait(20)
    QApplication.processEvents()
    dialog.close()
    dialog.deleteLater()
    worker.deleteLater()
    if worker.error is not None:
        raise RuntimeError(worker.error)
    return worker.result


def restore(
    parent: QWidget | None,
    folder: Path,
    info: Any,
    *,
    key: Any = None,
    clock: Any = None,
    confirm: bool = True,
    before: Callable[[], None] | None = None,
) -> Any:
    """Restore the backup `info` into the clinic in `folder` (whose key is `key`, None for
    a plain or unopened clinic), after asking; returns the RestoreReport, or None when it
    was cancelled or refused (the refusal is said; nothing was changed). `before()` runs
    once the person has said yes, just before the restore (the window closes its clinic)."""
    from otdesk.services import maintenance
    from otdesk.services.clinic_files import KeyUnlock
    from otdesk.services.errors import RecoveryKeyFormatError, WrongKeyError

    if confirm and not confirm_restore(parent, info):
        return None
    unlock = None
    if info.encrypted:
        if key is not None and not info.locked:
            unlock = KeyUnlock(key)
        else:
            unlock = ask_unlock(parent, info)
            if unlock is None:
                return None
    if before is not None:
        before()
    while True:
        result = run_job(
            parent,
            "Restoring the backup…",
            lambda chosen=unlock: maintenance.restore(
                info.backup.path, folder, clock=clock, key=key, unlock=chosen
            ),
        )
        if isinstance(result, WrongKeyError | RecoveryKeyFormatError) and info.encrypted:
            unlock = ask_unlock(parent, info, str(result))
            if unlock is None:
                return None
            continue
        break
    if isinstance(result, Exception):
        QMessageBox.warning(parent, "The backup was not restored", str(result))
        return None
    return result


def restored_note(report: Any) -> str:
    kept = (
        f" The database that was in use is kept as {report.safety_copy}."
        if report.safety_copy is not None
        else ""
    )
    return f"Restored the clinic from {report.restored_from.name}.{kept}"
