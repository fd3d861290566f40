"""Clinic > Backups… on a window on a clinic server (issue 16), on a real PostgreSQL server:
not the desk's Backups dialog (it copies and restores a clinic file), but a clear message
that the server backs the clinic up, with the `otdesk backup --database` command for the
portable copy and how such a copy is restored; nothing written, no crash box."""

from __future__ import annotations

import shlex

from PySide6.QtWidgets import QMessageBox
from sqlalchemy import create_engine, text

from otdesk.services import server_connection
from otdesk.storage.migrations import HEAD_REVISION
from otdesk.ui.backups_dialog import BackupsDialog
from tests.ui.helpers import run_check
from tests.ui.modals import Modals, app_look_restored, press  # noqa: F401 (the fixture)
from tests.ui.signed_in import ADMIN

from .windows import signed_in_on_server


def test_backups_on_a_server_clinic_say_the_server_backs_it_up(qtbot, server_clinic, server_start):
    window = signed_in_on_server(qtbot, server_start(server_clinic.url))
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


def test_check_the_database_on_a_server_clinic_runs_the_servers_check(
    qtbot, server_clinic, server_start
):
    window = signed_in_on_server(qtbot, server_start(server_clinic.url))
    server = window.clinic.db.server
    # a clinic file in the desk folder is not what is checked (it stays unmade)
    assert not (window.clinic.db.path.parent / "otdesk.db").exists()
    dialog = run_check(qtbot, window)
    assert dialog.error is None and dialog.health.server == server
    assert "No problem found" in dialog.heading.text()
    words = dialog.words.text()
    assert f"The clinic server {server} answered." in words
    assert f"schema {HEAD_REVISION}) is this otdesk's" in words
    assert "entries all fit their chain" in words and "are in place" in words
    assert "SQLite" not in words
    assert not dialog.restore_button.isVisible()
    dialog.close()

    # the database's owner, outside otdesk: a protecting trigger dropped, an entry rewritten
    engine = create_engine(server_clinic.parts)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        connection.execute(text("UPDATE audit_log SET action = 'nothing' WHERE id = 3"))
        connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        connection.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
    engine.dispose()
    assert window.check_action in window.clinic_menu.actions()
    dialog = run_check(qtbot, window)
    assert "The check found a problem" in dialog.heading.text()
    words = dialog.words.text()
    assert "The audit log does not fit from entry 3" in words
    assert "missing: audit_log_append_only" in words
    assert "pg_restore" in words and "not from this desk" in words
    assert not dialog.restore_button.isVisible()  # a server is not restored from a desk
    assert window.damage is None  # the data itself is readable: work goes on
