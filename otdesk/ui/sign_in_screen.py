"""The sign-in screen: a name, a password and Enter. The same panel is the window's lock
screen (otdesk.ui.lock), where the name is the person who was signed in, or another one
after "Switch user".

The module imports Qt only: the screen shows before the services, SQLCipher or the
diagnosis index are loaded (they load while the person types, otdesk.ui.start_flow). How a
try is checked is the caller's `attempt(name, password)`; what it raises is said in one
sentence under the password, which keeps the focus so the person can type again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from PySide6.QtCore import QByteArray, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.errors import UserError
from otdesk.ui.errors import outcome_of
from otdesk.ui.modal import run_modal

# attempt(name, password) -> what signing in gives (a Clinic, a Person); raises to refuse
Attempt = Callable[[str, str], Any]
# how long `name` must still wait before the next try, in seconds (0: none)
WaitFor = Callable[[str], int]
# asks run(job) to call job() on another thread and then done(result, error) on this one
Runner = Callable[[Callable[[], Any], Callable[[Any, BaseException | None], None]], None]

PANEL_WIDTH = 440


def wait_sentence(seconds: int) -> str:
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many failed tries in a row: try again in {seconds} {unit}."


def run_here(job: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
    """Run `job` now, on this thread (the lock screen: the clinic is open on this thread)."""
    done(*outcome_of(job))


class SignInPanel(QFrame):
    """Name, password, the sentence that says what went wrong, Sign in, and (optionally)
    the way in with the recovery key. `signed_in(result)` when attempt() succeeds."""

    signed_in = Signal(object)
    recovery_requested = Signal(str)  # the name typed so far

    def __init__(
        self,
        attempt: Attempt,
        *,
        heading: str = "Sign in",
        note: str = "",
        name: str = "",
        name_fixed: bool = False,
        recovery: bool = True,
        wait_for: WaitFor | None = None,
        runner: Runner = run_here,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._attempt = attempt
        self._wait_for = wait_for
        self._runner = runner
        self._busy = False
        self._wait_left = 0
        self.setObjectName("signInPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(PANEL_WIDTH)

        self.heading = QLabel(f"<h2>{escape(heading)}</h2>")
        self.heading.setAccessibleName("Sign-in heading")
        self.heading.setWordWrap(True)  # a long practice name goes on two lines
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Sign-in note")
        self.note.setVisible(bool(note))
        self.name = QLineEdit(name)
        self.name.setAccessibleName("Name")
        self.name.setPlaceholderText("your sign-in name, e.g. pat.lee")
        self.name.setReadOnly(name_fixed)
        self.password = QLineEdit()
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Sign-in message")
        self.message.setMinimumHeight(self.message.fontMetrics().height() * 2 + 4)
        self.sign_in_button = QPushButton("&Sign in")
        self.sign_in_button.setAccessibleName("Sign in")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(self.submit)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.sign_in_button)
        self.forgot = QPushButton("&Forgot your password? Use the recovery key…")
        self.forgot.setFlat(True)
        self.forgot.setAccessibleName("Forgot your password")
        self.forgot.clicked.connect(lambda: self.recovery_requested.emit(self.name.text()))
        self.forgot.setVisible(recovery)

        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&Password", self.password)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.addWidget(self.heading)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(self.buttons)
        layout.addWidget(self.forgot, 0, Qt.AlignmentFlag.AlignLeft)

        self.name.returnPressed.connect(self._name_entered)
        self.password.returnPressed.connect(self.submit)
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)

    def focus(self) -> None:
        """The password when the name is known, else the name."""
        field = self.password if self.name.text().strip() else self.name
        field.setFocus()
        field.selectAll()

    def set_name(self, name: str, fixed: bool) -> None:
        self.name.setText(name)
        self.name.setReadOnly(fixed)
        self.password.clear()
        self.show_message("")
        self.focus()

    def show_message(self, text: str) -> None:
        self.message.setText(text)

    def _name_entered(self) -> None:
        if self.name.text().strip():
            self.password.setFocus()

    def submit(self) -> None:
        if self._busy:
            return
        name, password = self.name.text().strip(), self.password.text()
        if not name:
            self.show_message("Type your name first.")
            self.name.setFocus()
            return
        if not password:
            self.show_message("Type your password.")
            self.password.setFocus()
            return
        if self._wait_left:
            self.show_message(wait_sentence(self._wait_left))
            self.password.setFocus()
            return
        self._set_busy(True)
        self.show_message("Signing in…")
        self._runner(lambda: self._attempt(name, password), self._finished)

    def _finished(self, result: Any, error: BaseException | None) -> None:
        self._set_busy(False)
        if error is None:
            self.password.clear()
            self.show_message("")
            self.signed_in.emit(result)
            return
        self.password.clear()
        self.password.setFocus()
        seconds = int(getattr(error, "seconds", 0) or 0)
        if not seconds and self._wait_for is not None:
            try:
                seconds = self._wait_for(self.name.text())
            except UserError:  # the pace is advice: the sign-in itself enforces it
                seconds = 0
        if seconds:
            self._wait_left = seconds
            self._countdown.start()
            first = "" if getattr(error, "seconds", 0) else f"{error} "
            self.show_message(first + wait_sentence(seconds))
        else:
            self.show_message(str(error) or type(error).__name__)

    def _tick(self) -> None:
        self._wait_left = max(0, self._wait_left - 1)
        if self._wait_left:
            self.show_message(wait_sentence(self._wait_left))
        else:
            self._countdown.stop()
            self.show_message("You can try again now.")

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.sign_in_button.setEnabled(not busy)
        self.forgot.setEnabled(not busy)


class SignInWindow(QWidget):
    """The window otdesk opens with: the practice's panel in the middle of the screen.
    `signed_in(result)` when a name and password (or the recovery key) open the clinic."""

    signed_in = Signal(object)
    recovery_requested = Signal(str)

    def __init__(
        self,
        attempt: Attempt,
        *,
        title: str = "otdesk",
        note: str = "",
        name: str = "",
        wait_for: WaitFor | None = None,
        runner: Runner = run_here,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Sign in — {title}")
        self.setAccessibleName("Sign-in window")
        self.panel = SignInPanel(
            attempt,
            heading=f"Sign in to {title}",
            note=note,
            name=name,
            wait_for=wait_for,
            runner=runner,
        )
        self.panel.signed_in.connect(self.signed_in)
        self.panel.recovery_requested.connect(self.recovery_requested)
        # stretches, not an alignment: a layout gives an aligned widget its plain size hint,
        # which leaves a heading wrapped on two lines no room for the second
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.panel)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        self.panel.focus()

    def place(self, geometry: Any = None) -> None:
        """Where the main window will be: its saved place (`geometry`, its saveGeometry())
        when that fits a screen, else the usual size in the middle of the main screen."""
        if isinstance(geometry, QByteArray | bytes) and self.restoreGeometry(QByteArray(geometry)):
            screen = QGuiApplication.screenAt(self.frameGeometry().center())
            if screen is not None and screen.availableGeometry().contains(self.frameGeometry()):
                return
        screen = QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen is not None else QRect(0, 0, 1366, 740)
        self.resize(min(1366, area.width()), min(740, area.height()))
        frame = self.frameGeometry()
        frame.moveCenter(area.center())
        self.move(frame.topLeft())


class RecoveryDialog(QDialog):
    """The emergency way in: the recovery key from the recovery sheet, an administrator's
    name and the new password they will sign in with from now on. `attempt(key, name,
    password)` opens the clinic; its result is kept in `result_value`."""

    def __init__(
        self,
        attempt: Callable[[str, str, str], Any],
        name: str = "",
        *,
        runner: Runner = run_here,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._attempt = attempt
        self._runner = runner
        self.result_value: Any = None
        self.setWindowTitle("Sign in with the recovery key")
        self.setMinimumWidth(560)
        intro = QLabel(
            "Type the recovery key from the clinic's recovery sheet (the 40 letters and "
            "digits; capitals, spaces and dashes do not matter), an administrator's name and "
            "a new password for them. The old password stops working.<br><br>"
            "Not an administrator? Ask one to reset your password (Clinic > People)."
        )
        intro.setWordWrap(True)
        self.key = QLineEdit()
        self.key.setAccessibleName("Recovery key")
        self.key.setPlaceholderText("XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")
        self.name = QLineEdit(name)
        self.name.setAccessibleName("Administrator's name")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("New password")
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.again.setAccessibleName("New password again")
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Recovery message")
        form = QFormLayout()
        form.addRow("Recovery &key", self.key)
        form.addRow("&Administrator", self.name)
        form.addRow("&New password", self.password)
        form.addRow("New password a&gain", self.again)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Sign in")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.key.setFocus()

    def accept(self) -> None:
        key, name = self.key.text().strip(), self.name.text().strip()
        if not key:
            self._refuse("Recovery key: type it from the recovery sheet.", self.key)
            return
        if not name:
            self._refuse("Administrator: type the name of an administrator.", self.name)
            return
        if not self.password.text():
            self._refuse("New password: type one.", self.password)
            return
        if self.password.text() != self.again.text():
            self.again.clear()
            self._refuse("New password again: the two passwords are not the same.", self.again)
            return
        self.ok_button.setEnabled(False)
        self.message.setText("Opening the clinic…")
        password = self.password.text()
        self._runner(lambda: self._attempt(key, name, password), self._finished)

    def _finished(self, result: Any, error: BaseException | None) -> None:
        self.ok_button.setEnabled(True)
        if error is None:
            self.result_value = result
            super().accept()
            return
        text = str(error) or type(error).__name__
        field = self.password if "assword" in text.split(":")[0] else self.key
        if "administrator" in text or "account" in text:
            field = self.name
        self._refuse(text, field)

    def _refuse(self, text: str, field: QLineEdit) -> None:
        self.message.setText(text)
        field.setFocus()
        field.selectAll()


def ask_recovery(
    parent: QWidget | None,
    attempt: Callable[[str, str, str], Any],
    name: str = "",
    runner: Runner = run_here,
) -> Any:
    """What the recovery key opened (the signed-in clinic), or None when cancelled."""
    dialog = RecoveryDialog(attempt, name, runner=runner, parent=parent)
    return dialog.result_value if run_modal(dialog) else None
