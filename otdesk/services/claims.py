"""Claims: a finalized visit as a professional claim, checked before it is written, put in
an 837P file (one interchange, a transaction set per payer) that is kept in the data folder,
and tracked: which file holds which visit version, replacements and voids, the payer's
claim number. Also the claim settings (submitter, clearinghouse, test or production) and
each payer's payer ID and claim filing indicator.

Which claim a visit needs next:
- a finalized current version never claimed: an original (frequency 1), or a replacement
  (7) when an earlier version of the same visit was claimed;
- a void visit whose claim was sent: a void (8) of the version last claimed;
- a visit already in a file is not put in another unless someone re-sends it on purpose
  (a reason, kept in the audit log); a draft amendment waits until it is finalized;
- self-pay visits are not claimed.

A claim is held back when the visit's rule findings hold errors or the claim checks of
this module find a problem (NPI check digits, ZIP+4, payer ID, pointers, at most 12
diagnoses and 50 lines, the referring NPI Medicare therapy claims need); sending it anyway
takes a reason, kept in the audit log with the problems.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from otdesk.core.money import Money
from otdesk.core.visit import VisitStatus
from otdesk.export.claim_model import (
    FREQUENCIES,
    ORIGINAL,
    REPLACEMENT,
    VOID,
    Claim,
    ClaimBatch,
)
from otdesk.export.files import ExportError, sha256, write_file_atomic
from otdesk.export.x12_837p import write_837p
from otdesk.services import permissions
from otdesk.services import validate as v
from otdesk.services.claim_build import (
    FILING_BY_KIND,
    build_claim,
    claim_problems,
    filing_indicator,
    split_name,
)
from otdesk.services.claim_settings import (
    ID_QUALIFIERS,
    USAGES,
    ClaimSettings,
    ClaimSettingsError,
    ClaimSettingsService,
    make_envelope,
)
from otdesk.services.errors import NotFoundError, ServiceError, ValidationError
from otdesk.services.setup import CLAIM_FILING_INDICATORS
from otdesk.services.visit_records import gather
from otdesk.storage import schema as s
from otdesk.storage.backups import make_private_dir
from otdesk.storage.values import inserted_id, money, to_cents

CLAIMS_FOLDER = "claims"


class NothingToClaimError(ServiceError):
    """No visit is ready for a claim file."""


class ClaimHeldError(ServiceError):
    """A claim has problems and no override reason was given."""

    def __init__(self, visit_id: int, problems: Sequence[str]) -> None:
        listed = "; ".join(problems[:4])
        more = f" (and {len(problems) - 4} more)" if len(problems) > 4 else ""
        super().__init__(
            f"The claim of visit {visit_id} is held back: {listed}{more}. Fix these, or send "
            "it anyway with a reason."
        )
        self.visit_id = visit_id
        self.problems = tuple(problems)


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingClaim:
    """A visit version that needs a claim, with the claim and what holds it back."""

    visit_id: int
    chain_id: int
    version: int
    frequency_code: str
    account_number: str
    date_of_service: date
    payer_id: int
    payer_name: str
    claim: Claim
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # worth knowing, not holding it back
    already_in: int | None = None  # the claim file already holding it (a re-send)

    @property
    def ready(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class SkippedVisit:
    visit_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class ClaimPlan:
    """What a claim file for these visits would hold."""

    pending: tuple[PendingClaim, ...]
    skipped: tuple[SkippedVisit, ...] = ()

    @property
    def ready(self) -> tuple[PendingClaim, ...]:
        return tuple(p for p in self.pending if p.ready)

    @property
    def held(self) -> tuple[PendingClaim, ...]:
        return tuple(p for p in self.pending if not p.ready)


@dataclass(frozen=True, slots=True)
class ClaimFileSummary:
    id: int
    interchange_control: int
    usage: str
    file_name: str
    sha256: str
    claim_count: int
    total: Money
    created_at: datetime
    created_by: str
    resend_reason: str | None
    path: Path


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """One claim in a file."""

    id: int
    claim_file_id: int
    visit_id: int
    chain_id: int
    version: int
    frequency_code: str
    patient_control_number: str
    account_number: str
    date_of_service: date
    payer_name: str
    total: Money
    line_count: int
    payer_claim_number: str
    override_reason: str | None
    created_at: datetime

    @property
    def frequency(self) -> str:
        return FREQUENCIES[self.frequency_code]


@dataclass(frozen=True, slots=True)
class ClaimStatus:
    state: str  # not-claimed, claimed, replaced, voided
    text: str
    claim_file_id: int | None = None


@dataclass(frozen=True, slots=True)
class ClaimFileResult:
    file: ClaimFileSummary
    claims: tuple[PendingClaim, ...]
    text: str
    written_to: Path | None = None
    held: tuple[PendingClaim, ...] = field(default=())


# --- the service ---------------------------------------------------------------------------


class ClaimService(ClaimSettingsService):
    """Claims of the clinic, with the claim settings (ClaimSettingsService)."""

    # building ------------------------------------------------------------------------------

    def plan(
        self,
        start: date | str | None = None,
        end: date | str | None = None,
        *,
        visit_id: int | None = None,
        resend: bool = False,
    ) -> ClaimPlan:
        """The claims the finalized (and void) visits of a date range, or one visit, need
        now, each checked. `resend` also takes visits already in a file (sent again)."""
        with self.ctx.db.read() as connection:
            if visit_id is not None:
                row = connection.execute(select(s.visits).where(s.visits.c.id == visit_id)).first()
                if row is None:
                    raise NotFoundError("visit", visit_id)
                rows = [row]
            else:
                first = v.date_value(start, "from")
                last = v.date_value(end if end is not None else start, "to")
                if last < first:
                    raise ValidationError("to", f"To ({last}) is before from ({first}).")
                rows = list(
                    connection.execute(
                        select(s.visits)
                        .where(
                            s.visits.c.date_of_service >= first,
                            s.visits.c.date_of_service <= last,
                            s.visits.c.is_current.is_(True),
                            s.visits.c.status.in_((VisitStatus.FINALIZED, VisitStatus.VOID)),
                        )
                        .order_by(s.visits.c.date_of_service, s.visits.c.id)
                    )
                )
            claimed = _claims_of(connection, {row.chain_id for row in rows})
            pending: list[PendingClaim] = []
            skipped: list[SkippedVisit] = []
            memo: dict[tuple[str, int], Any] = {}
            for row in rows:
                history = claimed.get(row.chain_id, [])
                found = self._pending(connection, row, history, resend, memo)
                if isinstance(found, SkippedVisit):
                    skipped.append(found)
                else:
                    pending.append(found)
        return ClaimPlan(tuple(pending), tuple(skipped))

    def claim_for(self, visit_id: int) -> PendingClaim:
        """The claim this visit version would go out as now (original, replacement or
        void), checked; for the paper form and the preview. Raises ServiceError when the
        visit is not claimable (a draft, self-pay)."""
        with self.ctx.db.read() as connection:
            row = connection.execute(select(s.visits).where(s.visits.c.id == visit_id)).first()
            if row is None:
                raise NotFoundError("visit", visit_id)
            history = _claims_of(connection, {row.chain_id}).get(row.chain_id, [])
            found = self._pending(connection, row, history, resend=True)
        if isinstance(found, SkippedVisit):
            raise ServiceError(f"Visit {visit_id}: {found.reason}")
        return found

    def _pending(
        self,
        connection: Connection,
        row: Any,
        history: list[Any],
        resend: bool,
        memo: dict[tuple[str, int], Any] | None = None,
    ) -> PendingClaim | SkippedVisit:
        if row.status == VisitStatus.DRAFT:
            return SkippedVisit(row.id, "it is a draft; finalize it first")
        if row.status == VisitStatus.AMENDED or not row.is_current:
            return SkippedVisit(row.id, "a later version of this visit replaces it")
        if row.payer_id is None:
            return SkippedVisit(row.id, "it is self-pay (no payer to claim from)")
        mine = [c for c in history if c.visit_id == row.id]
        already = mine[-1].claim_file_id if mine else None
        if row.status == VisitStatus.VOID:
            sent = [c for c in history if c.frequency_code != VOID]
            if not history or history[-1].frequency_code == VOID and not resend:
                reason = (
                    "it is void and was never claimed"
                    if not history
                    else f"its void claim is already in claim file {history[-1].claim_file_id}"
                )
                return SkippedVisit(row.id, reason)
            source_id = sent[-1].visit_id if sent else row.id
            frequency = VOID
            already = history[-1].claim_file_id if history[-1].frequency_code == VOID else None
        else:
            if mine and not resend:
                return SkippedVisit(
                    row.id,
                    f"it is already in claim file {mine[-1].claim_file_id} (re-send it on "
                    "purpose with a reason)",
                )
            source_id = row.id
            earlier = [c for c in history if c.visit_id != row.id]
            frequency = REPLACEMENT if earlier else (mine[0].frequency_code if mine else ORIGINAL)
        records = gather(self.ctx, connection, source_id, memo)
        if records.payer is None or records.payer.kind == "self-pay":
            return SkippedVisit(row.id, "it is self-pay (no payer to claim from)")
        payer_number = next(
            (c.payer_claim_number for c in reversed(history) if c.payer_claim_number), ""
        )
        claim, notes = build_claim(records, frequency, payer_number, self.ctx.now().tzinfo)
        if row.status == VisitStatus.VOID:
            claim = replace(claim, visit_id=row.id)
        problems = claim_problems(claim, records)
        if frequency in (REPLACEMENT, VOID) and not payer_number:
            notes = (
                *notes,
                "the payer's claim number for the earlier claim is not known (REF*F8 left "
                "out); enter it in Billing > Claim files when the payer gives it",
            )
        detail = records.detail
        return PendingClaim(
            visit_id=row.id,
            chain_id=row.chain_id,
            version=row.version,
            frequency_code=frequency,
            account_number=detail.account_number,
            date_of_service=detail.date_of_service,
            payer_id=records.payer.id,
            payer_name=records.payer.name,
            claim=claim,
            problems=tuple(problems),
            notes=tuple(notes),
            already_in=already,
        )

    # the file ------------------------------------------------------------------------------

    def create_file(
        self,
        plan: ClaimPlan,
        *,
        override_reason: str | None = None,
        resend_reason: str | None = None,
        out: str | Path | None = None,
    ) -> ClaimFileResult:
        """Write the plan's ready claims (and the held ones too with `override_reason`) into
        one 837P file, kept in the data folder's claims/ and copied to `out` when given;
        record it and every claim it holds, with control numbers never used before."""
        override = v.text(override_reason, "override_reason", max_len=500) or None
        resend = v.text(resend_reason, "resend_reason", max_len=500) or None
        chosen = [p for p in plan.pending if p.ready or override]
        if any(p.already_in is not None for p in chosen) and not resend:
            raise ValidationError(
                "resend_reason",
                "Some of these visits are already in a claim file: give a reason to send "
                "them again.",
            )
        if not chosen:
            held = len(plan.held)
            raise NothingToClaimError(
                "No visit is ready for a claim file"
                + (f" ({held} held back; fix them or send them anyway with a reason)." if held
                   else ".")
            )  # fmt: skip
        folder = self.ctx.db.path.parent / CLAIMS_FOLDER
        with self.ctx.db.write() as connection:
            settings = self.settings(connection)
            problems = settings.problems()
            if problems:
                raise ClaimSettingsError(
                    "; ".join(problems) + " (Billing > Claim settings). No file was written."
                )
            _check_not_claimed_meanwhile(connection, chosen, bool(resend))
            interchange = _next(connection, "interchange")
            group = _next(connection, "group")
            by_payer: dict[int, list[PendingClaim]] = {}
            for pending in sorted(chosen, key=lambda p: (p.payer_name, p.visit_id)):
                by_payer.setdefault(pending.payer_id, []).append(pending)
            batches = [
                ClaimBatch(_next(connection, "transaction"), tuple(p.claim for p in group_))
                for group_ in by_payer.values()
            ]
            now = self.ctx.now()
            envelope = make_envelope(settings, interchange, group, now)
            x12 = write_837p(envelope, batches)
            data = x12.encode("ascii")
            digest = sha256(data)
            name = f"claims-{interchange:09d}-{now.strftime('%Y%m%d')}.837"
            make_private_dir(folder)
            kept = write_file_atomic(folder / name, data)
            try:
                total = sum((p.claim.total for p in chosen), Money(0))
                file_id = inserted_id(
                    connection.execute(
                        insert(s.claim_files).values(
                            interchange_control=interchange,
                            group_control=group,
                            usage=settings.usage,
                            file_name=name,
                            file_sha256=digest,
                            claim_count=len(chosen),
                            total_charge_cents=to_cents(total),
                            resend_reason=resend,
                            created_at=now,
                            created_by=self.ctx.user,
                        )
                    )
                )
                controls = {
                    id(claim): batch.transaction_control
                    for batch in batches
                    for claim in batch.claims
                }
                connection.execute(
                    insert(s.claims),
                    [
                        {
                            "claim_file_id": file_id,
                            "visit_id": p.visit_id,
                            "chain_id": p.chain_id,
                            "version": p.version,
                            "payer_id": p.payer_id,
                            "transaction_control": controls[id(p.claim)],
                            "patient_control_number": p.claim.patient_control_number,
                            "frequency_code": p.frequency_code,
                            "total_charge_cents": to_cents(p.claim.total),
                            "line_count": len(p.claim.lines),
                            "override_reason": override if p.problems else None,
                        }
                        for p in chosen
                    ],
                )
                self.ctx.audit(
                    connection,
                    "claim_file.create",
                    "claim_file",
                    file_id,
                    after={
                        "file": name,
                        "sha256": digest,
                        "interchange_control": interchange,
                        "usage": settings.usage,
                        "claims": [
                            {
                                "visit_id": p.visit_id,
                                "version": p.version,
                                "frequency": p.frequency_code,
                                **({"sent_anyway": list(p.problems)} if p.problems else {}),
                            }
                            for p in chosen
                        ],
                    },
                    reason="; ".join(
                        part
                        for part in (
                            f"sent anyway: {override}"
                            if any(p.problems for p in chosen) and override
                            else "",
                            f"re-sent: {resend}" if resend else "",
                        )
                        if part
                    )
                    or None,
                )
            except BaseException:
                kept.unlink(missing_ok=True)  # nothing recorded: no file either
                raise
        summary = self.file(file_id)
        written = None
        if out is not None:
            try:
                written = write_file_atomic(out, data)
            except ExportError as error:  # the file is made and recorded: say where it is
                raise ExportError(
                    f"Claim file {file_id} was written and kept as {summary.path}, but the "
                    f"copy could not be made: {error}"
                ) from error
        taken = {id(p) for p in chosen}
        left = tuple(p for p in plan.pending if id(p) not in taken)
        return ClaimFileResult(summary, tuple(chosen), x12, written, left)

    # tracking ------------------------------------------------------------------------------

    def files(self) -> list[ClaimFileSummary]:
        """Every claim file written, newest first."""
        with self.ctx.db.read() as connection:
            rows = connection.execute(
                select(s.claim_files).order_by(s.claim_files.c.id.desc())
            ).all()
        return [self._summary(row) for row in rows]

    def file(self, file_id: int) -> ClaimFileSummary:
        with self.ctx.db.read() as connection:
            row = connection.execute(
                select(s.claim_files).where(s.claim_files.c.id == file_id)
            ).first()
        if row is None:
            raise NotFoundError("claim file", file_id)
        return self._summary(row)

    def claims_in(self, file_id: int) -> list[ClaimRecord]:
        with self.ctx.db.read() as connection:
            return _records(connection, s.claims.c.claim_file_id == file_id)

    def history(self, visit_id: int) -> list[ClaimRecord]:
        """Every claim sent for this visit (all its versions), oldest first."""
        with self.ctx.db.read() as connection:
            chain = _chain_of(connection, visit_id)
            return _records(connection, s.claims.c.chain_id == chain)

    def status(self, visit_id: int) -> ClaimStatus:
        """Where this visit version stands: not claimed, in claim file N on DATE, replaced
        (by a later version's claim) or voided."""
        records = self.history(visit_id)
        mine = [r for r in records if r.visit_id == visit_id]
        if not mine:
            claimed = [r for r in records if r.frequency_code != VOID]
            if claimed:
                last = claimed[-1]
                return ClaimStatus(
                    "not-claimed",
                    f"Not claimed yet; version {last.version} is in claim file "
                    f"{last.claim_file_id} ({_day(last.created_at)}), so this one goes as a "
                    "replacement",
                    last.claim_file_id,
                )
            return ClaimStatus("not-claimed", "Not claimed")
        last = mine[-1]
        later = [r for r in records if r.id > last.id and r.visit_id != visit_id]
        if last.frequency_code == VOID:
            return ClaimStatus(
                "voided",
                f"Voided in claim file {last.claim_file_id} on {_day(last.created_at)}",
                last.claim_file_id,
            )
        if later:
            newer = later[-1]
            return ClaimStatus(
                "replaced",
                f"Replaced by version {newer.version} in claim file {newer.claim_file_id} on "
                f"{_day(newer.created_at)}",
                newer.claim_file_id,
            )
        kind = " (replacement)" if last.frequency_code == REPLACEMENT else ""
        return ClaimStatus(
            "claimed",
            f"In claim file {last.claim_file_id} on {_day(last.created_at)}{kind}",
            last.claim_file_id,
        )

    def set_payer_claim_number(self, claim_id: int, number: str) -> ClaimRecord:
        """The payer's own number for a claim (from its remittance or portal): a later
        replacement or void of the visit sends it in REF*F8."""
        cleaned = v.text(number, "payer_claim_number", max_len=50)
        with self.ctx.db.write() as connection:
            row = connection.execute(select(s.claims).where(s.claims.c.id == claim_id)).first()
            if row is None:
                raise NotFoundError("claim", claim_id)
            connection.execute(
                update(s.claims)
                .where(s.claims.c.id == claim_id)
                .values(payer_claim_number=cleaned or None)
            )
            self.ctx.audit(
                connection,
                "claim.payer_number",
                "claim",
                claim_id,
                before={"payer_claim_number": row.payer_claim_number},
                after={"payer_claim_number": cleaned or None},
            )
            return _records(connection, s.claims.c.id == claim_id)[0]

    def _summary(self, row: Any) -> ClaimFileSummary:
        return ClaimFileSummary(
            id=row.id,
            interchange_control=row.interchange_control,
            usage=row.usage,
            file_name=row.file_name,
            sha256=row.file_sha256,
            claim_count=row.claim_count,
            total=money(row.total_charge_cents),
            created_at=row.created_at,
            created_by=row.created_by,
            resend_reason=row.resend_reason,
            path=self.ctx.db.path.parent / CLAIMS_FOLDER / row.file_name,
        )


# --- helpers -------------------------------------------------------------------------------


def _day(moment: datetime) -> str:
    return moment.astimezone().strftime("%m/%d/%Y")


def _next(connection: Connection, name: str) -> int:
    """The next control number of its kind; the counter moves in the caller's transaction,
    so a file that is not recorded gives its number back, and a recorded one never does."""
    last = connection.execute(
        select(s.claim_counters.c.last_value).where(s.claim_counters.c.name == name)
    ).scalar()
    value = (last or 0) + 1
    if value > 999_999_999:
        raise ServiceError(f"The {name} control numbers are used up (999,999,999).")
    if last is None:
        connection.execute(insert(s.claim_counters).values(name=name, last_value=value))
    else:
        connection.execute(
            update(s.claim_counters).where(s.claim_counters.c.name == name).values(last_value=value)
        )
    return value


def _claims_of(connection: Connection, chains: Iterable[int]) -> dict[int, list[Any]]:
    ids = sorted(set(chains))
    found: dict[int, list[Any]] = {}
    for start in range(0, len(ids), 500):
        rows = connection.execute(
            select(s.claims)
            .where(s.claims.c.chain_id.in_(ids[start : start + 500]))
            .order_by(s.claims.c.id)
        )
        for row in rows:
            found.setdefault(row.chain_id, []).append(row)
    return found


def _check_not_claimed_meanwhile(
    connection: Connection, chosen: Sequence[PendingClaim], resend: bool
) -> None:
    """Someone at another desk may have written a file since the plan was made."""
    if resend:
        return
    history = _claims_of(connection, {p.chain_id for p in chosen})
    for pending in chosen:
        sent = history.get(pending.chain_id, [])
        if any(
            c.visit_id == pending.visit_id and c.frequency_code == pending.frequency_code
            for c in sent
        ):
            raise ServiceError(
                f"Visit {pending.visit_id} was put in a claim file meanwhile; make the claim "
                "file again. Nothing was written."
            )


def _chain_of(connection: Connection, visit_id: int) -> int:
    chain = connection.execute(
        select(s.visits.c.chain_id).where(s.visits.c.id == visit_id)
    ).scalar()
    if chain is None:
        raise NotFoundError("visit", visit_id)
    return int(chain)


def _records(connection: Connection, condition: Any) -> list[ClaimRecord]:
    c, f, vt, p = s.claims, s.claim_files, s.visits, s.patients
    rows = connection.execute(
        select(
            c,
            f.c.created_at,
            vt.c.date_of_service,
            p.c.account_number,
            s.payers.c.name.label("payer_name"),
        )
        .select_from(c)
        .join(f, f.c.id == c.c.claim_file_id)
        .join(vt, vt.c.id == c.c.visit_id)
        .join(p, p.c.id == vt.c.patient_id)
        .join(s.payers, s.payers.c.id == c.c.payer_id)
        .where(condition)
        .order_by(c.c.id)
    )
    return [
        ClaimRecord(
            id=row.id,
            claim_file_id=row.claim_file_id,
            visit_id=row.visit_id,
            chain_id=row.chain_id,
            version=row.version,
            frequency_code=row.frequency_code,
            patient_control_number=row.patient_control_number,
            account_number=row.account_number,
            date_of_service=row.date_of_service,
            payer_name=row.payer_name,
            total=money(row.total_charge_cents),
            line_count=row.line_count,
            payer_claim_number=row.payer_claim_number or "",
            override_reason=row.override_reason,
            created_at=row.created_at,
        )
        for row in rows
    ]


__all__ = [
    "CLAIM_FILING_INDICATORS",
    "FILING_BY_KIND",
    "ID_QUALIFIERS",
    "USAGES",
    "ClaimFileResult",
    "ClaimFileSummary",
    "ClaimHeldError",
    "ClaimPlan",
    "ClaimRecord",
    "ClaimService",
    "ClaimSettings",
    "ClaimSettingsError",
    "ClaimStatus",
    "NothingToClaimError",
    "PendingClaim",
    "SkippedVisit",
    "build_claim",
    "claim_problems",
    "filing_indicator",
    "make_envelope",
    "split_name",
]


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(ClaimService)
