"""The signed-in person's part of the main window: who is signed in (the status bar), the
File menu (Lock now, Change my password, Sign out), the idle lock, and for administrators
Clinic > People and Clinic > Audit log. Installed on the window after sign-in
(install()); the window itself knows nothing of accounts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu

from otdesk.core.accounts import Permission
from otdesk.ui.changes import EVERYTHING, Changes
from otdesk.ui.lock import IdleWatcher, SessionLock

LOCK_KEYS = "Ctrl+Shift+L"  # Ctrl+L is the charge lines


class Session(QObject):
    def __init__(
        self,
        window: QMainWindow,
        clinic: Any,
        on_sign_out: Callable[[], None],
        now: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(window)
        from otdesk.services import session_events, signin

        self.window = window
        self.clinic = clinic
        self._on_sign_out = on_sign_out
        self._events = session_events
        # the failed-try record: beside the clinic file, or a server's own under the desk
        # folder (storage.server record_place), the same one the sign-in paces from
        database = clinic.db.pending_place
        self.lock = SessionLock(
            window,
            clinic,
            check=lambda name, password: signin.check_password(clinic, name, password),
            record=self.record,
            wait_for=lambda name: session_events.sign_in_wait(database, name, clinic.ctx.now()),
        )
        self.lock.unlocked.connect(self._unlocked)
        self.lock.switched.connect(self._switched)
        watcher_args = {"now": now} if now is not None else {}
        self.watcher = IdleWatcher(clinic.accounts.lock_minutes(), parent=self, **watcher_args)
        self.watcher.idle.connect(lambda: self.lock.lock(idle=True))

        self.who = QLabel()
        self.who.setAccessibleName("Signed in")
        window.statusBar().addPermanentWidget(self.who)

        self.lock_action = self._action("&Lock now", LOCK_KEYS, lambda: self.lock.lock())
        self.password_action = self._action("&Change my password…", None, self.change_password)
        self.sign_out_action = self._action("Sign &out", None, self.sign_out)
        self.file_menu = QMenu("&File", window)
        self.file_menu.setObjectName("fileMenu")
        for action in (self.lock_action, self.password_action, None, self.sign_out_action):
            if action is None:
                self.file_menu.addSeparator()
            else:
                self.file_menu.addAction(action)
        bar = window.menuBar()
        first = bar.actions()[0] if bar.actions() else None
        bar.insertMenu(first, self.file_menu) if first else bar.addMenu(self.file_menu)

        self.people_action = self._action("Peop&le…", None, self.show_people)
        self.audit_action = self._action("Audit lo&g…", None, self.show_audit_log)
        clinic_menu = getattr(window, "clinic_menu", None)
        if clinic_menu is not None:
            clinic_menu.addSeparator()
            clinic_menu.addAction(self.people_action)
            clinic_menu.addAction(self.audit_action)
        self._show_person()

    def _action(self, text: str, keys: str | None, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(text)
        if keys:
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _=False: slot())
        self.window.addAction(action)
        return action

    def record(self, what: str, **details: Any) -> None:
        action = {
            "lock": self._events.LOCK,
            "unlock": self._events.UNLOCK,
            "switch": self._events.SWITCH,
            "signout": self._events.SIGN_OUT,
        }[what]
        self._events.record(self.clinic, action, **details)

    def _show_person(self) -> None:
        person = self.clinic.person
        self.who.setText(f"Signed in: {person.shown}" if person is not None else "")
        admin = person is None or person.may(Permission.PEOPLE)
        self.people_action.setVisible(admin)
        self.audit_action.setVisible(person is None or person.may(Permission.AUDIT))

    def _unlocked(self, _person: Any) -> None:
        self.watcher.resume()

    def _switched(self, _person: Any) -> None:
        # another person's session: the visit open for the one before is put away (their
        # running session timer goes on in the services), the lock minutes read again
        controller = getattr(self.window, "controller", None)
        if controller is not None and controller.visit is not None:
            controller.open(None)
        self.watcher.set_minutes(self.clinic.accounts.lock_minutes())
        self._show_person()
        # what the window shows is read again for them, from the broadcast
        changes = getattr(self.window, "changes", None)
        if changes is not None:
            changes.report(Changes.of(EVERYTHING))
        # the new person starts where the desk does, in Find patient (the day list, given
        # the focus back, would open its first visit)
        day = getattr(self.window, "day", None)
        if day is not None:
            day.focus_search(f"{self.clinic.person.display_name} is signed in.")

    def show_people(self) -> None:
        from otdesk.ui import people_dialog

        changes = getattr(self.window, "changes", None)
        people_dialog.show(self.window, self.clinic, self.watcher.set_minutes, changes)

    def show_audit_log(self) -> None:
        from otdesk.ui import audit_dialog

        audit_dialog.show(self.window, self.clinic, getattr(self.window, "changes", None))

    def change_password(self) -> None:
        from otdesk.ui import people_dialog

        if people_dialog.change_own_password(self.window, self.clinic):
            self.window.statusBar().showMessage("Your password is changed.", 5000)

    def sign_out(self) -> None:
        commit = getattr(getattr(self.window, "editor", None), "commit_editing", None)
        if commit is not None:
            commit()
        self.record("signout")
        self.watcher.stop()
        self._on_sign_out()


def install(
    window: QMainWindow,
    clinic: Any,
    on_sign_out: Callable[[], None],
    now: Callable[[], float] | None = None,
) -> Session:
    session = Session(window, clinic, on_sign_out, now)
    window.session = session  # type: ignore[attr-defined]
    return session
