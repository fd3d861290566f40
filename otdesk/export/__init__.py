"""Documents made from visits: the superbill and the encounter form as PDF.

ReportLab is imported at the first document, not with this package (start-up stays quick);
the plain data the documents show is in otdesk.export.model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from otdesk.export.files import CancelledError, ExportError, sha256, write_file_atomic
from otdesk.export.model import (
    DEFAULT_OUT_OF_NETWORK_TEXT,
    PAPERS,
    DiagnosisLine,
    EncounterFormData,
    FormCode,
    InsuranceBlock,
    PatientBlock,
    PaymentLine,
    PracticeBlock,
    ProviderBlock,
    ServiceLine,
    SuperbillData,
)


def render_superbill(data: SuperbillData, paper: str = "letter") -> bytes:
    """The superbill of one visit version as PDF bytes (letter or a4)."""
    return render_superbills([data], paper)


def render_superbills(
    visits: Sequence[SuperbillData],
    paper: str = "letter",
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> bytes:
    """Several superbills in one PDF, each from a new page with its own "Page X of Y".
    Raises CancelledError when cancelled() turns True."""
    _check_paper(paper)
    from otdesk.export import superbill

    return superbill.render_superbills(visits, paper, progress=progress, cancelled=cancelled)


def render_encounter_form(form: EncounterFormData, paper: str = "letter") -> bytes:
    """The paper encounter form (favourite codes with check boxes) as PDF bytes."""
    _check_paper(paper)
    from otdesk.export import encounter_form

    return encounter_form.render_encounter_form(form, paper)


def _check_paper(paper: str) -> None:
    if paper not in PAPERS:
        raise ExportError(f"Paper size {paper!r} is not one of {', '.join(PAPERS)}.")


__all__ = [
    "DEFAULT_OUT_OF_NETWORK_TEXT",
    "PAPERS",
    "CancelledError",
    "DiagnosisLine",
    "EncounterFormData",
    "ExportError",
    "FormCode",
    "InsuranceBlock",
    "PatientBlock",
    "PaymentLine",
    "PracticeBlock",
    "ProviderBlock",
    "ServiceLine",
    "SuperbillData",
    "render_encounter_form",
    "render_superbill",
    "render_superbills",
    "sha256",
    "write_file_atomic",
]
