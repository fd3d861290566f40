"""The catalog the services bill from: the shipped procedure catalog with the clinic's own
codes (otdesk.services.clinic_codes edits them). ServiceContext.catalog reads it from here,
so this module sits below the context and imports no service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from otdesk.core.catalog import BillingKind, Catalog, default_catalog
from otdesk.services.errors import NotFoundError
from otdesk.storage import schema as s

CLINIC_CATEGORY = "clinic code"


@dataclass(frozen=True, slots=True)
class ClinicCode:
    code: str
    label: str
    kind: str  # timed, untimed, item
    disciplines: tuple[str, ...]  # empty: not a therapy service (no GO/GP/GN)
    active: bool
    used: bool  # on some visit's line


def load_catalog(connection: Connection) -> Catalog:
    """The shipped catalog with the clinic's codes (hidden ones too: visits use them)."""
    codes = read_codes(connection, include_hidden=True)
    return merged_catalog(codes) if codes else default_catalog()


def merged_catalog(codes: list[ClinicCode]) -> Catalog:
    catalog = Catalog(list(default_catalog()))
    for code in codes:
        # A clinic code that a newer catalog ships is billed as the catalog has it.
        if code.code in catalog:
            continue
        catalog.with_custom(
            code.code,
            code.label,
            category=CLINIC_CATEGORY,
            kind=BillingKind(code.kind),
            disciplines=code.disciplines,
        )
    return catalog


def read_codes(connection: Connection, *, include_hidden: bool) -> list[ClinicCode]:
    query = select(s.clinic_codes, _used()).order_by(s.clinic_codes.c.code)
    if not include_hidden:
        query = query.where(s.clinic_codes.c.active.is_(True))
    return [_record(row) for row in connection.execute(query)]


def read_code(connection: Connection, code: str) -> ClinicCode:
    row = connection.execute(
        select(s.clinic_codes, _used()).where(s.clinic_codes.c.code == code)
    ).first()
    if row is None:
        raise NotFoundError("clinic code", code)
    return _record(row)


def _used() -> Any:
    return (
        select(s.charge_lines.c.id)
        .where(s.charge_lines.c.code == s.clinic_codes.c.code)
        .exists()
        .label("used")
    )


def _record(row: Any) -> ClinicCode:
    return ClinicCode(
        code=row.code,
        label=row.label,
        kind=row.kind,
        disciplines=tuple(d for d in row.disciplines.split(";") if d),
        active=bool(row.active),
        used=bool(row.used),
    )
