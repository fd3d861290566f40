"""Small helpers for driving widgets as a person would."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from otdesk.ui.check_dialog import CheckDialog


def show(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.show()
    widget.activateWindow()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window(), timeout=2000)
    return widget


def type_into_cell(qtbot, view, index, text: str, enter: bool = True) -> None:
    """Select a cell and type over it: the first key opens the editor, the rest go to it."""
    view.setFocus()
    view.setCurrentIndex(index)
    qtbot.keyClicks(view, text[0])
    editor = view.indexWidget(view.currentIndex())
    assert editor is not None, "typing did not open an editor"
    if len(text) > 1:
        qtbot.keyClicks(editor, text[1:])
    if enter:
        qtbot.keyClick(editor, Qt.Key_Return)
        # Qt commits an item editor's text on Enter through a queued call.
        QApplication.processEvents()


def when_modal(kind: type, act, tries: int = 300) -> None:
    """Call act(dialog) once a modal dialog of `kind` is showing (it runs inside the
    dialog's own event loop); gives up after `tries` looks, 10 ms apart."""
    from PySide6.QtCore import QTimer

    def look(left: int) -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, kind):
            act(widget)
        elif left:
            QTimer.singleShot(10, lambda: look(left - 1))

    QTimer.singleShot(0, lambda: look(tries))


def run_check(qtbot, window):
    """Clinic > Check the database, shown and waited for until its check has finished (a
    full check of a clinic, or of a server's schema and audit chain, takes some seconds)."""
    dialog = CheckDialog(window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.checked, timeout=30000)
    return dialog
