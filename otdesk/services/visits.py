"""Visits: the day list, drafts and their lines and diagnoses, findings and fixes, finalize,
void and amend, payments.

Every method is one transaction. A draft is recomputed (units, amounts, findings) in the
same transaction as each change and returned as a VisitDetail. Finalized visits never
change: void one, or amend it (a new draft version; the finalized one is kept, and marked
"amended" when the new version is finalized). Everything is in the audit log.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, exists, func, insert, select, update

from otdesk.core.fixes import MAX_DESCRIPTION
from otdesk.core.money import Money
from otdesk.core.visit import DISCIPLINES, DX_LETTERS, ChargeLine, Finding, Severity
from otdesk.services import defaults as auto
from otdesk.services import findings as fx
from otdesk.services import permissions
from otdesk.services import validate as v
from otdesk.services.context import ServiceContext
from otdesk.services.errors import (
    FinalizeBlockedError,
    NotFoundError,
    ServiceError,
    ValidationError,
    VisitNotEditableError,
)
from otdesk.services.fees import known_codes
from otdesk.services.setup import ROLE_DISCIPLINE
from otdesk.services.summaries import VisitSummary, provider_name, summary_from_row
from otdesk.services.visit_parties import read_parties, snapshot_text
from otdesk.services.visit_state import HEADER_FIELDS, VisitState
from otdesk.storage import dialect
from otdesk.storage import schema as s
from otdesk.storage.values import from_cents, inserted_id, join_codes, money, split_codes, to_cents

LINE_FIELDS = (
    "code",
    "minutes",
    "assistant_minutes",
    "modifiers",
    "dx_pointers",
    "units_override",
    "override_reason",
    "fee",
    "description",
    # the automatic-default markers (the window's defaults; restore puts them back)
    "auto_modifiers",
    "auto_pointers",
)
VISIT_FIELDS = HEADER_FIELDS
_DEFAULT: Any = object()
# A new visit of today gets the time it is started, down to these minutes, as its
# appointment time (the desk corrects it when the patient came at another time).
APPOINTMENT_STEP_MINUTES = 5
EXPORT_COLUMNS = (
    "visit_id",
    "version",
    "status",
    "date_of_service",
    "account_number",
    "patient",
    "provider",
    "payer",
    "place_of_service",
    "discipline",
    "diagnoses",
    "line",
    "code",
    "modifiers",
    "dx_pointers",
    "minutes",
    "units",
    "fee",
    "charge",
    "visit_total",
    "paid",
    "balance",
)


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimerState:
    line_id: int
    running: bool
    elapsed_seconds: int
    started_at: datetime | None


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

    @property
    def balance(self) -> Money:
        return self.total - self.paid

    @property
    def editable(self) -> bool:
        return self.status == "draft" and self.is_current

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)


_NAMES = (
    select(
        s.patients.c.last_name,
        s.patients.c.first_name,
        s.patients.c.account_number,
        s.providers.c.first_name.label("provider_first"),
        s.providers.c.last_name.label("provider_last"),
        s.providers.c.credentials,
        s.payers.c.name.label("payer_name"),
    )
    .select_from(s.patients)
    .join(s.providers, s.providers.c.id == bindparam("provider_id"))
    .outerjoin(s.payers, s.payers.c.id == bindparam("payer_id"))
    .where(s.patients.c.id == bindparam("patient_id"))
)
# A removed payment stays on file (payment_removals) but no longer counts.
_NOT_REMOVED = ~exists().where(s.payment_removals.c.payment_id == s.payments.c.id)
_PAYMENTS = (
    select(s.payments)
    .where(s.payments.c.chain_id == bindparam("chain_id"), _NOT_REMOVED)
    .order_by(s.payments.c.received_on, s.payments.c.id)
)
_LINE = select(s.charge_lines).where(s.charge_lines.c.id == bindparam("line_id"))
_TOUCH = (
    update(s.visits)
    .where(s.visits.c.id == bindparam("visit_id"))
    .values(updated_at=bindparam("now"), updated_by=bindparam("user"))
)


# --- the service ---------------------------------------------------------------------------


class VisitService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # reading -------------------------------------------------------------------------------

    def day(self, on: date | str) -> list[VisitSummary]:
        """The visits of a date (their newest versions), by patient name."""
        day = v.date_value(on, "date")
        with self.ctx.db.read() as connection:
            return _summaries(
                connection, s.visits.c.date_of_service == day, s.visits.c.is_current.is_(True)
            )

    def between(self, start: date | str, end: date | str) -> list[VisitSummary]:
        """Newest versions of the visits from `start` to `end` (inclusive), by date."""
        first = v.date_value(start, "from")
        last = v.date_value(end, "to")
        if last < first:
            raise ValidationError("to", f"To ({last}) is before from ({first}).")
        with self.ctx.db.read() as connection:
            return _summaries(
                connection,
                s.visits.c.date_of_service >= first,
                s.visits.c.date_of_service <= last,
                s.visits.c.is_current.is_(True),
            )

    def for_patient(self, patient_id: int) -> list[VisitSummary]:
        with self.ctx.db.read() as connection:
            return _summaries(
                connection, s.visits.c.patient_id == patient_id, s.visits.c.is_current.is_(True)
            )

    def versions(self, visit_id: int) -> list[VisitSummary]:
        """Every version of a visit, oldest first."""
        with self.ctx.db.read() as connection:
            row = self._row(connection, visit_id)
            found = _summaries(connection, s.visits.c.chain_id == row.chain_id)
        return sorted(found, key=lambda summary: summary.version)

    def get(self, visit_id: int, connection: Connection | None = None) -> VisitDetail:
        """The visit with its lines, diagnoses, payments, units and findings (computed now;
        nothing is written)."""
        with self.ctx.reading(connection) as reading:
            return self._detail_now(reading, visit_id)

    # drafts --------------------------------------------------------------------------------

    def create(
        self,
        patient_id: int,
        *,
        provider_id: int,
        date_of_service: date | str | None = None,
        payer_id: int | None = _DEFAULT,
        policy_id: int | None = _DEFAULT,
        plan_of_care_id: int | None = None,
        place_of_service: str = "11",
        discipline: str | None = None,
        total_treatment_minutes: int | None = None,
        total_time_auto: bool = False,
        appointment_time: time | str | None = _DEFAULT,
    ) -> VisitDetail:
        """A new draft visit. Without a payer the patient's primary policy in force on the
        date is used (none: self-pay); the discipline defaults to the provider's. Without
        an appointment time, a visit of today gets the time it is started (to the 5
        minutes), another day none. `total_time_auto` keeps the total treatment time the
        sum of the lines' minutes until one is typed (the window's default)."""
        day = (
            v.date_value(date_of_service, "date_of_service")
            if date_of_service is not None
            else self.ctx.today()
        )
        now = self.ctx.now()
        if appointment_time is _DEFAULT:
            appointment_time = _appointment_default(now) if day == now.date() else None
        with self.ctx.db.write() as connection:
            if (
                connection.execute(
                    select(s.patients.c.id).where(s.patients.c.id == patient_id)
                ).first()
                is None
            ):
                raise ValidationError("patient_id", f"Patient: there is no patient {patient_id}.")
            if payer_id is _DEFAULT and policy_id is _DEFAULT:
                policy = _primary_policy(connection, patient_id, day)
                policy_id = policy.id if policy else None
                payer_id = policy.payer_id if policy else None
            elif policy_id is _DEFAULT:
                policy_id = None
            elif payer_id is _DEFAULT:
                payer_id = None
            values = _clean_visit(
                connection,
                patient_id,
                {
                    "date_of_service": day,
                    "provider_id": provider_id,
                    "payer_id": payer_id,
                    "policy_id": policy_id,
                    "plan_of_care_id": plan_of_care_id,
                    "place_of_service": place_of_service,
                    "discipline": discipline,
                    "total_treatment_minutes": total_treatment_minutes,
                    "total_time_auto": total_time_auto,
                    "appointment_time": appointment_time,
                },
                self.ctx,
            )
            chain_id = inserted_id(
                connection.execute(insert(s.visit_chains).values(created_at=now))
            )
            visit_id = inserted_id(
                connection.execute(
                    insert(s.visits).values(
                        chain_id=chain_id,
                        version=1,
                        is_current=True,
                        patient_id=patient_id,
                        status="draft",
                        created_at=now,
                        created_by=self.ctx.user,
                        updated_at=now,
                        updated_by=self.ctx.user,
                        **values,
                    )
                )
            )
            self.ctx.audit(
                connection,
                "visit.create",
                "visit",
                visit_id,
                after={"patient_id": patient_id, **values},
            )
            return self._recompute(connection, visit_id)

    def update(self, visit_id: int, **changes: Any) -> VisitDetail:
        """Change a draft's date, appointment time, provider, payer, policy, plan of care,
        place of service, discipline or total treatment minutes (a typed total ends the
        automatic one; total_time_auto=True brings it back). The lines' automatic
        modifiers follow a new payer, provider or discipline."""
        unknown = set(changes) - set(VISIT_FIELDS)
        if unknown:
            raise ValidationError(sorted(unknown)[0], f"Unknown visit field(s): {sorted(unknown)}.")
        if "total_treatment_minutes" in changes and "total_time_auto" not in changes:
            changes = {**changes, "total_time_auto": False}
        with self.ctx.db.write() as connection:
            row = self._draft(connection, visit_id)
            self._update_header(connection, row, changes)
            return self._recompute(connection, visit_id)

    def _update_header(self, connection: Connection, row: Any, changes: Mapping[str, Any]) -> None:
        before = {key: getattr(row, key) for key in VISIT_FIELDS}
        values = _clean_visit(connection, row.patient_id, {**before, **changes}, self.ctx)
        changed = {key: value for key, value in values.items() if before[key] != value}
        if changed:
            self._touch(connection, row.id, **changed)
            self.ctx.audit(
                connection,
                "visit.update",
                "visit",
                row.id,
                before={key: before[key] for key in changed},
                after=changed,
            )

    def delete_draft(self, visit_id: int) -> None:
        """Throw a draft away. A draft amendment goes back to the finalized version it
        amended; a first version with payments cannot be thrown away."""
        with self.ctx.db.write() as connection:
            row = self._draft(connection, visit_id)
            snapshot = _snapshot(connection, row)
            if row.amends_id is None:
                paid = connection.execute(
                    select(func.count())
                    .select_from(s.payments)
                    .where(s.payments.c.chain_id == row.chain_id, _NOT_REMOVED)
                ).scalar()
                if paid:
                    raise ServiceError(
                        f"Visit {visit_id} has payments recorded; remove them before deleting it."
                    )
            connection.execute(delete(s.visits).where(s.visits.c.id == visit_id))
            if row.amends_id is None:
                # a draft that was never finalized: its removed payments go with it
                chain_payments = select(s.payments.c.id).where(
                    s.payments.c.chain_id == row.chain_id
                )
                connection.execute(
                    delete(s.payment_removals).where(
                        s.payment_removals.c.payment_id.in_(chain_payments)
                    )
                )
                connection.execute(delete(s.payments).where(s.payments.c.chain_id == row.chain_id))
                connection.execute(
                    delete(s.visit_chains).where(s.visit_chains.c.id == row.chain_id)
                )
            else:
                connection.execute(
                    update(s.visits).where(s.visits.c.id == row.amends_id).values(is_current=True)
                )
            self.ctx.audit(connection, "visit.delete", "visit", visit_id, before=snapshot)

    # lines ---------------------------------------------------------------------------------

    def add_line(
        self, visit_id: int, code: str, *, defaults: bool = False, **fields: Any
    ) -> VisitDetail:
        """Add a charge line (code; minutes, assistant_minutes, modifiers, dx_pointers,
        units_override with override_reason, fee, description optional). With `defaults`
        (the window), modifiers and pointers not given are the ones the visit implies
        (otdesk.services.defaults), marked automatic."""
        with self.ctx.db.write() as connection:
            row = self._draft(connection, visit_id)
            if defaults:
                fields = auto.line_defaults(
                    self.ctx.catalog, row, code, fx.diagnosis_codes(connection, visit_id), fields
                )
            values = self._clean_line(connection, row, {"code": code, **fields}, None)
            position = connection.execute(
                select(func.count())
                .select_from(s.charge_lines)
                .where(s.charge_lines.c.visit_id == visit_id)
            ).scalar()
            line_id = inserted_id(
                connection.execute(
                    insert(s.charge_lines).values(visit_id=visit_id, position=position, **values)
                )
            )
            self._touch(connection, visit_id)
            self.ctx.audit(
                connection,
                "line.add",
                "visit",
                visit_id,
                after={"line_id": line_id, "position": position, **values},
            )
            return self._recompute(connection, visit_id)

    def update_line(self, line_id: int, **changes: Any) -> VisitDetail:
        """Change a line's fields; only the ones given change."""
        with self.ctx.db.write() as connection:
            visit_id = self._update_line(connection, line_id, changes)
            return self._recompute(connection, visit_id)

    def _update_line(self, connection: Connection, line_id: int, changes: Mapping[str, Any]) -> int:
        """Write a line's changes (audited); returns its visit's id. The caller recomputes."""
        line = self._line(connection, line_id)
        row = self._draft(connection, line.visit_id)
        before = _line_values(line)
        merged = {**before, **changes}
        if "units_override" in changes and changes["units_override"] is None:
            merged["override_reason"] = None
        merged.update(auto.markers_after_edit(before, changes))
        values = self._clean_line(connection, row, merged, line)
        changed = {key: value for key, value in values.items() if getattr(line, key) != value}
        if changed:
            connection.execute(
                update(s.charge_lines).where(s.charge_lines.c.id == line_id).values(**changed)
            )
            self._touch(connection, row.id)
            self.ctx.audit(
                connection,
                "line.update",
                "visit",
                row.id,
                before={"line_id": line_id, **{k: getattr(line, k) for k in changed}},
                after={"line_id": line_id, **changed},
            )
        return row.id

    def remove_line(self, line_id: int) -> VisitDetail:
        with self.ctx.db.write() as connection:
            line = self._line(connection, line_id)
            row = self._draft(connection, line.visit_id)
            self._remove_line(connection, line)
            self._touch(connection, row.id)
            self.ctx.audit(
                connection,
                "line.remove",
                "visit",
                row.id,
                before={"line_id": line_id, "position": line.position, **_line_values(line)},
            )
            return self._recompute(connection, row.id)

    def move_line(self, line_id: int, position: int) -> VisitDetail:
        """Move a line to another place in the visit (0 = first)."""
        with self.ctx.db.write() as connection:
            line = self._line(connection, line_id)
            row = self._draft(connection, line.visit_id)
            ids = [item.id for item in fx.line_rows(connection, row.id)]
            target = v.int_value(position, "position", low=0, high=len(ids) - 1)
            ids.remove(line_id)
            ids.insert(target, line_id)
            _renumber(connection, ids)
            self._touch(connection, row.id)
            self.ctx.audit(
                connection,
                "line.move",
                "visit",
                row.id,
                before={"line_id": line_id, "position": line.position},
                after={"line_id": line_id, "position": target},
            )
            return self._recompute(connection, row.id)

    # diagnoses -----------------------------------------------------------------------------

    def set_diagnoses(self, visit_id: int, codes: Sequence[str]) -> VisitDetail:
        """Replace the visit's diagnoses with `codes`, in order (A, B, ...). Line pointers
        follow their diagnosis to its new letter; pointers to a removed one are dropped."""
        with self.ctx.db.write() as connection:
            row = self._draft(connection, visit_id)
            self._set_diagnoses(connection, row, codes)
            return self._recompute(connection, visit_id)

    def add_diagnosis(self, visit_id: int, code: str) -> VisitDetail:
        with self.ctx.db.write() as connection:
            row = self._draft(connection, visit_id)
            current = fx.diagnosis_codes(connection, visit_id)
            self._set_diagnoses(connection, row, [*current, code])
            return self._recompute(connection, visit_id)

    def remove_diagnosis(self, visit_id: int, code: str) -> VisitDetail:
        with self.ctx.db.write() as connection:
            row = self._draft(connection, visit_id)
            current = fx.diagnosis_codes(connection, visit_id)
            wanted = v.dx_code(code)
            if wanted not in current:
                raise ValidationError("diagnoses", f"Diagnoses: the visit has no {wanted}.")
            self._set_diagnoses(connection, row, [c for c in current if c != wanted])
            return self._recompute(connection, visit_id)

    def _set_diagnoses(self, connection: Connection, row: Any, codes: Sequence[str]) -> None:
        cleaned: list[str] = []
        for code in codes:
            dx = v.dx_code(code)
            if dx in cleaned:
                raise ValidationError("diagnoses", f"Diagnoses: {dx} is listed twice.")
            if self.ctx.icd is not None:
                found = self.ctx.icd.validate(dx)
                if found.status == "unknown":
                    raise ValidationError("diagnoses", f"Diagnoses: {found.message}")
            cleaned.append(dx)
        v.max_diagnoses(len(cleaned))
        old = fx.diagnosis_codes(connection, row.id)
        if old == cleaned:
            return
        _store_diagnoses(connection, row.id, cleaned)
        # Pointers follow their diagnosis: B pointing at R26.89 stays on R26.89.
        new_letter = {code: DX_LETTERS[index] for index, code in enumerate(cleaned)}
        for line in fx.line_rows(connection, row.id):
            pointers = split_codes(line.dx_pointers)
            moved = []
            for letter in pointers:
                index = DX_LETTERS.index(letter)
                if index < len(old) and old[index] in new_letter:
                    moved.append(new_letter[old[index]])
            if tuple(moved) != pointers:
                connection.execute(
                    update(s.charge_lines)
                    .where(s.charge_lines.c.id == line.id)
                    .values(dx_pointers=join_codes(moved))
                )
        self._touch(connection, row.id)
        self.ctx.audit(connection, "diagnoses.set", "visit", row.id, before=old, after=cleaned)

    # undo and redo -------------------------------------------------------------------------

    def restore(
        self, visit_id: int, target: VisitState, base: VisitState, *, action: str = "undo"
    ) -> VisitDetail:
        """Undo (or redo) one change: where the visit went from `base` to `target` (two
        states of otdesk.services.visit_state), it is put back at `target`: the header
        fields, lines and diagnoses that differ between the two, and nothing else. A line
        `target` has and `base` lacks is added again under its old id when it is free."""
        if target.visit_id != visit_id or base.visit_id != visit_id:
            raise ValidationError("visit", "This change belongs to another visit.")
        with self.ctx.db.write() as connection:
            row = self._draft(connection, visit_id)
            header = {k: value for k, value in target.header().items() if base.header()[k] != value}
            if header:
                self._update_header(connection, row, header)
                row = self._row(connection, visit_id)
            if target.diagnoses != base.diagnoses:
                self._write_diagnoses(connection, row, target.diagnoses)
            self._restore_lines(connection, row, target, base)
            self._touch(connection, visit_id)
            self.ctx.audit(
                connection, f"visit.{action}", "visit", visit_id, after={"action": action}
            )
            return self._recompute(connection, visit_id)

    def _write_diagnoses(self, connection: Connection, row: Any, codes: Sequence[str]) -> None:
        """The diagnoses exactly as given (undo puts the pointers back itself)."""
        cleaned = [v.dx_code(code) for code in codes]
        v.max_diagnoses(len(cleaned))
        old = fx.diagnosis_codes(connection, row.id)
        _store_diagnoses(connection, row.id, cleaned)
        self.ctx.audit(connection, "diagnoses.set", "visit", row.id, before=old, after=cleaned)

    def _restore_lines(
        self, connection: Connection, row: Any, target: VisitState, base: VisitState
    ) -> None:
        cl = s.charge_lines
        current = {line.id: line for line in fx.line_rows(connection, row.id)}
        before = {line.id: line for line in base.lines}
        after = {line.id: line for line in target.lines}
        for line_id in before.keys() - after.keys():
            if line_id in current:
                line = current.pop(line_id)
                self._remove_line(connection, line)
                self.ctx.audit(
                    connection,
                    "line.remove",
                    "visit",
                    row.id,
                    before={"line_id": line.id, "position": line.position, **_line_values(line)},
                )
        ids: dict[int, int] = {}  # a line's id in `target` -> its id now
        for wanted in target.lines:
            old = before.get(wanted.id)
            if old is not None:
                if wanted.id not in current:
                    continue  # removed meanwhile: nothing to put back
                ids[wanted.id] = wanted.id
                if wanted != old:
                    values, was = wanted.values(), old.values()
                    changes = {k: value for k, value in values.items() if was[k] != value}
                    changes["auto_modifiers"] = wanted.auto_modifiers
                    changes["auto_pointers"] = wanted.auto_pointers
                    self._update_line(connection, wanted.id, changes)
                continue
            values = self._clean_line(connection, row, {**wanted.values()}, None)
            free = connection.execute(select(cl.c.id).where(cl.c.id == wanted.id)).first() is None
            position = len(fx.line_rows(connection, row.id))
            line_id = inserted_id(
                connection.execute(
                    insert(cl).values(
                        **({"id": wanted.id} if free else {}),
                        visit_id=row.id,
                        position=position,
                        **values,
                    )
                )
            )
            ids[wanted.id] = line_id
            self.ctx.audit(
                connection,
                "line.add",
                "visit",
                row.id,
                after={"line_id": line_id, "position": position, **values},
            )
        now = [line.id for line in fx.line_rows(connection, row.id)]
        placed = [ids[line.id] for line in target.lines if ids.get(line.id) in now]
        order = placed + [line_id for line_id in now if line_id not in placed]
        if order != now:
            _renumber(connection, order)

    # fixes ---------------------------------------------------------------------------------

    def apply_fix(self, visit_id: int, fix: Mapping[str, Any]) -> VisitDetail:
        """Apply a finding's fix as the line edits a person would make, in one transaction
        (audited as one "visit.fix" entry with the fix, and an entry per edited line)."""
        from otdesk.core.fixes import FixError, apply_fix, fix_kind

        with self.ctx.db.write() as connection:
            row = self._draft(connection, visit_id)
            lines = fx.line_rows(connection, visit_id)
            ev = fx.evaluate(
                self.ctx, connection, row, lines, fx.diagnosis_codes(connection, visit_id)
            )
            try:
                fixed = apply_fix(ev.visit, fix)
            except FixError as error:
                raise ValidationError("fix", str(error)) from None
            indexes = list(fix.get("lines") or [])
            kind = fix_kind(fix)
            removed: set[int] = set()
            if kind == "remove_line":
                removed = set(indexes)
            elif kind == "merge_lines":
                removed = set(indexes[1:])
            kept = [line for index, line in enumerate(lines) if index not in removed]
            added: list[tuple[int, ChargeLine]] = []
            if kind == "split_assistant":
                # the assistant's part is a new line just after the one split
                added = [(indexes[0] + 1, fixed.lines[indexes[0] + 1])]
            old_of = [
                new
                for position, new in enumerate(fixed.lines)
                if position not in {at for at, _ in added}
            ]
            if len(kept) != len(old_of):
                raise ValidationError("fix", "The fix does not match the visit's lines.")
            self.ctx.audit(connection, "visit.fix", "visit", visit_id, after=dict(fix))
            for line, new in zip(kept, old_of, strict=True):
                changes: dict[str, Any] = {}
                if new.code != line.code:
                    changes["code"] = new.code
                if new.minutes != line.minutes:
                    changes["minutes"] = new.minutes
                if new.assistant_minutes != line.assistant_minutes:
                    changes["assistant_minutes"] = new.assistant_minutes
                if tuple(new.modifiers) != split_codes(line.modifiers):
                    changes["modifiers"] = new.modifiers
                if tuple(new.dx_pointers) != split_codes(line.dx_pointers):
                    changes["dx_pointers"] = new.dx_pointers
                if new.units != line.units_override:
                    changes["units_override"] = new.units
                    if new.units is not None:
                        changes["override_reason"] = f"applied fix: {_fix_words(fix)}"
                if new.description != line.description:
                    changes["description"] = new.description
                if changes:
                    self._update_line(connection, line.id, changes)
            for position, new in added:
                self._insert_line(connection, row, position, new, lines[indexes[0]])
            for index in sorted(removed, reverse=True):
                line = self._line(connection, lines[index].id)
                self._remove_line(connection, line)
                self.ctx.audit(
                    connection,
                    "line.remove",
                    "visit",
                    visit_id,
                    before={"line_id": line.id, "position": line.position, **_line_values(line)},
                )
            self._touch(connection, visit_id)
            return self._recompute(connection, visit_id)

    def _insert_line(
        self, connection: Connection, row: Any, position: int, new: ChargeLine, like: Any
    ) -> None:
        """A line made by a fix (the assistant's part of a split line) at `position`, with
        the fee typed on the line it came from."""
        values = self._clean_line(
            connection,
            row,
            {
                "code": new.code,
                "minutes": new.minutes,
                "assistant_minutes": new.assistant_minutes,
                "modifiers": new.modifiers,
                "dx_pointers": new.dx_pointers,
                "description": new.description,
                "fee": from_cents(like.fee_cents) if like.fee_entered else None,
            },
            None,
        )
        ids = [item.id for item in fx.line_rows(connection, row.id)]
        line_id = inserted_id(
            connection.execute(
                insert(s.charge_lines).values(visit_id=row.id, position=len(ids), **values)
            )
        )
        ids.insert(position, line_id)
        _renumber(connection, ids)
        self.ctx.audit(
            connection,
            "line.add",
            "visit",
            row.id,
            after={"line_id": line_id, "position": position, **values},
        )

    # lifecycle -----------------------------------------------------------------------------

    def finalize(self, visit_id: int, *, override_reason: str | None = None) -> VisitDetail:
        """Finalize a draft: running timers are stopped first; error findings block it
        unless `override_reason` is given (recorded with the overridden findings in the
        audit log). A finalized amendment marks the version it amends "amended"."""
        from otdesk.services.timers import stop_all

        reason = v.text(override_reason, "override_reason", max_len=500) or None
        with self.ctx.db.write() as connection:
            row = self._draft(connection, visit_id)
            stop_all(self.ctx, connection, visit_id)
            lines = fx.line_rows(connection, visit_id)
            if not lines:
                raise ServiceError(f"Visit {visit_id} has no charge lines to finalize.")
            diagnoses = fx.diagnosis_codes(connection, visit_id)
            ev = fx.evaluate(self.ctx, connection, row, lines, diagnoses)
            fx.persist(self.ctx, connection, row, lines, ev)
            errors = ev.check.errors
            if errors and not reason:
                raise FinalizeBlockedError(visit_id, errors)
            now = self.ctx.now()
            # What the superbill of this version prints, kept so that it reprints exactly.
            parties = read_parties(
                self.ctx,
                connection,
                patient_id=row.patient_id,
                provider_id=row.provider_id,
                policy_id=row.policy_id,
                payer_id=row.payer_id,
            )
            connection.execute(
                update(s.visits)
                .where(s.visits.c.id == visit_id)
                .values(
                    print_snapshot=snapshot_text(parties),
                    status="finalized",
                    finalized_at=now,
                    finalized_by=self.ctx.user,
                    override_reason=reason if errors else None,
                    updated_at=now,
                    updated_by=self.ctx.user,
                )
            )
            if row.amends_id is not None:
                connection.execute(
                    update(s.visits).where(s.visits.c.id == row.amends_id).values(status="amended")
                )
            row = self._row(connection, visit_id)
            after = _snapshot(connection, row)
            if errors:
                after["overridden_findings"] = [f.to_json() for f in errors]
            self.ctx.audit(
                connection,
                "visit.finalize",
                "visit",
                visit_id,
                before={"status": "draft"},
                after=after,
                reason=reason if errors else None,
            )
            return self._detail(connection, row, fx.line_rows(connection, visit_id), diagnoses, ev)

    def void(self, visit_id: int, reason: str) -> VisitDetail:
        """Void a finalized visit (it stays on file, marked void)."""
        why = v.text(reason, "reason", max_len=500, required=True)
        with self.ctx.db.write() as connection:
            row = self._row(connection, visit_id)
            if row.status != "finalized" or not row.is_current:
                raise VisitNotEditableError(
                    f"Only the current finalized version of a visit can be voided; visit "
                    f"{visit_id} is {_state(row)}."
                    + (" Delete the draft instead." if row.status == "draft" else "")
                )
            now = self.ctx.now()
            connection.execute(
                update(s.visits)
                .where(s.visits.c.id == visit_id)
                .values(status="void", void_reason=why, updated_at=now, updated_by=self.ctx.user)
            )
            self.ctx.audit(
                connection,
                "visit.void",
                "visit",
                visit_id,
                before={"status": "finalized"},
                after={"status": "void"},
                reason=why,
            )
            return self._detail_now(connection, visit_id)

    def amend(self, visit_id: int, reason: str) -> VisitDetail:
        """Start an amendment of a finalized visit: a new draft version with the same
        lines and diagnoses. The finalized version is kept unchanged."""
        why = v.text(reason, "reason", max_len=500, required=True)
        with self.ctx.db.write() as connection:
            row = self._row(connection, visit_id)
            if row.status != "finalized" or not row.is_current:
                raise VisitNotEditableError(
                    f"Only the current finalized version of a visit can be amended; visit "
                    f"{visit_id} is {_state(row)}."
                )
            now = self.ctx.now()
            copied = {key: getattr(row, key) for key in VISIT_FIELDS}
            new_id = inserted_id(
                connection.execute(
                    insert(s.visits).values(
                        chain_id=row.chain_id,
                        version=row.version + 1,
                        amends_id=row.id,
                        is_current=True,
                        patient_id=row.patient_id,
                        status="draft",
                        amend_reason=why,
                        created_at=now,
                        created_by=self.ctx.user,
                        updated_at=now,
                        updated_by=self.ctx.user,
                        **copied,
                    )
                )
            )
            connection.execute(
                update(s.visits).where(s.visits.c.id == visit_id).values(is_current=False)
            )
            lines = fx.line_rows(connection, visit_id)
            if lines:
                connection.execute(
                    insert(s.charge_lines),
                    [{"visit_id": new_id, **_line_columns(line)} for line in lines],
                )
            diagnoses = fx.diagnosis_codes(connection, visit_id)
            if diagnoses:
                connection.execute(
                    insert(s.visit_diagnoses),
                    [
                        {"visit_id": new_id, "position": index, "code": code}
                        for index, code in enumerate(diagnoses)
                    ],
                )
            self.ctx.audit(
                connection,
                "visit.amend",
                "visit",
                new_id,
                before=_snapshot(connection, row),
                after={"visit_id": new_id, "version": row.version + 1, "amends_id": row.id},
                reason=why,
            )
            return self._recompute(connection, new_id)

    # payments ------------------------------------------------------------------------------

    def record_payment(
        self,
        visit_id: int,
        amount: Any,
        *,
        kind: str = "copay",
        method: str = "cash",
        received_on: date | str | None = None,
        reference: str = "",
    ) -> VisitDetail:
        """Record a copay or payment for a visit (any status but void). Payments belong to
        the visit, not to one version: an amendment keeps them."""
        values = {
            "kind": v.choice(kind, "kind", s.PAYMENT_KINDS),
            "amount_cents": to_cents(v.money_value(amount, "amount", allow_zero=False)),
            "method": v.choice(method, "method", s.PAYMENT_METHODS),
            "received_on": (
                v.date_value(received_on, "received_on") if received_on else self.ctx.today()
            ),
            "reference": v.text(reference, "reference", max_len=100),
        }
        with self.ctx.db.write() as connection:
            row = self._row(connection, visit_id)
            if row.status == "void":
                raise VisitNotEditableError(f"Visit {visit_id} is void; it takes no payments.")
            payment_id = inserted_id(
                connection.execute(
                    insert(s.payments).values(
                        chain_id=row.chain_id,
                        created_at=self.ctx.now(),
                        created_by=self.ctx.user,
                        **values,
                    )
                )
            )
            self.ctx.audit(
                connection,
                "payment.add",
                "visit",
                visit_id,
                after={"payment_id": payment_id, **values},
            )
            return self._detail_now(connection, visit_id)

    def remove_payment(self, payment_id: int, reason: str) -> VisitDetail:
        why = v.text(reason, "reason", max_len=500, required=True)
        with self.ctx.db.write() as connection:
            payment = connection.execute(
                select(s.payments).where(s.payments.c.id == payment_id, _NOT_REMOVED)
            ).first()
            if payment is None:
                raise NotFoundError("payment", payment_id)
            visit_id = connection.execute(
                select(s.visits.c.id).where(
                    s.visits.c.chain_id == payment.chain_id, s.visits.c.is_current.is_(True)
                )
            ).scalar_one()
            # recorded, not deleted: a finalized visit's payments are kept (the database
            # refuses to delete them)
            connection.execute(
                insert(s.payment_removals).values(
                    payment_id=payment_id,
                    reason=why,
                    removed_at=self.ctx.now(),
                    removed_by=self.ctx.user,
                )
            )
            self.ctx.audit(
                connection,
                "payment.remove",
                "visit",
                visit_id,
                before={
                    "payment_id": payment_id,
                    "kind": payment.kind,
                    "amount_cents": payment.amount_cents,
                    "method": payment.method,
                    "received_on": payment.received_on,
                },
                reason=why,
            )
            return self._detail_now(connection, visit_id)

    # export --------------------------------------------------------------------------------

    def export_csv(self, path: Any, start: date | str, end: date | str) -> int:
        """Write the visits from `start` to `end` (newest versions, every status) as CSV,
        one row per charge line (a visit without lines gets one row); returns the number
        of visits."""
        from otdesk.services import csvio

        summaries = self.between(start, end)
        by_id = {summary.id: summary for summary in summaries}
        rows: list[list[Any]] = []
        with self.ctx.db.read() as connection:
            lines: dict[int, list[Any]] = {visit_id: [] for visit_id in by_id}
            diagnoses: dict[int, list[str]] = {visit_id: [] for visit_id in by_id}
            visit_info: dict[int, Any] = {}
            for chunk in _chunks(list(by_id), 500):
                for line in connection.execute(
                    select(s.charge_lines)
                    .where(s.charge_lines.c.visit_id.in_(chunk))
                    .order_by(s.charge_lines.c.visit_id, s.charge_lines.c.position)
                ):
                    lines[line.visit_id].append(line)
                for visit_id, code in connection.execute(
                    select(s.visit_diagnoses.c.visit_id, s.visit_diagnoses.c.code)
                    .where(s.visit_diagnoses.c.visit_id.in_(chunk))
                    .order_by(s.visit_diagnoses.c.visit_id, s.visit_diagnoses.c.position)
                ):
                    diagnoses[visit_id].append(code)
                for row in connection.execute(
                    select(
                        s.visits.c.id,
                        s.visits.c.place_of_service,
                        s.visits.c.discipline,
                        s.visits.c.finalized_at,
                    ).where(s.visits.c.id.in_(chunk))
                ):
                    visit_info[row.id] = row
        for summary in summaries:
            info = visit_info[summary.id]
            head = [
                summary.id,
                summary.version,
                summary.status,
                summary.date_of_service.isoformat(),
                summary.account_number,
                summary.patient_name,
                summary.provider_name,
                summary.payer_name,
                info.place_of_service,
                info.discipline,
                " ".join(diagnoses[summary.id]),
            ]
            tail = [summary.total.to_json(), summary.paid.to_json(), summary.balance.to_json()]
            visit_lines = lines[summary.id] or [None]
            for line in visit_lines:
                if line is None:
                    rows.append([*head, "", "", "", "", "", "", "", "", *tail])
                    continue
                rows.append(
                    [
                        *head,
                        line.position + 1,
                        line.code,
                        " ".join(split_codes(line.modifiers)),
                        "".join(split_codes(line.dx_pointers)),
                        line.minutes,
                        line.units,
                        money(line.fee_cents).to_json() if line.fee_cents is not None else "",
                        money(line.charge_cents).to_json(),
                        *tail,
                    ]
                )
        csvio.write_rows(path, EXPORT_COLUMNS, rows)
        with self.ctx.db.write() as connection:  # who took these visits out of otdesk
            self.ctx.audit(
                connection, "export.visits", "visits", None,
                after={"from": str(start), "to": str(end), "visits": len(summaries),
                       "file": os.path.basename(str(path))},
            )  # fmt: skip
        return len(summaries)

    # internals -----------------------------------------------------------------------------

    def _row(self, connection: Connection, visit_id: int) -> Any:
        dialect.lock_row_for_write(connection, s.visits, visit_id)
        row = fx.visit_row(connection, visit_id)
        if row is None:
            raise NotFoundError("visit", visit_id)
        return row

    def _draft(self, connection: Connection, visit_id: int) -> Any:
        row = self._row(connection, visit_id)
        if row.status != "draft" or not row.is_current:
            raise VisitNotEditableError(
                f"Visit {visit_id} is {_state(row)} and cannot change"
                + (": amend it to make a correction." if row.status == "finalized" else ".")
            )
        return row

    def _line(self, connection: Connection, line_id: int) -> Any:
        line = connection.execute(_LINE, {"line_id": line_id}).first()
        if line is None:
            raise NotFoundError("charge line", line_id)
        return line

    def _remove_line(self, connection: Connection, line: Any) -> None:
        connection.execute(delete(s.charge_lines).where(s.charge_lines.c.id == line.id))
        _renumber(connection, [item.id for item in fx.line_rows(connection, line.visit_id)])

    def _touch(self, connection: Connection, visit_id: int, **values: Any) -> None:
        if not values:
            connection.execute(
                _TOUCH, {"visit_id": visit_id, "now": self.ctx.now(), "user": self.ctx.user}
            )
            return
        connection.execute(
            update(s.visits)
            .where(s.visits.c.id == visit_id)
            .values(updated_at=self.ctx.now(), updated_by=self.ctx.user, **values)
        )

    def _recompute(self, connection: Connection, visit_id: int) -> VisitDetail:
        row = self._row(connection, visit_id)
        lines = fx.line_rows(connection, visit_id)
        if row.status == "draft" and self._refresh_defaults(connection, row, lines):
            lines = fx.line_rows(connection, visit_id)
        if row.status == "draft" and row.total_time_auto:
            total = auto.total_minutes(lines)
            if total != row.total_treatment_minutes:
                connection.execute(
                    update(s.visits)
                    .where(s.visits.c.id == visit_id)
                    .values(total_treatment_minutes=total)
                )
                row = self._row(connection, visit_id)
        diagnoses = fx.diagnosis_codes(connection, visit_id)
        ev = fx.evaluate(self.ctx, connection, row, lines, diagnoses)
        if row.status == "draft":
            # (the detail of a draft shows `ev`'s figures, so nothing needs reading back)
            fx.persist(self.ctx, connection, row, lines, ev)
        return self._detail(connection, row, lines, diagnoses, ev)

    def _refresh_defaults(self, connection: Connection, row: Any, lines: list[Any]) -> bool:
        """Bring the automatic modifiers and pointers of the visit's lines to what the
        header and the diagnoses now imply (what a person set is left alone); True when a
        line changed."""
        if not any(line.auto_modifiers is not None or line.auto_pointers for line in lines):
            return False
        count = len(fx.diagnosis_codes(connection, row.id))
        changed = False
        for line in lines:
            changes = auto.refreshed(self.ctx.catalog, row, line, count)
            if changes:
                changed = True
                connection.execute(
                    update(s.charge_lines).where(s.charge_lines.c.id == line.id).values(**changes)
                )
                self.ctx.audit(
                    connection,
                    "line.defaults",
                    "visit",
                    row.id,
                    before={"line_id": line.id, **{k: getattr(line, k) for k in changes}},
                    after={"line_id": line.id, **changes},
                )
        return changed

    def _detail_now(self, connection: Connection, visit_id: int) -> VisitDetail:
        row = self._row(connection, visit_id)
        lines = fx.line_rows(connection, visit_id)
        diagnoses = fx.diagnosis_codes(connection, visit_id)
        ev = fx.evaluate(self.ctx, connection, row, lines, diagnoses)
        return self._detail(connection, row, lines, diagnoses, ev)

    def _detail(
        self,
        connection: Connection,
        row: Any,
        lines: list[Any],
        diagnoses: list[str],
        ev: fx.Evaluation,
    ) -> VisitDetail:
        from otdesk.services.timers import timer_states

        names = connection.execute(
            _NAMES,
            {
                "patient_id": row.patient_id,
                "provider_id": row.provider_id,
                "payer_id": row.payer_id if row.payer_id is not None else -1,
            },
        ).one()
        # finalizing stops (deletes) every timer: only a draft can have one
        timers = timer_states(connection, row.id, self.ctx.now()) if row.status == "draft" else {}
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
            for pay in connection.execute(_PAYMENTS, {"chain_id": row.chain_id})
        ]
        catalog = self.ctx.catalog
        frozen = row.status != "draft"
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
            patient_name=f"{names.last_name}, {names.first_name}",
            account_number=names.account_number,
            provider_id=row.provider_id,
            provider_name=provider_name(
                names.provider_first, names.provider_last, names.credentials
            ),
            payer_id=row.payer_id,
            payer_name=names.payer_name or "Self-pay",
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
        )

    def _clean_line(
        self, connection: Connection, row: Any, values: Mapping[str, Any], line: Any
    ) -> dict[str, Any]:
        from otdesk.core.catalog import code_format_problem, normalize_code

        unknown = set(values) - set(LINE_FIELDS)
        if unknown:
            raise ValidationError(sorted(unknown)[0], f"Unknown line field(s): {sorted(unknown)}.")
        raw_code = values.get("code")
        if not isinstance(raw_code, str):
            raise ValidationError("code", "Code is required.")
        problem = code_format_problem(raw_code)
        if problem:
            raise ValidationError("code", f"Code: {problem}")
        code = normalize_code(raw_code)
        is_new = line is None or code != line.code
        if is_new and self.ctx.catalog.get(code) is None and not known_codes(connection, [code]):
            raise ValidationError(
                "code",
                f"Code: {code} is not in the procedure catalog or the clinic's fee "
                "schedule; add it to the fee schedule first to bill it."
                + self.ctx.catalog.did_you_mean(code),
            )
        minutes = v.int_value(values.get("minutes", 0), "minutes")
        assistant = v.int_value(values.get("assistant_minutes", 0), "assistant_minutes")
        if assistant > minutes:
            raise ValidationError(
                "assistant_minutes",
                f"Assistant minutes ({assistant}) cannot be more than the line's minutes "
                f"({minutes}).",
            )
        override = v.optional_int(values.get("units_override"), "units_override", high=999)
        reason = v.text(values.get("override_reason"), "override_reason", max_len=500) or None
        procedure = self.ctx.catalog.get(code)
        per_item = procedure is not None and procedure.per_item
        # an item's units are how many were supplied, not a change to computed units
        if override is not None and not reason and not per_item:
            raise ValidationError(
                "override_reason", "Override reason is required when units are entered by hand."
            )
        if override is None:
            reason = None
        diagnoses = fx.diagnosis_codes(connection, row.id)
        fee = values.get("fee")
        fee_money = v.optional_money(fee, "fee")
        return {
            "code": code,
            "description": v.text(
                values.get("description"), "description", max_len=MAX_DESCRIPTION
            ),
            "minutes": minutes,
            "assistant_minutes": assistant,
            "modifiers": join_codes(v.modifiers(values.get("modifiers"))),
            "dx_pointers": join_codes(v.pointers(values.get("dx_pointers"), len(diagnoses))),
            "units_override": override,
            "override_reason": reason,
            "fee_cents": to_cents(fee_money) if fee_money is not None else None,
            "fee_entered": fee_money is not None,
            "auto_modifiers": auto.stored_markers(values.get("auto_modifiers")),
            "auto_pointers": bool(values.get("auto_pointers", False)),
        }


# --- helpers -------------------------------------------------------------------------------


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
        .where(vt.c.status == "draft", vt.c.is_current.is_(True), cl.c.code.in_(sorted(codes)))
    ).scalars()
    service = VisitService(ctx)
    count = 0
    for visit_id in list(drafts):
        service._recompute(connection, visit_id)
        count += 1
    return count


def _store_diagnoses(connection: Connection, visit_id: int, codes: Sequence[str]) -> None:
    """The visit's diagnoses, in order (A, B, ...), replacing the ones it had."""
    table = s.visit_diagnoses
    connection.execute(delete(table).where(table.c.visit_id == visit_id))
    if codes:
        connection.execute(
            insert(table),
            [
                {"visit_id": visit_id, "position": index, "code": code}
                for index, code in enumerate(codes)
            ],
        )


def _line_values(line: Any) -> dict[str, Any]:
    return {
        "code": line.code,
        "description": line.description,
        "minutes": line.minutes,
        "assistant_minutes": line.assistant_minutes,
        "modifiers": split_codes(line.modifiers),
        "dx_pointers": split_codes(line.dx_pointers),
        "units_override": line.units_override,
        "override_reason": line.override_reason,
        "fee": from_cents(line.fee_cents) if line.fee_entered else None,
        "auto_modifiers": auto.read_markers(line.auto_modifiers),
        "auto_pointers": bool(line.auto_pointers),
    }


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _line_columns(line: Any) -> dict[str, Any]:
    """A line's stored values, for copying it into an amendment."""
    return {
        column.name: getattr(line, column.name)
        for column in s.charge_lines.columns
        if column.name not in ("id", "visit_id")
    }


def _renumber(connection: Connection, ids: list[int]) -> None:
    # Two passes keep (visit_id, position) unique at every step.
    cl = s.charge_lines
    for index, line_id in enumerate(ids):
        connection.execute(update(cl).where(cl.c.id == line_id).values(position=-1 - index))
    for index, line_id in enumerate(ids):
        connection.execute(update(cl).where(cl.c.id == line_id).values(position=index))


def _state(row: Any) -> str:
    if row.status == "draft" and not row.is_current:
        return "an old draft"
    if row.status == "finalized" and not row.is_current:
        return "being amended (a newer draft version exists)"
    return {"finalized": "finalized", "void": "void", "amended": "replaced by an amendment"}.get(
        row.status, row.status
    )


def _fix_words(fix: Mapping[str, Any]) -> str:
    try:
        from otdesk.core.fixes import fix_label

        return fix_label(fix)
    except Exception:
        return str(dict(fix))


def _snapshot(connection: Connection, row: Any) -> dict[str, Any]:
    """The visit as stored, for the audit log."""
    return {
        "visit_id": row.id,
        "version": row.version,
        "status": row.status,
        "patient_id": row.patient_id,
        **{key: getattr(row, key) for key in VISIT_FIELDS},
        "total_charge_cents": row.total_charge_cents,
        "lines": [
            {
                "line_id": line.id,
                "units": line.units,
                "charge_cents": line.charge_cents,
                **_line_values(line),
            }
            for line in fx.line_rows(connection, row.id)
        ],
        "diagnoses": fx.diagnosis_codes(connection, row.id),
    }


def _primary_policy(connection: Connection, patient_id: int, day: date) -> Any:
    pol = s.policies
    rows = connection.execute(
        select(pol.c.id, pol.c.payer_id, pol.c.effective_from, pol.c.effective_to)
        .where(pol.c.patient_id == patient_id)
        .order_by(pol.c.priority, pol.c.id)
    ).all()
    for row in rows:
        if (row.effective_from is None or row.effective_from <= day) and (
            row.effective_to is None or day <= row.effective_to
        ):
            return row
    return None


def _clean_visit(
    connection: Connection, patient_id: int, values: dict[str, Any], ctx: ServiceContext
) -> dict[str, Any]:
    from otdesk.core.catalog import load_places_of_service

    day = v.date_value(values.get("date_of_service"), "date_of_service")
    provider_id = values.get("provider_id")
    role = connection.execute(
        select(s.providers.c.role).where(s.providers.c.id == provider_id)
    ).scalar()
    if role is None:
        raise ValidationError("provider_id", f"Provider: there is no provider {provider_id}.")
    payer_id = values.get("payer_id")
    if payer_id is not None and (
        connection.execute(select(s.payers.c.id).where(s.payers.c.id == payer_id)).first() is None
    ):
        raise ValidationError("payer_id", f"Payer: there is no payer {payer_id}.")
    policy_id = values.get("policy_id")
    if policy_id is not None:
        policy = connection.execute(
            select(s.policies.c.patient_id, s.policies.c.payer_id).where(
                s.policies.c.id == policy_id
            )
        ).first()
        if policy is None or policy.patient_id != patient_id:
            raise ValidationError("policy_id", f"Policy: the patient has no policy {policy_id}.")
        if payer_id is not None and policy.payer_id != payer_id:
            raise ValidationError("policy_id", "Policy: it belongs to another payer.")
    plan_id = values.get("plan_of_care_id")
    if plan_id is not None:
        owner = connection.execute(
            select(s.plans_of_care.c.patient_id).where(s.plans_of_care.c.id == plan_id)
        ).scalar()
        if owner != patient_id:
            raise ValidationError(
                "plan_of_care_id", f"Plan of care: the patient has no plan {plan_id}."
            )
    pos = v.text(values.get("place_of_service") or "11", "place_of_service", max_len=2)
    if pos not in load_places_of_service():
        raise ValidationError(
            "place_of_service", f"Place of service: {pos!r} is not a place-of-service code."
        )
    discipline = values.get("discipline") or ROLE_DISCIPLINE[role]
    return {
        "date_of_service": day,
        "provider_id": provider_id,
        "payer_id": payer_id,
        "policy_id": policy_id,
        "plan_of_care_id": plan_id,
        "place_of_service": pos,
        "discipline": v.choice(discipline, "discipline", DISCIPLINES),
        "total_treatment_minutes": v.optional_int(
            values.get("total_treatment_minutes"), "total_treatment_minutes"
        ),
        "total_time_auto": bool(values.get("total_time_auto")),
        "appointment_time": v.optional_time(values.get("appointment_time"), "appointment_time"),
    }


def _appointment_default(now: datetime) -> time:
    """The time a visit is started, down to APPOINTMENT_STEP_MINUTES."""
    start = now.replace(second=0, microsecond=0)
    return (start - timedelta(minutes=start.minute % APPOINTMENT_STEP_MINUTES)).time()


def _summaries(connection: Connection, *conditions: Any) -> list[VisitSummary]:
    vt, p, pr, py, pay = s.visits, s.patients, s.providers, s.payers, s.payments
    paid = (
        select(func.coalesce(func.sum(pay.c.amount_cents), 0))
        .where(pay.c.chain_id == vt.c.chain_id, _NOT_REMOVED)
        .scalar_subquery()
    )
    query = (
        select(
            vt.c.id,
            vt.c.chain_id,
            vt.c.version,
            vt.c.status,
            vt.c.date_of_service,
            vt.c.patient_id,
            vt.c.provider_id,
            vt.c.total_charge_cents,
            vt.c.total_units,
            vt.c.error_count,
            vt.c.warning_count,
            p.c.last_name,
            p.c.first_name,
            p.c.account_number,
            pr.c.first_name.label("provider_first"),
            pr.c.last_name.label("provider_last"),
            pr.c.credentials,
            py.c.name.label("payer_name"),
            paid.label("paid_cents"),
            s.visit_chains.c.created_at.label("started_at"),
            vt.c.appointment_time,
        )
        .join(s.visit_chains, s.visit_chains.c.id == vt.c.chain_id)
        .join(p, p.c.id == vt.c.patient_id)
        .join(pr, pr.c.id == vt.c.provider_id)
        .outerjoin(py, py.c.id == vt.c.payer_id)
        .where(*conditions)
        .order_by(
            vt.c.date_of_service,
            vt.c.appointment_time.is_(None),
            vt.c.appointment_time,
            p.c.last_name,
            p.c.first_name,
            vt.c.id,
        )
    )
    return [summary_from_row(row._mapping) for row in connection.execute(query)]


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(VisitService)
