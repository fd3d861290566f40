"""The clinic's own details: the practice, its providers and the payers it bills."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from otdesk.core.units import UnitRule
from otdesk.core.visit import ASSISTANT_ROLES, PAYER_KINDS, ROLES, PayerInfo, ProviderInfo
from otdesk.services import permissions
from otdesk.services import validate as v
from otdesk.services.context import ServiceContext
from otdesk.services.errors import NotFoundError, ValidationError
from otdesk.storage import schema as s
from otdesk.storage.values import inserted_id

TELEHEALTH_MODIFIERS = ("95", "GT", "GQ", "FQ", "93")
# Which discipline a provider's visits belong to by default.
ROLE_DISCIPLINE = {"OT": "OT", "OTA": "OT", "PT": "PT", "PTA": "PT", "SLP": "SLP", "SLPA": "SLP"}


@dataclass(frozen=True, slots=True)
class Practice:
    name: str
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""
    tin: str = ""
    group_npi: str = ""
    taxonomy: str = ""


@dataclass(frozen=True, slots=True)
class Provider:
    id: int
    last_name: str
    first_name: str
    credentials: str
    role: str
    npi: str
    license_number: str
    license_state: str
    taxonomy: str
    supervisor_id: int | None
    active: bool

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}"
        return f"{name}, {self.credentials}" if self.credentials else name

    @property
    def is_assistant(self) -> bool:
        return self.role in ASSISTANT_ROLES

    @property
    def discipline(self) -> str:
        return ROLE_DISCIPLINE[self.role]

    def info(self) -> ProviderInfo:
        return ProviderInfo(role=self.role, npi=self.npi or None)


@dataclass(frozen=True, slots=True)
class Payer:
    id: int
    name: str
    payer_code: str
    kind: str
    unit_rule: str
    therapy_modifiers_required: bool | None
    ncci_applies: bool | None
    kx_tracked: bool | None
    telehealth_modifier: str | None
    active: bool
    # 837P SBR09; None: the usual for the kind (otdesk.services.claims.filing_indicator)
    claim_filing_indicator: str | None = None

    def info(self) -> PayerInfo:
        return payer_info(self)


def payer_info(row: Any) -> PayerInfo:
    """The rules engine's view of a payer row (or Payer)."""
    return PayerInfo(
        kind=row.kind,
        unit_rule=UnitRule(row.unit_rule),
        therapy_modifiers_required=row.therapy_modifiers_required,
        ncci_applies=row.ncci_applies,
        kx_tracked=row.kx_tracked,
        telehealth_modifier=row.telehealth_modifier,
    )


SELF_PAY = PayerInfo(kind="self-pay", unit_rule=UnitRule.PER_CODE)

_PRACTICE_FIELDS = tuple(Practice.__dataclass_fields__)
_PROVIDER_FIELDS = tuple(f for f in Provider.__dataclass_fields__ if f != "id")
_PAYER_FIELDS = tuple(f for f in Payer.__dataclass_fields__ if f != "id")


class PracticeService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def get(self, connection: Connection | None = None) -> Practice | None:
        with self.ctx.reading(connection) as reading:
            row = reading.execute(select(s.practice).where(s.practice.c.id == 1)).first()
        return _practice(row) if row else None

    def save(self, **fields: Any) -> Practice:
        """Create or change the practice's details (only the fields given change)."""
        unknown = set(fields) - set(_PRACTICE_FIELDS)
        if unknown:
            raise ValidationError(sorted(unknown)[0], f"Unknown practice field(s): {unknown}.")
        with self.ctx.db.write() as connection:
            row = connection.execute(select(s.practice).where(s.practice.c.id == 1)).first()
            before = asdict(_practice(row)) if row else None
            merged = dict(before or {"name": ""})
            merged.update(fields)
            clean = _clean_practice(merged)
            if row:
                connection.execute(update(s.practice).where(s.practice.c.id == 1).values(**clean))
            else:
                connection.execute(insert(s.practice).values(id=1, **clean))
            self.ctx.audit(connection, "practice.save", "practice", 1, before=before, after=clean)
        return Practice(**clean)


def _clean_practice(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": v.text(values.get("name"), "name", required=True),
        **v.address(values),
        "tin": v.tin(values.get("tin"), "tin"),
        "group_npi": v.npi(values.get("group_npi"), "group_npi"),
        "taxonomy": v.taxonomy(values.get("taxonomy"), "taxonomy"),
    }


def _practice(row: Any) -> Practice:
    return Practice(**{name: getattr(row, name) for name in _PRACTICE_FIELDS})


class ProviderService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def create(self, **fields: Any) -> Provider:
        """A new provider: last_name, first_name, role (OT, OTA, PT, PTA, SLP, SLPA) and
        npi are expected; credentials, license_number, license_state, taxonomy and
        supervisor_id (for assistants) are optional."""
        with self.ctx.db.write() as connection:
            clean = self._clean(connection, {"active": True, **fields}, None)
            new_id = inserted_id(connection.execute(insert(s.providers).values(**clean)))
            self.ctx.audit(connection, "provider.create", "provider", new_id, after=clean)
        return Provider(id=new_id, **clean)

    def update(self, provider_id: int, **changes: Any) -> Provider:
        with self.ctx.db.write() as connection:
            before = self._get(connection, provider_id)
            merged = {**asdict(before), **changes}
            merged.pop("id")
            clean = self._clean(connection, merged, provider_id)
            connection.execute(
                update(s.providers).where(s.providers.c.id == provider_id).values(**clean)
            )
            self.ctx.audit(
                connection,
                "provider.update",
                "provider",
                provider_id,
                before=asdict(before),
                after=clean,
            )
        return Provider(id=provider_id, **clean)

    def get(self, provider_id: int, connection: Connection | None = None) -> Provider:
        with self.ctx.reading(connection) as reading:
            return self._get(reading, provider_id)

    def list(self, *, active_only: bool = True) -> list[Provider]:
        query = select(s.providers).order_by(s.providers.c.last_name, s.providers.c.first_name)
        if active_only:
            query = query.where(s.providers.c.active.is_(True))
        with self.ctx.db.read() as connection:
            return [_provider(row) for row in connection.execute(query)]

    def _get(self, connection: Connection, provider_id: int) -> Provider:
        row = connection.execute(select(s.providers).where(s.providers.c.id == provider_id)).first()
        if row is None:
            raise NotFoundError("provider", provider_id)
        return _provider(row)

    def _clean(
        self, connection: Connection, values: dict[str, Any], provider_id: int | None
    ) -> dict[str, Any]:
        unknown = set(values) - set(_PROVIDER_FIELDS)
        if unknown:
            raise ValidationError(sorted(unknown)[0], f"Unknown provider field(s): {unknown}.")
        role = v.choice(values.get("role"), "role", ROLES)
        supervisor_id = values.get("supervisor_id")
        if supervisor_id is not None:
            if supervisor_id == provider_id:
                raise ValidationError("supervisor_id", "A provider cannot supervise themselves.")
            boss = connection.execute(
                select(s.providers.c.role).where(s.providers.c.id == supervisor_id)
            ).scalar()
            if boss is None:
                raise ValidationError("supervisor_id", f"Supervisor: no provider {supervisor_id}.")
            if boss in ASSISTANT_ROLES:
                raise ValidationError(
                    "supervisor_id", "Supervisor: an assistant cannot supervise another provider."
                )
        return {
            "last_name": v.text(values.get("last_name"), "last_name", max_len=100, required=True),
            "first_name": v.text(
                values.get("first_name"), "first_name", max_len=100, required=True
            ),
            "credentials": v.text(values.get("credentials"), "credentials", max_len=40),
            "role": role,
            "npi": v.npi(values.get("npi"), "npi"),
            "license_number": v.text(values.get("license_number"), "license_number", max_len=40),
            "license_state": v.state(values.get("license_state"), "license_state"),
            "taxonomy": v.taxonomy(values.get("taxonomy"), "taxonomy"),
            "supervisor_id": supervisor_id,
            "active": bool(values.get("active", True)),
        }


def _provider(row: Any) -> Provider:
    return Provider(id=row.id, **{name: getattr(row, name) for name in _PROVIDER_FIELDS})


class PayerService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def create(self, **fields: Any) -> Payer:
        """A new payer: name, kind (medicare, medicaid, commercial, workers-comp, self-pay),
        unit_rule (cms or per-code; default: cms for Medicare and Medicaid, per-code else),
        payer_code, and optional settings therapy_modifiers_required, ncci_applies,
        kx_tracked (None: the usual for the kind), telehealth_modifier."""
        with self.ctx.db.write() as connection:
            clean = self._clean(connection, {"active": True, **fields}, None)
            new_id = inserted_id(connection.execute(insert(s.payers).values(**clean)))
            self.ctx.audit(connection, "payer.create", "payer", new_id, after=clean)
        return Payer(id=new_id, **clean)

    def update(self, payer_id: int, **changes: Any) -> Payer:
        with self.ctx.db.write() as connection:
            before = self._get(connection, payer_id)
            merged = {**asdict(before), **changes}
            merged.pop("id")
            clean = self._clean(connection, merged, payer_id)
            connection.execute(update(s.payers).where(s.payers.c.id == payer_id).values(**clean))
            self.ctx.audit(
                connection, "payer.update", "payer", payer_id, before=asdict(before), after=clean
            )
        return Payer(id=payer_id, **clean)

    def get(self, payer_id: int, connection: Connection | None = None) -> Payer:
        with self.ctx.reading(connection) as reading:
            return self._get(reading, payer_id)

    def list(self, *, active_only: bool = True) -> list[Payer]:
        query = select(s.payers).order_by(s.payers.c.name)
        if active_only:
            query = query.where(s.payers.c.active.is_(True))
        with self.ctx.db.read() as connection:
            return [_payer(row) for row in connection.execute(query)]

    def _get(self, connection: Connection, payer_id: int) -> Payer:
        row = connection.execute(select(s.payers).where(s.payers.c.id == payer_id)).first()
        if row is None:
            raise NotFoundError("payer", payer_id)
        return _payer(row)

    def _clean(
        self, connection: Connection, values: dict[str, Any], payer_id: int | None
    ) -> dict[str, Any]:
        unknown = set(values) - set(_PAYER_FIELDS)
        if unknown:
            raise ValidationError(sorted(unknown)[0], f"Unknown payer field(s): {unknown}.")
        name = v.text(values.get("name"), "name", max_len=120, required=True)
        clash = connection.execute(
            select(s.payers.c.id).where(func.lower(s.payers.c.name) == name.lower())
        ).scalar()
        if clash is not None and clash != payer_id:
            raise ValidationError("name", f"Name: there is already a payer called {name!r}.")
        kind = v.choice(values.get("kind"), "kind", PAYER_KINDS)
        rule = values.get("unit_rule") or (
            "cms" if kind in ("medicare", "medicaid") else "per-code"
        )
        telehealth = values.get("telehealth_modifier", "95")
        if telehealth in ("", None):
            telehealth = None
        else:
            telehealth = v.choice(
                str(telehealth).upper(), "telehealth_modifier", TELEHEALTH_MODIFIERS
            )
        return {
            "name": name,
            "payer_code": v.text(values.get("payer_code"), "payer_code", max_len=40),
            "kind": kind,
            "unit_rule": v.choice(str(rule), "unit_rule", [r.value for r in UnitRule]),
            "therapy_modifiers_required": _optional_bool(
                values.get("therapy_modifiers_required"), "therapy_modifiers_required"
            ),
            "ncci_applies": _optional_bool(values.get("ncci_applies"), "ncci_applies"),
            "kx_tracked": _optional_bool(values.get("kx_tracked"), "kx_tracked"),
            "telehealth_modifier": telehealth,
            "active": bool(values.get("active", True)),
            "claim_filing_indicator": _filing_indicator(values.get("claim_filing_indicator")),
        }


# 837P SBR09 claim filing indicator codes a therapy clinic meets (X12 element 1032).
CLAIM_FILING_INDICATORS = {
    "MB": "Medicare Part B",
    "MC": "Medicaid",
    "CI": "Commercial insurance",
    "BL": "Blue Cross/Blue Shield",
    "HM": "HMO",
    "12": "PPO",
    "13": "Point of service (POS)",
    "WC": "Workers' compensation",
    "AM": "Automobile medical",
    "CH": "TRICARE (CHAMPUS)",
    "VA": "Veterans Affairs plan",
    "OF": "Other federal program",
    "LM": "Liability medical",
    "16": "Medicare Advantage HMO",
    "ZZ": "Mutually defined (unknown)",
}


def _filing_indicator(value: Any) -> str | None:
    if value in (None, ""):
        return None
    code = str(value).strip().upper()
    if code not in CLAIM_FILING_INDICATORS:
        raise ValidationError(
            "claim_filing_indicator",
            f"Claim filing indicator {code!r} is not one of {', '.join(CLAIM_FILING_INDICATORS)}.",
        )
    return code


def _optional_bool(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValidationError(field, f"{v.label(field)} must be yes, no or unset.")


def _payer(row: Any) -> Payer:
    return Payer(id=row.id, **{name: getattr(row, name) for name in _PAYER_FIELDS})


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(PracticeService, ProviderService, PayerService)
