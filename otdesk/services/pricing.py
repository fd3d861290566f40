"""Prices from the fee schedule, read on every save: the per-unit charge and allowed amount
of each code for a payer on a date, and which codes the schedule lists. Below findings and
visits; the fee schedule's edits are in otdesk.services.fees."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, bindparam, or_, select

from otdesk.core.money import Money
from otdesk.storage import schema as s
from otdesk.storage.values import from_cents


@dataclass(frozen=True, slots=True)
class FeeQuote:
    """Per unit, for one code, payer and date. None: not in the fee schedule."""

    charge: Money | None
    allowed: Money | None


_QUOTES = select(
    s.fee_schedule.c.code,
    s.fee_schedule.c.payer_id,
    s.fee_schedule.c.charge_cents,
    s.fee_schedule.c.allowed_cents,
).where(
    s.fee_schedule.c.code.in_(bindparam("codes", expanding=True)),
    or_(s.fee_schedule.c.payer_id.is_(None), s.fee_schedule.c.payer_id == bindparam("payer_id")),
    or_(
        s.fee_schedule.c.effective_from.is_(None),
        s.fee_schedule.c.effective_from <= bindparam("day"),
    ),
    or_(s.fee_schedule.c.effective_to.is_(None), s.fee_schedule.c.effective_to >= bindparam("day")),
)


def quotes(
    connection: Connection, codes: Iterable[str], payer_id: int | None, on: date
) -> dict[str, FeeQuote]:
    """Per-unit charge and allowed amount of each code for a payer on a date, in one query."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = connection.execute(
        _QUOTES, {"codes": wanted, "payer_id": payer_id if payer_id is not None else -1, "day": on}
    ).all()
    own: dict[str, int | None] = {}
    payer: dict[str, tuple[int | None, int | None]] = {}
    for code, row_payer, charge, allowed in rows:
        if row_payer is None:
            own[code] = charge
        else:
            payer[code] = (charge, allowed)
    result = {}
    for code in wanted:
        payer_charge, allowed = payer.get(code, (None, None))
        charge = payer_charge if payer_charge is not None else own.get(code)
        if charge is None and allowed is None:
            continue
        result[code] = FeeQuote(from_cents(charge), from_cents(allowed))
    return result


def known_codes(connection: Connection, codes: Iterable[str]) -> set[str]:
    """Which of `codes` the fee schedule lists (clinic codes outside the catalog)."""
    wanted = set(codes)
    if not wanted:
        return set()
    f = s.fee_schedule
    return set(
        connection.execute(select(f.c.code).where(f.c.code.in_(wanted)).distinct()).scalars()
    )
