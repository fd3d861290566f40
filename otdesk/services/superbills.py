"""Superbills: what one shows (gathered from storage through the other services), whether it
is complete enough to hand out, issuing it (the PDF's SHA-256 recorded with the version,
when and who, in the same transaction as the audit entry), batches of a date or date range,
the paper encounter form, and the clinic's superbill settings.

Previewing never records anything; a document is "issued" when it leaves the app: saved to
a file or sent to a printer. Void visits and replaced versions are never issued. A visit
with completeness problems is issued only with a reason ("Issue anyway"), which goes into
the audit log with the problems.

Settings (paper size, the out-of-network statement, favourite codes for the encounter form,
the practice logo, each provider's signature image) live in the database's key/value `meta`
table under "superbill.*" keys, so the window and the command line share them and backups
carry them.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from otdesk.export.model import (
    DEFAULT_OUT_OF_NETWORK_TEXT,
    PAPERS,
    DiagnosisLine,
    EncounterFormData,
    FormCode,
    InsuranceBlock,
    PatientBlock,
    PaymentLine,
    PracticeBlock,
    ProviderBlock,
    ServiceLine,
    SuperbillData,
)
from otdesk.services import permissions
from otdesk.services import validate as v
from otdesk.services.context import ServiceContext
from otdesk.services.errors import ServiceError, ValidationError
from otdesk.services.favourites import DEFAULT_FAVOURITES, SETTINGS_KEY, codes_in, stored_settings
from otdesk.services.patients import Patient, PatientService, Policy
from otdesk.services.setup import Practice, PracticeService, Provider, ProviderService
from otdesk.services.summaries import VisitSummary
from otdesk.services.visit_records import gather
from otdesk.services.visits import VisitDetail, VisitService
from otdesk.storage import schema as s
from otdesk.storage.values import inserted_id

MAX_FAVOURITES = 30
MAX_IMAGE_BYTES = 2_000_000
MAX_STATEMENT = 600  # characters of the out-of-network statement
SEX_WORDS = {"F": "Female", "M": "Male", "X": "X"}  # "U" (unknown) is left off
_LOGO_KEY = "superbill.logo"
_SIGNATURE_KEY = "superbill.signature.{}"

Progress = Callable[[int, int], None]
# A logo or signature: the image's bytes or the file holding it.
Image = bytes | str | os.PathLike[str]


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # save_all(logo=KEEP): leave the stored logo as it is


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
class SuperbillSettings:
    paper: str = "letter"
    out_of_network: bool = False
    out_of_network_text: str = DEFAULT_OUT_OF_NETWORK_TEXT
    favourite_codes: tuple[str, ...] = DEFAULT_FAVOURITES
    has_logo: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "paper": self.paper,
            "out_of_network": self.out_of_network,
            "out_of_network_text": self.out_of_network_text,
            "favourite_codes": list(self.favourite_codes),
        }


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


@dataclass(frozen=True, slots=True)
class SkippedVisit:
    visit_id: int
    version: int
    date_of_service: date
    account_number: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BatchResult:
    issued: tuple[IssuedSuperbill, ...]
    skipped: tuple[SkippedVisit, ...]
    files: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class RenderedBatch:
    """A batch made into one PDF, not yet recorded (printing)."""

    document: bytes
    chosen: tuple[Prepared, ...]
    skipped: tuple[SkippedVisit, ...]
    reason: str | None


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """The visits a batch would issue, checked, before anything is written."""

    start: date
    end: date
    ready: tuple[Prepared, ...]
    incomplete: tuple[Prepared, ...]
    refused: tuple[Prepared, ...] = field(default=())

    @property
    def total(self) -> int:
        return len(self.ready) + len(self.incomplete)


def superbill_file_name(data: SuperbillData) -> str:
    """The file of one visit's superbill: date, account number, visit and version; never a
    patient's name (file names end up in folder listings, e-mails and backups)."""
    account = "".join(ch for ch in data.patient.account_number if ch.isalnum() or ch == "-")
    return (
        f"superbill_{data.date_of_service.isoformat()}_{account or 'no-account'}"
        f"_visit{data.visit_id}_v{data.version}.pdf"
    )


def encounter_form_file_name(account_number: str, day: date) -> str:
    """The file of an encounter form: date and account number, never the patient's name."""
    account = "".join(ch for ch in account_number if ch.isalnum() or ch == "-")
    return f"encounter-form_{day.isoformat()}_{account or 'no-account'}.pdf"


def batch_file_name(start: date, end: date) -> str:
    if start == end:
        return f"superbills_{start.isoformat()}.pdf"
    return f"superbills_{start.isoformat()}_to_{end.isoformat()}.pdf"


class SuperbillService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.visits = VisitService(ctx)
        self.practice = PracticeService(ctx)
        self.providers = ProviderService(ctx)
        self.patients = PatientService(ctx)
        self._icd: Any = None
        self._icd_tried = False
        self._places: dict[str, str] | None = None

    # --- settings ---------------------------------------------------------------------------

    def settings(self) -> SuperbillSettings:
        with self.ctx.db.read() as connection:
            values = stored_settings(connection)
            has_logo = _meta(connection, _LOGO_KEY) is not None
        return SuperbillSettings(
            paper=values.get("paper", "letter"),
            out_of_network=bool(values.get("out_of_network", False)),
            out_of_network_text=values.get("out_of_network_text", DEFAULT_OUT_OF_NETWORK_TEXT),
            favourite_codes=codes_in(values),
            has_logo=has_logo,
        )

    def save_settings(self, **changes: Any) -> SuperbillSettings:
        """Change paper ("letter" or "a4"), out_of_network (print the statement or not),
        out_of_network_text (its wording; line breaks are kept), favourite_codes (the
        encounter form's codes, in order)."""
        before, values = self._settings_values(changes)
        with self.ctx.db.write() as connection:
            self._write_settings(connection, before, values)
        return self.settings()

    def save_all(
        self,
        changes: Mapping[str, Any] | None = None,
        *,
        logo: Image | None | _Keep = KEEP,
        signatures: Mapping[int, Image | None] | None = None,
    ) -> SuperbillSettings:
        """The settings (as save_settings), the logo and providers' signature images changed
        together in one transaction, all or nothing (the window's Save). `logo` KEEP leaves
        the logo as it is, None removes it; `signatures` maps provider ids to an image or
        None (removed). Every value and image is checked before anything is written."""
        prepared = self._settings_values(changes) if changes else None
        new_logo = None if logo is None or logo is KEEP else _read_image(logo, "logo")
        new_signatures: dict[int, bytes | None] = {}
        for provider_id, image in (signatures or {}).items():
            self.providers.get(provider_id)
            new_signatures[provider_id] = (
                _read_image(image, "signature") if image is not None else None
            )
        with self.ctx.db.write() as connection:
            if prepared is not None:
                self._write_settings(connection, *prepared)
            if logo is not KEEP:
                _write_image(self.ctx, connection, _LOGO_KEY, new_logo, "logo", "practice", 1)
            for provider_id, data in new_signatures.items():
                key = _SIGNATURE_KEY.format(provider_id)
                _write_image(self.ctx, connection, key, data, "signature", "provider", provider_id)
        return self.settings()

    def check_image(self, image: Image, what: str = "logo") -> bytes:
        """The image's bytes if it can be a logo or signature (a PNG or JPEG file of at most
        MAX_IMAGE_BYTES); ValidationError saying why not otherwise. Nothing is stored."""
        return _read_image(image, what)

    def _settings_values(self, changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the settings before, the settings after `changes`), checked."""
        known = {"paper", "out_of_network", "out_of_network_text", "favourite_codes"}
        unknown = set(changes) - known
        if unknown:
            raise ValidationError(
                sorted(unknown)[0], f"Unknown superbill setting(s): {sorted(unknown)}."
            )
        before = self.settings().to_json()
        values = dict(before)
        if "paper" in changes:
            values["paper"] = v.choice(str(changes["paper"]).lower(), "paper", PAPERS)
        if "out_of_network" in changes:
            if not isinstance(changes["out_of_network"], bool):
                raise ValidationError("out_of_network", "Out of network must be yes or no.")
            values["out_of_network"] = changes["out_of_network"]
        if "out_of_network_text" in changes:
            values["out_of_network_text"] = _statement_text(changes["out_of_network_text"])
        if "favourite_codes" in changes:
            values["favourite_codes"] = self._clean_favourites(changes["favourite_codes"])
        return before, values

    def _write_settings(
        self, connection: Connection, before: dict[str, Any], values: dict[str, Any]
    ) -> None:
        _set_meta(connection, SETTINGS_KEY, json.dumps(values, sort_keys=True))
        self.ctx.audit(connection, "superbill.settings", "practice", 1, before=before, after=values)

    def _clean_favourites(self, codes: Any) -> list[str]:
        from otdesk.core.catalog import code_format_problem, normalize_code

        if isinstance(codes, str):
            codes = codes.replace(";", ",").replace(" ", ",").split(",")
        cleaned: list[str] = []
        for raw in codes:
            if not str(raw).strip():
                continue
            problem = code_format_problem(str(raw))
            if problem:
                raise ValidationError("favourite_codes", f"Favourite codes: {problem}")
            code = normalize_code(str(raw))
            if code not in cleaned:
                cleaned.append(code)
        if len(cleaned) > MAX_FAVOURITES:
            raise ValidationError(
                "favourite_codes", f"Favourite codes: at most {MAX_FAVOURITES} fit on the form."
            )
        return cleaned

    def set_logo(self, image: Image | None) -> None:
        """The practice logo printed in the superbill header (PNG or JPEG); None removes it."""
        self._store_image(_LOGO_KEY, image, "logo", "practice", 1)

    def logo(self) -> bytes | None:
        with self.ctx.db.read() as connection:
            return _image(connection, _LOGO_KEY)

    def set_signature(self, provider_id: int, image: Image | None) -> None:
        """A provider's signature image, printed on finalized superbills instead of a blank
        signature line; None removes it."""
        self.providers.get(provider_id)
        self._store_image(
            _SIGNATURE_KEY.format(provider_id), image, "signature", "provider", provider_id
        )

    def signature(self, provider_id: int) -> bytes | None:
        with self.ctx.db.read() as connection:
            return _image(connection, _SIGNATURE_KEY.format(provider_id))

    def _store_image(
        self,
        key: str,
        image: Image | None,
        what: str,
        entity: str,
        entity_id: int,
    ) -> None:
        data = _read_image(image, what) if image is not None else None
        with self.ctx.db.write() as connection:
            _write_image(self.ctx, connection, key, data, what, entity, entity_id)

    # --- gathering --------------------------------------------------------------------------

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
            logo = _image(connection, _LOGO_KEY)
            signature = _image(connection, _SIGNATURE_KEY.format(records.provider.id))
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
            insurance = _insurance_block(detail.payer_name, policy, patient, payer_code)
        signed_on = None
        if detail.status != "draft" and detail.finalized_at is not None:
            signed_on = detail.finalized_at.astimezone(self.ctx.now().tzinfo).date()
        data = SuperbillData(
            visit_id=detail.id,
            version=detail.version,
            status=detail.status,
            date_of_service=detail.date_of_service,
            place_of_service=detail.place_of_service,
            place_of_service_name=self._place_name(detail.place_of_service),
            practice=_practice_block(practice, logo),
            provider=_provider_block(provider, supervisor, signature),
            patient=_patient_block(patient),
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
            from otdesk.core.catalog import load_places_of_service

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

    # --- documents --------------------------------------------------------------------------

    def render(
        self, visit_id: int, paper: str | None = None, *, issued_anyway: str | None = None
    ) -> bytes:
        """The superbill PDF for previewing (nothing is recorded); with `issued_anyway`, as
        it goes out with open items ("Issued with open items: reason" on it)."""
        from otdesk.export import render_superbill

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
        from otdesk.export import render_superbill, sha256, write_file_atomic

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

    # --- batches ----------------------------------------------------------------------------

    def batch_visits(
        self, start: date | str, end: date | str | None = None, *, include_drafts: bool = False
    ) -> list[VisitSummary]:
        """The visits a batch covers: finalized (and, when asked, draft) current versions of
        the date or date range, by date and patient."""
        first = v.date_value(start, "date")
        last = v.date_value(end, "to") if end is not None else first
        wanted = ("finalized", "draft") if include_drafts else ("finalized",)
        return [x for x in self.visits.between(first, last) if x.status in wanted]

    def plan_batch(
        self,
        start: date | str,
        end: date | str | None = None,
        *,
        include_drafts: bool = False,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> BatchPlan:
        """Gather and check every visit of the batch (nothing is written)."""
        from otdesk.export import CancelledError

        first = v.date_value(start, "date")
        last = v.date_value(end, "to") if end is not None else first
        visits = self.batch_visits(first, last, include_drafts=include_drafts)
        settings = self.settings()
        ready: list[Prepared] = []
        incomplete: list[Prepared] = []
        refused: list[Prepared] = []
        for done, summary in enumerate(visits):
            if cancelled is not None and cancelled():
                raise CancelledError()
            prepared = self.prepare(summary.id, settings)
            if prepared.completeness.refused:
                refused.append(prepared)
            elif prepared.completeness.problems:
                incomplete.append(prepared)
            else:
                ready.append(prepared)
            if progress is not None:
                progress(done + 1, len(visits))
        return BatchPlan(first, last, tuple(ready), tuple(incomplete), tuple(refused))

    def issue_batch(
        self,
        plan: BatchPlan,
        *,
        out: str | os.PathLike[str] | None = None,
        folder: str | os.PathLike[str] | None = None,
        reason: str | None = None,
        paper: str | None = None,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> BatchResult:
        """Issue a planned batch into one PDF (`out`) or one file per visit (`folder`).
        Incomplete visits are skipped unless `reason` is given (then issued with it).
        Cancelling (cancelled() True) writes and records nothing."""
        from otdesk.export import (
            CancelledError,
            ExportError,
            render_superbill,
            render_superbills,
            sha256,
            write_file_atomic,
        )

        if (out is None) == (folder is None):
            raise ValidationError("out", "Give either one output file or one folder.")
        why, chosen, skipped = _choose(plan, reason)
        settings = self.settings()
        paper = paper or settings.paper
        documents: list[tuple[Path, bytes, list[Prepared]]] = []
        if out is not None:
            document = render_superbills(
                [p.data for p in chosen], paper, progress=progress, cancelled=cancelled
            )
            documents.append((Path(out), document, chosen))
        else:
            target = Path(folder)  # type: ignore[arg-type]
            if not target.is_dir():
                raise ExportError(f"Cannot write into {target}: there is no such folder.")
            for done, prepared in enumerate(chosen):
                if cancelled is not None and cancelled():
                    raise CancelledError()
                path = target / superbill_file_name(prepared.data)
                documents.append((path, render_superbill(prepared.data, paper), [prepared]))
                if progress is not None:
                    progress(done + 1, len(chosen))
        if cancelled is not None and cancelled():
            raise CancelledError()
        written: list[Path] = []
        try:
            for path, document, _ in documents:
                written.append(write_file_atomic(path, document))
        except ExportError:
            for path in written:  # all or nothing: no half batch on disk
                path.unlink(missing_ok=True)
            raise
        issued: list[IssuedSuperbill] = []
        with self.ctx.db.write() as connection:
            for path, document, members in documents:
                digest = sha256(document)
                for prepared in members:
                    reason_here = why if prepared.completeness.problems else None
                    issued.append(
                        self._record(connection, prepared, digest, path.name, reason_here, "file")
                    )
        return BatchResult(tuple(issued), tuple(skipped), tuple(written))

    def render_batch(
        self,
        plan: BatchPlan,
        *,
        reason: str | None = None,
        paper: str | None = None,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> RenderedBatch:
        """One PDF of a planned batch for printing; nothing is recorded until
        record_printed() says it was printed."""
        from otdesk.export import render_superbills

        why, chosen, skipped = _choose(plan, reason)
        document = render_superbills(
            [p.data for p in chosen],
            paper or self.settings().paper,
            progress=progress,
            cancelled=cancelled,
        )
        return RenderedBatch(document, tuple(chosen), tuple(skipped), why)

    def record_printed(self, rendered: RenderedBatch) -> tuple[IssuedSuperbill, ...]:
        """Record every superbill of a printed batch as issued (one transaction)."""
        from otdesk.export import sha256

        digest = sha256(rendered.document)
        with self.ctx.db.write() as connection:
            return tuple(
                self._record(
                    connection,
                    prepared,
                    digest,
                    "",
                    rendered.reason if prepared.completeness.problems else None,
                    "print",
                )
                for prepared in rendered.chosen
            )

    # --- the encounter form -----------------------------------------------------------------

    def encounter_form(
        self,
        patient_id: int,
        day: date | str | None = None,
        *,
        provider_id: int | None = None,
        place_of_service: str = "11",
        paper: str | None = None,
    ) -> bytes:
        """The paper form for one patient and date: the favourite codes with check boxes,
        minutes and units left blank for the session."""
        from otdesk.export import render_encounter_form

        when = v.date_value(day, "date") if day is not None else self.ctx.today()
        settings = self.settings()
        with self.ctx.db.read() as connection:
            practice = self.practice.get(connection)
            if practice is None:
                raise SuperbillRefusedError(
                    "The practice is not set up yet (Clinic > Practice): the form needs its name."
                )
            patient = self.patients.get(patient_id, connection)
            policies = self.patients.policies(patient_id, connection)
            found = self.providers.get(provider_id, connection) if provider_id is not None else None
            supervisor = (
                self.providers.get(found.supervisor_id, connection)
                if found is not None and found.is_assistant and found.supervisor_id is not None
                else None
            )
            logo = _image(connection, _LOGO_KEY)
        policy = next((p for p in policies if p.priority == 1 and p.covers(when)), None)
        insurance = (
            _insurance_block(policy.payer_name, policy, patient) if policy is not None else None
        )
        provider = _provider_block(found, supervisor, None) if found is not None else None
        catalog = self.ctx.catalog
        codes = []
        for code in settings.favourite_codes:
            procedure = catalog.get(code)
            codes.append(
                FormCode(
                    code,
                    procedure.label if procedure is not None else "",
                    bool(procedure is not None and procedure.is_timed),
                )
            )
        form = EncounterFormData(
            practice=_practice_block(practice, logo),
            patient=_patient_block(patient),
            date_of_service=when,
            codes=tuple(codes),
            insurance=insurance,
            provider=provider,
            place_of_service=place_of_service,
            place_of_service_name=self._place_name(place_of_service),
        )
        return render_encounter_form(form, paper or settings.paper)


# --- helpers -----------------------------------------------------------------------------------


def _completeness(
    detail: VisitDetail, data: SuperbillData, practice: Practice, provider: Provider
) -> Completeness:
    refused = None
    if detail.status == "void":
        refused = f"Visit {detail.id} is void; a void visit's superbill cannot be issued."
    elif detail.status == "amended" or (detail.status == "finalized" and not detail.is_current):
        refused = (
            f"Version {detail.version} of visit {detail.id} has been replaced by a newer "
            "version; issue the superbill of the current version."
        )
    elif detail.status == "draft" and not detail.is_current:
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


def _choose(
    plan: BatchPlan, reason: str | None
) -> tuple[str | None, list[Prepared], list[SkippedVisit]]:
    """The visits a batch issues (incomplete ones only with a reason) and those it skips."""
    why = v.text(reason, "reason", max_len=500) or None
    chosen = list(plan.ready)
    skipped = [_skipped(p) for p in plan.refused]
    if why:
        chosen.extend(with_open_items(p, why) for p in plan.incomplete)
        chosen.sort(key=_batch_order)
    else:
        skipped.extend(_skipped(p) for p in plan.incomplete)
    if not chosen:
        raise ServiceError(
            f"No superbill to issue for {_span(plan.start, plan.end)}"
            + (f": {len(skipped)} visit(s) skipped." if skipped else ".")
        )
    return why, chosen, skipped


def with_open_items(prepared: Prepared, reason: str | None) -> Prepared:
    """The superbill as it goes out with open items for `reason` ("Issued with open items:
    reason" printed on it); unchanged when it has none or no reason is given."""
    if not reason or not prepared.completeness.problems:
        return prepared
    return replace(prepared, data=replace(prepared.data, issued_anyway=reason))


def _insurance_block(
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


def _batch_order(prepared: Prepared) -> tuple[date, str, int]:
    data = prepared.data
    return (data.date_of_service, data.patient.name, data.visit_id)


def _skipped(prepared: Prepared) -> SkippedVisit:
    c = prepared.completeness
    return SkippedVisit(
        prepared.data.visit_id,
        prepared.data.version,
        prepared.data.date_of_service,
        prepared.data.patient.account_number,
        (c.refused,) if c.refused else c.problems,
    )


def _span(start: date, end: date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"


def _statement_text(value: Any) -> str:
    """The out-of-network wording: its line breaks kept (a paragraph a line), spaces within
    a line tidied, blank lines dropped; the standard wording when it is left empty."""
    if value is not None and not isinstance(value, str):
        raise ValidationError("out_of_network_text", "The out-of-network statement must be text.")
    lines = (" ".join(line.split()) for line in (value or "").splitlines())
    cleaned = "\n".join(line for line in lines if line)
    if len(cleaned) > MAX_STATEMENT:
        raise ValidationError(
            "out_of_network_text",
            f"The out-of-network statement is too long ({len(cleaned)} characters; at most "
            f"{MAX_STATEMENT}).",
        )
    return cleaned or DEFAULT_OUT_OF_NETWORK_TEXT


def _full_name(patient: Patient) -> str:
    middle = f" {patient.middle_name}" if patient.middle_name else ""
    return f"{patient.first_name}{middle} {patient.last_name}"


def _practice_block(practice: Practice, logo: bytes | None) -> PracticeBlock:
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


def _provider_block(
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


def _patient_block(patient: Patient) -> PatientBlock:
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


def _meta(connection: Connection, key: str) -> str | None:
    return connection.execute(select(s.meta.c.value).where(s.meta.c.key == key)).scalar()


def _set_meta(connection: Connection, key: str, value: str) -> None:
    connection.execute(delete(s.meta).where(s.meta.c.key == key))
    connection.execute(insert(s.meta).values(key=key, value=value))


def _write_image(
    ctx: ServiceContext,
    connection: Connection,
    key: str,
    data: bytes | None,
    what: str,
    entity: str,
    entity_id: int,
) -> None:
    if data is None:
        connection.execute(delete(s.meta).where(s.meta.c.key == key))
    else:
        _set_meta(connection, key, base64.b64encode(data).decode("ascii"))
    ctx.audit(
        connection,
        f"superbill.{what}",
        entity,
        entity_id,
        after={"bytes": len(data)} if data else None,
    )


def _image(connection: Connection, key: str) -> bytes | None:
    stored = _meta(connection, key)
    return base64.b64decode(stored) if stored else None


def _read_image(image: Image, what: str) -> bytes:
    if isinstance(image, bytes):
        data = image
        name = f"The {what}"
    else:
        path = Path(image)
        name = str(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ValidationError(what, f"{name} cannot be read ({error.strerror}).") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(
            what, f"{name} is too large ({len(data):,} bytes; at most {MAX_IMAGE_BYTES:,})."
        )
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        raise ValidationError(what, f"{name} is not a PNG or JPEG image.")
    return data


__all__ = [
    "DEFAULT_FAVOURITES",
    "KEEP",
    "BatchPlan",
    "BatchResult",
    "Completeness",
    "IncompleteSuperbillError",
    "IssuedSuperbill",
    "Prepared",
    "RenderedBatch",
    "SkippedVisit",
    "SuperbillRefusedError",
    "SuperbillService",
    "SuperbillSettings",
    "batch_file_name",
    "encounter_form_file_name",
    "superbill_file_name",
]


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(SuperbillService)
