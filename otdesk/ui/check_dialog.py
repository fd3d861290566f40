"""Clinic > Check the database: what `otdesk check` finds, in plain words. SQLite's full
integrity check, the schema version, the audit log's chain (naming the first entry that
does not fit) and the triggers that keep finalized visits from being rewritten, run by
otdesk.services.maintenance.check on a worker thread. When something failed the dialog
offers the restore; damage to the file itself also blocks saving (otdesk.ui.health_check)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui import health_check
from otdesk.ui.modal import run_modal
from otdesk.ui.worker import Worker


def findings(health: Any) -> list[tuple[bool, str]]:
    """(passed, sentence) for each thing checked, in the order the dialog shows them."""
    check = health.check
    found: list[tuple[bool, str]] = []
    if health.server:
        # no file here: the server keeps and checks its own storage
        found.append((True, f"The clinic server {health.server} answered."))
    elif check.problems:
        listed = "; ".join(check.problems[:3])
        more = f" (and {len(check.problems) - 3} more)" if len(check.problems) > 3 else ""
        found.append(
            (False, f"The file is damaged. SQLite's integrity check found: {listed}{more}.")
        )
    else:
        found.append((True, "The file is whole: SQLite's full integrity check found no damage."))
    if check.revision == check.head:
        found.append((True, f"Its format (schema {check.revision}) is this otdesk's."))
    else:
        found.append(
            (
                False,
                f"Its format (schema {check.revision or 'not recorded'}) is not this otdesk's "
                f"({check.head}).",
            )
        )
    records = health.records
    if records is None:
        found.append((False, "The audit log and the triggers were not checked: the file failed."))
        return found
    chain = records.chain
    if chain.ok:
        found.append(
            (True, f"The audit log's {chain.entries:,} entries all fit their chain of hashes.")
        )
    else:
        found.append(
            (
                False,
                f"The audit log does not fit from entry {chain.first_bad_id}: {chain.problem}. "
                "Keep this file for investigation.",
            )
        )
    if records.missing_triggers:
        found.append(
            (
                False,
                "The triggers that keep finalized visits from being rewritten are missing: "
                + ", ".join(records.missing_triggers)
                + ".",
            )
        )
    else:
        found.append(
            (True, "The triggers that keep finalized visits from being rewritten are in place.")
        )
    return found


class CheckDialog(QDialog):
    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        self.folder = health_check.folder_of(window)
        from otdesk.services import server_connection

        # a clinic server: the server's check (its schema, triggers and audit chain), not
        # a file in the desk folder
        self.server = server_connection.address_of(window.clinic)
        self.setWindowTitle("Check the database")
        self.setAccessibleName("Check the database")
        self.heading = QLabel("<h3>Checking the clinic database…</h3>")
        self.words = QLabel(
            "otdesk reads the whole audit log on the clinic server; this takes a moment for a "
            "large clinic. You can go on working meanwhile."
            if self.server
            else "SQLite reads the whole file; this takes a moment for a large clinic. You can "
            "go on working meanwhile."
        )
        self.words.setWordWrap(True)
        self.words.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.words.setAccessibleName("Check result")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.restore_button = QPushButton("&Restore from a backup…")
        self.restore_button.setAccessibleName("Restore from a backup")
        self.restore_button.hide()
        self.restore_button.clicked.connect(self._restore)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ActionRole)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.words)
        layout.addWidget(self.busy)
        layout.addStretch(1)
        layout.addWidget(close)
        self.resize(760, 320)
        self.health: Any = None
        self.error: Any = None
        key = health_check.key_of(window)
        db = window.clinic.db

        def job(_progress: Any) -> Any:
            from otdesk.services import maintenance
            from otdesk.services.errors import StorageError

            try:
                if self.server:
                    return maintenance.check_server(db)
                return maintenance.check(self.folder, key=key)
            except StorageError as error:
                return error

        self.worker = Worker(job, self)
        self.worker.finished.connect(self._done)
        self.worker.failed.connect(lambda message: self._show(False, [(False, message)]))
        self.worker.start()

    def _done(self, result: Any) -> None:
        from otdesk.services.errors import UnusableDatabaseError

        if isinstance(result, Exception):
            self.error = result
            self._show(False, [(False, str(result))])
            if isinstance(result, UnusableDatabaseError):
                health_check.damage_found(self.window_, result, offer=False)
            return
        self.health = result
        self._show(result.ok, findings(result))
        if result.check.problems:
            from otdesk.services.errors import CorruptDatabaseError

            self.error = CorruptDatabaseError(
                f"The clinic database {result.check.path} is damaged (SQLite says: "
                f"{'; '.join(result.check.problems[:3])}); it has not been changed.",
                path=result.check.path,
                newest_backup=result.backups[0].path if result.backups else None,
            )
            health_check.damage_found(self.window_, self.error, offer=False)

    def _show(self, ok: bool, found: list[tuple[bool, str]]) -> None:
        self.busy.hide()
        self.heading.setText(
            "<h3>No problem found</h3>" if ok else "<h3>The check found a problem</h3>"
        )
        rows = "".join(
            f"<tr><td>{'✔' if passed else '✘'}</td><td>{text}</td></tr>" for passed, text in found
        )
        if ok:
            advice = ""
        elif self.server:
            advice = (
                "<p>Keep the database on the server as it is for whoever looks after it: a "
                "server clinic is restored with the server's own tools (pg_restore, "
                "point-in-time recovery), not from this desk.</p>"
            )
        else:
            advice = (
                "<p>Restore the newest backup that verified (below), or keep this file for "
                "whoever looks after the computer.</p>"
            )
        self.words.setText(f"<table cellspacing=4>{rows}</table>{advice}")
        self.restore_button.setVisible(not ok and not self.server)

    def checked(self) -> bool:
        return self.worker.done

    def _restore(self) -> None:
        from otdesk.ui import backups_dialog

        if self.window_.damage is not None:
            health_check.offer_restore(self.window_)
        else:
            backups_dialog.show_for(self.window_)

    def done(self, result: int) -> None:
        self.worker.wait(120000)
        super().done(result)


def show_for(window: Any) -> None:
    run_modal(CheckDialog(window))
