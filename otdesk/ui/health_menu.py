"""Clinic > Backups… and Clinic > Check the database, wired into the window with the damage
path and the quick check after start (ui.health_check). Kept apart from health_check so the
dialogs and the checks they use depend one way: these dialogs use health_check, and only this
module opens them."""

from __future__ import annotations

from typing import Any

from otdesk.ui import health_check


def install(window: Any) -> None:
    """The damage path, the quick check after start and the two Clinic entries."""
    health_check.watch(window)
    _entries(window)


def connect(window: Any) -> None:
    """The damage path and the two Clinic entries, without the quick check at start."""
    health_check.connect(window)
    _entries(window)


def _entries(window: Any) -> None:
    window.clinic_menu.addSeparator()
    window.backups_action = window.add_clinic_action("&Backups…", lambda: show_backups(window))
    window.check_action = window.add_clinic_action(
        "C&heck the database", lambda: show_check(window)
    )


def show_backups(window: Any) -> None:
    from otdesk.services import server_connection

    if server_connection.on_server(window.clinic):
        show_server_backups(window)
        return
    from otdesk.ui import backups_dialog  # loaded when first used, not at start

    backups_dialog.show_for(window)


def server_backups_text(clinic: Any) -> tuple[str, str]:
    """What Clinic > Backups… says on a server clinic. The desk's Backups dialog copies and
    restores a clinic file; a server clinic is backed up by the server itself (pg_dump,
    point-in-time recovery), and otdesk's own portable copy is `otdesk backup --database`,
    which asks for the password that will open the copy: an IT person's step, not a
    desk's button. The address shown never holds the server's password."""
    from otdesk.paths import cli_command
    from otdesk.services import server_connection

    address = server_connection.address_text_of(clinic)
    person = clinic.person.name if clinic.person is not None else "NAME"
    command = cli_command("backup", "--database", address, "--out", "DIR", "--user", person)
    text = (
        f"This clinic is kept on the clinic server {clinic.db.server}: it is backed up by the "
        "server itself, not from this desk."
    )
    more = (
        "The server's own backups come first: a nightly pg_dump kept off the server, and "
        'PostgreSQL\'s point-in-time recovery (README, "A clinic server", step 5).\n\n'
        "An encrypted one-file copy of the whole clinic, in the same format as a desk's "
        f"backups, is written with:\n\n{command}\n\n"
        "A server clinic is not restored from a desk: restore a server backup with the "
        "server's own tools (pg_restore), or restore an otdesk copy onto a desk with "
        "`otdesk restore FILE --data-dir DIR` and move it to a server with "
        "`otdesk server move`."
    )
    return text, more


def show_server_backups(window: Any) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from otdesk.ui.modal import run_modal

    text, more = server_backups_text(window.clinic)
    ok = QMessageBox.StandardButton.Ok
    box = QMessageBox(
        QMessageBox.Icon.Information, "Backups of the clinic server", text, ok, window
    )
    box.setInformativeText(more)
    # the command is copied from here into a terminal
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    run_modal(box)


def show_check(window: Any) -> None:
    from otdesk.ui import check_dialog

    check_dialog.show_for(window)
