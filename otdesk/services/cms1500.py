"""CMS-1500 paper claims: the forms of one visit or a day, in either mode, and each
printer's calibration (kept in the database, so every desk's prints of that printer land the
same way). A form with claim problems is made only with a reason ("print anyway"), which
goes into the audit log with the problems; every form printed or saved is in the audit log
with its SHA-256."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select

from otdesk.core.visit import VisitStatus
from otdesk.export.files import sha256, write_file_atomic
from otdesk.services import permissions
from otdesk.services import validate as v
from otdesk.services.claims import ClaimHeldError, ClaimService, PendingClaim
from otdesk.services.context import ServiceContext
from otdesk.services.errors import NotFoundError, ServiceError, ValidationError
from otdesk.services.visits import VisitService
from otdesk.storage import schema as s

MAX_OFFSET = 100  # hundredths of an inch: a printer more than an inch off needs fixing
MODES = ("form", "data")


@dataclass(frozen=True, slots=True)
class PrinterCalibration:
    printer: str
    right: int = 0  # hundredths of an inch
    down: int = 0
    scale_percent: int = 100


@dataclass(frozen=True, slots=True)
class PaperClaims:
    """Forms ready to print: the PDF and the claims it holds."""

    pdf: bytes
    claims: tuple[PendingClaim, ...]
    held: tuple[PendingClaim, ...] = ()  # left out: problems and no reason
    skipped: tuple[str, ...] = ()  # visits that are not claims (drafts, self-pay...)


class Cms1500Service:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.claims = ClaimService(ctx)

    # calibration ---------------------------------------------------------------------------

    def calibration(self, printer: str) -> PrinterCalibration:
        name = _printer(printer)
        with self.ctx.db.read() as connection:
            row = connection.execute(
                select(s.printer_calibrations).where(s.printer_calibrations.c.printer == name)
            ).first()
        if row is None:
            return PrinterCalibration(name)
        return PrinterCalibration(name, row.offset_x, row.offset_y, row.scale_percent)

    def save_calibration(
        self, printer: str, *, right: Any = 0, down: Any = 0, scale_percent: Any = 100
    ) -> PrinterCalibration:
        """Keep a printer's offsets (hundredths of an inch, -100 to 100) and scale (90 to
        110 percent) for its data-only prints."""
        name = _printer(printer)
        right_value = v.int_value(right, "right", low=-MAX_OFFSET, high=MAX_OFFSET)
        down_value = v.int_value(down, "down", low=-MAX_OFFSET, high=MAX_OFFSET)
        scale = v.int_value(scale_percent, "scale_percent", low=90, high=110)
        before = self.calibration(name)
        after = PrinterCalibration(name, right_value, down_value, scale)
        with self.ctx.db.write() as connection:
            table = s.printer_calibrations
            connection.execute(delete(table).where(table.c.printer == name))
            connection.execute(
                insert(table).values(
                    printer=name, offset_x=right_value, offset_y=down_value, scale_percent=scale
                )
            )
            self.ctx.audit(
                connection,
                "cms1500.calibration",
                "printer",
                None,
                before=before,
                after=after,
            )
        return after

    def alignment_page(self, printer: str | None = None) -> bytes:
        """The alignment test page, with the printer's calibration as it stands."""
        from otdesk.export.cms1500 import render_alignment_page

        return render_alignment_page(self._calibration(printer))

    # forms ---------------------------------------------------------------------------------

    def forms(
        self,
        visit_ids: list[int],
        *,
        mode: str = "form",
        printer: str | None = None,
        reason: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> PaperClaims:
        """The CMS-1500 forms of these visits (their claims as they would go out now). With
        no `reason`, a claim with problems is left out (one visit asked for: refused)."""
        from otdesk.export.cms1500 import render_forms

        if mode not in MODES:
            raise ValidationError("mode", f"Mode must be one of {', '.join(MODES)}.")
        why = v.text(reason, "reason", max_len=500) or None
        chosen: list[PendingClaim] = []
        held: list[PendingClaim] = []
        skipped: list[str] = []
        for visit_id in visit_ids:
            try:
                pending = self.claims.claim_for(visit_id)
            except NotFoundError:
                raise
            except ServiceError as error:
                if len(visit_ids) == 1:
                    raise
                skipped.append(str(error))
                continue
            (chosen if pending.ready or why else held).append(pending)
        if not chosen:
            if len(visit_ids) == 1 and held:
                raise ClaimHeldError(held[0].visit_id, held[0].problems)
            raise ServiceError(
                "There is no claim to print"
                + (f" ({len(held)} held back: fix them or print anyway with a reason)." if held
                   else ".")
            )  # fmt: skip
        pdf = render_forms(
            [p.claim for p in chosen],
            mode,
            self._calibration(printer) if mode == "data" else None,
            progress=progress,
        )
        return PaperClaims(pdf, tuple(chosen), tuple(held), tuple(skipped))

    def day_visits(self, day: date | str) -> list[int]:
        """The visits of a day a paper claim can be made for (finalized and void, newest
        versions), by patient name."""
        return [
            summary.id
            for summary in VisitService(self.ctx).day(day)
            if summary.status in (VisitStatus.FINALIZED, VisitStatus.VOID)
        ]

    def record(
        self,
        paper: PaperClaims,
        *,
        how: str,
        file_name: str = "",
        reason: str | None = None,
        mode: str = "form",
        printer: str | None = None,
    ) -> str:
        """Put the printed or saved forms in the audit log (SHA-256, visits, mode, where);
        returns the SHA-256."""
        digest = sha256(paper.pdf)
        problems = {p.visit_id: list(p.problems) for p in paper.claims if p.problems}
        with self.ctx.db.write() as connection:
            self.ctx.audit(
                connection,
                "cms1500.issue",
                "visit",
                paper.claims[0].visit_id if len(paper.claims) == 1 else None,
                after={
                    "visits": [
                        {
                            "visit_id": p.visit_id,
                            "version": p.version,
                            "frequency": p.frequency_code,
                        }
                        for p in paper.claims
                    ],
                    "sha256": digest,
                    "how": how,
                    "file": file_name,
                    "mode": mode,
                    "printer": printer or "",
                    **({"printed_anyway": problems} if problems else {}),
                },
                reason=(v.text(reason, "reason", max_len=500) or None) if problems else None,
            )
        return digest

    def _calibration(self, printer: str | None) -> Any:
        from otdesk.export.cms1500 import Calibration

        if not printer:
            return Calibration()
        stored = self.calibration(printer)
        return Calibration(stored.right, stored.down, stored.scale_percent)


def _printer(name: Any) -> str:
    return v.text(name, "printer", max_len=200, required=True)


def write_forms(path: str | os.PathLike[str], pdf: bytes) -> str:
    """Write the forms to `path` whole or not at all; returns the file's name."""
    return write_file_atomic(path, pdf).name


__all__ = ["MODES", "Cms1500Service", "PaperClaims", "PrinterCalibration", "write_forms"]


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(Cms1500Service)
