"""Import the CMS NCCI practitioner PTP edits and MUE values the clinic downloaded. The
import reads large files, so it runs in a worker behind a progress dialog; nothing changes
unless every file reads cleanly, and the new tables take effect on the next check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.modal import run_modal
from otdesk.ui.worker import run_with_progress


def choose_ptp_files(parent: QWidget | None) -> list[Path]:
    names, _ = QFileDialog.getOpenFileNames(
        parent, "CMS PTP files (all parts)", "", "CMS files (*.txt *.csv *.xlsx *.zip);;All (*)"
    )
    return [Path(name) for name in names]


def choose_mue_file(parent: QWidget | None) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(
        parent, "CMS practitioner MUE file", "", "CMS files (*.txt *.csv *.xlsx *.zip);;All (*)"
    )
    return Path(name) if name else None


class NcciImportDialog(QDialog):
    def __init__(self, clinic: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.setWindowTitle("Import NCCI and MUE tables")
        self.setMinimumWidth(560)
        intro = QLabel(
            "otdesk ships a small NCCI table for therapy codes. To check every pair, download "
            "the quarterly practitioner PTP files and the practitioner MUE file from CMS and "
            "import them here. They replace the shipped tables for this clinic."
        )
        intro.setWordWrap(True)
        self.ptp_button = QPushButton("Import &PTP files…")
        self.ptp_button.setAccessibleName("Import PTP files")
        self.ptp_button.clicked.connect(lambda: self.import_ptp())
        self.mue_button = QPushButton("Import &MUE file…")
        self.mue_button.setAccessibleName("Import MUE file")
        self.mue_button.clicked.connect(lambda: self.import_mue())
        self.result = QLabel()
        self.result.setAccessibleName("Import result")
        self.result.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.ptp_button)
        buttons.addWidget(self.mue_button)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        layout.addWidget(close)
        self.imported = False
        self.shared = False

    def _folder(self) -> Path:
        return Path(self.clinic.ctx.tables_dir or self.clinic.db.path.parent)

    def import_ptp(self, paths: list[Path] | None = None) -> bool:
        paths = paths if paths is not None else choose_ptp_files(self)
        if not paths:
            return False
        from otdesk.core import ncci

        today = self.clinic.ctx.today()
        folder = self._folder()
        return self._run(
            "Importing PTP edits…",
            lambda _progress: self._shared(
                ncci.import_ptp_files(paths, folder, today), ncci.PTP_FILE_NAME
            ),
        )

    def import_mue(self, path: Path | None = None) -> bool:
        path = path if path is not None else choose_mue_file(self)
        if path is None:
            return False
        from otdesk.core import ncci

        folder = self._folder()
        return self._run(
            "Importing MUE values…",
            lambda _progress: self._shared(ncci.import_mue_file(path, folder), ncci.MUE_FILE_NAME),
        )

    def _shared(self, summary: Any, name: str) -> Any:
        """On a clinic server the imported table goes to every desk (in the worker, with
        the import): services.shared_tables."""
        from otdesk.services import shared_tables

        if shared_tables.publish(self.clinic.ctx, [name]):
            self.shared = True
        return summary

    def _run(self, title: str, job: Callable[[Any], Any]) -> bool:
        summary, error = run_with_progress(self, title, job, cancellable=False)
        if error is not None:
            self.result.setProperty("role", "error")
            self.result.setText(f"Nothing was imported: {error}")
        else:
            self.result.setProperty("role", "hint")
            shared = " Shared with every desk of the clinic server." if self.shared else ""
            self.result.setText(summary.describe() + shared)
            self.imported = True
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)
        return error is None


def ask(parent: QWidget | None, clinic: Any) -> bool:
    """True when a table was imported (the open visit's findings should be redone)."""
    dialog = NcciImportDialog(clinic, parent)
    run_modal(dialog)
    return dialog.imported
