"""Patients, their insurance policies and their plans of care."""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from otdesk.core.visit import DISCIPLINES
from otdesk.services import csvio, permissions
from otdesk.services import validate as v
from otdesk.services.context import ServiceContext
from otdesk.services.csvio import ImportReport, payer_lookup
from otdesk.services.errors import NotFoundError, ServiceError, ValidationError
from otdesk.storage import schema as s
from otdesk.storage.values import inserted_id

PATIENT_FIELDS = (
    "account_number",
    "last_name",
    "first_name",
    "middle_name",
    "date_of_birth",
    "sex",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "phone",
    "active",
)
POLICY_FIELDS = (
    "payer_id",
    "member_id",
    "group_number",
    "subscriber_name",
    "relationship",
    "priority",
    "effective_from",
    "effective_to",
    "subscriber_date_of_birth",
)
PLAN_FIELDS = (
    "discipline",
    "start_date",
    "certified_through",
    "last_progress_report",
    "referring_name",
    "referring_npi",
    "onset_date",
    "prior_authorization",
)
POLICY_CSV_FIELDS = ("payer", "member_id", "group_number", "subscriber_name", "relationship")
PATIENT_CSV_COLUMNS = (*PATIENT_FIELDS[:-1], *POLICY_CSV_FIELDS)
SEARCH_LIMIT = 50
_ACCOUNT = re.compile(r"[A-Za-z0-9-]{1,20}")
_DATE_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4}")


@dataclass(frozen=True, slots=True)
class Patient:
    id: int
    account_number: str
    last_name: str
    first_name: str
    middle_name: str
    date_of_birth: date
    sex: str
    address1: str
    address2: str
    city: str
    state: str
    postal_code: str
    phone: str
    active: bool

    @property
    def display_name(self) -> str:
        """ "Last, First M." as a front desk list shows it."""
        middle = f" {self.middle_name[0]}." if self.middle_name else ""
        return f"{self.last_name}, {self.first_name}{middle}"


@dataclass(frozen=True, slots=True)
class PatientMatch:
    """A search result: the patient, and the member ID that matched when it was one."""

    patient: Patient
    matched_on: str  # "name", "date_of_birth", "account_number" or "member_id"


@dataclass(frozen=True, slots=True)
class Policy:
    id: int
    patient_id: int
    payer_id: int
    payer_name: str
    member_id: str
    group_number: str
    subscriber_name: str
    relationship: str
    priority: int  # 1 primary, 2 secondary, 3 tertiary
    effective_from: date | None
    effective_to: date | None
    subscriber_date_of_birth: date | None = None  # when the subscriber is not the patient

    def covers(self, day: date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True, slots=True)
class PlanOfCare:
    id: int
    patient_id: int
    discipline: str
    start_date: date
    certified_through: date | None
    last_progress_report: date | None
    referring_name: str
    referring_npi: str
    onset_date: date | None = None  # of the condition treated
    prior_authorization: str = ""  # the payer's number for this episode, when it gives one


class PatientService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # --- patients --------------------------------------------------------------------------

    def create(self, **fields: Any) -> Patient:
        """A new patient. last_name, first_name and date_of_birth are required; without an
        account_number the next free number is given."""
        with self.ctx.db.write() as connection:
            return self._create(connection, fields)

    def _create(self, connection: Connection, fields: dict[str, Any]) -> Patient:
        clean = _clean_patient({"active": True, **fields})
        wanted_account = clean.pop("account_number")
        if wanted_account:
            _check_account_free(connection, wanted_account, None)
        placeholder = wanted_account or f"new-{uuid.uuid4().hex[:12]}"
        new_id = inserted_id(
            connection.execute(
                insert(s.patients).values(
                    account_number=placeholder,
                    created_at=self.ctx.now(),
                    name_key=_key(clean),
                    **clean,
                )
            )
        )
        if not wanted_account:
            account = _next_account(connection, new_id)
            connection.execute(
                update(s.patients).where(s.patients.c.id == new_id).values(account_number=account)
            )
        patient = _get(connection, new_id)
        self.ctx.audit(connection, "patient.create", "patient", new_id, after=patient)
        return patient

    def update(self, patient_id: int, **changes: Any) -> Patient:
        with self.ctx.db.write() as connection:
            return self._update(connection, patient_id, changes)

    def _update(self, connection: Connection, patient_id: int, changes: dict[str, Any]) -> Patient:
        before = _get(connection, patient_id)
        merged = {**asdict(before), **changes}
        merged.pop("id")
        clean = _clean_patient(merged)
        if not clean["account_number"]:
            raise ValidationError("account_number", "Account number is required.")
        _check_account_free(connection, clean["account_number"], patient_id)
        connection.execute(
            update(s.patients)
            .where(s.patients.c.id == patient_id)
            .values(name_key=_key(clean), **clean)
        )
        after = _get(connection, patient_id)
        if after != before:
            self.ctx.audit(
                connection, "patient.update", "patient", patient_id, before=before, after=after
            )
        return after

    def get(self, patient_id: int, connection: Connection | None = None) -> Patient:
        with self.ctx.reading(connection) as reading:
            return _get(reading, patient_id)

    def search(
        self, text: str, *, limit: int = SEARCH_LIMIT, include_inactive: bool = False
    ) -> list[PatientMatch]:
        """Patients by name (any order, word beginnings, accents and case ignored: "jose nu"
        finds José Núñez), date of birth (YYYY-MM-DD or MM/DD/YYYY), account number or
        member ID."""
        query_text = " ".join(text.split())
        if not query_text:
            return []
        p = s.patients
        found: list[PatientMatch] = []
        seen: set[int] = set()

        def add(rows: Any, how: str) -> None:
            for row in rows:
                if row.id not in seen and len(found) < limit:
                    seen.add(row.id)
                    found.append(PatientMatch(_patient(row), how))

        active = [] if include_inactive else [p.c.active.is_(True)]
        order = (p.c.last_name, p.c.first_name, p.c.id)
        with self.ctx.db.read() as connection:
            if _DATE_LIKE.fullmatch(query_text):
                try:
                    born = v.date_value(query_text, "date_of_birth")
                except ValidationError:
                    born = None
                if born:
                    add(
                        connection.execute(
                            select(p)
                            .where(p.c.date_of_birth == born, *active)
                            .order_by(*order)
                            .limit(limit)
                        ),
                        "date_of_birth",
                    )
                    return found
            compact = query_text.replace(" ", "").upper()
            add(
                connection.execute(
                    select(p).where(func.upper(p.c.account_number) == compact, *active).limit(limit)
                ),
                "account_number",
            )
            add(
                connection.execute(
                    select(p)
                    .join(s.policies, s.policies.c.patient_id == p.c.id)
                    .where(s.policies.c.member_key == _member_key(query_text), *active)
                    .order_by(*order)
                    .limit(limit)
                ),
                "member_id",
            )
            words = v.fold(query_text).replace(",", " ").split()
            # every word must begin a word of the name ("nu" finds Núñez, not Manuel)
            conditions = [
                or_(
                    p.c.name_key.like(f"{_escape(word)}%", escape="\\"),
                    p.c.name_key.like(f"% {_escape(word)}%", escape="\\"),
                    p.c.name_key.like(f"%-{_escape(word)}%", escape="\\"),
                )
                for word in words
            ]
            add(
                connection.execute(
                    select(p).where(and_(*conditions), *active).order_by(*order).limit(limit)
                ),
                "name",
            )
        return found

    # --- policies --------------------------------------------------------------------------

    def add_policy(self, patient_id: int, **fields: Any) -> Policy:
        """Insurance for a patient: payer_id and member_id are required; group_number,
        subscriber_name, relationship (self, spouse, child, other), priority (1 primary,
        2 secondary, 3 tertiary), effective_from and effective_to are optional."""
        with self.ctx.db.write() as connection:
            _get(connection, patient_id)
            clean = _clean_policy(connection, fields)
            new_id = inserted_id(
                connection.execute(insert(s.policies).values(patient_id=patient_id, **clean))
            )
            policy = _get_policy(connection, new_id)
            self.ctx.audit(connection, "policy.add", "patient", patient_id, after=policy)
            return policy

    def update_policy(self, policy_id: int, **changes: Any) -> Policy:
        with self.ctx.db.write() as connection:
            before = _get_policy(connection, policy_id)
            merged = {key: getattr(before, key) for key in POLICY_FIELDS}
            merged.update(changes)
            clean = _clean_policy(connection, merged)
            connection.execute(
                update(s.policies).where(s.policies.c.id == policy_id).values(**clean)
            )
            after = _get_policy(connection, policy_id)
            self.ctx.audit(
                connection,
                "policy.update",
                "patient",
                before.patient_id,
                before=before,
                after=after,
            )
            return after

    def remove_policy(self, policy_id: int) -> None:
        """Remove a policy no visit refers to (end it with effective_to otherwise)."""
        with self.ctx.db.write() as connection:
            before = _get_policy(connection, policy_id)
            used = connection.execute(
                select(func.count()).select_from(s.visits).where(s.visits.c.policy_id == policy_id)
            ).scalar()
            if used:
                raise ServiceError(
                    f"Policy {policy_id} is used by {used} visit(s); set its end date instead."
                )
            connection.execute(delete(s.policies).where(s.policies.c.id == policy_id))
            self.ctx.audit(connection, "policy.remove", "patient", before.patient_id, before=before)

    def policies(self, patient_id: int, connection: Connection | None = None) -> list[Policy]:
        with self.ctx.reading(connection) as reading:
            return _policies(reading, patient_id)

    # --- plans of care ---------------------------------------------------------------------

    def add_plan_of_care(self, patient_id: int, **fields: Any) -> PlanOfCare:
        """A plan-of-care episode: discipline (OT, PT, SLP) and start_date are required;
        certified_through, last_progress_report, referring_name and referring_npi optional."""
        with self.ctx.db.write() as connection:
            _get(connection, patient_id)
            clean = _clean_plan(fields)
            new_id = inserted_id(
                connection.execute(insert(s.plans_of_care).values(patient_id=patient_id, **clean))
            )
            plan = _get_plan(connection, new_id)
            self.ctx.audit(connection, "plan_of_care.add", "patient", patient_id, after=plan)
            return plan

    def update_plan_of_care(self, plan_id: int, **changes: Any) -> PlanOfCare:
        with self.ctx.db.write() as connection:
            before = _get_plan(connection, plan_id)
            merged = {key: getattr(before, key) for key in PLAN_FIELDS}
            merged.update(changes)
            clean = _clean_plan(merged)
            connection.execute(
                update(s.plans_of_care).where(s.plans_of_care.c.id == plan_id).values(**clean)
            )
            after = _get_plan(connection, plan_id)
            self.ctx.audit(
                connection,
                "plan_of_care.update",
                "patient",
                before.patient_id,
                before=before,
                after=after,
            )
            return after

    @staticmethod
    def certification_warning(start: Any, certified_through: Any) -> str | None:
        """A warning when a typed certification end is past the 90 days a certification
        covers; None when it is not, or while either date is blank or not yet a date."""
        from otdesk.core.rules import certification_warning

        try:
            first = v.optional_date(start, "start_date")
            last = v.optional_date(certified_through, "certified_through")
        except ValidationError:
            return None
        if first is None or last is None:
            return None
        return certification_warning(first, last)

    def record_progress_report(self, plan_id: int, on: Any = None) -> PlanOfCare:
        """The progress report was written on `on` (default today): the count of treatment
        days toward the next one starts again."""
        return self.update_plan_of_care(plan_id, last_progress_report=on or self.ctx.today())

    def plans_of_care(self, patient_id: int) -> list[PlanOfCare]:
        with self.ctx.db.read() as connection:
            rows = connection.execute(
                select(s.plans_of_care)
                .where(s.plans_of_care.c.patient_id == patient_id)
                .order_by(s.plans_of_care.c.start_date.desc())
            )
            return [_plan(row) for row in rows]

    # --- CSV -------------------------------------------------------------------------------

    def import_csv(self, path: Path) -> ImportReport:
        """Add or update patients from a CSV file (columns: PATIENT_CSV_COLUMNS; a row whose
        account number exists updates that patient; a blank account number adds a new one).
        payer + member_id set the primary policy. Any bad row rejects the whole file."""
        rows = csvio.read_rows(
            path,
            required=("last_name", "first_name", "date_of_birth"),
            optional=[
                c
                for c in PATIENT_CSV_COLUMNS
                if c not in ("last_name", "first_name", "date_of_birth")
            ],
        )
        added = updated = 0
        with self.ctx.db.write() as connection:
            payers = payer_lookup(connection)
            seen_accounts: dict[str, int] = {}
            for row_number, row in rows:
                fields = {k: row[k] for k in PATIENT_FIELDS if k in row}
                policy = {k: row.get(k, "") for k in POLICY_CSV_FIELDS}
                try:
                    account = fields.get("account_number", "")
                    if account in seen_accounts:
                        raise ValidationError(
                            "account_number",
                            f"Account number {account} is also on row {seen_accounts[account]}.",
                        )
                    existing = None
                    if account:
                        seen_accounts[account] = row_number
                        existing = connection.execute(
                            select(s.patients.c.id).where(s.patients.c.account_number == account)
                        ).scalar()
                    if existing is None:
                        patient = self._create(connection, fields)
                        added += 1
                    else:
                        patient = self._update(connection, existing, fields)
                        updated += 1
                    if policy["payer"] or policy["member_id"]:
                        payer_id = payers.get(policy["payer"].casefold())
                        if payer_id is None:
                            raise ValidationError(
                                "payer",
                                f"Payer: no payer is called or has the ID {policy['payer']!r}.",
                            )
                        self._set_primary(connection, patient.id, payer_id, policy)
                except ValidationError as error:
                    raise csvio.reject(path, row_number, error) from None
            self.ctx.audit(
                connection,
                "patient.import",
                "patients",
                None,
                after={"file": Path(path).name, "added": added, "updated": updated},
            )
        return ImportReport(added, updated)

    def _set_primary(
        self, connection: Connection, patient_id: int, payer_id: int, policy: dict[str, str]
    ) -> None:
        fields = {
            "payer_id": payer_id,
            "member_id": policy["member_id"],
            "group_number": policy["group_number"],
            "subscriber_name": policy["subscriber_name"],
            "relationship": policy["relationship"] or "self",
            "priority": 1,
        }
        clean = _clean_policy(connection, fields)
        current = connection.execute(
            select(s.policies.c.id).where(
                s.policies.c.patient_id == patient_id, s.policies.c.priority == 1
            )
        ).scalar()
        if current is None:
            connection.execute(insert(s.policies).values(patient_id=patient_id, **clean))
        else:
            connection.execute(update(s.policies).where(s.policies.c.id == current).values(**clean))

    def export_csv(self, path: Path) -> int:
        """Write every patient with the primary policy (the import's columns)."""
        p, pol = s.patients, s.policies
        query = (
            select(
                p,
                s.payers.c.name.label("payer_name"),
                pol.c.member_id,
                pol.c.group_number,
                pol.c.subscriber_name,
                pol.c.relationship,
            )
            .outerjoin(pol, and_(pol.c.patient_id == p.c.id, pol.c.priority == 1))
            .outerjoin(s.payers, s.payers.c.id == pol.c.payer_id)
            .order_by(p.c.last_name, p.c.first_name, p.c.id)
        )
        with self.ctx.db.read() as connection:
            rows = connection.execute(query).all()
        written: set[int] = set()
        out = []
        for row in rows:
            if row.id in written:  # two primary policies: the first one
                continue
            written.add(row.id)
            out.append(
                [
                    row.account_number,
                    row.last_name,
                    row.first_name,
                    row.middle_name,
                    row.date_of_birth.isoformat(),
                    row.sex,
                    row.address1,
                    row.address2,
                    row.city,
                    row.state,
                    row.postal_code,
                    row.phone,
                    row.payer_name or "",
                    row.member_id or "",
                    row.group_number or "",
                    row.subscriber_name or "",
                    row.relationship or "",
                ]
            )
        count = csvio.write_rows(path, PATIENT_CSV_COLUMNS, out)
        with self.ctx.db.write() as connection:  # who took the patient list out of otdesk
            self.ctx.audit(
                connection, "export.patients", "patients", None,
                after={"patients": count, "file": Path(path).name},
            )  # fmt: skip
        return count


# --- helpers -------------------------------------------------------------------------------


def _clean_patient(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(PATIENT_FIELDS)
    if unknown:
        raise ValidationError(sorted(unknown)[0], f"Unknown patient field(s): {sorted(unknown)}.")
    account = v.text(values.get("account_number"), "account_number", max_len=20)
    if account and not _ACCOUNT.fullmatch(account):
        raise ValidationError(
            "account_number", "Account number: use letters, digits and hyphens only."
        )
    born = v.date_value(values.get("date_of_birth"), "date_of_birth")
    if born.year < 1880:
        raise ValidationError("date_of_birth", f"Date of birth {born} is not plausible.")
    sex = values.get("sex") or "U"
    sex = v.choice(sex.upper() if isinstance(sex, str) else sex, "sex", s.SEXES)
    return {
        "account_number": account,
        "last_name": v.text(values.get("last_name"), "last_name", max_len=100, required=True),
        "first_name": v.text(values.get("first_name"), "first_name", max_len=100, required=True),
        "middle_name": v.text(values.get("middle_name"), "middle_name", max_len=100),
        "date_of_birth": born,
        "sex": sex,
        **v.address(values),
        "active": bool(values.get("active", True)),
    }


def _key(clean: dict[str, Any]) -> str:
    return v.name_key(clean["last_name"], clean["first_name"], clean["middle_name"])


def _member_key(member_id: str) -> str:
    return "".join(ch for ch in member_id.upper() if ch.isalnum())


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _check_account_free(connection: Connection, account: str, patient_id: int | None) -> None:
    other = connection.execute(
        select(s.patients.c.id).where(func.upper(s.patients.c.account_number) == account.upper())
    ).scalar()
    if other is not None and other != patient_id:
        raise ValidationError(
            "account_number", f"Account number {account} belongs to another patient."
        )


def _next_account(connection: Connection, patient_id: int) -> str:
    candidate = patient_id
    while True:
        account = f"{candidate:06d}"
        taken = connection.execute(
            select(s.patients.c.id).where(s.patients.c.account_number == account)
        ).first()
        if taken is None:
            return account
        candidate += 1


def _get(connection: Connection, patient_id: int) -> Patient:
    row = connection.execute(select(s.patients).where(s.patients.c.id == patient_id)).first()
    if row is None:
        raise NotFoundError("patient", patient_id)
    return _patient(row)


def _patient(row: Any) -> Patient:
    return Patient(id=row.id, **{name: getattr(row, name) for name in PATIENT_FIELDS})


def _clean_policy(connection: Connection, values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError(sorted(unknown)[0], f"Unknown policy field(s): {sorted(unknown)}.")
    payer_id = values.get("payer_id")
    if (
        payer_id is None
        or connection.execute(select(s.payers.c.id).where(s.payers.c.id == payer_id)).first()
        is None
    ):
        raise ValidationError("payer_id", f"Payer: there is no payer {payer_id}.")
    member_id = v.text(values.get("member_id"), "member_id", max_len=40, required=True)
    start = v.optional_date(values.get("effective_from"), "effective_from")
    end = v.optional_date(values.get("effective_to"), "effective_to")
    if start and end and end < start:
        raise ValidationError(
            "effective_to", f"Effective to ({end}) is before effective from ({start})."
        )
    return {
        "payer_id": payer_id,
        "member_id": member_id,
        "member_key": _member_key(member_id),
        "group_number": v.text(values.get("group_number"), "group_number", max_len=40),
        "subscriber_name": v.text(values.get("subscriber_name"), "subscriber_name"),
        "relationship": v.choice(
            values.get("relationship") or "self", "relationship", s.RELATIONSHIPS
        ),
        "priority": v.int_value(values.get("priority", 1), "priority", low=1, high=3),
        "effective_from": start,
        "effective_to": end,
        "subscriber_date_of_birth": v.optional_date(
            values.get("subscriber_date_of_birth"), "subscriber_date_of_birth"
        ),
    }


def _policy_select() -> Any:
    return select(s.policies, s.payers.c.name.label("payer_name")).join(
        s.payers, s.payers.c.id == s.policies.c.payer_id
    )


def _get_policy(connection: Connection, policy_id: int) -> Policy:
    row = connection.execute(_policy_select().where(s.policies.c.id == policy_id)).first()
    if row is None:
        raise NotFoundError("policy", policy_id)
    return _policy(row)


def _policies(connection: Connection, patient_id: int) -> list[Policy]:
    rows = connection.execute(
        _policy_select()
        .where(s.policies.c.patient_id == patient_id)
        .order_by(s.policies.c.priority, s.policies.c.id)
    )
    return [_policy(row) for row in rows]


def _policy(row: Any) -> Policy:
    return Policy(
        id=row.id,
        patient_id=row.patient_id,
        payer_id=row.payer_id,
        payer_name=row.payer_name,
        member_id=row.member_id,
        group_number=row.group_number,
        subscriber_name=row.subscriber_name,
        relationship=row.relationship,
        priority=row.priority,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        subscriber_date_of_birth=row.subscriber_date_of_birth,
    )


def _clean_plan(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError(
            sorted(unknown)[0], f"Unknown plan of care field(s): {sorted(unknown)}."
        )
    start = v.date_value(values.get("start_date"), "start_date")
    through = v.optional_date(values.get("certified_through"), "certified_through")
    if through and through < start:
        raise ValidationError(
            "certified_through", f"Certified through ({through}) is before the start ({start})."
        )
    report = v.optional_date(values.get("last_progress_report"), "last_progress_report")
    if report and report < start:
        raise ValidationError(
            "last_progress_report",
            f"Last progress report ({report}) is before the plan's start ({start}).",
        )
    return {
        "discipline": v.choice(values.get("discipline"), "discipline", DISCIPLINES),
        "start_date": start,
        "certified_through": through,
        "last_progress_report": report,
        "referring_name": v.text(values.get("referring_name"), "referring_name"),
        "referring_npi": v.npi(values.get("referring_npi"), "referring_npi"),
        "onset_date": v.optional_date(values.get("onset_date"), "onset_date"),
        "prior_authorization": v.text(
            values.get("prior_authorization"), "prior_authorization", max_len=50
        ),
    }


def _get_plan(connection: Connection, plan_id: int) -> PlanOfCare:
    row = connection.execute(select(s.plans_of_care).where(s.plans_of_care.c.id == plan_id)).first()
    if row is None:
        raise NotFoundError("plan of care", plan_id)
    return _plan(row)


def _plan(row: Any) -> PlanOfCare:
    return PlanOfCare(
        id=row.id,
        patient_id=row.patient_id,
        discipline=row.discipline,
        start_date=row.start_date,
        certified_through=row.certified_through,
        last_progress_report=row.last_progress_report,
        referring_name=row.referring_name,
        referring_npi=row.referring_npi,
        onset_date=row.onset_date,
        prior_authorization=row.prior_authorization,
    )


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(PatientService)
