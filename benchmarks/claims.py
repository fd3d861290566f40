"""Claim speed: 500 finalized visits into one 837P file, its pyx12 validation, and 200
CMS-1500 forms into one PDF, each beside a reference measured in the same run.

Run: python benchmarks/claims.py [--rounds N] [--visits N] [--forms N]
Targets (docs/architecture.md, issue 17): 500 visits into one 837P file <= 1 s; 200 CMS-1500 forms
<= 3 s. pyx12's validation time is reported, not a target. Measured:
- reference: listing the same 500 visits through the services (VisitService.between), the
  cheapest read of them there is;
- the 837P writer alone over the 500 claims already built;
- through the services: plan (gather, rules, claim checks) + the file written, kept and
  recorded (each round re-sends the same visits, with a reason);
- CMS-1500: 200 claims in "form" mode (boxes and labels drawn) and "data" mode, beside
  ReportLab drawing the same strings alone on a canvas.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from otdesk.export.cms1500 import form_fields, render_forms  # noqa: E402
from otdesk.export.x12_837p import write_837p  # noqa: E402
from otdesk.services.claims import ClaimService, make_envelope  # noqa: E402
from otdesk.services.clinic import Clinic  # noqa: E402
from otdesk.services.clock import FixedClock  # noqa: E402
from otdesk.storage.database import open_database  # noqa: E402

START = date(2026, 1, 5)
NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def build_clinic(folder: Path, visits: int) -> Clinic:
    """A billable clinic with `visits` finalized visits (20 patients, Medicare and a
    commercial plan, two or three lines each)."""
    clock = FixedClock(NOW)
    db = open_database(folder / "otdesk.db", now=clock.now(), durable=False)
    c = Clinic(db, clock=clock, user="bench")
    c.practice.save(
        name="Bench OT", address1="1 Main St", city="Portland", state="OR",
        postal_code="97201-3344", tin="12-3456789", group_npi="1497758544",
        taxonomy="225X00000X", phone="503-555-0100",
    )  # fmt: skip
    ot = c.providers.create(last_name="Demo", first_name="Avery", role="OT", npi="1234567893")
    medicare = c.payers.create(name="Medicare", kind="medicare", payer_code="MCR01")
    plan = c.payers.create(name="Evergreen", kind="commercial", payer_code="EVG01")
    for code, charge in (("97110", "60.00"), ("97530", "70.00"), ("97535", "65.00")):
        c.fees.add(code, charge=charge)
    patients = []
    for n in range(20):
        patient = c.patients.create(
            last_name=f"Sample{n}", first_name="Pat", date_of_birth="1950-01-01", sex="F",
            address1=f"{n} Elm St", city="Portland", state="OR", postal_code="97202",
        )  # fmt: skip
        payer = medicare if n % 2 else plan
        c.patients.add_policy(patient.id, payer_id=payer.id, member_id=f"1EG4TE5MK{n:02d}")
        c.patients.add_plan_of_care(
            patient.id, discipline="OT", start_date=START, certified_through=START + timedelta(80),
            referring_name="Rowan Example", referring_npi="1679576722",
        )  # fmt: skip
        patients.append(patient.id)
    lines = [
        {"code": "97110", "minutes": 23, "modifiers": "GO", "dx_pointers": "A"},
        {"code": "97530", "minutes": 15, "modifiers": "GO", "dx_pointers": "AB"},
        {"code": "97535", "minutes": 15, "modifiers": "GO", "dx_pointers": "B"},
    ]
    for n in range(visits):
        day = START + timedelta(days=n % 50)
        visit = c.visits.create(patients[n % 20], provider_id=ot.id, date_of_service=day,
                                total_treatment_minutes=53)  # fmt: skip
        c.visits.set_diagnoses(visit.id, ["M62.81", "R26.89"])
        for line in lines[: 2 + n % 2]:
            c.visits.add_line(
                visit.id, line["code"], **{k: v for k, v in line.items() if k != "code"}
            )
        c.visits.finalize(visit.id, override_reason="benchmark")
    ClaimService(c.ctx).save_settings(
        submitter_name="Bench OT", submitter_id="BENCH", contact_name="Avery",
        contact_phone="5035550100", receiver_name="Clearinghouse", receiver_id="CLEAR",
    )  # fmt: skip
    return c


def timed(run, rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bare_forms(fields_per_page: list[list]) -> bytes:
    """ReportLab alone: the same strings at the same places, nothing else."""
    from reportlab.lib.pagesizes import LETTER
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, pageCompression=1)
    for fields in fields_per_page:
        canvas.setFont("Courier", 12)
        for item in fields:
            canvas.drawString(18 + (item.column - 1) * 7.2, 792 - item.line * 12 + 3, item.value)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--visits", type=int, default=500)
    parser.add_argument("--forms", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        clinic = build_clinic(Path(tmp), args.visits)
        took = time.perf_counter() - began
        print(f"clinic with {args.visits} finalized visits built in {took:.1f} s")
        service = ClaimService(clinic.ctx)
        last = START + timedelta(days=60)
        reference, listed = timed(lambda: clinic.visits.between(START, last), args.rounds)
        plan_time, plan = timed(lambda: service.plan(START, last, resend=True), args.rounds)
        claims = [p.claim for p in plan.ready]
        assert len(claims) == args.visits, f"{len(plan.held)} held back: {plan.held[:1]}"
        from otdesk.export.claim_model import ClaimBatch

        settings = service.settings()
        envelope = make_envelope(settings, 1, 1, NOW)
        batches = [ClaimBatch(1, tuple(claims))]
        writer, text = timed(lambda: write_837p(envelope, batches), args.rounds)
        whole, result = timed(
            lambda: service.create_file(
                service.plan(START, last, resend=True), resend_reason="benchmark round"
            ),
            args.rounds,
        )
        x12 = result.text  # type: ignore[attr-defined]
        size = len(x12.encode())
        print(f"reference: list {len(listed)} visits (services)   {reference * 1000:8.1f} ms")
        print(f"837P writer alone, {len(claims)} claims           {writer * 1000:8.1f} ms  "
              f"({size / 1024:.0f} KiB, {x12.count(chr(10))} segments)")  # fmt: skip
        print(f"plan: gather + rules + claim checks           {plan_time * 1000:8.1f} ms")
        print(f"{len(claims)} visits -> one 837P file (services) {whole * 1000:8.1f} ms  "
              f"target <= 1000 ms: {'met' if whole <= 1.0 else 'MISSED'}; "
              f"{whole / reference:.1f}x the listing")  # fmt: skip
        try:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            from tests.helpers.x12 import pyx12_errors

            start = time.perf_counter()
            errors = pyx12_errors(x12)
            print(f"pyx12 validation of that file                 "
                  f"{(time.perf_counter() - start) * 1000:8.1f} ms  ({len(errors)} errors; "
                  "reported, not a target)")  # fmt: skip
        except ImportError:
            print("pyx12 is not installed (pip install -e '.[test]'): validation not timed")
        forms = (claims * (args.forms // len(claims) + 1))[: args.forms]
        fields = [form_fields(claim) for claim in forms]
        bare, _ = timed(lambda: bare_forms(fields), args.rounds)
        full, pdf = timed(lambda: render_forms(forms, "form"), args.rounds)
        data, _ = timed(lambda: render_forms(forms, "data"), args.rounds)
        print(f"reference: ReportLab alone, {args.forms} pages of text  {bare * 1000:8.1f} ms")
        for label, figure in (("form (boxes drawn)", full), ("data only", data)):
            verdict = "met" if figure <= 3.0 else "MISSED"
            print(f"{args.forms} CMS-1500, {label:<19}        {figure * 1000:8.1f} ms  target <= "
                  f"3000 ms: {verdict}; {figure / bare:.1f}x bare")  # fmt: skip
        print(f"  ({len(pdf) / 1024:.0f} KiB)")  # type: ignore[arg-type]
        clinic.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
