"""The idle lock (45 CFR 164.312(a)(2)(iii), automatic logoff): after the clinic's lock
minutes without a key or a mouse movement, or at File > Lock now, everything otdesk shows is
covered and the same person signs back in with their password, or another one switches in.

Covering: a value still being typed in a charge line is saved first (the window saves as it
is typed; a cell editor only when it closes). Then every otdesk window hides what it holds
(the main window its day list, visit, menus and status bar; an open dialog its contents; a
title that may name a patient reads "otdesk (locked)") and the lock screen, a window of its
own over the main one, takes every key and click (it is application-modal, so it works over
a dialog that was open too). Nothing is closed: a dialog half filled in, the visit and its
running session timer are all there again after the unlock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.sign_in_screen import SignInPanel

LOCKED_TITLE = "otdesk (locked)"
CHECK_EVERY_MS = 5000  # how often the idle time is looked at (the lock is at most this late)
_INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


class IdleWatcher(QObject):
    """`idle` once `minutes` pass without keyboard or mouse input anywhere in the app.
    `now` is a monotonic clock in seconds (tests pass their own and call check())."""

    idle = Signal()

    def __init__(
        self, minutes: int, now: Callable[[], float] = time.monotonic, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.minutes = minutes
        self._now = now
        self.last_input = now()
        self.paused = False
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_EVERY_MS)
        self.timer.timeout.connect(self.check)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in _INPUT:
            self.last_input = self._now()
        return False

    def set_minutes(self, minutes: int) -> None:
        self.minutes = minutes

    def idle_seconds(self) -> float:
        return self._now() - self.last_input

    def check(self) -> None:
        if not self.paused and self.idle_seconds() >= self.minutes * 60:
            self.paused = True  # once: the lock resumes it
            self.idle.emit()

    def resume(self) -> None:
        self.last_input = self._now()
        self.paused = False

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class LockWindow(QWidget):
    """The lock screen: who is signed in, their password, Switch user."""

    def __init__(self, panel: SignInPanel, who: str, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(LOCKED_TITLE)
        self.setAccessibleName("Lock screen")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.panel = panel
        self.who = QLabel(who)
        self.who.setWordWrap(True)
        self.who.setAccessibleName("Locked for")
        self.switch_button = QPushButton("S&witch user")
        self.switch_button.setAccessibleName("Switch user")
        panel.buttons.insertWidget(0, self.switch_button)
        panel.layout().insertWidget(1, self.who)  # type: ignore[union-attr]
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(panel)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)


class SessionLock(QObject):
    """Locks and unlocks `window` over the signed-in `clinic`. `record(action, **details)`
    writes the audit entry (services.session_events.record); `check(name, password)`
    returns the Person (services.signin.check_password)."""

    locked = Signal()
    unlocked = Signal(object)  # the Person now signed in
    switched = Signal(object)  # another Person switched in (after unlocked)

    def __init__(
        self,
        window: QMainWindow,
        clinic: Any,
        *,
        check: Callable[[str, str], Any],
        record: Callable[..., None],
        wait_for: Callable[[str], int] | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.clinic = clinic
        self._check = check
        self._record = record
        self._wait_for = wait_for
        self.screen: LockWindow | None = None
        self._hidden: list[QWidget] = []
        self._titles: list[tuple[QWidget, str]] = []

    @property
    def is_locked(self) -> bool:
        return self.screen is not None

    def lock(self, idle: bool = False) -> None:
        if self.screen is not None:
            return
        commit = getattr(getattr(self.window, "editor", None), "commit_editing", None)
        if commit is not None:
            commit()
        popup = QApplication.activePopupWidget()
        while popup is not None:  # an open menu or drop-down closes
            popup.close()
            popup = QApplication.activePopupWidget()
        self._record("lock", idle=idle)
        self._cover()
        person = self.clinic.person
        panel = SignInPanel(
            self._check,
            heading="otdesk is locked",
            name=person.name if person is not None else "",
            name_fixed=person is not None,
            recovery=False,
            wait_for=self._wait_for,
        )
        who = (
            f"{person.display_name} is signed in. Type your password to go on, or press "
            "Switch user to sign in as someone else."
            if person is not None
            else "Sign in to go on."
        )
        screen = LockWindow(panel, who, self.window)
        screen.switch_button.clicked.connect(lambda: panel.set_name("", fixed=False))
        panel.signed_in.connect(self._signed_in)
        screen.setGeometry(self.window.geometry())
        self.screen = screen
        screen.show()  # a new window goes on top
        screen.activateWindow()
        panel.focus()
        self.locked.emit()

    def _cover(self) -> None:
        self._hidden.clear()
        self._titles.clear()
        for top in QApplication.topLevelWidgets():
            if not top.isVisible() or top.windowType() == Qt.WindowType.Popup:
                continue
            self._titles.append((top, top.windowTitle()))
            top.setWindowTitle(LOCKED_TITLE)
            if isinstance(top, QMainWindow):
                parts = [top.centralWidget(), top.menuBar(), top.statusBar()]
            else:
                parts = [
                    child
                    for child in top.children()
                    if isinstance(child, QWidget) and not child.isWindow()
                ]
            for part in parts:
                if part is not None and part.isVisible():
                    part.hide()
                    self._hidden.append(part)

    def _uncover(self) -> None:
        for part in self._hidden:
            part.show()
        for top, title in self._titles:
            top.setWindowTitle(title)
        self._hidden.clear()
        self._titles.clear()

    def _signed_in(self, person: Any) -> None:
        previous = self.clinic.person
        switched = previous is None or person.name != previous.name
        if switched:
            self.clinic.sign_in_as(person)
            self._record("switch", previous=previous)
        else:
            self._record("unlock")
        screen, self.screen = self.screen, None
        self._uncover()
        if screen is not None:
            screen.close()
            screen.deleteLater()
        self.window.activateWindow()
        self.unlocked.emit(person)
        if switched:
            self.switched.emit(person)
