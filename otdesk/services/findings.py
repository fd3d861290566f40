"""Units and findings of a stored visit, through the core: the visit is rebuilt as a core
Visit with the patient's context drawn from storage, then handed to the units engine and
the rules engine.

Patient context:
- year-to-date allowed per KX bucket: the allowed amounts of the patient's finalized visits
  of the same calendar year, before this date of service, billed to payers that track KX
  (other versions of this same visit never count);
- treatment days since the last progress report: distinct dates of service of the
  patient's visits in the plan's discipline (drafts and finalized, not void), after the
  plan's last progress report (or from the plan's start), up to and including this date;
- the plan of care: the visit's plan, else the patient's latest plan in the discipline that
  started on or before the date of service.

Amounts per line: the fee per unit comes from the line (when typed) or the fee schedule
(the payer's charge, else the clinic's own); the allowed amount is the payer's allowed per
unit; both are multiplied by the units billed on the line. A line with no fee from either is
charged $0.00 and marked `no_fee`, so the fee-missing rule warns about it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, func, or_, select, update

from otdesk.core.money import Money
from otdesk.core.rules import CatalogLike, check_visit, counts_toward_kx, line_kx_bucket, unit_lines
from otdesk.core.units import compute_units, units_per_line
from otdesk.core.visit import (
    KX_BUCKETS,
    ChargeLine,
    CheckResult,
    PatientContext,
    PayerInfo,
    PlanOfCare,
    ProviderInfo,
    Visit,
    VisitStatus,
)
from otdesk.services.context import ServiceContext
from otdesk.services.pricing import FeeQuote, quotes
from otdesk.services.setup import SELF_PAY, payer_info
from otdesk.storage import schema as s
from otdesk.storage.values import from_cents, split_codes, to_cents


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A visit as the core sees it, with its check and the amounts of each line."""

    visit: Visit
    check: CheckResult
    billed_units: tuple[int, ...]
    computed_units: tuple[int, ...]
    fees: tuple[Money | None, ...]  # per unit
    charges: tuple[Money, ...]  # per line
    allowed: tuple[Money | None, ...]  # per line

    @property
    def total_charge(self) -> Money:
        return sum(self.charges, Money(0))

    @property
    def total_units(self) -> int:
        return sum(self.billed_units)


# Statements of the hot path (every save) are built once; SQLAlchemy caches their SQL.
# (with the names the detail shows, how many diagnoses the visit has and whether it has
# timers or payments to read: one read serves the locking, the checks of a change, the
# rules and the detail shown after it, and most saves then need no timer or payment read)
_DIAGNOSIS_COUNT = (
    select(func.count())
    .select_from(s.visit_diagnoses)
    .where(s.visit_diagnoses.c.visit_id == s.visits.c.id)
    .scalar_subquery()
)
_VISIT_ROW = (
    select(
        s.visits,
        s.payers.c.kind.label("payer_kind"),
        s.payers.c.unit_rule.label("payer_unit_rule"),
        s.payers.c.therapy_modifiers_required.label("payer_tmr"),
        s.payers.c.ncci_applies.label("payer_ncci"),
        s.payers.c.kx_tracked.label("payer_kx"),
        s.payers.c.telehealth_modifier.label("payer_telehealth"),
        s.payers.c.name.label("payer_name"),
        s.providers.c.role.label("provider_role"),
        s.providers.c.npi.label("provider_npi"),
        s.providers.c.first_name.label("provider_first"),
        s.providers.c.last_name.label("provider_last"),
        s.providers.c.credentials.label("provider_credentials"),
        s.patients.c.last_name.label("patient_last"),
        s.patients.c.first_name.label("patient_first"),
        s.patients.c.account_number.label("patient_account"),
        _DIAGNOSIS_COUNT.label("diagnosis_count"),
        exists().where(s.line_timers.c.visit_id == s.visits.c.id).label("has_timers"),
        # (removed payments too: the payments read leaves them out)
        exists().where(s.payments.c.chain_id == s.visits.c.chain_id).label("has_payments"),
    )
    .join(s.providers, s.providers.c.id == s.visits.c.provider_id)
    .join(s.patients, s.patients.c.id == s.visits.c.patient_id)
    .outerjoin(s.payers, s.payers.c.id == s.visits.c.payer_id)
    .where(s.visits.c.id == bindparam("visit_id"))
)
# the visit's row only: the payer and provider rows stay free for other desks
_VISIT_ROW_FOR_UPDATE = _VISIT_ROW.with_for_update(of=s.visits)
_LINES = (
    select(s.charge_lines)
    .where(s.charge_lines.c.visit_id == bindparam("visit_id"))
    .order_by(s.charge_lines.c.position)
)
_DIAGNOSES = (
    select(s.visit_diagnoses.c.code)
    .where(s.visit_diagnoses.c.visit_id == bindparam("visit_id"))
    .order_by(s.visit_diagnoses.c.position)
)
_TRACKS_KX = or_(
    s.payers.c.kx_tracked.is_(True),
    and_(s.payers.c.kx_tracked.is_(None), s.payers.c.kind == "medicare"),
)
_YTD = (
    select(
        s.visits.c.discipline,
        s.charge_lines.c.modifiers,
        s.charge_lines.c.code,
        func.coalesce(func.sum(s.charge_lines.c.allowed_cents), 0),
    )
    .select_from(s.visits)
    .join(s.charge_lines, s.charge_lines.c.visit_id == s.visits.c.id)
    .join(s.payers, s.payers.c.id == s.visits.c.payer_id)
    .where(
        s.visits.c.patient_id == bindparam("patient_id"),
        s.visits.c.status == VisitStatus.FINALIZED,
        s.visits.c.date_of_service >= bindparam("year_start"),
        s.visits.c.date_of_service < bindparam("day"),
        s.visits.c.chain_id != bindparam("chain_id"),
        _TRACKS_KX,
    )
    .group_by(s.visits.c.discipline, s.charge_lines.c.modifiers, s.charge_lines.c.code)
)
_PLAN_BY_ID = select(s.plans_of_care).where(s.plans_of_care.c.id == bindparam("plan_id"))
_PLAN_FOR_DAY = (
    select(s.plans_of_care)
    .where(
        s.plans_of_care.c.patient_id == bindparam("patient_id"),
        s.plans_of_care.c.discipline == bindparam("discipline"),
        s.plans_of_care.c.start_date <= bindparam("day"),
    )
    .order_by(s.plans_of_care.c.start_date.desc(), s.plans_of_care.c.id.desc())
    .limit(1)
)
# The visit's plan with the treatment days since its last progress report (or since its
# start) in the same read, as a save needs both: distinct dates of service of the visit's
# patient in its discipline (drafts and finalized, not void) after the last progress report,
# or from the plan's start, up to and including the visit's date.
_COUNTED = s.visits.alias("counted")
_DAYS_SINCE_REPORT = (
    select(func.count(func.distinct(_COUNTED.c.date_of_service)))
    .where(
        _COUNTED.c.patient_id == bindparam("patient_id"),
        _COUNTED.c.discipline == bindparam("discipline"),
        _COUNTED.c.is_current.is_(True),
        _COUNTED.c.status.in_((VisitStatus.DRAFT, VisitStatus.FINALIZED)),
        _COUNTED.c.date_of_service <= bindparam("day"),
        or_(
            and_(
                s.plans_of_care.c.last_progress_report.is_not(None),
                _COUNTED.c.date_of_service > s.plans_of_care.c.last_progress_report,
            ),
            and_(
                s.plans_of_care.c.last_progress_report.is_(None),
                _COUNTED.c.date_of_service >= s.plans_of_care.c.start_date,
            ),
        ),
    )
    .scalar_subquery()
    .label("treatment_days")
)
_PLAN_BY_ID_WITH_DAYS = _PLAN_BY_ID.add_columns(_DAYS_SINCE_REPORT)
_PLAN_FOR_DAY_WITH_DAYS = _PLAN_FOR_DAY.add_columns(_DAYS_SINCE_REPORT)


def visit_row(connection: Connection, visit_id: int, *, for_update: bool = False) -> Any:
    """The visit with what evaluation needs of its payer and provider, or None; with
    `for_update`, the visit's row locked for the rest of the transaction as it is read."""
    statement = _VISIT_ROW_FOR_UPDATE if for_update else _VISIT_ROW
    return connection.execute(statement, {"visit_id": visit_id}).first()


def line_rows(connection: Connection, visit_id: int) -> list[Any]:
    return list(connection.execute(_LINES, {"visit_id": visit_id}))


def diagnosis_codes(connection: Connection, visit_id: int) -> list[str]:
    return list(connection.execute(_DIAGNOSES, {"visit_id": visit_id}).scalars())


def payer_of(row: Any) -> PayerInfo:
    if row.payer_id is None:
        return SELF_PAY
    return payer_info(
        _Payer(
            row.payer_kind,
            row.payer_unit_rule,
            row.payer_tmr,
            row.payer_ncci,
            row.payer_kx,
            row.payer_telehealth,
        )
    )


@dataclass(frozen=True, slots=True)
class _Payer:
    kind: str
    unit_rule: str
    therapy_modifiers_required: bool | None
    ncci_applies: bool | None
    kx_tracked: bool | None
    telehealth_modifier: str | None


def patient_context(
    connection: Connection, row: Any, payer: PayerInfo, catalog: CatalogLike | None = None
) -> tuple[PatientContext, str | None]:
    """The patient's context for the rules, and the referring (certifying) provider's NPI
    from the visit's plan of care (None when there is no plan or it names no NPI)."""
    ytd: dict[str, Money] = {}
    if payer.tracks_kx:
        ytd = ytd_allowed(connection, row.patient_id, row.date_of_service, row.chain_id, catalog)
    plan = plan_for(
        connection,
        row.patient_id,
        row.discipline,
        row.date_of_service,
        row.plan_of_care_id,
        with_days=True,
    )
    days = None
    plan_info = None
    referring = None
    if plan is not None:
        plan_info = PlanOfCare(start=plan.start_date, cert_through=plan.certified_through)
        referring = plan.referring_npi or None
        days = int(plan.treatment_days or 0)
    context = PatientContext(
        ytd_allowed=ytd,
        treatment_days_since_progress_report=days,
        plan_of_care=plan_info,
    )
    return context, referring


def ytd_allowed(
    connection: Connection,
    patient_id: int,
    day: date,
    chain_id: int | None,
    catalog: CatalogLike | None = None,
) -> dict[str, Money]:
    """Allowed amounts per KX bucket of finalized visits this calendar year before `day`:
    each line in the bucket of its own therapy modifier (GO: OT; GP, GN: PT and SLP), else
    of its visit's discipline. With a catalog, items (orthoses, supplies) and codes that are
    not therapy are left out, as the rules leave them out of this visit's sums."""
    rows = connection.execute(
        _YTD,
        {
            "patient_id": patient_id,
            "year_start": date(day.year, 1, 1),
            "day": day,
            "chain_id": chain_id if chain_id is not None else -1,
        },
    )
    totals = {bucket: 0 for bucket in set(KX_BUCKETS.values())}
    for discipline, modifiers, code, cents in rows:
        if catalog is not None and not counts_toward_kx(catalog.get(code)):
            continue
        bucket = line_kx_bucket(frozenset(split_codes(modifiers)), discipline)
        if bucket is not None:
            totals[bucket] += int(cents)
    return {bucket: from_cents(cents) or Money(0) for bucket, cents in totals.items()}


def plan_for(
    connection: Connection,
    patient_id: int,
    discipline: str,
    day: date,
    plan_id: int | None,
    *,
    with_days: bool = False,
) -> Any:
    """The visit's plan of care (its own, else the patient's latest in the discipline begun
    by `day`), or None; `with_days` adds treatment_days (_DAYS_SINCE_REPORT)."""
    if plan_id is not None:
        statement = _PLAN_BY_ID_WITH_DAYS if with_days else _PLAN_BY_ID
    else:
        statement = _PLAN_FOR_DAY_WITH_DAYS if with_days else _PLAN_FOR_DAY
    return connection.execute(
        statement,
        {"plan_id": plan_id, "patient_id": patient_id, "discipline": discipline, "day": day},
    ).first()


def evaluate(
    ctx: ServiceContext,
    connection: Connection,
    row: Any,
    lines: list[Any],
    diagnoses: list[str],
) -> Evaluation:
    """Units, amounts and findings of a stored visit (reads only)."""
    payer = payer_of(row)
    catalog = ctx.catalog
    patient, referring = patient_context(connection, row, payer, catalog)
    base_lines = tuple(
        ChargeLine(
            code=line.code,
            minutes=line.minutes,
            assistant_minutes=line.assistant_minutes,
            modifiers=split_codes(line.modifiers),
            dx_pointers=split_codes(line.dx_pointers),
            units=line.units_override,
            description=line.description,
        )
        for line in lines
    )
    visit = Visit(
        date_of_service=row.date_of_service,
        payer=payer,
        discipline=row.discipline,
        place_of_service=row.place_of_service,
        provider=ProviderInfo(role=row.provider_role, npi=row.provider_npi or None),
        total_treatment_minutes=row.total_treatment_minutes,
        lines=base_lines,
        diagnoses=tuple(diagnoses),
        patient=patient,
        referring_npi=referring,
    )
    units = compute_units(unit_lines(visit, catalog), payer.unit_rule)
    # computed once per save: the check below is handed these units
    computed, billed = units_per_line(units, [line.units for line in base_lines])

    quoted = quotes(connection, (line.code for line in lines), row.payer_id, row.date_of_service)
    fees: list[Money | None] = []
    charges: list[Money] = []
    allowed: list[Money | None] = []
    with_amounts = []
    for index, line in enumerate(lines):
        quote = quoted.get(line.code, FeeQuote(None, None))
        fee = from_cents(line.fee_cents) if line.fee_entered else quote.charge
        fees.append(fee)
        charges.append(fee * billed[index] if fee is not None else Money(0))
        amount = quote.allowed * billed[index] if quote.allowed is not None else None
        allowed.append(amount)
        with_amounts.append(_with_amounts(base_lines[index], amount, no_fee=fee is None))
    visit = _replace_lines(visit, tuple(with_amounts))
    check = check_visit(
        visit,
        catalog=catalog,
        dx_check=ctx.icd.validate if ctx.icd else None,
        tables=ctx.tables,
        today=ctx.today(),
        units=units,
    )
    return Evaluation(
        visit=visit,
        check=check,
        billed_units=tuple(billed),
        computed_units=tuple(computed),
        fees=tuple(fees),
        charges=tuple(charges),
        allowed=tuple(allowed),
    )


def persist(
    ctx: ServiceContext,
    connection: Connection,
    row: Any,
    lines: list[Any],
    ev: Evaluation,
    *,
    also: dict[str, Any] | None = None,
) -> None:
    """Store what a draft's evaluation changed: units and amounts per line, totals and
    finding counts on the visit (so the day list needs no rules run); `also`: other
    columns of the visit to write in the same statement."""
    cl, v = s.charge_lines, s.visits
    for index, line in enumerate(lines):
        fee = ev.fees[index]
        values = {
            "units": ev.billed_units[index],
            "charge_cents": to_cents(ev.charges[index]),
            "allowed_cents": _cents_or_none(ev.allowed[index]),
        }
        if not line.fee_entered:
            values["fee_cents"] = _cents_or_none(fee)
        if any(getattr(line, key) != value for key, value in values.items()):
            connection.execute(update(cl).where(cl.c.id == line.id).values(**values))
    errors = len(ev.check.errors)
    warnings = sum(1 for f in ev.check.findings if f.severity == "warning")
    visit_values = {
        "total_charge_cents": to_cents(ev.total_charge),
        "total_units": ev.total_units,
        "error_count": errors,
        "warning_count": warnings,
    }
    changed = {key: value for key, value in visit_values.items() if getattr(row, key) != value}
    changed.update(also or {})
    if changed:
        connection.execute(update(v).where(v.c.id == row.id).values(**changed))


def _cents_or_none(amount: Money | None) -> int | None:
    return to_cents(amount) if amount is not None else None


def _with_amounts(line: ChargeLine, allowed: Money | None, *, no_fee: bool) -> ChargeLine:
    return replace(line, allowed=allowed, no_fee=no_fee)


def _replace_lines(visit: Visit, lines: tuple[ChargeLine, ...]) -> Visit:
    return replace(visit, lines=lines)
