"""Small hand-written fakes for the rules engine tests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from otdesk.core.money import Money
from otdesk.core.rules import check_visit
from otdesk.core.visit import (
    ChargeLine,
    CheckResult,
    Finding,
    PatientContext,
    PayerInfo,
    PlanOfCare,
    ProviderInfo,
    Visit,
)

VALID_NPI = "1234567893"
DOS = date(2026, 11, 27)


@dataclass(frozen=True)
class FakeDxCheck:
    """What IcdIndex.validate returns, for a handful of codes."""

    code: str
    status: str
    message: str
    children: list[str] = field(default_factory=list)
    excludes1: tuple = ()  # Excludes1Note objects (FakeDx gives none)


class FakeDx:
    """A dx_check callable: codes in `valid` are billable, `categories` maps a category to
    its billable children, anything else is unknown. Records the codes it was asked."""

    def __init__(
        self,
        valid: tuple[str, ...] = ("M62.81", "R26.89", "R26.1", "R27.9", "R44.8", "I63.9"),
        categories: dict[str, list[str]] | None = None,
    ) -> None:
        self.valid = set(valid)
        self.categories = categories or {"R26": ["R26.0", "R26.1", "R26.2", "R26.81", "R26.89"]}
        self.asked: list[str] = []

    def __call__(self, code: str) -> FakeDxCheck:
        self.asked.append(code)
        if code in self.valid:
            return FakeDxCheck(code, "valid", f"{code} is billable.")
        if code in self.categories:
            children = self.categories[code]
            return FakeDxCheck(
                code,
                "not-billable",
                f"{code} is a category, not a billable code; use one of {', '.join(children)}.",
                children,
            )
        return FakeDxCheck(code, "unknown", f"{code} is not an ICD-10-CM code.")


def line(code: str, minutes: int = 0, *modifiers: str, **changes) -> ChargeLine:
    """A charge line pointing at diagnosis A, e.g. line("97530", 30, "GO")."""
    changes.setdefault("dx_pointers", ("A",))
    if isinstance(changes.get("allowed"), str):
        changes["allowed"] = Money(changes["allowed"])
    return ChargeLine(code=code, minutes=minutes, modifiers=tuple(modifiers), **changes)


def clean_visit(**changes) -> Visit:
    """A Medicare OT visit that passes every rule; change what a test needs."""
    visit = Visit(
        date_of_service=DOS,
        payer=PayerInfo(kind="medicare"),
        discipline="OT",
        place_of_service="11",
        provider=ProviderInfo(role="OT", npi=VALID_NPI),
        total_treatment_minutes=60,
        lines=(
            line("97530", 30, "GO", allowed="104.00"),
            line("97110", 30, "GO", allowed="90.00"),
        ),
        diagnoses=("M62.81",),
        patient=PatientContext(
            ytd_allowed={"OT": Money("1000.00"), "PT_SLP": Money("0.00")},
            treatment_days_since_progress_report=3,
            plan_of_care=PlanOfCare(date(2026, 10, 1), date(2026, 12, 29)),
        ),
        referring_npi=VALID_NPI,
    )
    return replace(visit, **changes)


def commercial() -> PayerInfo:
    return PayerInfo(kind="commercial", unit_rule="per-code")


def patient(**changes) -> PatientContext:
    return replace(clean_visit().patient, **changes)


def check(visit: Visit, **kwargs) -> CheckResult:
    kwargs.setdefault("dx_check", FakeDx())
    return check_visit(visit, **kwargs)


def found(visit: Visit, rule: str, **kwargs) -> list[Finding]:
    """The findings of one rule for `visit`."""
    return [f for f in check(visit, **kwargs).findings if f.rule == rule]


def rules_of(visit: Visit, **kwargs) -> set[str]:
    return {f.rule for f in check(visit, **kwargs).findings}
