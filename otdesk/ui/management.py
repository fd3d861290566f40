"""The Clinic menu's management dialogs, as (menu text, opener(window)) pairs. Each dialog
stores through the services; what it changed is reported on the window's change broadcast
(ui.changes): the dialogs that show data (providers, payers, fees, clinic codes, patients)
report each save themselves as it is made and refresh from what others report while they
are open; for the others it is reported here when they close. The day list, the open
visit, the codes, the title and the favourites refresh from those reports
(MainWindow._data_changed), not here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from otdesk.ui.changes import Changes


def _practice(window: Any) -> None:
    from otdesk.ui import practice_dialog

    if practice_dialog.ask(window, window.clinic):
        window.changes.report(Changes.of("practice"))


def _providers(window: Any) -> None:
    from otdesk.ui import providers_dialog

    providers_dialog.ask(window, window.clinic, window.changes)


def _payers(window: Any) -> None:
    from otdesk.ui import payers_dialog

    payers_dialog.ask(window, window.clinic, window.changes)


def _fees(window: Any) -> None:
    from otdesk.ui import fee_schedule_dialog

    fee_schedule_dialog.ask(window, window.clinic, window.changes)


def _clinic_codes(window: Any) -> None:
    from otdesk.ui import clinic_codes_dialog

    clinic_codes_dialog.ask(window, window.clinic, window.changes)


def _patients(window: Any) -> None:
    from otdesk.ui import patients_dialog

    patients_dialog.ask(window, window.clinic, window.changes)


def _favourites(window: Any, parent: Any = None) -> None:
    from otdesk.ui import favourites_dialog

    service = window.favourite_service()
    if favourites_dialog.ask(parent or window, service, window.editor.picker.catalog()):
        window.changes.report(Changes.of("practice"))  # kept in the superbill settings


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
        window.changes.report(Changes.of("tables"))


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
