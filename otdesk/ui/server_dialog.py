"""Clinic > Connect to a clinic server...: where the clinic's PostgreSQL server is (host,
port, database, user, TLS mode) and the database password, which goes to this computer's
keyring, never into a settings file (services.server_connection). Test connection says
what is found there without connecting the window; Connect checks the same, keeps the
address (without its password) for this computer and returns it: the window then starts
again on that server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.app_settings import ComputerSettings
from otdesk.ui.errors import outcome_of
from otdesk.ui.modal import run_modal

TLS_WORDS = {
    "disable": "disable: no TLS (only on a trusted local network)",
    "prefer": "prefer: TLS when the server offers it",
    "require": "require: always TLS",
    "verify-full": "verify-full: TLS, and the server's certificate checked",
}


class ConnectDialog(QDialog):
    """result_value: the address connected to (postgresql://..., no password)."""

    def __init__(
        self,
        desk_dir: Path,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        from otdesk.services import server_connection as sc

        self._sc = sc
        self.desk_dir = Path(desk_dir)
        self.settings = settings if settings is not None else QSettings()
        self.result_value: str | None = None
        self._worker: Any = None
        self.setWindowTitle("Connect to a clinic server")
        self.setAccessibleName("Connect to a clinic server")

        intro = QLabel(
            "Several desks work on one clinic when it is kept on a PostgreSQL server. Your "
            "clinic's IT person gives you these details (README, \u201cA clinic server\u201d)."
        )
        intro.setWordWrap(True)
        self.host = QLineEdit()
        self.host.setAccessibleName("Host")
        self.host.setPlaceholderText("e.g. clinic-server or 192.168.1.20")
        self.port = QSpinBox()
        self.port.setAccessibleName("Port")
        self.port.setRange(1, 65535)
        self.port.setValue(sc.DEFAULT_PORT)
        self.database = QLineEdit()
        self.database.setAccessibleName("Database")
        self.database.setPlaceholderText("e.g. clinic")
        self.user = QLineEdit()
        self.user.setAccessibleName("User")
        self.user.setPlaceholderText("the login this desk uses, e.g. otdesk_desk")
        self.tls = QComboBox()
        self.tls.setAccessibleName("TLS mode")
        for mode in sc.TLS_MODES:
            self.tls.addItem(TLS_WORDS[mode], mode)
        self.tls.setCurrentIndex(sc.TLS_MODES.index(sc.DEFAULT_TLS))
        self.password = QLineEdit()
        self.password.setAccessibleName("Database password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("kept in this computer's keyring")
        self.message = QLabel()
        self.message.setAccessibleName("Connection result")
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(self.message.fontMetrics().height() * 3)

        form = QFormLayout()
        form.addRow("&Host", self.host)
        form.addRow("P&ort", self.port)
        form.addRow("&Database", self.database)
        form.addRow("&User", self.user)
        form.addRow("&TLS", self.tls)
        form.addRow("Pass&word", self.password)

        self.test_button = QPushButton("T&est connection")
        self.test_button.setAccessibleName("Test connection")
        self.test_button.setAutoDefault(False)
        self.test_button.clicked.connect(self.test)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.connect_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.connect_button.setText("&Connect")
        self.connect_button.setAccessibleName("Connect")
        self.buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self._fill(ComputerSettings(self.settings).server_address)

    def _fill(self, remembered: str) -> None:
        if not remembered:
            return
        address, _error = outcome_of(lambda: self._sc.ServerAddress.parse(remembered))
        if address is None:
            return
        self.host.setText(address.host)
        self.port.setValue(address.port)
        self.database.setText(address.database)
        self.user.setText(address.user)
        self.tls.setCurrentIndex(self._sc.TLS_MODES.index(address.tls))

    def address(self) -> Any:
        return self._sc.ServerAddress(
            host=self.host.text(),
            database=self.database.text(),
            user=self.user.text(),
            port=self.port.value(),
            tls=str(self.tls.currentData()),
        ).checked()

    def _password(self, address: Any) -> str:
        """What was typed, else what the keyring keeps for that address."""
        return self.password.text() or self._sc.stored_password(address) or ""

    def test(self) -> None:
        self._check(connect=False)

    def accept(self) -> None:
        self._check(connect=True)

    def _check(self, *, connect: bool) -> None:
        if self._worker is not None:
            return
        from otdesk.services.errors import ValidationError

        try:
            address = self.address()
        except ValidationError as error:
            self._say(str(error), error=True)
            getattr(self, error.field, self.host).setFocus()
            return
        password = self._password(address)
        self._say(f"Connecting to {address.place}…")
        self._busy(True)
        from otdesk.ui.worker import Worker

        def job(_progress: Any) -> Any:
            return self._sc.check_connection(address, password, desk_dir=self.desk_dir)

        worker = Worker(job, self)
        worker.finished.connect(lambda found: self._checked(found, address, password, connect))
        worker.failed.connect(self._failed)
        self._worker = worker
        worker.start()

    def _checked(self, found: str, address: Any, password: str, connect: bool) -> None:
        self._worker = None
        self._busy(False)
        self._say(found)
        if not connect:
            return
        from otdesk.errors import UserError

        if self.password.text():
            try:
                self._sc.store_password(address, self.password.text())
            except UserError as error:
                self._say(str(error), error=True)
                return
        kept = ComputerSettings(self.settings)
        kept.server_address = address.text
        kept.sync()
        self.result_value = address.text
        super().accept()

    def _failed(self, message: str) -> None:
        self._worker = None
        self._busy(False)
        self._say(message, error=True)

    def _busy(self, busy: bool) -> None:
        self.test_button.setEnabled(not busy)
        self.connect_button.setEnabled(not busy)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setProperty("role", "error" if error else "note")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)

    def done(self, result: int) -> None:  # noqa: D102 - wait for a test still running
        if self._worker is not None:
            self._worker.wait(10000)
        super().done(result)


def ask(parent: QWidget | None, desk_dir: Path, settings: QSettings | None = None) -> str | None:
    """The address connected to, or None (cancelled)."""
    dialog = ConnectDialog(desk_dir, settings, parent)
    if not run_modal(dialog):
        return None
    return dialog.result_value
