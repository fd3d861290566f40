"""What every change of a draft visit shares: checking a line's and a header's values, writing
a line's changes (audited), removing and renumbering lines, stamping the visit as updated,
and the visit as stored for the audit log. VisitService (otdesk.services.visits) and its undo
(visit_undo) and fixes (visit_fixes) are built on VisitEdits; each caller recomputes the
visit after its change (otdesk.services.visit_detail.recompute)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from otdesk.core.catalog import code_format_problem, load_places_of_service, normalize_code
from otdesk.core.fixes import MAX_DESCRIPTION
from otdesk.core.visit import DISCIPLINES
from otdesk.services import defaults as auto
from otdesk.services import findings as fx
from otdesk.services import validate as v
from otdesk.services import visit_detail as vd
from otdesk.services.context import ServiceContext
from otdesk.services.errors import (
    NotFoundError,
    ValidationError,
)
from otdesk.services.pricing import known_codes
from otdesk.services.setup import ROLE_DISCIPLINE
from otdesk.services.visit_state import HEADER_FIELDS
from otdesk.storage import schema as s
from otdesk.storage.values import from_cents, join_codes, split_codes, to_cents

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

_LINE = select(s.charge_lines).where(s.charge_lines.c.id == bindparam("line_id"))


class VisitEdits:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def _update_header(self, connection: Connection, row: Any, changes: Mapping[str, Any]) -> None:
        before = {key: getattr(row, key) for key in VISIT_FIELDS}
        values = clean_visit(connection, row.patient_id, {**before, **changes}, self.ctx)
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

    def _update_line(
        self,
        connection: Connection,
        line_id: int,
        changes: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> Any:
        """Write a line's changes (audited); returns its visit's row as now stored
        (visit_detail.touched). The caller recomputes."""
        line = self._line(connection, line_id)
        row = vd.draft_row(connection, line.visit_id, expected_version)
        before = line_values(line)
        merged = {**before, **changes}
        if "units_override" in changes and changes["units_override"] is None:
            merged["override_reason"] = None
        merged.update(auto.markers_after_edit(before, changes))
        values = self._clean_line(connection, row, merged, line, row.diagnosis_count)
        changed = {key: value for key, value in values.items() if getattr(line, key) != value}
        if changed:
            connection.execute(
                update(s.charge_lines).where(s.charge_lines.c.id == line_id).values(**changed)
            )
            row = vd.touched(self.ctx, connection, row)
            self.ctx.audit(
                connection,
                "line.update",
                "visit",
                row.id,
                before={"line_id": line_id, **{k: getattr(line, k) for k in changed}},
                after={"line_id": line_id, **changed},
            )
        return row

    def _line(self, connection: Connection, line_id: int) -> Any:
        line = connection.execute(_LINE, {"line_id": line_id}).first()
        if line is None:
            raise NotFoundError("charge line", line_id)
        return line

    def _remove_line(self, connection: Connection, line: Any) -> None:
        connection.execute(delete(s.charge_lines).where(s.charge_lines.c.id == line.id))
        renumber(connection, [item.id for item in fx.line_rows(connection, line.visit_id)])

    def _touch(self, connection: Connection, visit_id: int, **values: Any) -> None:
        # stamped as updated, one version on (a desk holding the older one is refused)
        vd.mark_changed(self.ctx, connection, visit_id, **values)

    def _clean_line(
        self,
        connection: Connection,
        row: Any,
        values: Mapping[str, Any],
        line: Any,
        diagnosis_count: int | None = None,
    ) -> dict[str, Any]:
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
        if diagnosis_count is None:  # (not known to the caller: diagnoses changed since)
            diagnosis_count = len(fx.diagnosis_codes(connection, row.id))
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
            "dx_pointers": join_codes(v.pointers(values.get("dx_pointers"), diagnosis_count)),
            "units_override": override,
            "override_reason": reason,
            "fee_cents": to_cents(fee_money) if fee_money is not None else None,
            "fee_entered": fee_money is not None,
            "auto_modifiers": auto.stored_markers(values.get("auto_modifiers")),
            "auto_pointers": bool(values.get("auto_pointers", False)),
        }


def store_diagnoses(connection: Connection, visit_id: int, codes: Sequence[str]) -> None:
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


def line_values(line: Any) -> dict[str, Any]:
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


def renumber(connection: Connection, ids: list[int]) -> None:
    # Two passes keep (visit_id, position) unique at every step.
    cl = s.charge_lines
    for index, line_id in enumerate(ids):
        connection.execute(update(cl).where(cl.c.id == line_id).values(position=-1 - index))
    for index, line_id in enumerate(ids):
        connection.execute(update(cl).where(cl.c.id == line_id).values(position=index))


def visit_snapshot(connection: Connection, row: Any) -> dict[str, Any]:
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
                **line_values(line),
            }
            for line in fx.line_rows(connection, row.id)
        ],
        "diagnoses": fx.diagnosis_codes(connection, row.id),
    }


def clean_visit(
    connection: Connection, patient_id: int, values: dict[str, Any], ctx: ServiceContext
) -> dict[str, Any]:
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
