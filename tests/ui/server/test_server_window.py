"""The window on a clinic server (issue 16), on a real PostgreSQL server: started with
--database / a remembered server, the sign-in against the server's accounts, then the day
list; a server that does not answer is said, and this computer's clinic offered."""

from __future__ import annotations

from pathlib import Path

from otdesk.services import server_connection
from otdesk.ui.app_settings import ComputerSettings
from tests.ui.signed_in import ADMIN, ADMIN_PASSWORD, PAT, PAT_PASSWORD
from tests.ui.test_sign_in import _sign_in

from .windows import signed_in_on_server


def test_the_window_signs_in_on_the_server_and_shows_its_day(qtbot, server_clinic, server_start):
    flow = server_start(server_clinic.url)
    assert flow.begin()
    screen = flow.sign_in_window
    qtbot.waitExposed(screen)
    place = server_connection.ServerAddress.parse(server_clinic.url).place
    assert screen.panel.note.text() == f"On the clinic server {place}."
    assert not screen.panel.forgot.isVisible()  # the recovery key is a clinic file's
    _sign_in(qtbot, flow, "pat", "not the password")
    qtbot.waitUntil(lambda: "not right" in screen.panel.message.text(), timeout=30000)
    _sign_in(qtbot, flow, PAT, PAT_PASSWORD)
    qtbot.waitUntil(lambda: flow.window is not None, timeout=30000)
    window = flow.window
    assert flow.clinic.person.name == PAT
    assert server_connection.on_server(flow.clinic)
    assert [v.id for v in window.day.visits_model.records()] == [server_clinic.visit.id]
    assert window.windowTitle() == f"Harbor Hand & OT — otdesk (clinic server {place})"
    # what the window keeps for this clinic is in this desk's folder for that server
    kept = window.kept.store.fileName()
    assert "servers" in kept and "otdesk.db" not in kept
    # sign out: the server's sign-in screen again
    window.session.sign_out()
    assert flow.sign_in_window.panel.note.text() == f"On the clinic server {place}."


def test_a_remembered_server_starts_with_the_keyring_password(
    qtbot, server_clinic, server_start, settings, memory_keyring
):
    address = server_connection.ServerAddress.parse(server_clinic.address_without_password())
    server_connection.store_password(address, server_clinic.parts.password)
    ComputerSettings(settings).server_address = address.text
    flow = server_start()  # nothing given for this run: the remembered server
    window = signed_in_on_server(qtbot, flow)
    assert [v.id for v in window.day.visits_model.records()] == [server_clinic.visit.id]
    settings.sync()
    kept = Path(settings.fileName()).read_text(encoding="utf-8")
    assert address.text in kept and server_clinic.parts.password not in kept


def test_an_unreachable_server_is_said_at_sign_in_and_the_local_clinic_is_offered(
    qtbot, server_clinic, server_start, settings
):
    lost = server_clinic.parts.set(port=1)  # nothing listens there
    flow = server_start(lost.render_as_string(hide_password=False))
    assert flow.begin()
    screen = flow.sign_in_window
    _sign_in(qtbot, flow, ADMIN, ADMIN_PASSWORD)
    qtbot.waitUntil(lambda: "did not answer" in screen.panel.message.text(), timeout=30000)
    assert server_clinic.parts.password not in screen.panel.message.text()
    ComputerSettings(settings).server_address = server_clinic.address_without_password()
    # this computer's clinic instead: the welcome of a folder with no clinic yet
    from otdesk.ui import welcome_dialog

    asked = []
    welcome_dialog_ask = welcome_dialog.ask
    try:
        welcome_dialog.ask = lambda parent: asked.append(True)  # cancelled
        screen.local_button.click()
    finally:
        welcome_dialog.ask = welcome_dialog_ask
    assert asked == [True]
    assert ComputerSettings(settings).server_address == ""
    assert flow.server is None
