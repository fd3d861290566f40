"""Plain records with the attribute names of the services' results (otdesk.services
.visit_detail LineDetail), which the models read. Tests and previews build these small
ones; the window hands the models what the services return. The day list shows the
services' own VisitSummary (otdesk.services.summaries), and the timer panel the services'
TimerState with where it is shown (ShownTimer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from otdesk.core.money import Money

if TYPE_CHECKING:  # visit_detail brings SQLAlchemy, which the first screen does without
    from otdesk.services.visit_detail import TimerState


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
class DiagnosisRow:
    """One diagnosis of the visit's ordered list (letter A-L by position)."""

    letter: str
    code: str
    description: str = ""
    billable: bool | None = None  # None: not known (the index is not ready)


@dataclass(frozen=True, slots=True)
class ShownTimer:
    """The timer the panel shows: the services' TimerState of one line, with the line's row
    in the lines table and its words ("97110 Therapeutic exercise")."""

    timer: TimerState
    row: int
    label: str
    # "started at desk FRONT-PC by pat": running for another person at another desk
    # (services.timers.running_elsewhere); "" when it is this desk's
    elsewhere: str = ""

    @property
    def line_id(self) -> int:
        return self.timer.line_id

    @property
    def running(self) -> bool:
        return self.timer.started_at is not None

    def elapsed_seconds(self, now: datetime) -> int:
        return self.timer.elapsed_at(now)
