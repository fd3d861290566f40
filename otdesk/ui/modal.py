"""Showing a modal dialog and letting it go once it is closed."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog


def run_modal(dialog: QDialog) -> bool:
    """Show `dialog` until it is closed; True when it was accepted. It is then left to Qt to
    delete: a dialog with a parent would otherwise live as long as the main window, one more
    for every time it was opened. What it holds (its answer, its widgets) can still be read
    until control returns to the event loop."""
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()
