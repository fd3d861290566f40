"""The window's part of a clinic on a server (issue 16): the other desks' changes, the
connection bar, and the Clinic menu's way to a server and back.

- The other desks' changes: their notices are heard on a thread of their own (the
  services' listener, LISTEN/NOTIFY) and handed to the window's change broadcast
  (ui.changes) on the window's thread, so the day list and the open visit refresh from
  them as from this desk's own dialogs. The open visit is not reloaded under the person's
  fingers (VisitController.typing): their save then meets StaleVisitError and its sentence.
- The connection: when the server goes away (the listener cannot reach it, or a save is
  refused for it), the bar says so, the change being saved is kept (VisitController.
  pending) and tried again every few seconds; when the server answers again, what waited is
  saved (or refused in its own words), everything shown is read afresh and the bar goes.
- Clinic > Connect to a clinic server... (ui.server_dialog) and, on a server, Use this
  computer's clinic: the start begins again there (StartFlow.switch_clinic).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QSizePolicy,
    QTextEdit,
    QToolBar,
    QWidget,
)

from otdesk.ui.changes import Changes

log = logging.getLogger(__name__)

LOST_SENTENCE = "Connection to the clinic server lost, retrying…"
WAIT_SECONDS = 1.0  # how long one listen waits: also how soon the thread stops
RETRY_SECONDS = 2.0  # between tries while the server is away
RETRY_MS = 2000

# switch(address or None): the start flow begins again on that server, or on this
# computer's clinic
Switch = Callable[[str | None], None]


def typing_in(widget: QWidget) -> bool:
    """Whether the person is in the middle of typing into `widget` (a field they changed
    and have not left, or a table cell being edited)."""
    focus = QApplication.focusWidget()
    if focus is None or not (focus is widget or widget.isAncestorOf(focus)):
        return False
    parent: Any = focus
    while parent is not None and parent is not widget:
        if (
            isinstance(parent, QAbstractItemView)
            and parent.state() == QAbstractItemView.State.EditingState
        ):
            return True
        if isinstance(parent, QAbstractSpinBox):
            inner = parent.findChild(QLineEdit)
            return bool(inner is not None and inner.isModified())
        parent = parent.parentWidget()
    if isinstance(focus, QLineEdit):
        return focus.isModified()
    if isinstance(focus, QPlainTextEdit | QTextEdit):
        return focus.document().isModified()
    return False


class Listening(QThread):
    """Waits for the other desks' notices; heard([(entity, id)]), lost(sentence) when the
    server stops answering, back() when it answers again."""

    heard = Signal(object)
    lost = Signal(str)
    back = Signal()

    def __init__(self, listener: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._listener = listener
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()
        self.wait(int((WAIT_SECONDS + 6) * 1000))  # a connect in progress times out at 5 s

    def run(self) -> None:
        from otdesk.services.errors import ServerUnavailableError

        away = False
        try:
            while not self._stop.is_set():
                try:
                    changes = self._listener.wait(WAIT_SECONDS)
                except ServerUnavailableError as error:
                    if not away:
                        away = True
                        self.lost.emit(str(error))
                    self._stop.wait(RETRY_SECONDS)
                    continue
                except Exception as error:  # noqa: BLE001 - the thread must go on listening
                    log.warning("listening for other desks failed: %s", type(error).__name__)
                    self._stop.wait(RETRY_SECONDS)
                    continue
                if away:
                    away = False
                    self.back.emit()
                if changes:
                    self.heard.emit([(c.entity, c.entity_id) for c in changes])
        finally:
            self._listener.close()


class ConnectionBar(QToolBar):
    """The bar across the top of the window while the clinic server is away."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Clinic server connection", parent)
        self.setObjectName("connectionBar")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)
        self.label = QLabel(LOST_SENTENCE)
        self.label.setObjectName("connectionLost")
        self.label.setAccessibleName("Clinic server connection")
        # across the whole width, one line: a wrapped label in a tool bar gets a narrow box
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.label.setStyleSheet(
            "QLabel#connectionLost { background: #fff4ce; color: #5c4400; "
            "border: 1px solid #e0c060; padding: 6px 10px; font-weight: bold; }"
        )
        self.addWidget(self.label)
        self.hide()

    def say(self, waiting: int) -> None:
        text = LOST_SENTENCE
        if waiting:
            what = "1 change" if waiting == 1 else f"{waiting} changes"
            text += f" {what} to the open visit kept; saved when the server is back."
        self.label.setText(text)
        self.show()


class ServerLink(QObject):
    """A signed-in window on a clinic server: the listener's thread, the bar, the retries."""

    def __init__(self, window: Any, listener: Any) -> None:
        super().__init__(window)
        self.window = window
        self.controller = window.controller
        self.controller.typing = lambda: typing_in(window.editor)
        self.bar = ConnectionBar(window)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.bar)
        self.away = False  # the listener cannot reach the server
        self.retry = QTimer(self)
        self.retry.setInterval(RETRY_MS)
        self.retry.timeout.connect(self.try_again)
        self.thread = Listening(listener, self)
        self.thread.heard.connect(self._heard)
        self.thread.lost.connect(self._lost)
        self.thread.back.connect(self._back)
        self.controller.connection_lost.connect(self._save_lost)
        self.thread.start()
        # the thread ends with the window (closed at sign-out, a switch, the app's end)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.stop()
        return False

    def stop(self) -> None:
        self.retry.stop()
        self.thread.stop()

    def _heard(self, pairs: list[tuple[str, int | None]]) -> None:
        self.window.changes.report(Changes.of_pairs(pairs))

    def _lost(self, _sentence: str) -> None:
        self.away = True
        self._show_bar()

    def _save_lost(self, _sentence: str) -> None:
        self._show_bar()

    def _show_bar(self) -> None:
        self.bar.say(len(self.controller.pending))
        self.window.show_status("")
        if not self.retry.isActive():
            self.retry.start()

    def _back(self) -> None:
        self.away = False
        self.try_again()

    def try_again(self) -> None:
        """Save what waited; the bar goes once nothing waits and the server answers."""
        saved = self.controller.retry_pending()
        if not saved:
            self.bar.say(len(self.controller.pending))
            return
        if self.away:
            self.bar.say(0)
            return
        self.retry.stop()
        self.bar.hide()
        # the notices sent while away are lost: everything shown is read afresh
        self.window.changes.report(Changes.of_pairs([("*", None)]))


def install(window: QMainWindow, clinic: Any, switch: Switch, desk_dir: Path) -> ServerLink | None:
    """The Clinic menu's server entries, and on a server clinic the listening and the bar."""
    from otdesk.services import server_connection

    menu = getattr(window, "clinic_menu", None)
    on_server = server_connection.on_server(clinic)
    if menu is not None:
        menu.addSeparator()
        connect = QAction("Connect to a clinic s&erver…", window)
        connect.setObjectName("Connect to a clinic server…")
        connect.triggered.connect(lambda: _connect(window, switch, desk_dir))
        menu.addAction(connect)
        if on_server:
            local = QAction("Use this computer's cl&inic", window)
            local.setObjectName("Use this computer's clinic")
            local.triggered.connect(lambda: _use_local(window, clinic, switch))
            menu.addAction(local)
    if not on_server:
        return None
    link = ServerLink(window, server_connection.listener_of(clinic))
    window.server_link = link  # type: ignore[attr-defined]
    return link


def _connect(window: Any, switch: Switch, desk_dir: Path) -> None:
    from otdesk.ui import server_dialog

    address = server_dialog.ask(window, desk_dir, getattr(window, "settings", None))
    if address is not None:
        _stop(window)
        switch(address)


def _use_local(window: Any, clinic: Any, switch: Switch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from otdesk.services.server_connection import address_of

    answer = QMessageBox.question(
        window,
        "Use this computer's clinic",
        f"Close the clinic on the server {address_of(clinic)} and open this computer's own "
        "clinic? This computer then starts on its own clinic until you connect again.",
    )
    if answer == QMessageBox.StandardButton.Yes:
        _stop(window)
        switch(None)


def _stop(window: Any) -> None:
    link = getattr(window, "server_link", None)
    if link is not None:
        link.stop()
