"""A professional claim as plain data: what the 837P file and the CMS-1500 form both show.

The services build these from a finalized visit (otdesk.services.claims); the writers only
lay them out. Names are split into their parts, identifiers hold digits only (a TIN without
its hyphen, a ZIP code as 5 or 9 digits), amounts are Money.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from otdesk.core.money import Money

# CLM05-3 / CMS-1500 box 22: what the claim does to the payer's earlier one.
ORIGINAL, REPLACEMENT, VOID = "1", "7", "8"
FREQUENCIES = {ORIGINAL: "original", REPLACEMENT: "replacement", VOID: "void"}
# 837P PAT01 / SBR02 individual relationship codes (patient to subscriber).
RELATIONSHIP_CODES = {"self": "18", "spouse": "01", "child": "19", "other": "G8"}


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""  # digits: 5 or 9

    @property
    def zip_plus_four(self) -> bool:
        return len(self.postal_code) == 9 and self.postal_code.isdigit()


@dataclass(frozen=True, slots=True)
class PersonName:
    last: str
    first: str = ""
    middle: str = ""

    @property
    def listed(self) -> str:
        """ "LAST, FIRST M" as the CMS-1500 boxes want it."""
        name = f"{self.last}, {self.first}" if self.first else self.last
        return f"{name} {self.middle[0]}" if self.middle else name


@dataclass(frozen=True, slots=True)
class ClaimProvider:
    """A person on the claim: the rendering or the referring provider."""

    name: PersonName
    npi: str
    taxonomy: str = ""


@dataclass(frozen=True, slots=True)
class BillingProvider:
    """The practice (2010AA, CMS-1500 boxes 25 and 33)."""

    name: str
    npi: str
    tin: str  # 9 digits
    address: Address
    phone: str = ""  # digits
    taxonomy: str = ""


@dataclass(frozen=True, slots=True)
class Member:
    """The subscriber (the insured) or the patient."""

    name: PersonName
    date_of_birth: date | None = None
    sex: str = "U"  # F, M or U
    address: Address | None = None
    phone: str = ""  # digits


@dataclass(frozen=True, slots=True)
class ClaimPayer:
    name: str
    payer_id: str  # the payer's electronic ID (2010BB NM109)
    filing_indicator: str  # SBR09: MB, MC, CI, WC...
    kind: str  # medicare, medicaid, commercial, workers-comp


@dataclass(frozen=True, slots=True)
class ClaimLine:
    number: int  # 1-based, LX01
    code: str
    modifiers: tuple[str, ...]
    charge: Money  # the line's total
    units: int
    pointers: tuple[int, ...]  # 1-based positions in the claim's diagnoses
    date_of_service: date
    control_number: str  # REF*6R: matches a remittance line back to this line
    # For unlisted codes (97039, 97139, 97799): what was done (SV101-7, box 24 shaded area).
    description: str = ""


@dataclass(frozen=True, slots=True)
class Claim:
    """One visit version as a claim to one payer."""

    visit_id: int
    version: int
    patient_control_number: str  # CLM01, box 26
    frequency_code: str  # ORIGINAL, REPLACEMENT or VOID
    billing: BillingProvider
    payer: ClaimPayer
    subscriber: Member
    member_id: str
    group_number: str
    relationship: str  # self, spouse, child, other
    patient: Member
    account_number: str
    place_of_service: str
    date_of_service: date
    diagnoses: tuple[str, ...]  # ICD-10-CM with the dot, principal first
    lines: tuple[ClaimLine, ...]
    rendering: ClaimProvider | None = None
    referring: ClaimProvider | None = None
    payer_claim_number: str = ""  # REF*F8 for a replacement or void, when known
    amount_paid: Money = field(default_factory=Money)  # by the patient (AMT*F5, box 29)
    signed_on: date | None = None  # box 31's date

    @property
    def total(self) -> Money:
        return sum((line.charge for line in self.lines), Money(0))

    @property
    def patient_is_subscriber(self) -> bool:
        return self.relationship == "self"


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who sends the interchange to whom, and its control numbers (never reused)."""

    sender_qualifier: str  # ISA05
    sender_id: str  # ISA06, GS02, 1000A NM109
    receiver_qualifier: str  # ISA07
    receiver_id: str  # ISA08, GS03, 1000B NM109
    submitter_name: str
    receiver_name: str
    contact_name: str
    contact_phone: str  # digits
    contact_email: str
    usage: str  # ISA15: T test, P production
    interchange_control: int  # ISA13 / IEA02
    group_control: int  # GS06 / GE02
    created_at: datetime  # local time of the file


@dataclass(frozen=True, slots=True)
class ClaimBatch:
    """The claims of one payer: one transaction set (ST/SE) in the file."""

    transaction_control: int  # ST02 / SE02
    claims: tuple[Claim, ...]


__all__ = [
    "FREQUENCIES",
    "ORIGINAL",
    "RELATIONSHIP_CODES",
    "REPLACEMENT",
    "VOID",
    "Address",
    "BillingProvider",
    "Claim",
    "ClaimBatch",
    "ClaimLine",
    "ClaimPayer",
    "ClaimProvider",
    "Envelope",
    "Member",
    "PersonName",
]
