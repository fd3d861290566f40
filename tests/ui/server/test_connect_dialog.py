"""Clinic > Connect to a clinic server... on a real PostgreSQL server: Test connection says
what it found or why not (a wrong password, a host that does not answer, an empty
database, another program's database); Connect keeps the password in the keyring (a
stand-in here) and the address, without it, in this computer's settings; the window then
starts again on the server, and comes back to this computer's clinic."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import create_engine, text

from otdesk.services import server_connection
from otdesk.ui.app_settings import ComputerSettings
from otdesk.ui.server_dialog import ConnectDialog
from tests.helpers import postgres
from tests.ui.helpers import when_modal
from tests.ui.signed_in import ADMIN, ADMIN_PASSWORD, make_clinic
from tests.ui.test_sign_in import _sign_in


def _dialog(qtbot, tmp_path, settings, parts, *, password=None, port=None, database=None):
    dialog = ConnectDialog(tmp_path / "desk", settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.host, parts.host)
    dialog.port.setValue(port or parts.port)
    qtbot.keyClicks(dialog.database, database or parts.database)
    qtbot.keyClicks(dialog.user, parts.username)
    dialog.tls.setCurrentIndex(server_connection.TLS_MODES.index("disable"))
    qtbot.keyClicks(dialog.password, parts.password if password is None else password)
    return dialog


def _tested(qtbot, dialog) -> str:
    dialog.message.setText("")
    dialog.test_button.click()
    qtbot.waitUntil(
        lambda: dialog.test_button.isEnabled() and bool(dialog.message.text()), timeout=30000
    )
    return dialog.message.text()


# each refused try is logged by the dialog's worker (no password in it), as meant
@pytest.mark.expect_log("otdesk.ui.worker", "WARNING")
def test_test_connection_says_what_it_found_or_why_not(
    qtbot, server_clinic, tmp_path, settings, memory_keyring
):
    parts = server_clinic.parts
    found = _tested(qtbot, _dialog(qtbot, tmp_path, settings, parts))
    assert found == f"Connected to {parts.host}:{parts.port}/{parts.database}: Harbor Hand & OT."

    wrong = _tested(qtbot, _dialog(qtbot, tmp_path, settings, parts, password="not-it-4471"))
    assert "the password is wrong" in wrong and "not-it-4471" not in wrong

    nobody = _tested(qtbot, _dialog(qtbot, tmp_path, settings, parts, port=1))
    assert nobody.startswith(f"No clinic server answered at {parts.host}:1")

    with postgres.fresh_database() as other:
        engine = create_engine(other)
        empty = _tested(
            qtbot, _dialog(qtbot, tmp_path, settings, parts, database=engine.url.database)
        )
        assert "is empty" in empty and "otdesk server init" in empty
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE invoices (id integer primary key)"))
        engine.dispose()
        foreign = _tested(
            qtbot, _dialog(qtbot, tmp_path, settings, parts, database=engine.url.database)
        )
        assert "not an otdesk clinic's" in foreign and "invoices" in foreign

    missing = _dialog(qtbot, tmp_path, settings, parts)
    missing.host.clear()
    assert _tested(qtbot, missing) == "Type the server's host name or address."
    assert memory_keyring.kept == {}  # testing stores nothing
    assert ComputerSettings(settings).server_address == ""


def test_connect_keeps_the_password_in_the_keyring_never_in_the_settings(
    qtbot, server_clinic, tmp_path, settings, memory_keyring
):
    parts = server_clinic.parts
    dialog = _dialog(qtbot, tmp_path, settings, parts)
    dialog.connect_button.click()
    qtbot.waitUntil(lambda: dialog.result() == ConnectDialog.DialogCode.Accepted, timeout=30000)
    address = server_connection.ServerAddress.parse(dialog.result_value)
    assert (address.host, address.port, address.database, address.user, address.tls) == (
        parts.host,
        parts.port,
        parts.database,
        parts.username,
        "disable",
    )
    assert memory_keyring.kept == {
        (server_connection.KEYRING_SERVICE, address.keyring_name): parts.password
    }
    settings.sync()
    kept = Path(settings.fileName()).read_text(encoding="utf-8")
    assert ComputerSettings(settings).server_address == address.text
    assert parts.password not in kept
    assert address.text.replace("?", "") in kept.replace("?", "").replace("\\", "")
    # the next time the dialog opens it shows the address; the password field stays empty
    again = ConnectDialog(tmp_path / "desk", settings)
    qtbot.addWidget(again)
    assert (again.host.text(), again.port.value(), again.database.text()) == (
        parts.host,
        parts.port,
        parts.database,
    )
    assert again.password.text() == ""


def test_the_window_moves_to_the_server_and_back_to_this_computers_clinic(
    qtbot, server_clinic, server_start, tmp_path, settings, clock, memory_keyring
):
    # this computer's own clinic first, signed in
    make_clinic(tmp_path / "desk", clock)
    flow = server_start()
    assert flow.begin()
    _sign_in(qtbot, flow, ADMIN, ADMIN_PASSWORD)
    qtbot.waitUntil(lambda: flow.window is not None, timeout=30000)
    local_window = flow.window
    assert not server_connection.on_server(flow.clinic)
    names = [a.objectName() for a in local_window.clinic_menu.actions()]
    assert "Connect to a clinic server…" in names and "Use this computer's clinic" not in names

    # Clinic > Connect to a clinic server...: the dialog, then the server's sign-in
    def fill_and_connect(dialog):
        parts = server_clinic.parts
        dialog.host.setText(parts.host)
        dialog.port.setValue(parts.port)
        dialog.database.setText(parts.database)
        dialog.user.setText(parts.username)
        dialog.tls.setCurrentIndex(server_connection.TLS_MODES.index("disable"))
        dialog.password.setText(parts.password)
        dialog.connect_button.click()

    when_modal(ConnectDialog, fill_and_connect)
    _action(local_window, "Connect to a clinic server…").trigger()
    qtbot.waitUntil(lambda: flow.sign_in_window is not None, timeout=30000)
    assert flow.window is None and flow.server == ComputerSettings(settings).server_address
    assert "On the clinic server" in flow.sign_in_window.panel.note.text()
    _sign_in(qtbot, flow, ADMIN, ADMIN_PASSWORD)
    qtbot.waitUntil(lambda: flow.window is not None, timeout=30000)
    assert server_connection.on_server(flow.clinic)
    assert [v.id for v in flow.window.day.visits_model.records()] == [server_clinic.visit.id]

    # and back: Clinic > Use this computer's clinic
    when_modal(QMessageBox, lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    _action(flow.window, "Use this computer's clinic").trigger()
    qtbot.waitUntil(lambda: flow.sign_in_window is not None, timeout=30000)
    QApplication.processEvents()
    assert flow.server is None and ComputerSettings(settings).server_address == ""
    assert flow.sign_in_window.panel.note.text() == ""
    _sign_in(qtbot, flow, ADMIN, ADMIN_PASSWORD)
    qtbot.waitUntil(lambda: flow.window is not None, timeout=30000)
    assert not server_connection.on_server(flow.clinic)


def _action(window, name):
    for action in window.clinic_menu.actions():
        if action.objectName() == name:
            return action
    raise AssertionError(f"no {name} in the Clinic menu")
