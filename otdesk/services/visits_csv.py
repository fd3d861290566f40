"""The visits as a CSV file for a spreadsheet (`otdesk visits export`): one row per charge
line of each visit's newest version, with the visit's totals on every row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from otdesk.services import csvio
from otdesk.services.context import ServiceContext
from otdesk.services.summaries import VisitSummary
from otdesk.storage import schema as s
from otdesk.storage.values import money, split_codes

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


def write_visits_csv(ctx: ServiceContext, path: Any, summaries: Sequence[VisitSummary]) -> int:
    """Write `summaries`' visits to `path` as CSV (a visit without lines gets one row);
    returns the number of visits."""
    by_id = {summary.id: summary for summary in summaries}
    rows: list[list[Any]] = []
    with ctx.db.read() as connection:
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
    return len(summaries)


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
