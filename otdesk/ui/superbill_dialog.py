"""The window's entry points to superbills (found by otdesk.ui.app.add_superbill_preview):
Print superbill (Ctrl+P) opens the preview of the visit shown; Print superbills of the day
opens the batch dialog on the day shown."""

from __future__ import annotations

from datetime import date
from typing import Any

from otdesk.ui.modal import run_modal


def _service(window: Any) -> Any:
    from otdesk.services.superbills import SuperbillService

    return SuperbillService(window.clinic.ctx)


def show_for(window: Any, visit_id: int) -> None:
    """The preview of one visit's superbill, with Print and Save as PDF."""
    from otdesk.ui.superbill_preview import SuperbillPreview

    try:
        dialog = SuperbillPreview(_service(window), visit_id, window)
    except Exception as error:  # no practice yet, a locked database...: say so
        window.show_status(f"Cannot make the superbill: {error}")
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
