"""Clinic > Backups… and Clinic > Check the database, over the damage path of
ui.health_check (which those dialogs use, so the entries live above it)."""

from __future__ import annotations

from typing import Any

from otdesk.ui import health_check


def connect(window: Any) -> None:
    """The damage path and the two Clinic entries."""
    health_check.connect(window)
    _add_entries(window)


def watch(window: Any) -> None:
    """As connect(), and the quick check after every start (health_check.watch)."""
    health_check.watch(window)
    _add_entries(window)


def _add_entries(window: Any) -> None:
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
