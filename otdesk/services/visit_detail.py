"""What a visit reads as, and the recompute every change of a draft ends with: the visit
detail types (VisitDetail with its lines, payments and timers), recompute (automatic
defaults, units, amounts and findings stored in the change's transaction), the detail of a
visit computed now, and the repricing of drafts after a fee or a clinic code changes.

The services that change visits (visits, timers, fees, clinic codes) sit above this module
and call these functions; nothing here imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Connection, bindparam, exists, select, update

from otdesk.core.money import Money
from otdesk.core.visit import Finding, Severity, VisitStatus
from otdesk.services import defaults as auto
from otdesk.services import findings as fx
from otdesk.services.context import ServiceContext
from otdesk.services.errors import NotFoundError, StaleVisitError, VisitNotEditableError
from otdesk.services.summaries import provider_name
from otdesk.storage import dialect
from otdesk.storage import schema as s
from otdesk.storage.values import from_cents, money, split_codes


@dataclass(frozen=True, slots=True)
class TimerState:
    """A line's activity timer as stored: `accumulated_seconds` before `started_at` (None:
    paused), and `elapsed_seconds` in all when it was read. A running timer belongs to the
    person who started it (`started_by`) at their desk (`desk`: ServiceContext.desk there;
    "" for a timer started before otdesk kept them)."""

    line_id: int
    running: bool
    elapsed_seconds: int
    started_at: datetime | None
    accumulated_seconds: int = 0
    started_by: str = ""
    desk: str = ""

    def elapsed_at(self, now: datetime) -> int:
        """The elapsed seconds at `now` (a running timer keeps counting from its start)."""
        if self.started_at is None:
            return self.accumulated_seconds
        return self.accumulated_seconds + max(0, int((now - self.started_at).total_seconds()))


@dataclass(frozen=True, slots=True)
class LineDetail:
    id: int
    position: int
    code: str
    label: str  # the catalog's words, the typed description, or a note that it is unknown
    description: str
    timed: bool
    per_item: bool  # an orthosis or a supply: units are the items, typed without a reason
    minutes: int
    assistant_minutes: int
    units: int  # as billed
    computed_units: int
    units_override: int | None
    override_reason: str | None
    modifiers: tuple[str, ...]
    dx_pointers: tuple[str, ...]
    fee: Money | None  # per unit
    fee_entered: bool
    charge: Money
    allowed: Money | None
    timer: TimerState | None
    # the modifiers the window added by default and nobody changed (None: set by hand)
    auto_modifiers: tuple[str, ...] | None = None
    auto_pointers: bool = False  # the pointers are the default (A while one diagnosis)


@dataclass(frozen=True, slots=True)
class PaymentDetail:
    id: int
    kind: str
    amount: Money
    method: str
    received_on: date
    reference: str
    created_by: str


@dataclass(frozen=True, slots=True)
class VisitDetail:
    id: int
    chain_id: int
    version: int
    amends_id: int | None
    is_current: bool
    status: str
    patient_id: int
    patient_name: str
    account_number: str
    provider_id: int
    provider_name: str
    payer_id: int | None
    payer_name: str
    policy_id: int | None
    plan_of_care_id: int | None
    date_of_service: date
    place_of_service: str
    discipline: str
    total_treatment_minutes: int | None
    lines: tuple[LineDetail, ...]
    diagnoses: tuple[str, ...]
    payments: tuple[PaymentDetail, ...]
    findings: tuple[Finding, ...]
    units_explanation: str
    total_timed_minutes: int
    total_units: int
    total: Money
    paid: Money
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    finalized_at: datetime | None
    finalized_by: str | None
    override_reason: str | None
    void_reason: str | None
    amend_reason: str | None
    appointment_time: time | None = None
    total_time_auto: bool = False  # the total is the sum of the lines' minutes
    # the stored version this detail was read at: a change passes it back as
    # expected_version, and is refused (StaleVisitError) when another desk changed it since
    edit_version: int = 1

    @property
    def balance(self) -> Money:
        return self.total - self.paid

    @property
    def editable(self) -> bool:
        return self.status == VisitStatus.DRAFT and self.is_current

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)


# A removed payment stays on file (payment_removals) but no longer counts.
NOT_REMOVED = ~exists().where(s.payment_removals.c.payment_id == s.payments.c.id)
_PAYMENTS = (
    select(s.payments)
    .where(s.payments.c.chain_id == bindparam("chain_id"), NOT_REMOVED)
    .order_by(s.payments.c.received_on, s.payments.c.id)
)


_TIMERS = (
    select(s.line_timers)
    .where(s.line_timers.c.visit_id == bindparam("visit_id"))
    .order_by(s.line_timers.c.line_id)
)


def timer_rows(connection: Connection, visit_id: int) -> list[Any]:
    """The stored timers of a visit, by line id."""
    return list(connection.execute(_TIMERS, {"visit_id": visit_id}))


def elapsed_seconds(timer: Any, now: datetime) -> int:
    seconds = timer.accumulated_seconds
    if timer.started_at is not None:
        seconds += max(int((now - timer.started_at).total_seconds()), 0)
    return seconds


def timer_states(connection: Connection, visit_id: int, now: datetime) -> dict[int, TimerState]:
    return {
        timer.line_id: TimerState(
            line_id=timer.line_id,
            running=timer.started_at is not None,
            elapsed_seconds=elapsed_seconds(timer, now),
            started_at=timer.started_at,
            accumulated_seconds=timer.accumulated_seconds,
            started_by=timer.started_by,
            desk=timer.desk,
        )
        for timer in timer_rows(connection, visit_id)
    }


def get_row(connection: Connection, visit_id: int, expected_version: int | None = None) -> Any:
    """The visit's row, locked for the rest of a write transaction on a server. With
    `expected_version` (the edit_version the desk's change was made on), a visit changed
    since is refused (StaleVisitError) before anything is written; None does not check
    (the command line, and callers that read and change in one transaction)."""
    row = fx.visit_row(connection, visit_id, for_update=dialect.locks_rows(connection))
    if row is None:
        raise NotFoundError("visit", visit_id)
    stamp = _stamps(connection).get(visit_id)
    if stamp is not None:  # touched() earlier in this transaction, not written yet
        row = AsStored(row, stamp)
    if expected_version is not None and row.edit_version != expected_version:
        raise StaleVisitError(visit_id, row.updated_by)
    return row


def draft_row(connection: Connection, visit_id: int, expected_version: int | None = None) -> Any:
    # the version first: a desk holding an old version hears who changed it (and reloads)
    # rather than only that the visit is no longer a draft
    row = get_row(connection, visit_id, expected_version)
    if row.status != VisitStatus.DRAFT or not row.is_current:
        raise VisitNotEditableError(
            f"Visit {visit_id} is {state_words(row)} and cannot change"
            + (": amend it to make a correction." if row.status == VisitStatus.FINALIZED else ".")
        )
    return row


def mark_changed(ctx: ServiceContext, connection: Connection, visit_id: int, **values: Any) -> None:
    """Stamp a draft as changed now by the signed-in person, one version on (with any
    `values` of the visits row changed in the same statement). Every write to a draft
    calls it: the header, lines, diagnoses, fixes, undo, timers and payments."""
    connection.execute(
        update(s.visits)
        .where(s.visits.c.id == visit_id)
        .values(
            updated_at=ctx.now(),
            updated_by=ctx.user,
            edit_version=s.visits.c.edit_version + 1,
            **values,
        )
    )


def touched(ctx: ServiceContext, connection: Connection, row: Any) -> Any:
    """mark_changed() for a change to a draft's lines or diagnoses (its visits row and what
    the row is read with are otherwise as `row`, read and locked in this transaction):
    returns the row as it will be stored, so that recompute() need not read it again.

    The stamp is written with the totals recompute() stores (one UPDATE of the visit, not
    two), or before the commit when nothing else writes the row; get_row() reads it as
    stamped meanwhile. One version on however many changes the transaction makes."""
    stamps = _stamps(connection)
    stamp = stamps.get(row.id)
    if stamp is None:
        # absolute, not edit_version + 1 in SQL: the row is locked and was read in this
        # transaction, so no other desk can have moved it on
        stamp = {"updated_at": ctx.now(), "updated_by": ctx.user}
        stamp["edit_version"] = row.edit_version + 1
        stamps[row.id] = stamp
        dialect.before_commit(connection, _write_stamps)
    return AsStored(row, stamp)


def _stamps(connection: Connection) -> dict[int, dict[str, Any]]:
    """The touched() stamps of this write transaction not written yet, by visit id."""
    return dialect.write_state(connection).setdefault("visit_stamps", {})


def _write_stamps(connection: Connection) -> None:
    stamps = _stamps(connection)
    while stamps:
        visit_id, stamp = stamps.popitem()
        connection.execute(update(s.visits).where(s.visits.c.id == visit_id).values(**stamp))


class AsStored:
    """A visit row read earlier in a write transaction, with the columns that transaction
    has written since laid over it (attribute access, as on the row)."""

    __slots__ = ("_row", "_values")
    _row: Any
    _values: dict[str, Any]

    def __init__(self, row: Any, values: dict[str, Any]) -> None:
        if isinstance(row, AsStored):
            values = {**row._values, **values}
            row = row._row
        self._row = row
        self._values = values

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not slots, so reading the slots cannot recurse.
        if name in self._values:
            return self._values[name]
        return getattr(self._row, name)


def recompute(
    ctx: ServiceContext,
    connection: Connection,
    visit_id: int,
    *,
    row: Any = None,
    diagnoses: list[str] | None = None,
) -> VisitDetail:
    """Units, amounts and findings of the visit after a change in this transaction: stored
    (a draft's) and returned as its detail. `row` (from touched()) and `diagnoses` are
    what the caller already holds as now stored; whatever is not given is read."""
    if row is None:
        row = get_row(connection, visit_id)
    lines = fx.line_rows(connection, visit_id)
    if diagnoses is None:
        diagnoses = fx.diagnosis_codes(connection, visit_id)
    if row.status == VisitStatus.DRAFT and refresh_defaults(
        ctx, connection, row, lines, len(diagnoses)
    ):
        lines = fx.line_rows(connection, visit_id)
    also: dict[str, Any] = {}  # written with the totals, in persist()'s one UPDATE
    if row.status == VisitStatus.DRAFT and row.total_time_auto:
        total = auto.total_minutes(lines)
        if total != row.total_treatment_minutes:
            also["total_treatment_minutes"] = total
            row = AsStored(row, {"total_treatment_minutes": total})
    ev = fx.evaluate(ctx, connection, row, lines, diagnoses)
    if row.status == VisitStatus.DRAFT:
        stamp = _stamps(connection).pop(visit_id, None)
        if stamp is not None:
            also.update(stamp)
        # (the detail of a draft shows `ev`'s figures, so nothing needs reading back)
        fx.persist(ctx, connection, row, lines, ev, also=also)
    return detail(ctx, connection, row, lines, diagnoses, ev)


def refresh_defaults(
    ctx: ServiceContext, connection: Connection, row: Any, lines: list[Any], count: int
) -> bool:
    """Bring the automatic modifiers and pointers of the visit's lines to what the
    header and the diagnoses now imply (what a person set is left alone; `count`: how many
    diagnoses the visit has); True when a line changed."""
    if not any(line.auto_modifiers is not None or line.auto_pointers for line in lines):
        return False
    changed = False
    for line in lines:
        changes = auto.refreshed(ctx.catalog, row, line, count)
        if changes:
            changed = True
            connection.execute(
                update(s.charge_lines).where(s.charge_lines.c.id == line.id).values(**changes)
            )
            ctx.audit(
                connection,
                "line.defaults",
                "visit",
                row.id,
                before={"line_id": line.id, **{k: getattr(line, k) for k in changes}},
                after={"line_id": line.id, **changes},
            )
    return changed


def detail_now(ctx: ServiceContext, connection: Connection, visit_id: int) -> VisitDetail:
    row = get_row(connection, visit_id)
    lines = fx.line_rows(connection, visit_id)
    diagnoses = fx.diagnosis_codes(connection, visit_id)
    ev = fx.evaluate(ctx, connection, row, lines, diagnoses)
    return detail(ctx, connection, row, lines, diagnoses, ev)


def detail(
    ctx: ServiceContext,
    connection: Connection,
    row: Any,
    lines: list[Any],
    diagnoses: list[str],
    ev: fx.Evaluation,
) -> VisitDetail:
    # finalizing stops (deletes) every timer: only a draft can have one; the row says
    # whether there are timers or payments to read at all
    timers = (
        timer_states(connection, row.id, ctx.now())
        if row.status == VisitStatus.DRAFT and row.has_timers
        else {}
    )
    payments = [
        PaymentDetail(
            id=pay.id,
            kind=pay.kind,
            amount=money(pay.amount_cents),
            method=pay.method,
            received_on=pay.received_on,
            reference=pay.reference,
            created_by=pay.created_by,
        )
        for pay in (
            connection.execute(_PAYMENTS, {"chain_id": row.chain_id}) if row.has_payments else ()
        )
    ]
    catalog = ctx.catalog
    frozen = row.status != VisitStatus.DRAFT
    details = []
    for index, line in enumerate(lines):
        procedure = catalog.get(line.code)
        label = (
            procedure.label
            if procedure is not None
            else line.description or "(a clinic code outside the catalog)"
        )
        details.append(
            LineDetail(
                id=line.id,
                position=line.position,
                code=line.code,
                label=label,
                description=line.description,
                timed=procedure is not None and procedure.is_timed,
                per_item=procedure is not None and procedure.per_item,
                minutes=line.minutes,
                assistant_minutes=line.assistant_minutes,
                # a finalized visit shows what was billed, whatever the rules say now
                units=line.units if frozen else ev.billed_units[index],
                computed_units=ev.computed_units[index],
                units_override=line.units_override,
                override_reason=line.override_reason,
                modifiers=split_codes(line.modifiers),
                dx_pointers=split_codes(line.dx_pointers),
                fee=from_cents(line.fee_cents) if frozen else ev.fees[index],
                fee_entered=line.fee_entered,
                charge=money(line.charge_cents) if frozen else ev.charges[index],
                allowed=from_cents(line.allowed_cents) if frozen else ev.allowed[index],
                timer=timers.get(line.id),
                auto_modifiers=auto.read_markers(line.auto_modifiers),
                auto_pointers=bool(line.auto_pointers),
            )
        )
    total = money(row.total_charge_cents) if frozen else ev.total_charge
    return VisitDetail(
        id=row.id,
        chain_id=row.chain_id,
        version=row.version,
        amends_id=row.amends_id,
        is_current=row.is_current,
        status=row.status,
        patient_id=row.patient_id,
        patient_name=f"{row.patient_last}, {row.patient_first}",
        account_number=row.patient_account,
        provider_id=row.provider_id,
        provider_name=provider_name(
            row.provider_first, row.provider_last, row.provider_credentials
        ),
        payer_id=row.payer_id,
        payer_name=row.payer_name or "Self-pay",
        policy_id=row.policy_id,
        plan_of_care_id=row.plan_of_care_id,
        date_of_service=row.date_of_service,
        place_of_service=row.place_of_service,
        discipline=row.discipline,
        total_treatment_minutes=row.total_treatment_minutes,
        lines=tuple(details),
        diagnoses=tuple(diagnoses),
        payments=tuple(payments),
        findings=ev.check.findings,
        units_explanation=ev.check.units.explanation,
        total_timed_minutes=ev.check.units.total_timed_minutes,
        total_units=sum(d.units for d in details),
        total=total,
        paid=sum((pay.amount for pay in payments), Money(0)),
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        finalized_at=row.finalized_at,
        finalized_by=row.finalized_by,
        override_reason=row.override_reason,
        void_reason=row.void_reason,
        amend_reason=row.amend_reason,
        appointment_time=row.appointment_time,
        total_time_auto=bool(row.total_time_auto),
        edit_version=row.edit_version,
    )


def reprice_drafts(ctx: ServiceContext, connection: Connection, codes: set[str]) -> int:
    """Recompute the current drafts that bill any of `codes` (after a fee schedule change,
    in its transaction), so their stored totals and finding counts, which the day list
    shows, follow the new fees. Finalized visits keep theirs. Returns how many changed."""
    if not codes:
        return 0
    vt, cl = s.visits, s.charge_lines
    drafts = connection.execute(
        select(vt.c.id)
        .distinct()
        .join(cl, cl.c.visit_id == vt.c.id)
        .where(
            vt.c.status == VisitStatus.DRAFT,
            vt.c.is_current.is_(True),
            cl.c.code.in_(sorted(codes)),
        )
    ).scalars()
    count = 0
    for visit_id in list(drafts):
        recompute(ctx, connection, visit_id)
        count += 1
    return count


def state_words(row: Any) -> str:
    if row.status == VisitStatus.DRAFT and not row.is_current:
        return "an old draft"
    if row.status == VisitStatus.FINALIZED and not row.is_current:
        return "being amended (a newer draft version exists)"
    return {
        VisitStatus.FINALIZED: "finalized",
        VisitStatus.VOID: "void",
        VisitStatus.AMENDED: "replaced by an amendment",
    }.get(row.status, row.status)
