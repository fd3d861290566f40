"""A superbill: what one shows (gathered from storage through the other services in one
snapshot), whether it is complete enough to hand out, and issuing it (the PDF's SHA-256
recorded with the version, when and who, in the same transaction as the audit entry).

Previewing never records anything; a document is "issued" when it leaves the app: saved to
a file or sent to a printer. Void visits and replaced versions are never issued. A visit
with completeness problems is issued only with a reason ("Issue anyway"), which goes into
the audit log with the problems."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, insert, select

from otdesk.core.catalog import load_places_of_service
from otdesk.core.visit import VisitStatus
from otdesk.export import render_superbill, sha256, write_file_atomic
from otdesk.export.model import (
    DiagnosisLine,
    InsuranceBlock,
    PatientBlock,
    PaymentLine,
    PracticeBlock,
    ProviderBlock,
    ServiceLine,
    SuperbillData,
)
from otdesk.services import validate as v
from otdesk.services.context import ServiceContext
from otdesk.services.errors import ServiceError
from otdesk.services.patients import Patient, PatientService, Policy
from otdesk.services.setup import Practice, PracticeService, Provider
from otdesk.services.superbill_settings import (
    LOGO_KEY,
    SIGNATURE_KEY,
    SuperbillSettings,
    SuperbillSettingsService,
    stored_image,
)
from otdesk.services.visit_detail import VisitDetail
from otdesk.services.visit_records import gather
from otdesk.services.visits import VisitService
from otdesk.storage import schema as s
from otdesk.storage.values import inserted_id

SEX_WORDS = {"F": "Female", "M": "Male", "X": "X"}  # "U" (unknown) is left off


class SuperbillRefusedError(ServiceError):
    """This visit's superbill cannot be issued at all (void, replaced, no services, no
    practice set up)."""


class IncompleteSuperbillError(ServiceError):
    """The superbill has completeness problems and no reason was given to issue it anyway."""

    def __init__(self, visit_id: int, problems: Sequence[str]) -> None:
        listed = "; ".join(problems[:4])
        more = f" (and {len(problems) - 4} more)" if len(problems) > 4 else ""
        super().__init__(
            f"The superbill of visit {visit_id} is incomplete: {listed}{more}. Fix these, or "
            "issue it anyway with a reason."
        )
        self.visit_id = visit_id
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class Completeness:
    """What is missing before a superbill should be handed out. `refused` is set when it
    cannot be issued at all; `problems` can be overridden with a reason."""

    visit_id: int
    version: int
    status: str
    problems: tuple[str, ...]
    refused: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.refused is None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A visit's superbill data with its completeness check."""

    data: SuperbillData
    completeness: Completeness


@dataclass(frozen=True, slots=True)
class IssuedSuperbill:
    id: int
    visit_id: int
    version: int
    sha256: str
    file_name: str
    issued_at: Any
    issued_by: str


def superbill_file_name(data: SuperbillData) -> str:
    """The file of one visit's superbill: date, account number, visit and version; never a
    patient's name (file names end up in folder listings, e-mails and backups)."""
    account = "".join(ch for ch in data.patient.account_number if ch.isalnum() or ch == "-")
    return (
        f"superbill_{data.date_of_service.isoformat()}_{account or 'no-account'}"
        f"_visit{data.visit_id}_v{data.version}.pdf"
    )


class SuperbillIssuing(SuperbillSettingsService):
    """Gathering, checking and issuing one visit's superbill (with the settings)."""

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        self.visits = VisitService(ctx)
        self.practice = PracticeService(ctx)
        self.patients = PatientService(ctx)
        self._icd: Any = None
        self._icd_tried = False
        self._places: dict[str, str] | None = None

    def prepare(self, visit_id: int, settings: SuperbillSettings | None = None) -> Prepared:
        """The superbill data of one visit version and its completeness check, all read
        in one transaction (one consistent snapshot, even while the desk goes on working)."""
        settings = settings or self.settings()
        with self.ctx.db.read() as connection:
            records = gather(self.ctx, connection, visit_id, as_printed=True)
            if records.practice is None:
                raise SuperbillRefusedError(
                    "The practice is not set up yet (Clinic > Practice): a superbill needs its "
                    "name, address, TIN and NPI."
                )
            logo = stored_image(connection, LOGO_KEY)
            signature = stored_image(connection, SIGNATURE_KEY.format(records.provider.id))
        detail, practice, provider = records.detail, records.practice, records.provider
        supervisor, patient, policy, plan = (
            records.supervisor,
            records.patient,
            records.policy,
            records.plan,
        )
        payer_code = records.payer.payer_code if records.payer else ""
        payer_kind = records.payer.kind if records.payer else "self-pay"
        # an amendment is always the version after the one it amends (VisitService.amend)
        amends_version = detail.version - 1 if detail.amends_id is not None else None
        insurance = None
        if detail.payer_id is not None and payer_kind != "self-pay":
            insurance = insurance_block(detail.payer_name, policy, patient, payer_code)
        signed_on = None
        if detail.status != VisitStatus.DRAFT and detail.finalized_at is not None:
            signed_on = detail.finalized_at.astimezone(self.ctx.now().tzinfo).date()
        data = SuperbillData(
            visit_id=detail.id,
            version=detail.version,
            status=detail.status,
            date_of_service=detail.date_of_service,
            place_of_service=detail.place_of_service,
            place_of_service_name=self._place_name(detail.place_of_service),
            practice=practice_block(practice, logo),
            provider=provider_block(provider, supervisor, signature),
            patient=patient_block(patient),
            insurance=insurance,
            lines=tuple(_service_line(line) for line in detail.lines),
            diagnoses=tuple(
                DiagnosisLine("ABCDEFGHIJKL"[index], code, self._dx_description(code))
                for index, code in enumerate(detail.diagnoses)
            ),
            total_timed_minutes=detail.total_timed_minutes,
            total_treatment_minutes=detail.total_treatment_minutes,
            total_charges=detail.total,
            payments=tuple(
                PaymentLine(p.received_on, p.kind, p.method, p.amount, p.reference)
                for p in detail.payments
            ),
            referring_name=plan.referring_name if plan is not None else "",
            referring_npi=plan.referring_npi if plan is not None else "",
            plan_start=plan.start_date if plan is not None else None,
            plan_certified_through=plan.certified_through if plan is not None else None,
            onset_date=plan.onset_date if plan is not None else None,
            prior_authorization=plan.prior_authorization if plan is not None else "",
            amends_version=amends_version,
            amend_reason=detail.amend_reason or "",
            signed_on=signed_on,
            out_of_network_text=settings.out_of_network_text if settings.out_of_network else "",
        )
        return Prepared(data, _completeness(detail, data, practice, provider))

    def data(self, visit_id: int) -> SuperbillData:
        return self.prepare(visit_id).data

    def check(self, visit_id: int) -> Completeness:
        """What is missing before the visit's superbill should be handed out."""
        return self.prepare(visit_id).completeness

    def _place_name(self, code: str) -> str:
        if self._places is None:
            self._places = {c: p.name for c, p in load_places_of_service().items()}
        return self._places.get(code, "")

    def _dx_description(self, code: str) -> str:
        index = self.ctx.icd
        if index is None and not self._icd_tried:
            self._icd_tried = True
            try:  # an index built before (never build one here: that takes a minute)
                from otdesk.core import icd

                self._icd = icd.open_index(build_if_missing=False)
            except Exception:
                self._icd = None
        index = index or self._icd
        if index is None:
            return ""
        found = index.get(code)
        return found.description if found is not None else ""

    def render(
        self, visit_id: int, paper: str | None = None, *, issued_anyway: str | None = None
    ) -> bytes:
        """The superbill PDF for previewing (nothing is recorded); with `issued_anyway`, as
        it goes out with open items ("Issued with open items: reason" on it)."""
        settings = self.settings()
        prepared = with_open_items(self.prepare(visit_id, settings), issued_anyway)
        return render_superbill(prepared.data, paper or settings.paper)

    def issue(
        self,
        visit_id: int,
        *,
        out: str | os.PathLike[str] | None = None,
        reason: str | None = None,
        paper: str | None = None,
        pdf: bytes | None = None,
        how: str = "file",
    ) -> tuple[IssuedSuperbill, bytes]:
        """Issue the superbill: check it, make the PDF (or take `pdf`, e.g. the one shown in
        the preview, rendered with `issued_anyway` when a reason is given), write it to `out`
        (whole or not at all) when given, and record it. Issued with a reason, the superbill
        says "Issued with open items: reason".
        `how` says where it went ("file" or "print"). Raises SuperbillRefusedError,
        IncompleteSuperbillError (problems and no reason) or ExportError (the file)."""
        settings = self.settings()
        prepared = self.prepare(visit_id, settings)
        why = self._check_issuable(prepared.completeness, reason)
        # (a `pdf` given for a superbill issued anyway is one rendered with issued_anyway)
        document = (
            pdf
            if pdf is not None
            else render_superbill(with_open_items(prepared, why).data, paper or settings.paper)
        )
        file_name = ""
        if out is not None:
            file_name = write_file_atomic(out, document).name
        digest = sha256(document)
        with self.ctx.db.write() as connection:
            issued = self._record(connection, prepared, digest, file_name, why, how)
        return issued, document

    def _check_issuable(self, completeness: Completeness, reason: str | None) -> str | None:
        if completeness.refused:
            raise SuperbillRefusedError(completeness.refused)
        why = v.text(reason, "reason", max_len=500) or None
        if completeness.problems and not why:
            raise IncompleteSuperbillError(completeness.visit_id, completeness.problems)
        return why if completeness.problems else None

    def _record(
        self,
        connection: Connection,
        prepared: Prepared,
        digest: str,
        file_name: str,
        reason: str | None,
        how: str,
    ) -> IssuedSuperbill:
        data = prepared.data
        now = self.ctx.now()
        superbill_id = inserted_id(
            connection.execute(
                insert(s.superbills).values(
                    visit_id=data.visit_id,
                    version=data.version,
                    file_sha256=digest,
                    file_name=file_name[:255],
                    issued_at=now,
                    issued_by=self.ctx.user,
                )
            )
        )
        after: dict[str, Any] = {
            "superbill_id": superbill_id,
            "version": data.version,
            "status": data.status,
            "sha256": digest,
            "file": file_name,
            "how": how,
        }
        if reason:
            after["issued_anyway"] = list(prepared.completeness.problems)
        self.ctx.audit(
            connection, "superbill.issue", "visit", data.visit_id, after=after, reason=reason
        )
        return IssuedSuperbill(
            superbill_id, data.visit_id, data.version, digest, file_name, now, self.ctx.user
        )

    def history(self, visit_id: int) -> list[IssuedSuperbill]:
        """The superbills issued for every version of this visit, oldest first."""
        ids = [summary.id for summary in self.visits.versions(visit_id)]
        sb = s.superbills
        with self.ctx.db.read() as connection:
            rows = connection.execute(
                select(sb).where(sb.c.visit_id.in_(ids)).order_by(sb.c.issued_at, sb.c.id)
            )
            return [
                IssuedSuperbill(
                    row.id,
                    row.visit_id,
                    row.version,
                    row.file_sha256,
                    row.file_name,
                    row.issued_at,
                    row.issued_by,
                )
                for row in rows
            ]


def _completeness(
    detail: VisitDetail, data: SuperbillData, practice: Practice, provider: Provider
) -> Completeness:
    refused = None
    if detail.status == VisitStatus.VOID:
        refused = f"Visit {detail.id} is void; a void visit's superbill cannot be issued."
    elif detail.status == VisitStatus.AMENDED or (
        detail.status == VisitStatus.FINALIZED and not detail.is_current
    ):
        refused = (
            f"Version {detail.version} of visit {detail.id} has been replaced by a newer "
            "version; issue the superbill of the current version."
        )
    elif detail.status == VisitStatus.DRAFT and not detail.is_current:
        refused = f"Visit {detail.id} is an old draft version; open the current version."
    elif not detail.lines:
        refused = f"Visit {detail.id} has no services, so there is nothing to bill."
    problems: list[str] = []
    if not provider.npi:
        problems.append(f"the rendering provider ({provider.display_name}) has no NPI")
    if not practice.group_npi:
        problems.append("the practice has no group NPI")
    if not practice.tin:
        problems.append("the practice has no TIN")
    if data.insurance is not None and not data.insurance.member_id:
        problems.append(f"no member ID for {data.insurance.payer_name}")
    if not detail.diagnoses:
        problems.append("no diagnosis")
    unpointed = [str(index + 1) for index, line in enumerate(detail.lines) if not line.dx_pointers]
    if unpointed and detail.diagnoses:
        problems.append(f"no diagnosis pointer on line {', '.join(unpointed)}")
    if not detail.place_of_service:
        problems.append("no place of service")
    if detail.total_treatment_minutes is None:
        problems.append("no total treatment time")
    for finding in detail.errors:
        problems.append(f"still to fix: {finding.message}")
    return Completeness(detail.id, detail.version, detail.status, tuple(problems), refused)


def with_open_items(prepared: Prepared, reason: str | None) -> Prepared:
    """The superbill as it goes out with open items for `reason` ("Issued with open items:
    reason" printed on it); unchanged when it has none or no reason is given."""
    if not reason or not prepared.completeness.problems:
        return prepared
    return replace(prepared, data=replace(prepared.data, issued_anyway=reason))


def insurance_block(
    payer_name: str, policy: Policy | None, patient: Patient, payer_code: str = ""
) -> InsuranceBlock:
    """The insurance box, the same on the superbill and the encounter form: the subscriber
    is the patient (name and date of birth) when the policy is the patient's own."""
    own = policy is not None and policy.relationship == "self"
    return InsuranceBlock(
        payer_name=payer_name,
        member_id=policy.member_id if policy else "",
        group_number=policy.group_number if policy else "",
        subscriber_name=(policy.subscriber_name if policy else "")
        or (_full_name(patient) if own else ""),
        relationship=policy.relationship if policy else "",
        payer_code=payer_code,
        subscriber_date_of_birth=(
            (policy.subscriber_date_of_birth or (patient.date_of_birth if own else None))
            if policy
            else None
        ),
    )


def _full_name(patient: Patient) -> str:
    middle = f" {patient.middle_name}" if patient.middle_name else ""
    return f"{patient.first_name}{middle} {patient.last_name}"


def practice_block(practice: Practice, logo: bytes | None) -> PracticeBlock:
    city = ", ".join(part for part in (practice.city, practice.state) if part)
    city_line = f"{city} {practice.postal_code}".strip()
    return PracticeBlock(
        name=practice.name,
        address_lines=tuple(x for x in (practice.address1, practice.address2, city_line) if x),
        phone=practice.phone,
        tin=practice.tin,
        group_npi=practice.group_npi,
        taxonomy=practice.taxonomy,
        logo=logo,
    )


def provider_block(
    provider: Provider, supervisor: Provider | None, signature: bytes | None
) -> ProviderBlock:
    return ProviderBlock(
        name=provider.display_name,
        role=provider.role,
        npi=provider.npi,
        license_number=provider.license_number,
        license_state=provider.license_state,
        taxonomy=provider.taxonomy,
        supervisor_name=supervisor.display_name if supervisor else "",
        supervisor_npi=supervisor.npi if supervisor else "",
        signature=signature,
    )


def patient_block(patient: Patient) -> PatientBlock:
    middle = f" {patient.middle_name}" if patient.middle_name else ""
    city = ", ".join(part for part in (patient.city, patient.state) if part)
    city_line = f"{city} {patient.postal_code}".strip()
    return PatientBlock(
        name=f"{patient.last_name}, {patient.first_name}{middle}",
        date_of_birth=patient.date_of_birth,
        account_number=patient.account_number,
        address_lines=tuple(x for x in (patient.address1, patient.address2, city_line) if x),
        phone=patient.phone,
        sex=SEX_WORDS.get(patient.sex, ""),
    )


def _service_line(line: Any) -> ServiceLine:
    description = line.label
    if line.description and line.description != line.label:
        description = (
            f"{line.label}: {line.description}"
            if line.label != line.description and not line.label.startswith("(")
            else line.description
        )
    return ServiceLine(
        code=line.code,
        description=description,
        units=line.units,
        modifiers=tuple(line.modifiers),
        pointers=tuple(line.dx_pointers),
        minutes=line.minutes if line.timed else None,
        fee=line.fee,
        total=line.charge,
    )
