"""A start that fails before any window or dialog exists (the data folder cannot be used,
the disk is full, the database cannot be opened) still says so: on stderr, in the log, and
in a message box, so otdesk never just vanishes when started from the desktop."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from otdesk import logs
from otdesk.errors import UserError

log = logging.getLogger("otdesk")

TITLE = "otdesk could not start"


def explain(error: BaseException, log_path: Path | None = None) -> str:
    """The sentence shown: a UserError's own (it names what and where); for anything else
    its kind only (the details go to the log, never patient data)."""
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, OSError):
        from otdesk.errors import disk_full_sentence, is_disk_full

        place = error.filename or "its data folder"
        if is_disk_full(error):
            folder = Path(error.filename).parent if error.filename else place
            return disk_full_sentence(folder, "otdesk did not open")
        return (
            f"otdesk cannot use {place}: {error.strerror or error}. Check that it is a folder "
            "of yours and can be written to; nothing was opened."
        )
    where = f" Details for support are in {log_path}." if log_path else ""
    return (
        f"otdesk hit an unexpected problem while starting ({type(error).__name__}) and did "
        f"not open. What was saved before is safe.{where}"
    )


def report(error: BaseException, log_path: Path | None = None, title: str = TITLE) -> int:
    """Say why the start failed (stderr, the log, a message box once Qt is up); the exit
    code to return."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    text = explain(error, log_path)
    log.error("start failed: %s", logs.describe_error(error))
    print(f"otdesk: {text}", file=sys.stderr)
    if QApplication.instance() is not None:
        QMessageBox.critical(None, title, text)
    return 1
