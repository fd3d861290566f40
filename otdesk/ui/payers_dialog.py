"""Payers: name, payer ID, kind, units rule, and whether therapy modifiers, NCCI and KX
apply ("usual for the kind" unless the clinic knows otherwise), telehealth modifier."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from otdesk.ui.modal import run_modal
from otdesk.ui.records_dialog import RecordsDialog

KINDS = [
    ("Medicare", "medicare"),
    ("Medicaid", "medicaid"),
    ("Commercial", "commercial"),
    ("Workers' comp", "workers-comp"),
    ("Self-pay", "self-pay"),
]
RULES = [
    ("Usual for the kind", ""),
    ("CMS total time (8-minute rule)", "cms"),
    ("Per code (substantial portion)", "per-code"),
]
TRISTATE = [("Usual for the kind", None), ("Yes", True), ("No", False)]
TELEHEALTH = [("95", "95"), ("GT", "GT"), ("GQ", "GQ"), ("FQ", "FQ"), ("93", "93"), ("None", "")]


class PayersDialog(RecordsDialog):
    noun = "payer"

    def __init__(self, clinic: Any, parent: QWidget | None = None) -> None:
        super().__init__(clinic, "Payers", parent)
        self.form.add_text("name", "&Name")
        self.form.add_text("payer_code", "Payer &ID", "the payer's electronic ID (optional)")
        self.form.add_choice("kind", "&Kind", KINDS)
        self.form.add_choice("unit_rule", "&Units rule", RULES)
        self.form.add_choice(
            "therapy_modifiers_required", "&Therapy modifiers (GO/GP/GN)", TRISTATE
        )
        self.form.add_choice("ncci_applies", "N&CCI edits", TRISTATE)
        self.form.add_choice("kx_tracked", "K&X threshold", TRISTATE)
        self.form.add_choice("telehealth_modifier", "Tele&health modifier", TELEHEALTH)
        self.reload()

    def list_records(self) -> list[Any]:
        return self.clinic.payers.list(active_only=False)

    def title_of(self, record: Any) -> str:
        return f"{record.name} ({record.kind}, {record.unit_rule})"

    def values_of(self, record: Any) -> dict[str, Any]:
        return {
            "name": record.name,
            "payer_code": record.payer_code,
            "kind": record.kind,
            "unit_rule": record.unit_rule,
            "therapy_modifiers_required": record.therapy_modifiers_required,
            "ncci_applies": record.ncci_applies,
            "kx_tracked": record.kx_tracked,
            "telehealth_modifier": record.telehealth_modifier or "",
        }

    def new_values(self) -> dict[str, Any]:
        return {"kind": "commercial", "unit_rule": "", "telehealth_modifier": "95"}

    def _clean(self, values: dict[str, Any]) -> dict[str, Any]:
        values = dict(values)
        if not values.get("unit_rule"):
            values["unit_rule"] = None
        return values

    def create(self, values: dict[str, Any]) -> Any:
        return self.clinic.payers.create(**self._clean(values))

    def update(self, record_id: int, values: dict[str, Any]) -> Any:
        return self.clinic.payers.update(record_id, **self._clean(values))


def ask(parent: QWidget | None, clinic: Any, changes: Any = None) -> None:
    """The dialog, reporting on and refreshing from `changes` (the window's ChangeBus)."""
    dialog = PayersDialog(clinic, parent)
    dialog.listen(changes)
    run_modal(dialog)
