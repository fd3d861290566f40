"""The window's entry points to superbills (otdesk.ui.main_window loads them at first use):
Print superbill (Ctrl+P) opens the preview of the visit shown; Print superbills of the day
opens the batch dialog on the day shown; Encounter form opens the paper form of the open
visit's patient (or of a patient asked for) on the day shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from otdesk.errors import UserError
from otdesk.ui.errors import present
from otdesk.ui.modal import run_modal

# (parent, patients service, title, prompt) -> patient id or None: patient_pick_dialog.ask
AskPatient = Callable[[Any, Any, str, str], int | None]


def _service(window: Any) -> Any:
    return window.clinic.superbills


def show_for(window: Any, visit_id: int) -> None:
    """The preview of one visit's superbill, with Print and Save as PDF."""
    from otdesk.ui.superbill_preview import SuperbillPreview

    try:
        dialog = SuperbillPreview(_service(window), visit_id, window)
    except UserError as error:  # no practice yet, a locked database...: say so
        present(
            window, error, lambda text: window.show_status(f"Cannot make the superbill: {text}")
        )
        return
    dialog.issued.connect(
        lambda issued: window.show_status(
            f"Superbill of visit {issued.visit_id} issued (version {issued.version})."
        )
    )
    run_modal(dialog)


def show_batch_for(window: Any, day: date) -> None:
    """The batch dialog for the day shown (a date range can be chosen in it)."""
    from otdesk.ui.batch_print_dialog import BatchPrintDialog

    dialog = BatchPrintDialog(_service(window), day, window)
    dialog.finished_batch.connect(window.show_status)
    run_modal(dialog)


def show_encounter_form_for(window: Any, ask_patient: AskPatient | None = None) -> None:
    """The encounter form in the preview window: for the open visit's patient, provider and
    place of service, or for a patient asked for when no visit is open (with the provider a
    new visit would get); dated the day shown.
    Printing or saving it records nothing (it is not a superbill)."""
    from otdesk.ui.superbill_preview import EncounterFormPreview

    visit = window.controller.visit
    options: dict[str, Any] = {}
    if visit is not None:
        patient_id = visit.patient_id
        options = {"provider_id": visit.provider_id}
        if visit.place_of_service:
            options["place_of_service"] = visit.place_of_service
    else:
        if ask_patient is None:
            from otdesk.ui import patient_pick_dialog

            ask_patient = patient_pick_dialog.ask
        found = ask_patient(
            window,
            window.clinic.patients,
            "Encounter form",
            "Whose encounter form? It is dated "
            f"{window.day.current_date():%m/%d/%Y}, the day shown.",
        )
        if found is None:
            return
        patient_id = found
        provider_id = window.default_provider()  # the one the visit would be for
        if provider_id is not None:
            options["provider_id"] = provider_id
    try:
        dialog = EncounterFormPreview(
            _service(window), patient_id, window.day.current_date(), window, **options
        )
    except UserError as error:  # no practice yet, a locked database...: say so
        present(
            window,
            error,
            lambda text: window.show_status(f"Cannot make the encounter form: {text}"),
        )
        return
    run_modal(dialog)
