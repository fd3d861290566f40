"""The claim settings (submitter, contact, clearinghouse, test or production) and each
payer's payer ID and claim filing indicator: what an 837P file's envelope is made of."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from otdesk.export.claim_model import Envelope
from otdesk.services import permissions
from otdesk.services import validate as v
from otdesk.services.claim_build import digits
from otdesk.services.context import ServiceContext
from otdesk.services.errors import ServiceError, ValidationError
from otdesk.services.setup import PayerService
from otdesk.storage import schema as s

# ISA05/ISA07 interchange ID qualifiers (X12 element I05) a clearinghouse hands out.
ID_QUALIFIERS = {
    "ZZ": "Mutually defined",
    "01": "DUNS number",
    "14": "DUNS number with suffix",
    "20": "Health industry number",
    "27": "Carrier ID (CMS)",
    "28": "Fiscal intermediary ID (CMS)",
    "29": "Medicare provider ID",
    "30": "US federal tax ID",
    "33": "NAIC company code",
}
USAGES = {"T": "test", "P": "production"}
_ID = re.compile(r"[A-Za-z0-9 .\-]{1,15}")


class ClaimSettingsError(ServiceError):
    """The claim settings are not complete enough to write a claim file."""


@dataclass(frozen=True, slots=True)
class ClaimSettings:
    submitter_name: str = ""
    submitter_id: str = ""
    submitter_qualifier: str = "ZZ"
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    receiver_name: str = ""
    receiver_id: str = ""
    receiver_qualifier: str = "ZZ"
    usage: str = "T"

    def problems(self) -> list[str]:
        """What must be filled in before a claim file can be written."""
        found = []
        for name, words in (
            ("submitter_name", "the submitter's name"),
            ("submitter_id", "the submitter ID the clearinghouse gave you"),
            ("contact_name", "a contact name"),
            ("receiver_name", "the clearinghouse's name"),
            ("receiver_id", "the clearinghouse's receiver ID"),
        ):
            if not getattr(self, name):
                found.append(f"Claim settings: {words} is missing")
        if not (self.contact_phone or self.contact_email):
            found.append("Claim settings: a contact phone number or email is missing")
        return found


SETTINGS_FIELDS = tuple(ClaimSettings.__dataclass_fields__)


class ClaimSettingsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def settings(self, connection: Connection | None = None) -> ClaimSettings:
        with self.ctx.reading(connection) as reading:
            row = reading.execute(select(s.claim_settings)).first()
        if row is None:
            return ClaimSettings()
        return ClaimSettings(**{name: getattr(row, name) for name in SETTINGS_FIELDS})

    def save_settings(self, **changes: Any) -> ClaimSettings:
        """Change the claim settings (only the fields given)."""
        unknown = set(changes) - set(SETTINGS_FIELDS)
        if unknown:
            raise ValidationError(sorted(unknown)[0], f"Unknown claim setting(s): {unknown}.")
        with self.ctx.db.write() as connection:
            before = self.settings(connection)
            after = _clean_settings({**asdict(before), **changes})
            exists = connection.execute(select(s.claim_settings.c.id)).first() is not None
            if exists:
                connection.execute(update(s.claim_settings).values(**asdict(after)))
            else:
                connection.execute(insert(s.claim_settings).values(id=1, **asdict(after)))
            if after != before:
                self.ctx.audit(
                    connection,
                    "claim.settings",
                    "claim_settings",
                    1,
                    before=asdict(before),
                    after=asdict(after),
                )
        return after

    def set_payer(
        self, payer_id: int, *, payer_code: str | None = None, filing: str | None = None
    ) -> Any:
        """A payer's payer ID (its electronic ID) and claim filing indicator ("" or None
        for the filing indicator: the usual for the payer's kind)."""
        payers = PayerService(self.ctx)
        changes: dict[str, Any] = {}
        if payer_code is not None:
            changes["payer_code"] = payer_code.strip()
        if filing is not None:
            changes["claim_filing_indicator"] = filing or None
        return payers.update(payer_id, **changes) if changes else payers.get(payer_id)


def _clean_settings(values: dict[str, Any]) -> ClaimSettings:
    def ident(name: str) -> str:
        value = v.text(values.get(name), name, max_len=15)
        if value and not _ID.fullmatch(value):
            raise ValidationError(
                name, f"{v.label(name)} may hold letters, digits, spaces, dots and hyphens only."
            )
        return value.upper()

    phone = v.text(values.get("contact_phone"), "contact_phone", max_len=20)
    if phone and len(digits(phone)) != 10:
        raise ValidationError(
            "contact_phone", "Contact phone must be 10 digits (area code and number)."
        )
    email = v.text(values.get("contact_email"), "contact_email", max_len=80)
    if email and not re.fullmatch(r"[^@\s~*:^]+@[^@\s~*:^]+\.[^@\s~*:^]+", email):
        raise ValidationError("contact_email", f"Contact email {email!r} is not an address.")
    return ClaimSettings(
        submitter_name=v.text(values.get("submitter_name"), "submitter_name", max_len=60),
        submitter_id=ident("submitter_id"),
        submitter_qualifier=v.choice(
            str(values.get("submitter_qualifier") or "ZZ").upper(),
            "submitter_qualifier",
            ID_QUALIFIERS,
        ),
        contact_name=v.text(values.get("contact_name"), "contact_name", max_len=60),
        contact_phone=digits(phone),
        contact_email=email,
        receiver_name=v.text(values.get("receiver_name"), "receiver_name", max_len=60),
        receiver_id=ident("receiver_id"),
        receiver_qualifier=v.choice(
            str(values.get("receiver_qualifier") or "ZZ").upper(),
            "receiver_qualifier",
            ID_QUALIFIERS,
        ),
        usage=v.choice(str(values.get("usage") or "T").upper(), "usage", USAGES),
    )


def make_envelope(settings: ClaimSettings, interchange: int, group: int, now: datetime) -> Envelope:
    """The interchange envelope of a file written now with these control numbers."""
    return Envelope(
        sender_qualifier=settings.submitter_qualifier,
        sender_id=settings.submitter_id,
        receiver_qualifier=settings.receiver_qualifier,
        receiver_id=settings.receiver_id,
        submitter_name=settings.submitter_name,
        receiver_name=settings.receiver_name,
        contact_name=settings.contact_name,
        contact_phone=settings.contact_phone,
        contact_email=settings.contact_email,
        usage=settings.usage,
        interchange_control=interchange,
        group_control=group,
        created_at=now.astimezone(),
    )


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(ClaimSettingsService)
