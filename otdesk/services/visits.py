"""Visits: the day list, drafts and their lines and diagnoses, findings and fixes, finalize,
void and amend. Beside it: what a visit reads as and the recompute (visit_detail), what
every change shares (visit_edits), undo and redo (visit_undo), a finding's fix
(visit_fixes), the payments (payments), the CSV export (visits_csv), the timers (timers).

Every method is one transaction. A draft is recomputed (units, amounts, findings) in the
same transaction as each change and returned as a VisitDetail. Finalized visits never
change: void one, or amend it (a new draft version; the finalized one is kept, and marked
"amended" when the new version is finalized). Everything is in the audit log.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, delete, func, insert, select, update

from otdesk.core.visit import DX_LETTERS, VisitStatus
from otdesk.services import defaults as auto
from otdesk.services import findings as fx
from otdesk.services import payments, permissions, timers
from otdesk.services import validate as v
from otdesk.services import visit_detail as vd
from otdesk.services.errors import (
    FinalizeBlockedError,
    ServiceError,
    ValidationError,
    VisitNotEditableError,
)
from otdesk.services.payments import PaymentService
from otdesk.services.summaries import VisitSummary, summary_from_row

# The detail types live in visit_detail (below the timers); imported from here too.
from otdesk.services.visit_detail import (
    LineDetail,
    PaymentDetail,
    TimerState,
    VisitDetail,
    reprice_drafts,
)
from otdesk.services.visit_edits import (
    LINE_FIELDS,
    VISIT_FIELDS,
    clean_visit,
    line_values,
    renumber,
    store_diagnoses,
    visit_snapshot,
)
from otdesk.services.visit_fixes import VisitFixes
from otdesk.services.visit_parties import read_parties, snapshot_text
from otdesk.services.visit_undo import VisitUndo
from otdesk.services.visits_csv import write_visits_csv
from otdesk.storage import schema as s
from otdesk.storage.values import inserted_id, join_codes, split_codes

Params = ParamSpec("Params")
Result = TypeVar("Result")

__all__ = [
    "LINE_FIELDS",
    "VISIT_FIELDS",
    "LineDetail",
    "PaymentDetail",
    "TimerState",
    "VisitDetail",
    "VisitService",
    "reprice_drafts",
]
_DEFAULT: Any = object()
# A new visit of today gets the time it is started, down to these minutes, as its
# appointment time (the desk corrects it when the patient came at another time).
APPOINTMENT_STEP_MINUTES = 5


# --- the service ---------------------------------------------------------------------------


def _payment_method(
    method: Callable[Concatenate[PaymentService, Params], Result], name: str
) -> Callable[Concatenate[Any, Params], Result]:
    """A VisitService method that is PaymentService's `method`: one signature and one
    docstring, kept in one place."""

    @functools.wraps(method)
    def delegate(self: Any, *args: Params.args, **kwargs: Params.kwargs) -> Result:
        return method(PaymentService(self.ctx), *args, **kwargs)

    delegate.__name__ = name
    delegate.__qualname__ = f"VisitService.{name}"
    return delegate


class VisitService(VisitFixes, VisitUndo):
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
            row = vd.get_row(connection, visit_id)
            found = _summaries(connection, s.visits.c.chain_id == row.chain_id)
        return sorted(found, key=lambda summary: summary.version)

    def get(self, visit_id: int, connection: Connection | None = None) -> VisitDetail:
        """The visit with its lines, diagnoses, payments, units and findings (computed now;
        nothing is written)."""
        with self.ctx.reading(connection) as reading:
            return vd.detail_now(self.ctx, reading, visit_id)

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
            values = clean_visit(
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
                        status=VisitStatus.DRAFT,
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
            return vd.recompute(self.ctx, connection, visit_id)

    def update(
        self, visit_id: int, *, expected_version: int | None = None, **changes: Any
    ) -> VisitDetail:
        """Change a draft's date, appointment time, provider, payer, policy, plan of care,
        place of service, discipline or total treatment minutes (a typed total ends the
        automatic one; total_time_auto=True brings it back). The lines' automatic
        modifiers follow a new payer, provider or discipline.

        Every change of a draft takes `expected_version`, the VisitDetail.edit_version it
        was made on: a visit changed since (at another desk) is refused with
        StaleVisitError and nothing is written. None (the command line) does not check."""
        unknown = set(changes) - set(VISIT_FIELDS)
        if unknown:
            raise ValidationError(sorted(unknown)[0], f"Unknown visit field(s): {sorted(unknown)}.")
        if "total_treatment_minutes" in changes and "total_time_auto" not in changes:
            changes = {**changes, "total_time_auto": False}
        with self.ctx.db.write() as connection:
            row = vd.draft_row(connection, visit_id, expected_version)
            self._update_header(connection, row, changes)
            return vd.recompute(self.ctx, connection, visit_id)

    def delete_draft(self, visit_id: int, *, expected_version: int | None = None) -> None:
        """Throw a draft away. A draft amendment goes back to the finalized version it
        amended; a first version with payments cannot be thrown away."""
        with self.ctx.db.write() as connection:
            row = vd.draft_row(connection, visit_id, expected_version)
            snapshot = visit_snapshot(connection, row)
            if row.amends_id is None and payments.count(connection, row.chain_id):
                raise ServiceError(
                    f"Visit {visit_id} has payments recorded; remove them before deleting it."
                )
            connection.execute(delete(s.visits).where(s.visits.c.id == visit_id))
            if row.amends_id is None:
                # a draft that was never finalized: its removed payments go with it
                payments.delete_removed(connection, row.chain_id)
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
        self,
        visit_id: int,
        code: str,
        *,
        defaults: bool = False,
        expected_version: int | None = None,
        **fields: Any,
    ) -> VisitDetail:
        """Add a charge line (code; minutes, assistant_minutes, modifiers, dx_pointers,
        units_override with override_reason, fee, description optional). With `defaults`
        (the window), modifiers and pointers not given are the ones the visit implies
        (otdesk.services.defaults), marked automatic."""
        with self.ctx.db.write() as connection:
            row = vd.draft_row(connection, visit_id, expected_version)
            diagnoses = None
            if defaults:
                diagnoses = fx.diagnosis_codes(connection, visit_id)
                fields = auto.line_defaults(self.ctx.catalog, row, code, diagnoses, fields)
            values = self._clean_line(
                connection, row, {"code": code, **fields}, None, row.diagnosis_count
            )
            cl = s.charge_lines
            # last in the visit: its place counted in the same statement as the insert
            last = select(func.count()).select_from(cl).where(cl.c.visit_id == visit_id)
            line_id, position = connection.execute(
                insert(cl)
                .values(visit_id=visit_id, position=last.scalar_subquery(), **values)
                .returning(cl.c.id, cl.c.position)
            ).one()
            row = vd.touched(self.ctx, connection, row)
            self.ctx.audit(
                connection,
                "line.add",
                "visit",
                visit_id,
                after={"line_id": line_id, "position": position, **values},
            )
            return vd.recompute(self.ctx, connection, visit_id, row=row, diagnoses=diagnoses)

    def update_line(
        self, line_id: int, *, expected_version: int | None = None, **changes: Any
    ) -> VisitDetail:
        """Change a line's fields; only the ones given change."""
        with self.ctx.db.write() as connection:
            row = self._update_line(connection, line_id, changes, expected_version)
            return vd.recompute(self.ctx, connection, row.id, row=row)

    def remove_line(self, line_id: int, *, expected_version: int | None = None) -> VisitDetail:
        with self.ctx.db.write() as connection:
            line = self._line(connection, line_id)
            row = vd.draft_row(connection, line.visit_id, expected_version)
            self._remove_line(connection, line)
            row = vd.touched(self.ctx, connection, row)
            self.ctx.audit(
                connection,
                "line.remove",
                "visit",
                row.id,
                before={"line_id": line_id, "position": line.position, **line_values(line)},
            )
            return vd.recompute(self.ctx, connection, row.id, row=row)

    def move_line(
        self, line_id: int, position: int, *, expected_version: int | None = None
    ) -> VisitDetail:
        """Move a line to another place in the visit (0 = first)."""
        with self.ctx.db.write() as connection:
            line = self._line(connection, line_id)
            row = vd.draft_row(connection, line.visit_id, expected_version)
            ids = [item.id for item in fx.line_rows(connection, row.id)]
            target = v.int_value(position, "position", low=0, high=len(ids) - 1)
            ids.remove(line_id)
            ids.insert(target, line_id)
            renumber(connection, ids)
            self._touch(connection, row.id)
            self.ctx.audit(
                connection,
                "line.move",
                "visit",
                row.id,
                before={"line_id": line_id, "position": line.position},
                after={"line_id": line_id, "position": target},
            )
            return vd.recompute(self.ctx, connection, row.id)

    # diagnoses -----------------------------------------------------------------------------

    def set_diagnoses(
        self, visit_id: int, codes: Sequence[str], *, expected_version: int | None = None
    ) -> VisitDetail:
        """Replace the visit's diagnoses with `codes`, in order (A, B, ...). Line pointers
        follow their diagnosis to its new letter; pointers to a removed one are dropped."""
        with self.ctx.db.write() as connection:
            row = vd.draft_row(connection, visit_id, expected_version)
            row, now = self._set_diagnoses(connection, row, codes)
            return vd.recompute(self.ctx, connection, visit_id, row=row, diagnoses=now)

    def add_diagnosis(
        self, visit_id: int, code: str, *, expected_version: int | None = None
    ) -> VisitDetail:
        with self.ctx.db.write() as connection:
            row = vd.draft_row(connection, visit_id, expected_version)
            current = fx.diagnosis_codes(connection, visit_id)
            row, now = self._set_diagnoses(connection, row, [*current, code])
            return vd.recompute(self.ctx, connection, visit_id, row=row, diagnoses=now)

    def remove_diagnosis(
        self, visit_id: int, code: str, *, expected_version: int | None = None
    ) -> VisitDetail:
        with self.ctx.db.write() as connection:
            row = vd.draft_row(connection, visit_id, expected_version)
            current = fx.diagnosis_codes(connection, visit_id)
            wanted = v.dx_code(code)
            if wanted not in current:
                raise ValidationError("diagnoses", f"Diagnoses: the visit has no {wanted}.")
            row, now = self._set_diagnoses(connection, row, [c for c in current if c != wanted])
            return vd.recompute(self.ctx, connection, visit_id, row=row, diagnoses=now)

    def _set_diagnoses(
        self, connection: Connection, row: Any, codes: Sequence[str]
    ) -> tuple[Any, list[str]]:
        """Store the diagnoses (audited): the visit's row as now stored and its codes."""
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
            return row, old
        store_diagnoses(connection, row.id, cleaned)
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
        row = vd.AsStored(vd.touched(self.ctx, connection, row), {"diagnosis_count": len(cleaned)})
        self.ctx.audit(connection, "diagnoses.set", "visit", row.id, before=old, after=cleaned)
        return row, cleaned

    # lifecycle -----------------------------------------------------------------------------

    def finalize(
        self,
        visit_id: int,
        *,
        override_reason: str | None = None,
        expected_version: int | None = None,
    ) -> VisitDetail:
        """Finalize a draft: running timers are stopped first; error findings block it
        unless `override_reason` is given (recorded with the overridden findings in the
        audit log). A finalized amendment marks the version it amends "amended"."""
        reason = v.text(override_reason, "override_reason", max_len=500) or None
        with self.ctx.db.write() as connection:
            row = vd.draft_row(connection, visit_id, expected_version)
            timers.stop_all(self.ctx, connection, visit_id)
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
            # the last change of the draft: a desk still holding it hears who finalized it
            vd.mark_changed(
                self.ctx,
                connection,
                visit_id,
                print_snapshot=snapshot_text(parties),
                status=VisitStatus.FINALIZED,
                finalized_at=now,
                finalized_by=self.ctx.user,
                override_reason=reason if errors else None,
            )
            if row.amends_id is not None:
                connection.execute(
                    update(s.visits)
                    .where(s.visits.c.id == row.amends_id)
                    .values(status=VisitStatus.AMENDED)
                )
            row = vd.get_row(connection, visit_id)
            after = visit_snapshot(connection, row)
            if errors:
                after["overridden_findings"] = [f.to_json() for f in errors]
            self.ctx.audit(
                connection,
                "visit.finalize",
                "visit",
                visit_id,
                before={"status": VisitStatus.DRAFT},
                after=after,
                reason=reason if errors else None,
            )
            return vd.detail(
                self.ctx, connection, row, fx.line_rows(connection, visit_id), diagnoses, ev
            )

    def void(
        self, visit_id: int, reason: str, *, expected_version: int | None = None
    ) -> VisitDetail:
        """Void a finalized visit (it stays on file, marked void). A finalized visit's
        edit_version no longer moves (the database keeps it as it was)."""
        why = v.text(reason, "reason", max_len=500, required=True)
        with self.ctx.db.write() as connection:
            row = vd.get_row(connection, visit_id, expected_version)
            if row.status != VisitStatus.FINALIZED or not row.is_current:
                raise VisitNotEditableError(
                    f"Only the current finalized version of a visit can be voided; visit "
                    f"{visit_id} is {vd.state_words(row)}."
                    + (" Delete the draft instead." if row.status == VisitStatus.DRAFT else "")
                )
            now = self.ctx.now()
            connection.execute(
                update(s.visits)
                .where(s.visits.c.id == visit_id)
                .values(
                    status=VisitStatus.VOID,
                    void_reason=why,
                    updated_at=now,
                    updated_by=self.ctx.user,
                )
            )
            self.ctx.audit(
                connection,
                "visit.void",
                "visit",
                visit_id,
                before={"status": VisitStatus.FINALIZED},
                after={"status": VisitStatus.VOID},
                reason=why,
            )
            return vd.detail_now(self.ctx, connection, visit_id)

    def amend(
        self, visit_id: int, reason: str, *, expected_version: int | None = None
    ) -> VisitDetail:
        """Start an amendment of a finalized visit: a new draft version with the same
        lines and diagnoses. The finalized version is kept unchanged."""
        why = v.text(reason, "reason", max_len=500, required=True)
        with self.ctx.db.write() as connection:
            row = vd.get_row(connection, visit_id, expected_version)
            if row.status != VisitStatus.FINALIZED or not row.is_current:
                raise VisitNotEditableError(
                    f"Only the current finalized version of a visit can be amended; visit "
                    f"{visit_id} is {vd.state_words(row)}."
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
                        status=VisitStatus.DRAFT,
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
                before=visit_snapshot(connection, row),
                after={"visit_id": new_id, "version": row.version + 1, "amends_id": row.id},
                reason=why,
            )
            return vd.recompute(self.ctx, connection, new_id)

    # payments (otdesk.services.payments): PaymentService's own methods, found here beside
    # the visit's other actions (same arguments, same checks)

    record_payment = _payment_method(PaymentService.record, "record_payment")
    remove_payment = _payment_method(PaymentService.remove, "remove_payment")

    # export --------------------------------------------------------------------------------

    def export_csv(self, path: Any, start: date | str, end: date | str) -> int:
        """Write the visits from `start` to `end` (newest versions, every status) as CSV,
        one row per charge line (a visit without lines gets one row); returns the number
        of visits (otdesk.services.visits_csv)."""
        summaries = self.between(start, end)
        count = write_visits_csv(self.ctx, path, summaries)
        # who took these visits out of otdesk (kept aside when a read-only command runs
        # beside a program that is writing: ServiceContext.audit_alone)
        self.ctx.audit_alone(
            "export.visits",
            "visits",
            None,
            after={
                "from": str(start),
                "to": str(end),
                "visits": count,
                "file": os.path.basename(str(path)),
            },
        )
        return count


# --- helpers -------------------------------------------------------------------------------


def _line_columns(line: Any) -> dict[str, Any]:
    """A line's stored values, for copying it into an amendment."""
    return {
        column.name: getattr(line, column.name)
        for column in s.charge_lines.columns
        if column.name not in ("id", "visit_id")
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


def _appointment_default(now: datetime) -> time:
    """The time a visit is started, down to APPOINTMENT_STEP_MINUTES."""
    start = now.replace(second=0, microsecond=0)
    return (start - timedelta(minutes=start.minute % APPOINTMENT_STEP_MINUTES)).time()


def _summaries(connection: Connection, *conditions: Any) -> list[VisitSummary]:
    vt, p, pr, py, pay = s.visits, s.patients, s.providers, s.payers, s.payments
    paid = (
        select(func.coalesce(func.sum(pay.c.amount_cents), 0))
        .where(pay.c.chain_id == vt.c.chain_id, vd.NOT_REMOVED)
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


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(VisitService)
