"""The audit log as an administrator reads it (Clinic > Audit log): the entries filtered by
person, by date and by patient, described in plain words (ACTION_LABELS: what each action
code means), and written out as CSV (the code and its words both).

A patient's entries are those about the patient's record itself and about any version of
any of their visits (a visit's chain too: amendments and voids). Reading the log needs the
audit permission (administrators); exporting it is itself recorded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select

from otdesk.core.accounts import Permission
from otdesk.services.context import ServiceContext
from otdesk.services.csvio import write_rows
from otdesk.services.errors import ValidationError
from otdesk.storage import schema as s

# The window shows this many entries at most (the newest); the CSV export has them all.
SHOWN_LIMIT = 2000
# The CSV keeps the action's code (for scripts) and, last, the same in words.
CSV_HEADER = (
    "id", "when", "who", "action", "entity", "entity_id", "before", "after", "reason",
    "what",
)  # fmt: skip

# Each action code the services record, in plain words (the window's "What" column and the
# CSV's last column). A code not listed (an older otdesk's) is shown spelled out.
ACTION_LABELS = {
    "account.add": "Account added",
    "account.change": "Account changed",
    "account.disable": "Account disabled",
    "account.enable": "Account enabled",
    "account.password_change": "Password changed",
    "account.password_reset": "Password reset",
    "audit.export": "Audit log exported",
    "backup": "Backup made",
    "restore": "Clinic restored from a backup",
    "rules.share": "Rule tables shared with every desk",
    "claim.payer_number": "Payer ID for claims set",
    "claim.settings": "Claim settings changed",
    "claim_file.create": "Claim file created",
    "clinic.create": "Clinic created",
    "clinic.encrypt": "Clinic encrypted",
    "clinic_code.add": "Clinic code added",
    "clinic_code.remove": "Clinic code removed",
    "clinic_code.update": "Clinic code changed",
    "cms1500.calibration": "CMS-1500 printer alignment set",
    "cms1500.issue": "CMS-1500 form issued",
    "diagnoses.set": "Diagnoses changed",
    "encounter_form.print": "Encounter form printed or saved",
    "export.patients": "Patients exported",
    "export.visits": "Visits exported",
    "fee.add": "Fee added",
    "fee.import": "Fee schedule imported",
    "fee.remove": "Fee removed",
    "fee.update": "Fee changed",
    "import.mue": "MUE table imported",
    "import.ncci": "NCCI table imported",
    "line.add": "Charge line added",
    "line.defaults": "Charge line modifiers and pointers set",
    "line.move": "Charge line moved",
    "line.remove": "Charge line removed",
    "line.update": "Charge line changed",
    "lock": "Window locked",
    "unlock": "Window unlocked",
    "unlock.failed": "Unlock failed (wrong password)",
    "session.lock": "Window locked",
    "session.unlock": "Window unlocked",
    "session.switch": "Another person took over the window",
    "session.signout": "Signed out",
    "patient.create": "Patient added",
    "patient.import": "Patients imported",
    "patient.update": "Patient changed",
    "payer.create": "Payer added",
    "payer.update": "Payer changed",
    "payment.add": "Payment recorded",
    "payment.remove": "Payment removed",
    "plan_of_care.add": "Plan of care added",
    "plan_of_care.update": "Plan of care changed",
    "policy.add": "Insurance policy added",
    "policy.remove": "Insurance policy removed",
    "policy.update": "Insurance policy changed",
    "practice.save": "Practice details saved",
    "provider.create": "Provider added",
    "provider.update": "Provider changed",
    "server.grant": "Desk access to the server granted",
    "server.init": "Clinic server set up",
    "server.move": "Clinic moved onto a server",
    "settings.lock_minutes": "Lock time changed",
    "signin": "Signed in",
    "signin.failed": "Sign-in failed (wrong name or password)",
    "signin.recovery": "Signed in with the recovery key",
    "signout": "Signed out",
    "superbill.issue": "Superbill issued",
    "superbill.logo": "Superbill logo changed",
    "superbill.signature": "Provider's signature changed",
    "superbill.settings": "Superbill settings changed",
    "timer.pause": "Timer paused",
    "timer.start": "Timer started",
    "timer.stop": "Timer stopped",
    "timer.take_over": "Timer taken over from another desk",
    "visit.amend": "Visit amended",
    "visit.create": "Visit created",
    "visit.delete": "Draft visit deleted",
    "visit.finalize": "Visit finalized",
    "visit.fix": "Suggested fix applied",
    "visit.redo": "Change redone",
    "visit.undo": "Change undone",
    "visit.update": "Visit changed",
    "visit.void": "Visit voided",
}


def action_label(action: str) -> str:
    """The action code in plain words ("visit.finalize" -> "Visit finalized"); a code not
    in ACTION_LABELS spelled out ("thing.do_this" -> "Thing: do this")."""
    known = ACTION_LABELS.get(action)
    if known is not None:
        return known
    words = action.replace("_", " ").split(".")
    spelled = ": ".join(part.strip() for part in words if part.strip()) or action
    return spelled[:1].upper() + spelled[1:]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    person: str | None = None  # the account name (or the user recorded before accounts)
    start: date | None = None  # first day, inclusive, in the clinic's local time
    end: date | None = None  # last day, inclusive
    patient_id: int | None = None


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: int
    at: datetime
    user: str
    action: str
    entity: str
    entity_id: int | None
    before_json: str | None
    after_json: str | None
    reason: str | None

    @property
    def what(self) -> str:
        """The action in plain words (action_label)."""
        return action_label(self.action)

    @property
    def details(self) -> str:
        """The entry's before/after in one short line (what the window's column shows)."""
        parts = []
        for label, text in (("before", self.before_json), ("after", self.after_json)):
            if text:
                parts.append(f"{label}: {_short(text)}")
        if self.reason:
            parts.append(f"reason: {self.reason}")
        return "; ".join(parts)


def entries(
    ctx: ServiceContext, wanted: AuditFilter = AuditFilter(), *, limit: int | None = SHOWN_LIMIT
) -> list[LogEntry]:
    """The entries that match, newest first (at most `limit`; None: all)."""
    ctx.require(Permission.AUDIT)
    if wanted.start and wanted.end and wanted.start > wanted.end:
        raise ValidationError("end", "To: the last day is before the first day.")
    log = s.audit_log
    query = select(log).order_by(log.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    if wanted.person:
        query = query.where(log.c.user == wanted.person)
    zone = ctx.now().tzinfo
    if wanted.start:
        query = query.where(log.c.at >= datetime.combine(wanted.start, time.min, tzinfo=zone))
    if wanted.end:
        after_end = wanted.end + timedelta(days=1)
        query = query.where(log.c.at < datetime.combine(after_end, time.min, tzinfo=zone))
    with ctx.db.read() as connection:
        if wanted.patient_id is not None:
            v = s.visits
            visits = connection.execute(
                select(v.c.id, v.c.chain_id).where(v.c.patient_id == wanted.patient_id)
            ).all()
            query = query.where(
                or_(
                    and_(log.c.entity == "patient", log.c.entity_id == wanted.patient_id),
                    and_(log.c.entity == "visit", log.c.entity_id.in_([r.id for r in visits])),
                    and_(
                        log.c.entity == "visit_chain",
                        log.c.entity_id.in_(sorted({r.chain_id for r in visits})),
                    ),
                )
            )
        return [_entry(row) for row in connection.execute(query)]


def people(ctx: ServiceContext) -> list[str]:
    """Every name the log records as "who", sorted (accounts, and the users recorded before
    the clinic had accounts)."""
    ctx.require(Permission.AUDIT)
    log = s.audit_log
    with ctx.db.read() as connection:
        return sorted(connection.execute(select(log.c.user).distinct()).scalars())


def patient_choices(ctx: ServiceContext) -> list[tuple[int, str]]:
    """Every patient, inactive ones too, as (id, "Last, First (MM/DD/YYYY)"): the filter's
    list of patients."""
    ctx.require(Permission.AUDIT)
    p = s.patients
    with ctx.db.read() as connection:
        rows = connection.execute(
            select(p.c.id, p.c.last_name, p.c.first_name, p.c.date_of_birth).order_by(
                p.c.last_name, p.c.first_name, p.c.id
            )
        ).all()
    return [
        (
            row.id,
            f"{row.last_name}, {row.first_name}"
            + (f" ({row.date_of_birth:%m/%d/%Y})" if row.date_of_birth else ""),
        )
        for row in rows
    ]


def export_csv(ctx: ServiceContext, wanted: AuditFilter, path: Path) -> int:
    """Write every matching entry (oldest first) to `path` as CSV (owner-only, written
    whole or not at all); the export is recorded in the log. Returns the number of rows."""
    found = list(reversed(entries(ctx, wanted, limit=None)))
    count = write_rows(Path(path), CSV_HEADER, (_csv_row(entry) for entry in found))
    ctx.audit_alone(
        "audit.export",
        "audit_log",
        None,
        after={
            "rows": count,
            "person": wanted.person,
            "start": wanted.start,
            "end": wanted.end,
            "patient_id": wanted.patient_id,
        },
    )
    return count


def _csv_row(entry: LogEntry) -> Sequence[object]:
    return (
        entry.id,
        entry.at.astimezone().isoformat(timespec="seconds"),
        entry.user,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.before_json,
        entry.after_json,
        entry.reason,
        entry.what,
    )


def _short(text: str, width: int = 120) -> str:
    try:
        value: Any = json.loads(text)
    except ValueError:
        value = text
    if isinstance(value, dict):
        shown = ", ".join(f"{k}={_when(v)}" for k, v in value.items())
    else:
        shown = str(value)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def _when(value: Any) -> Any:
    """A moment recorded as ISO text, shown as the window shows times (MM/DD/YYYY, local)."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone()
        return moment.strftime("%m/%d/%Y %H:%M:%S")
    return value


def _entry(row: Any) -> LogEntry:
    return LogEntry(
        id=row.id,
        at=row.at,
        user=row.user,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        before_json=row.before_json,
        after_json=row.after_json,
        reason=row.reason,
    )
