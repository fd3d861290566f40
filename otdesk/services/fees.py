"""The fee schedule: the clinic's charge per unit of each code, and each payer's allowed
amount, with the dates they apply.

A row without a payer is the clinic's own charge (it needs a charge). A payer's row gives
that payer's allowed amount, and may set a different charge for that payer. Rows of the
same code and payer must not overlap in time. Year-to-date allowed amounts for the KX
threshold are taken from these allowed amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from otdesk.core.catalog import code_format_problem, normalize_code
from otdesk.core.money import Money
from otdesk.services import csvio, permissions
from otdesk.services import validate as v
from otdesk.services.context import ServiceContext
from otdesk.services.csvio import ImportReport
from otdesk.services.errors import ImportRejectedError, NotFoundError, ValidationError
from otdesk.services.pricing import FeeQuote, quotes
from otdesk.services.visit_detail import reprice_drafts
from otdesk.storage import schema as s
from otdesk.storage.values import from_cents, inserted_id, to_cents

FEE_COLUMNS = ("code", "payer", "charge", "allowed", "effective_from", "effective_to")
_ANY = object()


@dataclass(frozen=True, slots=True)
class Fee:
    id: int
    code: str
    payer_id: int | None
    payer_name: str  # "" for the clinic's own charge
    charge: Money | None
    allowed: Money | None
    effective_from: date | None
    effective_to: date | None


class FeeScheduleService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def add(
        self,
        code: str,
        *,
        charge: Any = None,
        allowed: Any = None,
        payer_id: int | None = None,
        effective_from: Any = None,
        effective_to: Any = None,
    ) -> Fee:
        with self.ctx.db.write() as connection:
            return add_fee(
                self.ctx,
                connection,
                code,
                charge=charge,
                allowed=allowed,
                payer_id=payer_id,
                effective_from=effective_from,
                effective_to=effective_to,
            )

    def update(self, fee_id: int, **changes: Any) -> Fee:
        allowed_keys = {"code", "charge", "allowed", "payer_id", "effective_from", "effective_to"}
        unknown = set(changes) - allowed_keys
        if unknown:
            raise ValidationError(sorted(unknown)[0], f"Unknown fee field(s): {unknown}.")
        with self.ctx.db.write() as connection:
            before = _get(connection, fee_id)
            merged = {
                "code": before.code,
                "charge": before.charge,
                "allowed": before.allowed,
                "payer_id": before.payer_id,
                "effective_from": before.effective_from,
                "effective_to": before.effective_to,
                **changes,
            }
            values = _clean(**merged)
            _check_payer(connection, values["payer_id"])
            _check_overlap(connection, values, fee_id)
            connection.execute(
                update(s.fee_schedule).where(s.fee_schedule.c.id == fee_id).values(**values)
            )
            self.ctx.audit(connection, "fee.update", "fee", fee_id, before=before, after=values)
            reprice_drafts(self.ctx, connection, {before.code, values["code"]})
            return _get(connection, fee_id)

    def remove(self, fee_id: int) -> None:
        with self.ctx.db.write() as connection:
            before = _get(connection, fee_id)
            connection.execute(delete(s.fee_schedule).where(s.fee_schedule.c.id == fee_id))
            self.ctx.audit(connection, "fee.remove", "fee", fee_id, before=before)
            reprice_drafts(self.ctx, connection, {before.code})

    def list(self, *, payer_id: Any = _ANY, on: date | None = None) -> list[Fee]:
        """Rows ordered by code, own charge first; optionally for one payer (None: the
        clinic's own rows) and only those in force on a date."""
        f = s.fee_schedule
        query = _fee_select()
        if payer_id is not _ANY:
            query = query.where(
                f.c.payer_id.is_(None) if payer_id is None else f.c.payer_id == payer_id
            )
        if on is not None:
            query = query.where(_in_force(on))
        query = query.order_by(
            f.c.code, f.c.payer_id.is_not(None), s.payers.c.name, f.c.effective_from
        )
        with self.ctx.db.read() as connection:
            return [_fee(row) for row in connection.execute(query)]

    def quote(self, code: str, payer_id: int | None, on: date) -> FeeQuote:
        with self.ctx.db.read() as connection:
            return quotes(connection, [code], payer_id, on).get(code, FeeQuote(None, None))

    # --- CSV -------------------------------------------------------------------------------

    def import_csv(self, path: Path) -> ImportReport:
        """Add or update fee rows from a CSV file (columns: code, payer, charge, allowed,
        effective_from, effective_to; payer blank for the clinic's own charge, else the
        payer's name or payer ID). A row with the same code, payer and start date replaces
        the stored one. Any bad row rejects the whole file."""
        rows = csvio.read_rows(path, required=("code", "charge"), optional=FEE_COLUMNS[1:])
        added = updated = 0
        codes: set[str] = set()
        with self.ctx.db.write() as connection:
            payer_ids = csvio.payer_lookup(connection)
            for row_number, row in rows:
                try:
                    payer_text = row.get("payer", "")
                    payer_id = None
                    if payer_text:
                        payer_id = payer_ids.get(payer_text.casefold())
                        if payer_id is None:
                            raise ValidationError(
                                "payer", f"Payer: no payer is called or has the ID {payer_text!r}."
                            )
                    values = _clean(
                        row["code"],
                        row.get("charge"),
                        row.get("allowed"),
                        payer_id,
                        row.get("effective_from"),
                        row.get("effective_to"),
                    )
                    same = _same_start(connection, values)
                    _check_overlap(connection, values, same)
                except ValidationError as error:
                    raise csvio.reject(path, row_number, error) from None
                codes.add(values["code"])
                if same is None:
                    connection.execute(insert(s.fee_schedule).values(**values))
                    added += 1
                else:
                    connection.execute(
                        update(s.fee_schedule).where(s.fee_schedule.c.id == same).values(**values)
                    )
                    updated += 1
            self.ctx.audit(
                connection,
                "fee.import",
                "fee_schedule",
                None,
                after={"file": Path(path).name, "added": added, "updated": updated},
            )
            reprice_drafts(self.ctx, connection, codes)
        return ImportReport(added, updated)

    def export_csv(self, path: Path) -> int:
        """Write the whole fee schedule as CSV (the import's columns); returns the row count."""
        fees = self.list()
        return csvio.write_rows(
            path,
            FEE_COLUMNS,
            (
                (
                    fee.code,
                    fee.payer_name,
                    fee.charge.to_json() if fee.charge is not None else "",
                    fee.allowed.to_json() if fee.allowed is not None else "",
                    fee.effective_from.isoformat() if fee.effective_from else "",
                    fee.effective_to.isoformat() if fee.effective_to else "",
                )
                for fee in fees
            ),
        )


def add_fee(
    ctx: ServiceContext,
    connection: Connection,
    code: str,
    *,
    charge: Any = None,
    allowed: Any = None,
    payer_id: int | None = None,
    effective_from: Any = None,
    effective_to: Any = None,
) -> Fee:
    """Add a fee row inside the caller's transaction (audited; the drafts billing the code
    are repriced)."""
    values = _clean(code, charge, allowed, payer_id, effective_from, effective_to)
    _check_payer(connection, payer_id)
    _check_overlap(connection, values, None)
    new_id = inserted_id(connection.execute(insert(s.fee_schedule).values(**values)))
    ctx.audit(connection, "fee.add", "fee", new_id, after=values)
    reprice_drafts(ctx, connection, {values["code"]})
    return _get(connection, new_id)


def _in_force(on: date) -> Any:
    f = s.fee_schedule
    return and_(
        or_(f.c.effective_from.is_(None), f.c.effective_from <= on),
        or_(f.c.effective_to.is_(None), f.c.effective_to >= on),
    )


def _clean(
    code: Any,
    charge: Any,
    allowed: Any,
    payer_id: int | None,
    effective_from: Any,
    effective_to: Any,
) -> dict[str, Any]:
    if not isinstance(code, str):
        raise ValidationError("code", f"Code must be text, not {code!r}.")
    problem = code_format_problem(code)
    if problem:
        raise ValidationError("code", f"Code: {problem}")
    charge_money = v.optional_money(charge, "charge")
    allowed_money = v.optional_money(allowed, "allowed")
    if payer_id is None and charge_money is None:
        raise ValidationError("charge", "Charge is required for the clinic's own fee.")
    if payer_id is not None and charge_money is None and allowed_money is None:
        raise ValidationError("allowed", "Allowed: give the payer's allowed amount (or a charge).")
    start = v.optional_date(effective_from, "effective_from")
    end = v.optional_date(effective_to, "effective_to")
    if start and end and end < start:
        raise ValidationError(
            "effective_to", f"Effective to ({end}) is before effective from ({start})."
        )
    return {
        "code": normalize_code(code),
        "payer_id": payer_id,
        "charge_cents": to_cents(charge_money) if charge_money is not None else None,
        "allowed_cents": to_cents(allowed_money) if allowed_money is not None else None,
        "effective_from": start,
        "effective_to": end,
    }


def _check_payer(connection: Connection, payer_id: int | None) -> None:
    if payer_id is None:
        return
    if connection.execute(select(s.payers.c.id).where(s.payers.c.id == payer_id)).first() is None:
        raise ValidationError("payer_id", f"Payer: there is no payer {payer_id}.")


def _same_payer(values: dict[str, Any]) -> Any:
    f = s.fee_schedule
    payer_id = values["payer_id"]
    return f.c.payer_id.is_(None) if payer_id is None else f.c.payer_id == payer_id


def _same_start(connection: Connection, values: dict[str, Any]) -> int | None:
    f = s.fee_schedule
    start = values["effective_from"]
    return connection.execute(
        select(f.c.id).where(
            f.c.code == values["code"],
            _same_payer(values),
            f.c.effective_from.is_(None) if start is None else f.c.effective_from == start,
        )
    ).scalar()


def _check_overlap(connection: Connection, values: dict[str, Any], fee_id: int | None) -> None:
    f = s.fee_schedule
    start, end = values["effective_from"], values["effective_to"]
    query = select(f.c.effective_from, f.c.effective_to).where(
        f.c.code == values["code"], _same_payer(values)
    )
    if fee_id is not None:
        query = query.where(f.c.id != fee_id)
    if end is not None:
        query = query.where(or_(f.c.effective_from.is_(None), f.c.effective_from <= end))
    if start is not None:
        query = query.where(or_(f.c.effective_to.is_(None), f.c.effective_to >= start))
    clash = connection.execute(query).first()
    if clash is not None:
        span = f"{clash.effective_from or 'the start'} to {clash.effective_to or 'now'}"
        raise ValidationError(
            "effective_from",
            f"Effective from: {values['code']} already has a fee for these dates ({span}).",
        )


def _fee_select() -> Any:
    f = s.fee_schedule
    return select(f, func.coalesce(s.payers.c.name, "").label("payer_name")).outerjoin(
        s.payers, s.payers.c.id == f.c.payer_id
    )


def _get(connection: Connection, fee_id: int) -> Fee:
    row = connection.execute(_fee_select().where(s.fee_schedule.c.id == fee_id)).first()
    if row is None:
        raise NotFoundError("fee", fee_id)
    return _fee(row)


def _fee(row: Any) -> Fee:
    return Fee(
        id=row.id,
        code=row.code,
        payer_id=row.payer_id,
        payer_name=row.payer_name,
        charge=from_cents(row.charge_cents),
        allowed=from_cents(row.allowed_cents),
        effective_from=row.effective_from,
        effective_to=row.effective_to,
    )


__all__ = ["Fee", "FeeQuote", "FeeScheduleService", "ImportRejectedError", "ImportReport", "quotes"]


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(FeeScheduleService)
