"""Plain records with the attribute names of the services' results (otdesk.services.visits
LineDetail and VisitSummary), which the models read. Tests and previews build these small
ones; the window hands the models what the services return."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from otdesk.core.money import Money


@dataclass(frozen=True, slots=True)
class LineRow:
    """One charge line as shown in the lines table."""

    id: int
    code: str
    label: str
    minutes: int
    units: int
    units_override: int | None = None
    override_reason: str | None = None
    modifiers: tuple[str, ...] = ()
    dx_pointers: tuple[str, ...] = ()
    charge: Money | None = None
    timed: bool = True
    assistant_minutes: int = 0
    auto_modifiers: tuple[str, ...] | None = None
    auto_pointers: bool = False


@dataclass(frozen=True, slots=True)
class VisitSummary:
    """One visit of the day list."""

    id: int
    patient_name: str
    provider_name: str
    status: str  # draft, finalized, void, amended
    total: Money = field(default_factory=Money)
    paid: Money = field(default_factory=Money)
    payer_name: str = ""
    account_number: str = ""
    date_of_service: date | None = None
    error_count: int = 0
    warning_count: int = 0
    version: int = 1
    started_at: datetime | None = None
    appointment_time: time | None = None


@dataclass(frozen=True, slots=True)
class DiagnosisRow:
    """One diagnosis of the visit's ordered list (letter A-L by position)."""

    letter: str
    code: str
    description: str = ""
    billable: bool | None = None  # None: not known (the index is not ready)


@dataclass(frozen=True, slots=True)
class TimerState:
    """The visit's activity timer as stored: elapsed = accumulated + (now - started_at)
    while running; started_at None means paused."""

    line_id: int
    row: int
    label: str
    started_at: datetime | None
    accumulated_seconds: int = 0

    @property
    def running(self) -> bool:
        return self.started_at is not None

    def elapsed_seconds(self, now: datetime) -> int:
        if self.started_at is None:
            return self.accumulated_seconds
        return self.accumulated_seconds + max(0, int((now - self.started_at).total_seconds()))
