"""The clinic's own procedure codes: a well-formed CPT/HCPCS code the shipped catalog lacks
(a payer-specific code, an L-code, a code of a newer year), with a plain label, how it is
billed (timed in 15-minute units, untimed, or per item) and the disciplines it belongs to.

The services bill them like catalog codes (ServiceContext.catalog holds both), and the
code search offers them, with the codes that only the fee schedule lists. A clinic code a
visit uses is hidden when removed, not deleted, so the visit keeps its label.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, select, update

from otdesk.core.catalog import (
    Catalog,
    code_format_problem,
    default_catalog,
    normalize_code,
)
from otdesk.core.visit import DISCIPLINES
from otdesk.services import permissions
from otdesk.services import validate as v
from otdesk.services.clinic_catalog import (
    ClinicCode,
    load_catalog,
    merged_catalog,
    read_code,
    read_codes,
)
from otdesk.services.context import ServiceContext
from otdesk.services.errors import NotFoundError, ValidationError
from otdesk.services.fees import add_fee
from otdesk.services.visit_detail import reprice_drafts
from otdesk.storage import schema as s

FEE_ONLY_CATEGORY = "fee schedule"
FEE_ONLY_LABEL = "in the fee schedule, no label yet"
KIND_WORDS = {"timed": "timed (15-minute units)", "untimed": "untimed (1 unit)", "item": "per item"}


class ClinicCodeService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def list(self, *, include_hidden: bool = False) -> list[ClinicCode]:
        """The clinic's codes by code (the removed ones that visits use, with include_hidden)."""
        with self.ctx.db.read() as connection:
            return read_codes(connection, include_hidden=include_hidden)

    def get(self, code: str) -> ClinicCode:
        wanted = normalize_code(code)
        for found in self.list(include_hidden=True):
            if found.code == wanted:
                return found
        raise NotFoundError("clinic code", wanted)

    def add(
        self,
        code: str,
        *,
        label: str,
        kind: str,
        disciplines: Iterable[str] = (),
        fee: Any = None,
    ) -> ClinicCode:
        """Add a clinic code (and, with `fee`, the clinic's own charge per unit for it)."""
        cleaned = _clean(code, label, kind, disciplines)
        wanted = cleaned["code"]
        shipped = default_catalog().get(wanted)
        if shipped is not None:
            state = "a deleted code" if shipped.deleted else "in the catalog"
            raise ValidationError(
                "code", f"Code: {wanted} is {state} already ({shipped.label}); bill it as it is."
            )
        fee_money = v.optional_money(fee, "fee")
        try:
            with self.ctx.db.write() as connection:
                existing = connection.execute(
                    select(s.clinic_codes.c.active).where(s.clinic_codes.c.code == wanted)
                ).first()
                if existing is not None and existing.active:
                    raise ValidationError("code", f"Code: {wanted} is a clinic code already.")
                if existing is not None:  # removed before, used on a visit: shown again
                    connection.execute(
                        update(s.clinic_codes)
                        .where(s.clinic_codes.c.code == wanted)
                        .values(active=True, **_columns(cleaned))
                    )
                else:
                    connection.execute(
                        insert(s.clinic_codes).values(
                            created_at=self.ctx.now(), created_by=self.ctx.user, **cleaned
                        )
                    )
                self.ctx.audit(connection, "clinic_code.add", "clinic_code", None, after=cleaned)
                # the drafts repriced for the new fee see the new code
                self.ctx.clinic_catalog = load_catalog(connection)
                if fee_money is not None:
                    add_fee(self.ctx, connection, wanted, charge=fee_money)
                return read_code(connection, wanted)
        except BaseException:
            self.ctx.clinic_catalog = None  # read again from what was stored
            raise

    def update(self, code: str, **changes: Any) -> ClinicCode:
        """Change a clinic code's label, kind or disciplines (the drafts billing it follow)."""
        unknown = set(changes) - {"label", "kind", "disciplines"}
        if unknown:
            raise ValidationError(sorted(unknown)[0], f"Unknown field(s): {sorted(unknown)}.")
        wanted = normalize_code(code)
        try:
            return self._update(wanted, changes)
        except BaseException:
            self.ctx.clinic_catalog = None
            raise

    def _update(self, wanted: str, changes: dict[str, Any]) -> ClinicCode:
        with self.ctx.db.write() as connection:
            before = read_code(connection, wanted)
            merged = {
                "label": before.label,
                "kind": before.kind,
                "disciplines": before.disciplines,
                **changes,
            }
            cleaned = _clean(wanted, merged["label"], merged["kind"], merged["disciplines"])
            connection.execute(
                update(s.clinic_codes)
                .where(s.clinic_codes.c.code == wanted)
                .values(**_columns(cleaned))
            )
            self.ctx.audit(
                connection, "clinic_code.update", "clinic_code", None, before=before, after=cleaned
            )
            self.ctx.clinic_catalog = load_catalog(connection)
            reprice_drafts(self.ctx, connection, {wanted})  # a new kind changes the units
            return read_code(connection, wanted)

    def remove(self, code: str) -> bool:
        """Remove a clinic code from the list; True when it was deleted, False when visits
        use it and it was hidden instead (they keep its label)."""
        wanted = normalize_code(code)
        with self.ctx.db.write() as connection:
            before = read_code(connection, wanted)
            if before.used:
                connection.execute(
                    update(s.clinic_codes)
                    .where(s.clinic_codes.c.code == wanted)
                    .values(active=False)
                )
            else:
                connection.execute(delete(s.clinic_codes).where(s.clinic_codes.c.code == wanted))
            self.ctx.audit(connection, "clinic_code.remove", "clinic_code", None, before=before)
        self.ctx.clinic_catalog = None
        return not before.used

    def search_catalog(self) -> Catalog:
        """What the code search offers: the catalog, the clinic's codes (not the removed
        ones), and the codes only the fee schedule lists (marked so, billed as untimed)."""
        with self.ctx.db.read() as connection:
            codes = read_codes(connection, include_hidden=False)
            fee_codes = set(connection.execute(select(s.fee_schedule.c.code).distinct()).scalars())
        catalog = merged_catalog(codes)
        for code in sorted(fee_codes):
            if code not in catalog and not code_format_problem(code):
                catalog.with_custom(code, FEE_ONLY_LABEL, category=FEE_ONLY_CATEGORY)
        return catalog


def _clean(code: Any, label: Any, kind: Any, disciplines: Iterable[str]) -> dict[str, Any]:
    if not isinstance(code, str):
        raise ValidationError("code", "Code is required.")
    problem = code_format_problem(code)
    if problem:
        raise ValidationError("code", f"Code: {problem}")
    words = v.text(label, "label", max_len=200, required=True)
    how = v.choice(kind, "kind", s.CLINIC_CODE_KINDS)
    chosen: list[str] = []
    for discipline in [disciplines] if isinstance(disciplines, str) else disciplines:
        name = str(discipline).strip().upper()
        if name and name not in chosen:
            chosen.append(v.choice(name, "discipline", DISCIPLINES))
    return {
        "code": normalize_code(code),
        "label": words,
        "kind": how,
        "disciplines": ";".join(chosen),
    }


def _columns(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in cleaned.items() if key != "code"}


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(ClinicCodeService)
