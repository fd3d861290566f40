"""The plain data the rules engine checks: one visit with the payer, provider and patient
context it needs, and the findings it returns. Built by services from storage, or from the
JSON file of `otdesk rules check`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from otdesk.core.money import Money
from otdesk.core.units import UnitRule, UnitsResult

DISCIPLINES = ("OT", "PT", "SLP")
# Provider roles; an assistant's lines need CO (OTA) or CQ (PTA). SLPA has no CMS modifier.
ROLES = ("OT", "OTA", "PT", "PTA", "SLP", "SLPA")
ASSISTANT_ROLES = {"OTA": "OT", "PTA": "PT", "SLPA": "SLP"}
PAYER_KINDS = ("medicare", "medicaid", "commercial", "workers-comp", "self-pay")
# KX threshold buckets: OT has its own, PT and SLP share one (DOMAIN.md section 2).
KX_BUCKETS = {"OT": "OT", "PT": "PT_SLP", "SLP": "PT_SLP"}
DX_LETTERS = "ABCDEFGHIJKL"
MAX_DIAGNOSES = 12
MAX_POINTERS = 4
MAX_MODIFIERS = 4


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class VisitStatus(StrEnum):
    """A visit version's status as stored. A draft changes; a finalized version never does
    (void it, or amend it: the amendment is a new draft, and the version it replaces becomes
    amended once the amendment is finalized)."""

    DRAFT = "draft"
    FINALIZED = "finalized"
    VOID = "void"
    AMENDED = "amended"


@dataclass(frozen=True, slots=True)
class PayerInfo:
    """What the rules need to know of the payer. None means "the usual for this kind"
    (Medicare: therapy modifiers, NCCI and KX all apply)."""

    kind: str = "medicare"
    unit_rule: UnitRule = UnitRule.CMS
    therapy_modifiers_required: bool | None = None
    ncci_applies: bool | None = None
    kx_tracked: bool | None = None
    telehealth_modifier: str | None = "95"

    @property
    def is_medicare(self) -> bool:
        return self.kind == "medicare"

    @property
    def needs_therapy_modifiers(self) -> bool:
        if self.therapy_modifiers_required is not None:
            return self.therapy_modifiers_required
        return self.is_medicare

    @property
    def uses_ncci(self) -> bool:
        if self.ncci_applies is not None:
            return self.ncci_applies
        return self.kind in ("medicare", "medicaid")

    @property
    def tracks_kx(self) -> bool:
        if self.kx_tracked is not None:
            return self.kx_tracked
        return self.is_medicare


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    role: str = "OT"
    npi: str | None = None

    @property
    def is_assistant(self) -> bool:
        return self.role in ASSISTANT_ROLES


@dataclass(frozen=True, slots=True)
class ChargeLine:
    """One service line as entered. `units` None means "computed"; a number is an override.
    `assistant_minutes` are the minutes of this line done by an assistant (OTA/PTA).
    `no_fee` is True when neither the line nor the clinic's fee schedule gives a fee; the
    services set it, as the core knows no fee schedule (a visit from JSON leaves it False).
    `description` says what was done, for the codes whose number does not (97139...)."""

    code: str
    minutes: int = 0
    assistant_minutes: int = 0
    modifiers: tuple[str, ...] = ()
    dx_pointers: tuple[str, ...] = ()
    units: int | None = None
    allowed: Money | None = None
    no_fee: bool = False
    # the service in words, for codes that need one on the claim (unlisted codes)
    description: str = ""


@dataclass(frozen=True, slots=True)
class PlanOfCare:
    start: date
    cert_through: date | None = None


@dataclass(frozen=True, slots=True)
class PatientContext:
    """Facts about the patient from outside this visit. `ytd_allowed` holds the allowed
    amounts of this calendar year before this visit, keyed by KX bucket ("OT", "PT_SLP")."""

    ytd_allowed: dict[str, Money] = field(default_factory=dict)
    treatment_days_since_progress_report: int | None = None
    plan_of_care: PlanOfCare | None = None


@dataclass(frozen=True, slots=True)
class Visit:
    date_of_service: date
    payer: PayerInfo = field(default_factory=PayerInfo)
    discipline: str = "OT"
    place_of_service: str = "11"
    provider: ProviderInfo = field(default_factory=ProviderInfo)
    total_treatment_minutes: int | None = None
    lines: tuple[ChargeLine, ...] = ()
    diagnoses: tuple[str, ...] = ()
    patient: PatientContext = field(default_factory=PatientContext)
    # The referring (certifying) physician's NPI: box 17b / loop 2310A of the claim.
    referring_npi: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the rules engine noticed. `lines` are 0-based indexes into Visit.lines;
    `fix` is data a service can apply (see otdesk.core.fixes), or None."""

    rule: str
    severity: Severity
    message: str
    lines: tuple[int, ...] = ()
    fix: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "lines": list(self.lines),
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    units: UnitsResult
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    def to_json(self) -> dict[str, Any]:
        return {
            "units": self.units.to_json(),
            "findings": [f.to_json() for f in self.findings],
        }
