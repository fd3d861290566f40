"""Superbill batches: every finalized (and, when asked, draft) visit of a date or date
range, checked first (plan_batch, nothing written), then issued into one PDF or one file per
visit, or rendered for printing and recorded once printed."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from otdesk.core.dates import shown
from otdesk.core.visit import VisitStatus
from otdesk.export import (
    CancelledError,
    ExportError,
    render_superbill,
    render_superbills,
    sha256,
    write_file_atomic,
)
from otdesk.services import validate as v
from otdesk.services.errors import ServiceError, ValidationError
from otdesk.services.summaries import VisitSummary
from otdesk.services.superbill_issue import (
    IssuedSuperbill,
    Prepared,
    SuperbillIssuing,
    superbill_file_name,
    with_open_items,
)

Progress = Callable[[int, int], None]


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


def batch_file_name(start: date, end: date) -> str:
    if start == end:
        return f"superbills_{start.isoformat()}.pdf"
    return f"superbills_{start.isoformat()}_to_{end.isoformat()}.pdf"


class SuperbillBatches(SuperbillIssuing):
    """The superbills of a date or date range (with one visit's issuing and the settings)."""

    def batch_visits(
        self, start: date | str, end: date | str | None = None, *, include_drafts: bool = False
    ) -> list[VisitSummary]:
        """The visits a batch covers: finalized (and, when asked, draft) current versions of
        the date or date range, by date and patient."""
        first = v.date_value(start, "date")
        last = v.date_value(end, "to") if end is not None else first
        wanted = (
            (VisitStatus.FINALIZED, VisitStatus.DRAFT)
            if include_drafts
            else (VisitStatus.FINALIZED,)
        )
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
        try:
            with self.ctx.db.write() as connection:
                for path, document, members in documents:
                    digest = sha256(document)
                    for prepared in members:
                        reason_here = why if prepared.completeness.problems else None
                        issued.append(
                            self._record(
                                connection, prepared, digest, path.name, reason_here, "file"
                            )
                        )
        except Exception:
            # not recorded (the clinic server lost meanwhile, a full disk): no file is left
            # that the records do not know of
            for path in written:
                path.unlink(missing_ok=True)
            raise
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
    return shown(start) if start == end else f"{shown(start)} to {shown(end)}"
