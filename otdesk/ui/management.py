"""The Clinic menu's management dialogs, as (menu text, opener(window)) pairs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _practice(window: Any) -> None:
    from otdesk.ui import practice_dialog

    if practice_dialog.ask(window, window.clinic):
        practice = window.clinic.practice.get()
        if practice is not None:
            window.setWindowTitle(f"{practice.name} — otdesk")


def _providers(window: Any) -> None:
    from otdesk.ui import providers_dialog

    providers_dialog.ask(window, window.clinic)
    window.controller.reload()


def _payers(window: Any) -> None:
    from otdesk.ui import payers_dialog

    payers_dialog.ask(window, window.clinic)
    window.controller.reload()


def _fees(window: Any) -> None:
    from otdesk.ui import fee_schedule_dialog

    fee_schedule_dialog.ask(window, window.clinic)
    window.controller.reload()
    window.refresh_day()  # the drafts' totals follow the new fees
    window.editor.refresh_codes()  # a code only the fee schedule lists is searched too


def _clinic_codes(window: Any) -> None:
    from otdesk.ui import clinic_codes_dialog

    if clinic_codes_dialog.ask(window, window.clinic):
        window.editor.refresh_codes()
        window.controller.reload()
        window.refresh_day()


def _patients(window: Any) -> None:
    from otdesk.ui import patients_dialog

    patients_dialog.ask(window, window.clinic)
    window.controller.reload()
    window.refresh_day()


def _favourites(window: Any, parent: Any = None) -> None:
    from otdesk.ui import favourites_dialog

    service = window.favourite_service()
    if favourites_dialog.ask(parent or window, service, window.editor.picker.catalog()):
        window.load_favourites()


def _superbill_settings(window: Any) -> None:
    from otdesk.ui import superbill_settings_dialog

    superbill_settings_dialog.ask(
        window,
        window.favourite_service(),
        edit_favourites=lambda parent: _favourites(window, parent),
    )


def _ncci(window: Any) -> None:
    from otdesk.ui import ncci_import_dialog

    if ncci_import_dialog.ask(window, window.clinic):
        window.controller.reload()


ENTRIES: list[tuple[str, Callable[[Any], None]]] = [
    ("&Practice…", _practice),
    ("P&roviders…", _providers),
    ("Pa&yers…", _payers),
    ("&Fee schedule…", _fees),
    ("Clinic &codes…", _clinic_codes),
    ("Fa&vourite codes…", _favourites),
    ("&Superbill settings…", _superbill_settings),
    ("Pa&tients…", _patients),
    ("&NCCI and MUE tables…", _ncci),
]
