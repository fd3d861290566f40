"""Superbill PDF speed, beside ReportLab alone making a comparable page in the same run.

Run: python benchmarks/superbill.py [--rounds N]
Targets (docs/architecture.md, issue 6): one superbill <= 15 ms median; 200 visits into one PDF
<= 3 s. Measured:
- the bare page: ReportLab platypus, Helvetica, the same tables (header, two boxes of five
  rows, 3 diagnoses, 4 service lines of 8 columns, totals) with no wrapping measured and no
  page decoration: what any ReportLab superbill costs;
- one superbill from its data (render only) and through the services (gather from a real
  SQLite clinic, check, render);
- 200 visits into one PDF from their data, and through the services (plan + one file).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from otdesk.export import render_superbill, render_superbills  # noqa: E402
from otdesk.services.superbills import SuperbillService  # noqa: E402
from tests.export.helpers import finalized_visit, open_clinic, sample_data, seed  # noqa: E402

BATCH = 200


def bare_page() -> bytes:
    """A page of the same content with ReportLab alone (standard font, plain cells)."""
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    sheet = getSampleStyleSheet()
    grid = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, "#aab2c0"),
            ("BOX", (0, 0), (-1, -1), 0.6, "#aab2c0"),
        ]
    )
    box = [["Name", "Núñez, José"], ["Date of birth", "07/14/1948"], ["Address", "12 Elm St"]]
    box += [["Phone", "(503) 555-0199"], ["Account #", "A-1002"]]
    boxes = Table(
        [[Table(box, colWidths=[74, 191], style=grid), Table(box, colWidths=[74, 191], style=grid)]]
    )
    dx = Table(
        [["Ptr", "ICD-10-CM", "Diagnosis"]]
        + [["A", "M62.81", "Muscle weakness (generalized)"] for _ in range(3)],
        colWidths=[28, 62, 450],
        style=grid,
    )
    lines = Table(
        [["Code", "Modifiers", "Description", "Minutes", "Units", "Dx", "Fee", "Total"]]
        + [
            ["97530", "GO CO", "Therapeutic activities", "38", "2", "A B", "$70.00", "$140.00"]
            for _ in range(4)
        ],
        colWidths=[38, 52, 204, 40, 32, 48, 62, 64],
        style=grid,
    )
    totals = Table(
        [
            ["Total charges", "$265.00"],
            ["Payments and copays", "$20.00"],
            ["Balance due", "$245.00"],
        ],
        style=grid,
    )
    story = [
        Paragraph("Harbor Hands OT", sheet["Title"]),
        Paragraph("1200 Riverside Drive, Suite 400, Portland, OR 97201", sheet["Normal"]),
        Spacer(0, 6),
        boxes,
        Spacer(0, 6),
        boxes,
        Spacer(0, 6),
        dx,
        Spacer(0, 6),
        lines,
        Spacer(0, 6),
        totals,
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=LETTER, invariant=1).build(story)
    return buffer.getvalue()


def median_ms(work, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def seconds(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()

    data = sample_data()
    bare_page()  # first use: fonts, imports
    render_superbill(data)
    bare = median_ms(bare_page, args.rounds)
    one = median_ms(lambda: render_superbill(data), args.rounds)

    with tempfile.TemporaryDirectory() as folder:
        clinic = open_clinic(Path(folder) / "data")
        demo = seed(clinic)
        service = SuperbillService(clinic.ctx)
        service.render(demo.visit)
        through = median_ms(lambda: service.render(demo.visit), args.rounds)

        batch_data = [sample_data(visit_id=n) for n in range(BATCH)]
        batch = seconds(lambda: render_superbills(batch_data))
        print(f"seeding {BATCH} finalized visits through the services...", file=sys.stderr)
        first = date(2026, 3, 2)
        patients = []
        for n in range(BATCH // 5):
            patient = clinic.patients.create(
                last_name=f"Patient{n:03d}", first_name="Test", date_of_birth="1960-01-01"
            )
            clinic.patients.add_policy(patient.id, payer_id=demo.commercial, member_id=f"M{n}")
            patients.append(patient.id)
        for n in range(BATCH - 1):  # with the demo visit: BATCH visits over five days
            day = first + timedelta(days=n % 5)
            finalized_visit(clinic, patients[n // 5], demo.ot, day=day.isoformat())
        last = first + timedelta(days=4)
        out = Path(folder) / "batch.pdf"

        def whole() -> None:
            plan = service.plan_batch(first, last)
            service.issue_batch(plan, out=out)

        whole_batch = seconds(whole)
        clinic.close()

    print(f"bare ReportLab page (comparable content): {bare:6.1f} ms median")
    print(f"one superbill from its data:               {one:6.1f} ms median (target <= 15 ms)")
    print(f"one superbill through the services:        {through:6.1f} ms median")
    print(f"{BATCH} superbills into one PDF from data:     {batch:6.2f} s (target <= 3 s)")
    print(f"{BATCH} superbills, services (check + file):   {whole_batch:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
