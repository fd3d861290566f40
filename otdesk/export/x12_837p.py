"""The 837P professional claim file (ASC X12 005010X222A1) as text: pure code, no I/O.

One interchange (ISA/IEA) holds one functional group (GS/GE) with one transaction set
(ST/SE) per payer batch. Inside a transaction set: the submitter (1000A) and receiver
(1000B), the billing provider (2000A/2010AA) once, then for each claim a subscriber level
(2000B with 2010BA and the payer 2010BB), a patient level (2000C/2010CA) when the patient is
not the subscriber, the claim (2300 with HI, 2310A referring, 2310B rendering) and its
service lines (2400: LX, SV1, DTP*472, REF*6R).

Text goes out in upper case with the delimiters (~ * : ^) taken out and accents folded to
ASCII, so a name such as "Núñez" is sent as "NUNEZ".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from otdesk.core.money import Money
from otdesk.export.claim_model import (
    RELATIONSHIP_CODES,
    REPLACEMENT,
    VOID,
    Address,
    Claim,
    ClaimBatch,
    ClaimProvider,
    Envelope,
    Member,
)

VERSION = "005010X222A1"
SEGMENT_END = "~"
ELEMENT = "*"
COMPONENT = ":"
REPETITION = "^"
# Letters that have no decomposition into a base letter and an accent.
_FOLD = str.maketrans(
    {"Ø": "O", "ø": "o", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Æ": "AE", "æ": "ae",
     "Œ": "OE", "œ": "oe", "ß": "ss", "Þ": "TH", "þ": "th", "ı": "i"}
)  # fmt: skip
_DROP = str.maketrans({SEGMENT_END: " ", ELEMENT: " ", COMPONENT: " ", REPETITION: " "})


def text(value: str, max_len: int) -> str:
    """An element's text: ASCII upper case, no delimiters, single spaces, at most max_len."""
    folded = unicodedata.normalize("NFKD", value.translate(_FOLD))
    ascii_only = "".join(ch for ch in folded if ch.isascii() and (ch.isprintable() or ch == " "))
    cleaned = " ".join(ascii_only.translate(_DROP).upper().split())
    return cleaned[:max_len].rstrip()


def amount(value: Money) -> str:
    """A monetary amount the way X12 writes decimals: no thousands separator, and no
    trailing zeros after the point ("124", "62.5")."""
    written = value.to_json()
    if "." in written:
        written = written.rstrip("0").rstrip(".")
    return written or "0"


def write_837p(envelope: Envelope, batches: Sequence[ClaimBatch]) -> str:
    """The whole interchange, one segment a line."""
    created = envelope.created_at
    segments: list[str] = [
        _seg(
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            envelope.sender_qualifier,
            envelope.sender_id.ljust(15),
            envelope.receiver_qualifier,
            envelope.receiver_id.ljust(15),
            created.strftime("%y%m%d"),
            created.strftime("%H%M"),
            REPETITION,
            "00501",
            f"{envelope.interchange_control:09d}",
            "0",
            envelope.usage,
            COMPONENT,
        ),
        _seg(
            "GS",
            "HC",
            envelope.sender_id,
            envelope.receiver_id,
            created.strftime("%Y%m%d"),
            created.strftime("%H%M"),
            str(envelope.group_control),
            "X",
            VERSION,
        ),
    ]
    for batch in batches:
        segments.extend(_transaction(envelope, batch))
    segments.append(_seg("GE", str(len(batches)), str(envelope.group_control)))
    segments.append(_seg("IEA", "1", f"{envelope.interchange_control:09d}"))
    return "\n".join(segments) + "\n"


def _transaction(envelope: Envelope, batch: ClaimBatch) -> list[str]:
    control = f"{batch.transaction_control:04d}"
    created = envelope.created_at
    body: list[str] = [
        _seg("ST", "837", control, VERSION),
        _seg(
            "BHT",
            "0019",
            "00",
            f"{envelope.interchange_control}-{batch.transaction_control}",
            created.strftime("%Y%m%d"),
            created.strftime("%H%M"),
            "CH",
        ),
        _seg("NM1", "41", "2", text(envelope.submitter_name, 60), "", "", "", "", "46",
             text(envelope.sender_id, 80)),
    ]  # fmt: skip
    contact = ["PER", "IC", text(envelope.contact_name, 60)]
    if envelope.contact_phone:
        contact += ["TE", envelope.contact_phone]
    if envelope.contact_email:
        contact += ["EM", envelope.contact_email.upper().replace("~", "")[:256]]
    body.append(_seg(*contact))
    body.append(
        _seg("NM1", "40", "2", text(envelope.receiver_name, 60), "", "", "", "", "46",
             text(envelope.receiver_id, 80))
    )  # fmt: skip
    billing = batch.claims[0].billing
    body.append(_seg("HL", "1", "", "20", "1"))
    if billing.taxonomy:
        body.append(_seg("PRV", "BI", "PXC", billing.taxonomy))
    body.append(_seg("NM1", "85", "2", text(billing.name, 60), "", "", "", "", "XX", billing.npi))
    body.extend(_address(billing.address))
    body.append(_seg("REF", "EI", billing.tin))
    level = 1
    for claim in batch.claims:
        level = _claim(body, claim, level)
    body.append(_seg("SE", str(len(body) + 1), control))
    return body


def _claim(body: list[str], claim: Claim, level: int) -> int:
    subscriber_level = level + 1
    has_patient_level = not claim.patient_is_subscriber
    body.append(_seg("HL", str(subscriber_level), "1", "22", "1" if has_patient_level else "0"))
    body.append(
        _seg(
            "SBR",
            "P",
            "18" if claim.patient_is_subscriber else "",
            text(claim.group_number, 50),
            "",
            "",
            "",
            "",
            "",
            claim.payer.filing_indicator,
        )
    )
    body.extend(_member("IL", claim.subscriber, claim.member_id, full=claim.patient_is_subscriber))
    body.append(
        _seg("NM1", "PR", "2", text(claim.payer.name, 60), "", "", "", "", "PI",
             text(claim.payer.payer_id, 80))
    )  # fmt: skip
    level = subscriber_level
    if has_patient_level:
        level += 1
        body.append(_seg("HL", str(level), str(subscriber_level), "23", "0"))
        body.append(_seg("PAT", RELATIONSHIP_CODES.get(claim.relationship, "G8")))
        body.extend(_member("QC", claim.patient, "", full=True))
    body.append(
        _seg(
            "CLM",
            text(claim.patient_control_number, 20),
            amount(claim.total),
            "",
            "",
            COMPONENT.join((claim.place_of_service, "B", claim.frequency_code)),
            "Y",
            "A",
            "Y",
            "Y",
        )
    )
    if claim.amount_paid.amount > 0 and claim.frequency_code != VOID:
        body.append(_seg("AMT", "F5", amount(claim.amount_paid)))
    if claim.frequency_code in (REPLACEMENT, VOID) and claim.payer_claim_number:
        body.append(_seg("REF", "F8", text(claim.payer_claim_number, 50)))
    codes = [code.replace(".", "").upper() for code in claim.diagnoses]
    body.append(
        _seg("HI", *(("ABK" if i == 0 else "ABF") + COMPONENT + c for i, c in enumerate(codes)))
    )
    if claim.referring is not None:
        body.append(_person("DN", claim.referring))
    if claim.rendering is not None:
        body.append(_person("82", claim.rendering))
        if claim.rendering.taxonomy:
            body.append(_seg("PRV", "PE", "PXC", claim.rendering.taxonomy))
    for line in claim.lines:
        procedure = ["HC", line.code, *line.modifiers]
        if line.description:
            procedure += [""] * (6 - len(procedure)) + [text(line.description, 80)]
        body.append(_seg("LX", str(line.number)))
        body.append(
            _seg(
                "SV1",
                COMPONENT.join(procedure),
                amount(line.charge),
                "UN",
                str(line.units),
                "",
                "",
                COMPONENT.join(str(p) for p in line.pointers),
            )
        )
        body.append(_seg("DTP", "472", "D8", line.date_of_service.strftime("%Y%m%d")))
        body.append(_seg("REF", "6R", text(line.control_number, 50)))
    return level


def _member(entity: str, member: Member, member_id: str, *, full: bool) -> list[str]:
    """NM1 (with the member ID for the subscriber), and the address and DMG when this
    person is the patient."""
    name = member.name
    fields = ["NM1", entity, "1", text(name.last, 60), text(name.first, 35), text(name.middle, 25)]
    if member_id:
        fields += ["", "", "MI", text(member_id, 80)]
    out = [_seg(*fields)]
    if full:
        if member.address is not None:
            out.extend(_address(member.address))
        if member.date_of_birth is not None:
            out.append(_seg("DMG", "D8", member.date_of_birth.strftime("%Y%m%d"), member.sex))
    return out


def _person(entity: str, person: ClaimProvider) -> str:
    name = person.name
    return _seg(
        "NM1",
        entity,
        "1",
        text(name.last, 60),
        text(name.first, 35),
        text(name.middle, 25),
        "",
        "",
        "XX",
        person.npi,
    )


def _address(address: Address) -> list[str]:
    street = [text(address.line1, 55)]
    if address.line2:
        street.append(text(address.line2, 55))
    return [
        _seg("N3", *street),
        _seg("N4", text(address.city, 30), address.state.upper(), address.postal_code),
    ]


def _seg(name: str, *elements: str) -> str:
    """A segment with its trailing empty elements dropped."""
    values = list(elements)
    while values and values[-1] == "":
        values.pop()
    return ELEMENT.join((name, *values)) + SEGMENT_END


__all__ = ["VERSION", "amount", "text", "write_837p"]
