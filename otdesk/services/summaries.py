"""The rows of a day list and what they sum up. Kept apart from the visit service (and
free of SQLAlchemy) because the window's first screen builds them too, before SQLAlchemy
has loaded (otdesk.services.first_screen)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from otdesk.core.money import Money
from otdesk.core.visit import VisitStatus
from otdesk.storage.values import money


@dataclass(frozen=True, slots=True)
class VisitSummary:
    """One row of a day list."""

    id: int
    chain_id: int
    version: int
    status: str
    date_of_service: date
    patient_id: int
    patient_name: str
    account_number: str
    provider_id: int
    provider_name: str
    payer_name: str
    total: Money
    total_units: int
    paid: Money
    error_count: int
    warning_count: int
    # when the visit (its first version) was started, UTC
    started_at: datetime | None = None
    # the appointment's local time of day: the time the day list shows and sorts by
    appointment_time: time | None = None

    @property
    def balance(self) -> Money:
        return self.total - self.paid

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "date_of_service": self.date_of_service.isoformat(),
            "patient": self.patient_name,
            "account_number": self.account_number,
            "provider": self.provider_name,
            "payer": self.payer_name,
            "status": self.status,
            "total": self.total.to_json(),
            "units": self.total_units,
            "paid": self.paid.to_json(),
            "balance": self.balance.to_json(),
            "errors": self.error_count,
            "warnings": self.warning_count,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "appointment_time": (
                self.appointment_time.strftime("%H:%M") if self.appointment_time else None
            ),
        }


@dataclass(frozen=True, slots=True)
class DayTotals:
    """What a day list sums up: its visits, the drafts among them, and the charges of the
    visits that count (drafts and finalized; void and replaced versions do not)."""

    visits: int
    drafts: int
    charged: Money | None  # None when no visit counts


CHARGED_STATUSES = (VisitStatus.DRAFT, VisitStatus.FINALIZED)


def day_totals(visits: Sequence[VisitSummary]) -> DayTotals:
    charges = [v.total for v in visits if v.status in CHARGED_STATUSES]
    return DayTotals(
        visits=len(visits),
        drafts=sum(1 for v in visits if v.status == VisitStatus.DRAFT),
        charged=sum(charges, Money(0)) if charges else None,
    )


def provider_name(first: str, last: str, credentials: str) -> str:
    name = f"{first} {last}"
    return f"{name}, {credentials}" if credentials else name


def summary_from_row(row: Mapping[Any, Any]) -> VisitSummary:
    """A day-list row (the columns of the day-list query, dates already converted)."""
    return VisitSummary(
        id=row["id"],
        chain_id=row["chain_id"],
        version=row["version"],
        status=row["status"],
        date_of_service=row["date_of_service"],
        patient_id=row["patient_id"],
        patient_name=f"{row['last_name']}, {row['first_name']}",
        account_number=row["account_number"],
        provider_id=row["provider_id"],
        provider_name=provider_name(
            row["provider_first"], row["provider_last"], row["credentials"]
        ),
        payer_name=row["payer_name"] or "Self-pay",
        total=money(row["total_charge_cents"]),
        total_units=row["total_units"],
        paid=money(row["paid_cents"]),
        error_count=row["error_count"],
        warning_count=row["warning_count"],
        started_at=row["started_at"],
        appointment_time=row["appointment_time"],
    )
