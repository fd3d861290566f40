"""Providers: name, credentials, role, NPI (checked as typed), licence, taxonomy and the
supervising provider of an assistant."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from otdesk.ui.forms import npi_check
from otdesk.ui.modal import run_modal
from otdesk.ui.records_dialog import RecordsDialog

ROLES = [
    ("OT - occupational therapist", "OT"),
    ("OTA - OT assistant", "OTA"),
    ("PT - physical therapist", "PT"),
    ("PTA - PT assistant", "PTA"),
    ("SLP - speech-language pathologist", "SLP"),
    ("SLPA - SLP assistant", "SLPA"),
]


class ProvidersDialog(RecordsDialog):
    noun = "provider"

    def __init__(self, clinic: Any, parent: QWidget | None = None) -> None:
        super().__init__(clinic, "Providers", parent)
        self.form.add_text("first_name", "&First name")
        self.form.add_text("last_name", "&Last name")
        self.form.add_text("credentials", "&Credentials", "e.g. OTR/L, COTA/L")
        self.form.add_choice("role", "&Role", ROLES)
        self.form.add_text("npi", "&NPI", "10 digits", npi_check(required=True))
        self.form.add_text("license_number", "Li&cense number")
        self.form.add_text("license_state", "License &state", "2 letters", width=60)
        self.form.add_text("taxonomy", "&Taxonomy", "e.g. 225X00000X")
        self.supervisor = self.form.add_choice("supervisor_id", "Super&visor", [])
        self.reload()

    def list_records(self) -> list[Any]:
        providers = self.clinic.providers.list(active_only=False)
        chosen = self.supervisor.currentData()  # kept when the list is read again
        self.supervisor.clear()
        self.supervisor.addItem("(none)", None)
        for provider in providers:
            if not provider.is_assistant:
                self.supervisor.addItem(provider.display_name, provider.id)
        self.supervisor.setCurrentIndex(max(self.supervisor.findData(chosen), 0))
        return providers

    def title_of(self, record: Any) -> str:
        inactive = "" if record.active else " (inactive)"
        return f"{record.display_name} - {record.role}{inactive}"

    def values_of(self, record: Any) -> dict[str, Any]:
        return {
            "first_name": record.first_name,
            "last_name": record.last_name,
            "credentials": record.credentials,
            "role": record.role,
            "npi": record.npi,
            "license_number": record.license_number,
            "license_state": record.license_state,
            "taxonomy": record.taxonomy,
            "supervisor_id": record.supervisor_id,
        }

    def new_values(self) -> dict[str, Any]:
        return {"role": "OT", "supervisor_id": None}

    def create(self, values: dict[str, Any]) -> Any:
        return self.clinic.providers.create(**values)

    def update(self, record_id: int, values: dict[str, Any]) -> Any:
        return self.clinic.providers.update(record_id, **values)


def ask(parent: QWidget | None, clinic: Any, changes: Any = None) -> None:
    """The dialog, reporting on and refreshing from `changes` (the window's ChangeBus)."""
    dialog = ProvidersDialog(clinic, parent)
    dialog.listen(changes)
    run_modal(dialog)
