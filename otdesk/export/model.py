"""What a superbill or an encounter form shows, as plain data (no ReportLab here).

The services build these from storage (otdesk.services.superbills); the renderer only lays
them out. Every text is final wording: the renderer adds labels, never facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from otdesk.core.money import Money
from otdesk.core.visit import VisitStatus

Paper = Literal["letter", "a4"]
PAPERS: tuple[Paper, ...] = ("letter", "a4")

DEFAULT_OUT_OF_NETWORK_TEXT = (
    "The patient has paid for these services in full and asks that any benefits be paid "
    "directly to the patient (subscriber)."
)


@dataclass(frozen=True, slots=True)
class PracticeBlock:
    name: str
    address_lines: tuple[str, ...] = ()
    phone: str = ""
    tin: str = ""
    group_npi: str = ""
    taxonomy: str = ""
    logo: bytes | None = None  # PNG or JPEG


@dataclass(frozen=True, slots=True)
class ProviderBlock:
    name: str  # "Avery Demo, OTR/L"
    role: str = ""  # OT, OTA, ...
    npi: str = ""
    license_number: str = ""
    license_state: str = ""
    taxonomy: str = ""
    # For an assistant: the supervising therapist ("Avery Demo, OTR/L") and NPI.
    supervisor_name: str = ""
    supervisor_npi: str = ""
    signature: bytes | None = None  # PNG or JPEG of the provider's signature

    @property
    def license(self) -> str:
        if self.license_number and self.license_state:
            return f"{self.license_number} ({self.license_state})"
        return self.license_number


@dataclass(frozen=True, slots=True)
class PatientBlock:
    name: str  # "Núñez, José"
    date_of_birth: date
    account_number: str
    address_lines: tuple[str, ...] = ()
    phone: str = ""
    sex: str = ""  # "Female", "Male", "X"; "" when not known


@dataclass(frozen=True, slots=True)
class InsuranceBlock:
    payer_name: str
    member_id: str = ""
    group_number: str = ""
    subscriber_name: str = ""
    relationship: str = ""  # self, spouse, child, other
    payer_code: str = ""
    subscriber_date_of_birth: date | None = None  # the insured's (the patient's when self)


@dataclass(frozen=True, slots=True)
class ServiceLine:
    code: str
    description: str
    units: int
    modifiers: tuple[str, ...] = ()
    pointers: tuple[str, ...] = ()
    minutes: int | None = None  # shown for timed codes only
    fee: Money | None = None  # per unit; None: no fee known
    total: Money = field(default_factory=Money)


@dataclass(frozen=True, slots=True)
class DiagnosisLine:
    letter: str  # A ... L
    code: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class PaymentLine:
    received_on: date
    kind: str  # copay, payment
    method: str  # cash, check, card, other
    amount: Money
    reference: str = ""


@dataclass(frozen=True, slots=True)
class SuperbillData:
    """One version of one visit, ready to print."""

    visit_id: int
    version: int
    status: str  # draft, finalized, void, amended (replaced by a later version)
    date_of_service: date
    place_of_service: str  # "11"
    place_of_service_name: str  # "Office"
    practice: PracticeBlock
    provider: ProviderBlock
    patient: PatientBlock
    insurance: InsuranceBlock | None  # None: self-pay
    lines: tuple[ServiceLine, ...]
    diagnoses: tuple[DiagnosisLine, ...]
    total_timed_minutes: int
    total_treatment_minutes: int | None
    total_charges: Money
    payments: tuple[PaymentLine, ...] = ()
    referring_name: str = ""
    referring_npi: str = ""
    plan_start: date | None = None
    plan_certified_through: date | None = None
    onset_date: date | None = None  # of the condition treated (the plan of care's)
    prior_authorization: str = ""  # the payer's number, when it gave one
    # Issued with open items ("Issue anyway"): the reason, printed on the superbill.
    issued_anyway: str = ""
    # An amendment: the version it replaces and why.
    amends_version: int | None = None
    amend_reason: str = ""
    # The date beside the provider's signature (the day the visit was finalized).
    signed_on: date | None = None
    # The out-of-network statement; "" leaves it off.
    out_of_network_text: str = ""

    @property
    def paid(self) -> Money:
        return sum((payment.amount for payment in self.payments), Money(0))

    @property
    def balance(self) -> Money:
        return self.total_charges - self.paid

    @property
    def is_draft(self) -> bool:
        return self.status == VisitStatus.DRAFT

    @property
    def is_amendment(self) -> bool:
        return self.amends_version is not None

    @property
    def watermark(self) -> str:
        """The word across every page: DRAFT, VOID, REPLACED, or nothing."""
        words: dict[str, str] = {
            VisitStatus.DRAFT: "DRAFT",
            VisitStatus.VOID: "VOID",
            VisitStatus.AMENDED: "REPLACED",
        }
        return words.get(self.status, "")


@dataclass(frozen=True, slots=True)
class FormCode:
    """A code offered on the encounter form."""

    code: str
    description: str
    timed: bool


@dataclass(frozen=True, slots=True)
class EncounterFormData:
    """The paper form filled in during the session: patient and date printed, the clinic's
    favourite codes with check boxes, minutes and units left blank."""

    practice: PracticeBlock
    patient: PatientBlock
    date_of_service: date
    codes: tuple[FormCode, ...]
    insurance: InsuranceBlock | None = None
    provider: ProviderBlock | None = None
    diagnoses: tuple[DiagnosisLine, ...] = ()  # known ones are printed; the rest are blank
    place_of_service: str = ""
    place_of_service_name: str = ""
