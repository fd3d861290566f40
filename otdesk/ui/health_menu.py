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
    from otdesk.ui import backups_dialog  # loaded when first used, not at start

    backups_dialog.show_for(window)


def show_check(window: Any) -> None:
    from otdesk.ui import check_dialog

    check_dialog.show_for(window)
