"""What a person can change on a draft visit, as plain values: the header, the lines (with
their automatic-default markers) and the diagnoses. Undo and redo in the window keep the
state before and after each change and hand them back to VisitService.restore, which puts
back only what that change touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, time
from typing import Any

from otdesk.core.money import Money

# Header fields a person edits (the VisitDetail attributes of the same names).
HEADER_FIELDS = (
    "date_of_service",
    "appointment_time",
    "provider_id",
    "payer_id",
    "policy_id",
    "plan_of_care_id",
    "place_of_service",
    "discipline",
    "total_treatment_minutes",
    "total_time_auto",
)


@dataclass(frozen=True, slots=True)
class LineState:
    id: int
    code: str
    description: str = ""
    minutes: int = 0
    assistant_minutes: int = 0
    modifiers: tuple[str, ...] = ()
    dx_pointers: tuple[str, ...] = ()
    units_override: int | None = None
    override_reason: str | None = None
    fee: Money | None = None  # typed on the line (None: from the fee schedule)
    auto_modifiers: tuple[str, ...] | None = None
    auto_pointers: bool = False

    def values(self) -> dict[str, Any]:
        """The line's fields as VisitService takes them (everything but the id)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "id"}


@dataclass(frozen=True, slots=True)
class VisitState:
    visit_id: int
    date_of_service: date
    provider_id: int
    place_of_service: str
    discipline: str
    appointment_time: time | None = None
    payer_id: int | None = None
    policy_id: int | None = None
    plan_of_care_id: int | None = None
    total_treatment_minutes: int | None = None
    total_time_auto: bool = False
    lines: tuple[LineState, ...] = ()
    diagnoses: tuple[str, ...] = field(default=())

    def header(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in HEADER_FIELDS}


def state_of(visit: Any) -> VisitState:
    """The state of a VisitDetail (what the services returned after a change)."""
    return VisitState(
        visit_id=visit.id,
        **{name: getattr(visit, name) for name in HEADER_FIELDS},
        lines=tuple(
            LineState(
                id=line.id,
                code=line.code,
                description=line.description,
                minutes=line.minutes,
                assistant_minutes=line.assistant_minutes,
                modifiers=tuple(line.modifiers),
                dx_pointers=tuple(line.dx_pointers),
                units_override=line.units_override,
                override_reason=line.override_reason,
                fee=line.fee if line.fee_entered else None,
                auto_modifiers=line.auto_modifiers,
                auto_pointers=line.auto_pointers,
            )
            for line in visit.lines
        ),
        diagnoses=tuple(visit.diagnoses),
    )
