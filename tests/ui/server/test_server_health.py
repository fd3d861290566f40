"""Clinic > Backups… on a window on a clinic server (issue 16), on a real PostgreSQL server:
not the desk's Backups dialog (it copies and restores a clinic file), but a clear message
that the server backs the clinic up, with the `otdesk backup --database` command for the
portable copy and how such a copy is restored; nothing written, no crash box."""

from __future__ import annotations

import shlex

from PySide6.QtWidgets import QMessageBox

from otdesk.services import server_connection
from otdesk.ui.backups_dialog import BackupsDialog
from tests.ui.modals import Modals, app_look_restored, press  # noqa: F401 (the fixture)
from tests.ui.signed_in import ADMIN, ADMIN_PASSWORD
from tests.ui.test_sign_in import _sign_in


def _signed_in_window(qtbot, flow):
    assert flow.begin()
    qtbot.waitExposed(flow.sign_in_window)
    _sign_in(qtbot, flow, ADMIN, ADMIN_PASSWORD)
    qtbot.waitUntil(lambda: flow.window is not None, timeout=30000)
    return flow.window


def test_backups_on_a_server_clinic_say_the_server_backs_it_up(qtbot, server_clinic, server_start):
    window = _signed_in_window(qtbot, server_start(server_clinic.url))
    desk = window.clinic.db.path.parent
    before = sorted(p.relative_to(desk) for p in desk.rglob("*"))
    seen = []

    def look(widget):
        if not isinstance(widget, QMessageBox):
            return False
        seen.append((widget.windowTitle(), widget.text(), widget.informativeText()))
        assert not widget.findChildren(BackupsDialog)
        return press("OK")(widget)

    modals = Modals(look)
    try:
        window.backups_action.trigger()
    finally:
        modals.stop()
    assert modals.done
    ((title, text, more),) = seen
    server = window.clinic.db.server
    assert title == "Backups of the clinic server"
    assert text == (
        f"This clinic is kept on the clinic server {server}: it is backed up by the server "
        "itself, not from this desk."
    )
    assert "pg_dump" in more and "point-in-time recovery" in more
    command = next(line for line in more.splitlines() if " backup --database " in line)
    words = shlex.split(command)
    address = words[words.index("--database") + 1]
    assert address.startswith("postgresql://")
    assert server_connection.ServerAddress.parse(address).place == server
    assert server_clinic.parts.password not in more  # the server's password never shown
    assert words[-2:] == ["--user", ADMIN] and "--out" in words
    assert "pg_restore" in more and "otdesk restore FILE --data-dir DIR" in more
    assert "otdesk server move" in more
    # nothing written at the desk (no backups folder made, no copy)
    assert sorted(p.relative_to(desk) for p in desk.rglob("*")) == before
