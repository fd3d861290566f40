"""Damage found while the window is open, and restoring into an open window.

At every start, once the clinic's services are open, SQLite's quick_check reads the whole
file on a worker thread (about 7 ms per MB; the open itself checks only the pages every
query needs). Damage it finds, or a damaged page met by any service call in the middle of
work (CorruptDatabaseError from the storage layer), takes one path: saving is blocked (the
database refuses writes, the visit editor shows the visit read-only), a banner says why,
and the damaged screen offers the backups to restore. A restore closes the window's clinic,
restores through the services (the same checks as `otdesk restore`) and opens the clinic
again, whichever way the restore ended.



"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.errors import UserError
from otdesk.ui import backup_list
from otdesk.ui.worker import Worker

log = logging.getLogger(__name__)

# After the services have opened: the first paint and the day list come first.
CHECK_DELAY_MS = 500
BLOCKED = (
    "Saving is blocked: the clinic database is damaged. Restore a backup (Clinic > Backups…) "
    "to go on; what is shown is as it was stored."
)


def watch(window: Any) -> None:
    """The damage path (connect()) and the quick check after every start, once the
    services are open."""
    connect(window)

    def later() -> None:
        QTimer.singleShot(CHECK_DELAY_MS, window, lambda: start_quick_check(window))

    if window.clinic is None:
        window.clinic_opened.connect(later)
    else:
        later()


def connect(window: Any) -> None:
    """Damage met by the window's service calls takes the damage path (the two Clinic
    entries that use it are ui.health_menu's)."""
    window.damage = None  # the UnusableDatabaseError found, while the clinic is damaged
    window.quick_check_worker = None
    window.controller.damaged.connect(lambda error: damage_found(window, error))


def folder_of(window: Any) -> Path:
    return Path(window.clinic.db.path).parent


def key_of(window: Any) -> Any:
    return window.clinic.db.key if window.clinic is not None else None


def start_quick_check(window: Any) -> Worker | None:
    """SQLite's quick_check of the open clinic on a worker thread; damage found goes to
    damage_found()."""
    clinic = window.clinic
    if clinic is None or not window.isVisible():  # closed meanwhile: its clinic is closed too
        return None
    from otdesk.services.server_connection import on_server

    if on_server(clinic):  # a server checks its own pages; `otdesk check` verifies the rest
        return None

    def job(_progress: Any) -> Any:
        from otdesk.services.errors import StorageError

        try:
            clinic.db.quick_check()
        except StorageError as error:
            return error
        return True

    worker = Worker(job, window)
    worker.finished.connect(lambda result: _checked(window, result))
    window.quick_check_worker = worker
    worker.start()
    return worker


def _checked(window: Any, result: Any) -> None:
    from otdesk.services.errors import UnusableDatabaseError

    if isinstance(result, UnusableDatabaseError):
        damage_found(window, result)
    elif isinstance(result, Exception):  # a lock or a full disk: the next start checks again
        log.warning("quick check not done: %s", type(result).__name__)


def damage_found(window: Any, error: Any, *, offer: bool = True) -> None:
    """Block saving, show the banner, and (the first time) offer the restore."""
    first = window.damage is None
    window.damage = error
    if window.clinic is not None:
        window.clinic.db.refuse_writes(error)
    window.controller.block(BLOCKED)
    _show_banner(window, error)
    window.show_status(BLOCKED)
    if first and offer:
        QTimer.singleShot(0, window, lambda: offer_restore(window))


def offer_restore(window: Any) -> Any:
    """The damaged screen over the window; the RestoreReport when a backup was restored."""
    from otdesk.ui import damaged_dialog

    if window.damage is None or window.clinic is None:
        return None
    return damaged_dialog.ask(
        window,
        window.damage,
        folder_of(window),
        clock=window.clinic.ctx.clock,
        key=key_of(window),
        leave_text="&Keep it open read-only",
        restorer=lambda parent, info: restore_in_window(window, parent, info),
    )


def restore_at_open(window: Any, error: Any) -> bool:
    """The services found the database unusable while the first screen showed: the damaged
    screen; True when a backup was restored (the window then opens the clinic again)."""
    from otdesk.ui import damaged_dialog

    clock = window._clock if hasattr(window._clock, "now") else None
    folder = Path(error.path).parent if getattr(error, "path", None) else None
    if folder is None:
        return False
    return damaged_dialog.ask(window, error, folder, clock=clock) is not None


def restore_in_window(window: Any, parent: QWidget, info: Any) -> Any:
    """Restore `info` while the window has the clinic open: after the person's yes the
    clinic is closed, the backup restored, and the clinic opened again (the restored one,
    or the one that was there when the restore was refused)."""
    from otdesk.services.clinic import Clinic

    old = window.clinic
    folder = folder_of(window)
    clock = old.ctx.clock
    person = old.person
    closed: list[bool] = []

    def close_old() -> None:
        window.editor.commit_editing()
        window.controller.open(None)
        window.clinic = None  # what is asked meanwhile waits (MainWindow._when_open)
        window.controller.clinic = None
        old.close()
        closed.append(True)

    report = backup_list.restore(
        parent, folder, info, key=old.db.key, clock=clock, before=close_old
    )
    if not closed:
        return None
    key = report.key if report is not None else old.db.key
    try:
        clinic = Clinic.open(folder, clock=clock, key=key)
    except UserError as error:
        # the restore has opened it already; failing now is rare (a full disk, a lock)
        QMessageBox.critical(window, "otdesk cannot open the clinic database", str(error))
        window.open_failed = True
        window.close()
        return report
    clinic.sign_in_as(person)
    window.replace_clinic(clinic)
    if report is not None:
        cleared(window)
        window.show_status(backup_list.restored_note(report))
        QTimer.singleShot(0, window, lambda: start_quick_check(window))
    elif window.damage is not None:
        clinic.db.refuse_writes(window.damage)
    return report


def cleared(window: Any) -> None:
    """A good database is open again: saving works, the banner goes."""
    window.damage = None
    window.controller.unblock()
    banner = getattr(window, "damage_banner", None)
    if banner is not None:
        banner.hide()


def _show_banner(window: Any, error: Any) -> None:
    banner = getattr(window, "damage_banner", None)
    if banner is None:
        banner = DamageBanner(lambda: offer_restore(window))
        splitter = window.takeCentralWidget()
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(banner)
        layout.addWidget(splitter, 1)
        window.setCentralWidget(holder)
        window.damage_banner = banner
    banner.show_error(error)
    banner.show()


class DamageBanner(QFrame):
    """A band across the top of the window while the clinic is damaged."""

    def __init__(self, restore: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("damageBanner")
        self.setStyleSheet(
            "QFrame#damageBanner { background: #fde7e9; border-bottom: 2px solid #b00020; }"
        )
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Damage banner")
        self.restore_button = QPushButton("&Restore from a backup…")
        self.restore_button.setAccessibleName("Restore from a backup")
        self.restore_button.clicked.connect(lambda: restore())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.restore_button)

    def show_error(self, error: Any) -> None:
        detail = getattr(error, "detail", None) or str(error)
        self.text.setText(f"<b>Saving is blocked.</b> {detail}")


def handled(window: Any, error: BaseException) -> bool:
    """For the handler of unexpected errors: damage, a full disk or another UserError that
    escaped a step is said in its own words (damage takes the damage path) instead of
    "Something went wrong". False for anything else."""
    from otdesk.errors import UserError, disk_full_sentence, is_disk_full
    from otdesk.services.errors import UnusableDatabaseError

    if isinstance(error, UnusableDatabaseError) and window is not None and window.clinic:
        damage_found(window, error)
        return True
    if is_disk_full(error):
        where = Path(getattr(error, "filename", "") or ".").parent
        text = disk_full_sentence(where)
    elif isinstance(error, UserError):
        text = str(error)
    else:
        return False
    QMessageBox.warning(window, "otdesk could not finish that step", text)
    return True
