"""A claim built from a finalized visit's records, and the claim checks of our own that
hold one back (on top of the visit's rule findings): NPI check digits, the billing
provider's ZIP+4 and TIN, payer ID, member ID, the subscriber when the patient is insured
through someone else, diagnosis pointers in range, at most 12 diagnoses and 50 lines, at
most 4 modifiers and pointers a line, a description on unlisted codes, and the referring
(certifying) provider's NPI that Medicare therapy claims need."""

from __future__ import annotations

import re
from typing import Any

from otdesk.core.catalog import default_catalog
from otdesk.core.npi import npi_problem
from otdesk.core.rules import UNLISTED_CATEGORY
from otdesk.core.visit import MAX_DIAGNOSES, MAX_MODIFIERS, MAX_POINTERS
from otdesk.export.claim_model import (
    VOID,
    Address,
    BillingProvider,
    Claim,
    ClaimLine,
    ClaimPayer,
    ClaimProvider,
    Member,
    PersonName,
)
from otdesk.services.patients import Patient
from otdesk.services.visit_records import VisitRecords

MAX_LINES = 50  # service lines on one 837P claim (2400 loop repeat)
FILING_BY_KIND = {"medicare": "MB", "medicaid": "MC", "commercial": "CI", "workers-comp": "WC"}
_TITLES = {"DR", "MR", "MRS", "MS", "MX", "PROF"}
_CREDENTIAL = re.compile(r"[A-Z][A-Z0-9./-]{0,7}")


def is_unlisted(code: str) -> bool:
    """An unlisted procedure code: the claim must say what was done (SV101-7, the shaded
    part of box 24), as the unlisted-description rule asks on the line."""
    procedure = default_catalog().get(code)
    return procedure is not None and procedure.category == UNLISTED_CATEGORY


def filing_indicator(payer: Any) -> str:
    """The payer's claim filing indicator (SBR09): its own, else the usual for its kind."""
    return payer.claim_filing_indicator or FILING_BY_KIND.get(payer.kind, "CI")


def build_claim(
    records: VisitRecords, frequency: str, payer_claim_number: str = "", tz: Any = None
) -> tuple[Claim, tuple[str, ...]]:
    """The claim of a visit version (with notes on what was left out, e.g. lines that
    bill no units)."""
    detail, practice, payer = records.detail, records.practice, records.payer
    policy, patient = records.policy, records.patient
    notes: list[str] = []
    billing = BillingProvider(
        name=practice.name if practice else "",
        npi=practice.group_npi if practice else "",
        tin=digits(practice.tin) if practice else "",
        address=Address(
            line1=practice.address1 if practice else "",
            line2=practice.address2 if practice else "",
            city=practice.city if practice else "",
            state=practice.state if practice else "",
            postal_code=digits(practice.postal_code) if practice else "",
        ),
        phone=digits(practice.phone) if practice else "",
        taxonomy=practice.taxonomy if practice else "",
    )
    # An assistant is billed under the supervising therapist (Medicare enrolls no OTAs or
    # PTAs as rendering providers); the line's CO/CQ says an assistant took part.
    renderer = records.supervisor or records.provider
    rendering = ClaimProvider(
        PersonName(renderer.last_name, renderer.first_name), renderer.npi, renderer.taxonomy
    )
    plan = records.plan
    referring = None
    if plan is not None and (plan.referring_npi or plan.referring_name):
        referring = ClaimProvider(split_name(plan.referring_name), plan.referring_npi)
    relationship = policy.relationship if policy else "self"
    member = _member(patient)
    subscriber = (
        member
        if relationship == "self"
        else Member(split_name(policy.subscriber_name if policy else ""))
    )
    member_id = policy.member_id.strip() if policy else ""
    if payer is not None and payer.kind == "medicare":
        member_id = member_id.replace("-", "").replace(" ", "").upper()  # an MBI: 11 characters
    lines: list[ClaimLine] = []
    letters = {letter: index + 1 for index, letter in enumerate("ABCDEFGHIJKL")}
    for line in detail.lines:
        if line.units <= 0:
            notes.append(f"line {line.position + 1} ({line.code}) bills no units and is left out")
            continue
        lines.append(
            ClaimLine(
                number=len(lines) + 1,
                code=line.code,
                modifiers=tuple(line.modifiers),
                charge=line.charge,
                units=line.units,
                pointers=tuple(letters.get(p, 0) for p in line.dx_pointers),
                date_of_service=detail.date_of_service,
                control_number=f"{detail.id}-{line.id}",
                # what the line says was done (typed on the line), for codes that say nothing
                description=line.description if is_unlisted(line.code) else "",
            )
        )
    signed_on = None
    if detail.finalized_at is not None:
        signed_on = detail.finalized_at.astimezone(tz).date()
    claim = Claim(
        visit_id=detail.id,
        version=detail.version,
        patient_control_number=f"{detail.chain_id}V{detail.version}",
        frequency_code=frequency,
        billing=billing,
        payer=ClaimPayer(
            name=payer.name if payer else "",
            payer_id=payer.payer_code if payer else "",
            filing_indicator=filing_indicator(payer) if payer else "",
            kind=payer.kind if payer else "self-pay",
        ),
        subscriber=subscriber,
        member_id=member_id,
        group_number=policy.group_number if policy else "",
        relationship=relationship,
        patient=member,
        account_number=detail.account_number,
        place_of_service=detail.place_of_service,
        date_of_service=detail.date_of_service,
        diagnoses=tuple(detail.diagnoses),
        lines=tuple(lines),
        rendering=rendering,
        referring=referring,
        payer_claim_number=payer_claim_number,
        amount_paid=detail.paid,
        signed_on=signed_on,
    )
    return claim, tuple(notes)


def claim_problems(claim: Claim, records: VisitRecords | None = None) -> list[str]:
    """What holds the claim back: the visit's error findings (not for a void, which takes
    back a claim already sent) and the claim's own checks."""
    found: list[str] = []
    if records is not None:
        if claim.frequency_code != VOID:
            found.extend(f"{f.message.rstrip('.')} (rule {f.rule})" for f in records.detail.errors)
        if records.practice is None:
            found.append("The practice is not set up (Clinic > Practice)")
        if records.policy is None:
            found.append("The visit has no insurance policy (member ID) for the payer")
        if records.provider.is_assistant and records.supervisor is None:
            found.append(
                f"{records.provider.display_name} is an assistant with no supervising "
                "therapist to bill under (Clinic > Providers)"
            )
    billing = claim.billing
    _npi(found, billing.npi, "The practice's group NPI")
    if len(billing.tin) != 9:
        found.append("The practice's TIN (EIN) must be 9 digits (Clinic > Practice)")
    if not (billing.address.line1 and billing.address.city and billing.address.state):
        found.append("The practice's street address, city and state are needed")
    if not billing.address.zip_plus_four:
        shown = billing.address.postal_code or "none"
        found.append(
            f"The practice's ZIP code ({shown}) needs all 9 digits (ZIP+4): claims require "
            "it for the billing provider"
        )
    if claim.rendering is not None:
        _npi(
            found,
            claim.rendering.npi,
            f"The rendering provider's NPI ({claim.rendering.name.last})",
        )
    # every otdesk visit is therapy (OT, PT or SLP)
    if claim.payer.kind == "medicare" and (claim.referring is None or not claim.referring.npi):
        found.append(
            "Medicare therapy claims name the certifying physician: the plan of care has "
            "no referring provider NPI (Clinic > Patients > Plans of care)"
        )
    if claim.referring is not None:
        if claim.referring.npi:
            _npi(found, claim.referring.npi, "The referring provider's NPI")
        if not claim.referring.name.last:
            found.append("The referring provider's name is missing on the plan of care")
    if not claim.payer.payer_id:
        found.append(f"{claim.payer.name} has no payer ID (Billing > Claim settings, Payers)")
    if not claim.member_id:
        found.append("The patient's member ID is missing (Clinic > Patients > Insurance)")
    if not claim.patient_is_subscriber and not claim.subscriber.name.last:
        found.append(
            f"The patient is the subscriber's {claim.relationship}: the subscriber's name is "
            "missing on the policy"
        )
    address = claim.patient.address
    if address is None or not (address.line1 and address.city and address.state):
        found.append("The patient's street address, city and state are needed")
    elif len(address.postal_code) not in (5, 9):
        found.append("The patient's ZIP code must be 5 or 9 digits")
    if not re.fullmatch(r"\d{2}", claim.place_of_service):
        found.append(f"Place of service {claim.place_of_service!r} is not a 2-digit code")
    count = len(claim.diagnoses)
    if count == 0:
        found.append("The claim has no diagnosis")
    elif count > MAX_DIAGNOSES:
        found.append(f"The claim has {count} diagnoses; at most {MAX_DIAGNOSES} fit (A-L)")
    if not claim.lines:
        found.append("The claim has no service line that bills units")
    elif len(claim.lines) > MAX_LINES:
        found.append(f"The claim has {len(claim.lines)} service lines; at most {MAX_LINES} fit")
    for line in claim.lines:
        where = f"Line {line.number} ({line.code})"
        if not line.pointers:
            found.append(f"{where} points to no diagnosis")
        elif len(line.pointers) > MAX_POINTERS:
            found.append(f"{where} has {len(line.pointers)} diagnosis pointers; at most 4")
        bad = [p for p in line.pointers if not 1 <= p <= min(count, MAX_DIAGNOSES)]
        if bad:
            found.append(f"{where} points to a diagnosis the claim does not have")
        if len(line.modifiers) > MAX_MODIFIERS:
            found.append(f"{where} has {len(line.modifiers)} modifiers; at most 4 fit")
        if line.charge.amount <= 0:
            found.append(f"{where} has no charge (add a fee to the fee schedule)")
        if is_unlisted(line.code) and not line.description:
            found.append(f"{where} is an unlisted code: describe the service on the line")
    return found


def split_name(full: str) -> PersonName:
    """A name typed in one box ("Dr. Rowan Example, MD", "Example, Rowan J", "Rowan J
    Example") into its parts: titles and trailing credentials dropped."""
    text = " ".join(full.replace(".", ". ").split())
    words = text.split(" ")
    while words and words[0].rstrip(".").upper() in _TITLES:
        words = words[1:]
    text = " ".join(words)
    if "," in text:
        before, after = (part.strip() for part in text.split(",", 1))
        tail = after.replace(",", " ").split()
        if tail and all(_CREDENTIAL.fullmatch(word) for word in tail):
            text = before  # "First Last, MD"
        elif before:
            rest = [word.rstrip(",") for word in tail]
            return PersonName(before, rest[0] if rest else "", " ".join(rest[1:]).rstrip("."))
    words = [word for word in text.split(" ") if word]
    if not words:
        return PersonName("")
    if len(words) == 1:
        return PersonName(words[0])
    return PersonName(words[-1], words[0], " ".join(words[1:-1]).rstrip("."))


def _member(patient: Patient) -> Member:
    return Member(
        name=PersonName(patient.last_name, patient.first_name, patient.middle_name),
        date_of_birth=patient.date_of_birth,
        sex=patient.sex if patient.sex in ("F", "M") else "U",
        address=Address(
            patient.address1,
            patient.address2,
            patient.city,
            patient.state,
            digits(patient.postal_code),
        ),
        phone=digits(patient.phone),
    )


def _npi(found: list[str], value: str, who: str) -> None:
    problem = npi_problem(value) if value else "NPI is empty"
    if problem:
        found.append(f"{who}: {problem}")


def digits(value: str) -> str:
    """Only the digits of a phone, TIN or ZIP code as typed."""
    return "".join(ch for ch in value if ch.isdigit())
