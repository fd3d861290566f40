"""Shared by the superbill tests: PDFs read back with pypdf, sample documents, images. The
clinic they print from is built as every test clinic is (tests/helpers/clinics.py)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from tests.helpers.clinics import GROUP_NPI, OT_NPI, OTA_NPI


def pdf_pages(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data)).pages


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pdf_pages(data))


def flat(text: str) -> str:
    """Every run of white space (line breaks too) as one space, so a phrase is found
    wherever the PDF's lines were broken."""
    return " ".join(text.split())


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in pdf_pages(data)]


@dataclass(frozen=True)
class TextBox:
    """Where one run of text was drawn: its extent measured in the font it was drawn in."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    size: float


def text_boxes(data: bytes, page_number: int = 0) -> list[TextBox]:
    """Every upright run of text on a page with its box (the rotated watermark is left
    out). Runs pypdf reports at the same place (parts of one line) are joined."""
    from reportlab.pdfbase import pdfmetrics

    from otdesk.export import layout

    layout.register_fonts()
    runs: dict[tuple[float, float, float], list] = {}

    def visit(text, cm, tm, font, size):
        if not text.strip() or not font or abs(cm[1]) > 1e-6 or abs(tm[1]) > 1e-6:
            return
        x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        scaled = size * cm[3] * tm[3]
        bold = "Bold" in str(font.get("/BaseFont", ""))
        key = (round(x, 2), round(y, 2), scaled)
        runs.setdefault(key, []).append((text.rstrip("\n"), bold))

    pdf_pages(data)[page_number].extract_text(visitor_text=visit)
    boxes = []
    for (x, y, size), parts in runs.items():
        width = sum(
            pdfmetrics.stringWidth(text, layout.FONT_BOLD if bold else layout.FONT, size)
            for text, bold in parts
        )
        text = "".join(text for text, _ in parts)
        boxes.append(TextBox(text, x, x + width, y - 0.22 * size, y + 0.76 * size, size))
    return boxes


def overlapping(boxes: list[TextBox]) -> list[tuple[str, str]]:
    """Pairs of runs whose boxes intersect (text drawn over text)."""
    found = []
    ordered = sorted(boxes, key=lambda b: b.y0)
    for index, a in enumerate(ordered):
        for b in ordered[index + 1 :]:
            if b.y0 >= a.y1 - 0.3:
                break
            if a.x0 < b.x1 - 0.3 and b.x0 < a.x1 - 0.3:
                found.append((a.text, b.text))
    return found


def tiny_png(width: int = 40, height: int = 20, rgb=(36, 80, 122)) -> bytes:
    """A small solid-colour PNG made here (a logo or signature for the tests)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def image_count(data: bytes, page_number: int = 0) -> int:
    page = pdf_pages(data)[page_number]
    resources = page["/Resources"]
    xobjects = resources.get("/XObject") if resources else None
    if not xobjects:
        return 0
    return sum(1 for ref in xobjects.values() if ref.get_object()["/Subtype"] == "/Image")


LONG_NAME = "Ng-Ødegård-Vanderbilt-Castellanos y Montgomery-Smythe, Zoë Alexandra Marguerite"
LONG_ADDRESS = (
    "4711 Southeast Hawthorne Boulevard, Apartment 12B, Building C, Rear Entrance Near The "
    "Garden Gate Beside The Community Orchard"
)
LONG_DESCRIPTION = (
    "Therapeutic activities: dynamic functional tasks (lifting, reaching, transfers, "
    "kitchen mobility with a rolling walker) to improve functional performance"
)


def sample_data(lines: int = 3, diagnoses: int = 2, *, long: bool = False, **changes):
    """A superbill's data built by hand (renderer tests that need no database)."""
    from dataclasses import replace
    from datetime import date

    from otdesk.core.money import Money
    from otdesk.export import (
        DiagnosisLine,
        InsuranceBlock,
        PatientBlock,
        PaymentLine,
        PracticeBlock,
        ProviderBlock,
        ServiceLine,
        SuperbillData,
    )

    catalogue = [
        ("97530", LONG_DESCRIPTION if long else "Therapeutic activities", 38, 3, "70.00"),
        ("97110", "Therapeutic exercise", 15, 1, "60.00"),
        ("97165", "OT evaluation, low complexity", None, 1, "180.00"),
        ("97535", "Self-care and home management training", 22, 1, "65.00"),
    ]
    codes = ["M62.81", "R26.89", "R27.9", "R44.8", "I63.9", "F82", "R26.1", "M25.511"]
    codes += ["M79.641", "G81.91", "S52.501A", "M19.041"]
    service_lines = []
    for index in range(lines):
        code, words, minutes, units, fee = catalogue[index % len(catalogue)]
        service_lines.append(
            ServiceLine(
                code=code,
                description=words,
                units=units,
                modifiers=("GO", "59", "KX", "CO") if long and index == 0 else ("GO",),
                pointers=tuple("ABCD"[: 1 + index % 4]),
                minutes=minutes,
                fee=Money(fee),
                total=Money(fee) * units,
            )
        )
    data = SuperbillData(
        visit_id=41,
        version=1,
        status="finalized",
        date_of_service=date(2026, 3, 2),
        place_of_service="11",
        place_of_service_name="Office",
        practice=PracticeBlock(
            "Harbor Hands Occupational Therapy & Hand Clinic of the Greater Columbia Gorge"
            if long
            else "Harbor Hands OT",
            ("1200 Riverside Drive, Suite 400", "Portland, OR 97201"),
            "(503) 555-0142",
            "12-3456789",
            GROUP_NPI,
            "225X00000X",
        ),
        provider=ProviderBlock(
            "Blake Demo, COTA/L",
            "OTA",
            OTA_NPI,
            "OTA-20391",
            "OR",
            supervisor_name="Avery Demo, OTR/L",
            supervisor_npi=OT_NPI,
        ),
        patient=PatientBlock(
            LONG_NAME if long else "Núñez, José",
            date(1948, 7, 14),
            "A-1002",
            (LONG_ADDRESS if long else "12 Elm St", "Portland, OR 97214"),
            "(503) 555-0199",
        ),
        insurance=InsuranceBlock(
            "Medicare Part B", "1EG4-TE5-MK73", "GRP-0042", "José Núñez", "self", "MCR01"
        ),
        lines=tuple(service_lines),
        diagnoses=tuple(
            DiagnosisLine("ABCDEFGHIJKL"[index], codes[index], f"Diagnosis number {index + 1}")
            for index in range(diagnoses)
        ),
        total_timed_minutes=53,
        total_treatment_minutes=60,
        total_charges=sum((line.total for line in service_lines), Money(0)),
        payments=(PaymentLine(date(2026, 3, 2), "copay", "card", Money("20.00")),),
        signed_on=date(2026, 3, 2),
    )
    return replace(data, **changes)


def refinalized(clinic, visit_id: int, reason: str = "practice details changed") -> int:
    """An amendment of `visit_id`, finalized at once: a finalized visit prints the records
    of when it was finalized, so a test of a changed practice or patient makes a new
    version."""
    amendment = clinic.visits.amend(visit_id, reason)
    clinic.visits.finalize(amendment.id)
    return amendment.id
