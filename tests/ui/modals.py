"""Answering the modal dialogs a step opens, as a person would: each handler gets the
dialog on top when it appears and returns False while it is not ready yet (it is asked
again a moment later). Busy progress dialogs are passed over."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QWidget

Handler = Callable[[QWidget], bool | None]


class Modals:
    def __init__(self, *handlers: Handler) -> None:
        self.handlers = list(handlers)
        self.seen: list[QWidget] = []
        self.texts: list[str] = []  # the title and the text of every message box answered
        self.errors: list[BaseException] = []
        self.running = True
        self.left = 0
        self.waited = 0
        self._waiting_on: QWidget | None = None
        QTimer.singleShot(30, self._tick)

    def _tick(self) -> None:
        if not self.running:
            return
        # the next look is booked first: a handler may open a dialog of its own (a click on
        # Restore asks to confirm), and that dialog's loop must still get the next look
        QTimer.singleShot(30, self._tick)
        widget = QApplication.activeModalWidget()
        if widget is None or isinstance(widget, QProgressDialog):
            return
        if not self.handlers:
            # a dialog nobody expected (or one left open): the test fails, never hangs
            self.left += 1
            if self.left > 100:
                self.errors.append(AssertionError(f"a dialog was left open: {describe(widget)}"))
                widget.close()
            return
        if not widget.isVisible():
            return
        # taken off the list before it runs: what it opens is answered by the next ones
        handler = self.handlers.pop(0)
        if isinstance(widget, QMessageBox):
            text = describe(widget)
        try:
            if handler(widget) is False:
                self.handlers.insert(0, handler)
                # one dialog the next handler never takes (a crash box, say): the test
                # fails with its text after about 30 s, never hangs
                self.waited = self.waited + 1 if widget is self._waiting_on else 0
                self._waiting_on = widget
                if self.waited > 1000:
                    self.errors.append(
                        AssertionError(f"a dialog no handler answers: {describe(widget)}")
                    )
                    self.handlers.clear()
                    widget.close()
                return
        except BaseException as error:  # the test fails with it, the dialog is not left open
            self.errors.append(error)
            self.handlers.clear()
            widget.close()
            return
        self.seen.append(widget)
        if isinstance(widget, QMessageBox):
            self.texts.append(text)

    def stop(self) -> None:
        self.running = False
        if self.errors:
            raise self.errors[0]

    @property
    def done(self) -> bool:
        return not self.handlers


def press(button_text: str, kind: type[QWidget] = QMessageBox) -> Handler:
    """Click the button whose text has `button_text` in the next dialog of `kind` (a message
    box unless said): another dialog on top meanwhile (the one that asked) is waited out."""

    def handler(widget: QWidget) -> bool:
        from PySide6.QtWidgets import QAbstractButton

        if not isinstance(widget, kind):
            return False

        for button in widget.findChildren(QAbstractButton):
            if button_text in button.text().replace("&", "") and button.isVisible():
                if not button.isEnabled():
                    return False
                button.click()
                return True
        raise AssertionError(f"no button {button_text!r} in {widget.windowTitle()!r}")

    return handler


def describe(widget: QWidget) -> str:
    if isinstance(widget, QMessageBox):
        return f"{widget.windowTitle()}: {widget.text()} {widget.informativeText()}"
    return widget.windowTitle()


@pytest.fixture(autouse=True)
def app_look_restored(qapp):
    """otdesk's start (run(), build_window) sets the application's font, style and style
    sheet; the tests after these get the look they had."""
    font, sheet, style = qapp.font(), qapp.styleSheet(), qapp.style().name()
    yield
    qapp.setStyleSheet(sheet)
    qapp.setFont(font)
    qapp.setStyle(style)
