"""The CMS-1500 (02/12) claim form as PDF, in two modes:

- "form": the whole form drawn on plain paper (boxes, numbers, labels and the data);
- "data": the data alone, for the pre-printed red OCR forms payers read by machine, moved
  by the printer's calibration (offsets and scale) so it lands in the boxes.

Every value sits on the form's character grid: 10 characters per inch and 6 lines per inch
in 12 pt Courier (the NUCC 1500 Reference Instruction Manual's print guidance). Line 1 is
the top line of the page and column 1 starts a quarter inch from the left edge; the line
and column of each item follow the industry's 1500 print layout (see data/SOURCES.md).
Six service lines fit a form; a longer claim continues on further forms, with the total
charge (box 28) on the last one and CONTINUED on the others.

ReportLab is imported here, at the first form (otdesk.export stays light).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

from otdesk.core.money import Money
from otdesk.export.claim_model import ORIGINAL, Claim, ClaimLine
from otdesk.export.files import CancelledError, ExportError
from otdesk.export.x12_837p import text as plain

MODES = ("form", "data")
LINES_PER_FORM = 6
PAGE_WIDTH, PAGE_HEIGHT = LETTER
COLUMN = 7.2  # 1/10 inch
LINE = 12.0  # 1/6 inch
LEFT = 18.0  # column 1's left edge: 1/4 inch
BASELINE = 3.0  # text sits this far above the bottom of its line
FONT, SIZE = "Courier", 12.0
FORM_RED = colors.HexColor("#c8102e")
SHADE = colors.HexColor("#fbe3e6")

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Calibration:
    """Where one printer puts the data: offsets in hundredths of an inch (positive: right,
    down) and a scale in percent about the page's top left corner."""

    right: int = 0
    down: int = 0
    scale_percent: int = 100


def cell(column: int, line: int) -> tuple[float, float]:
    """The PDF point (x, baseline y) of a grid cell before any calibration."""
    return LEFT + (column - 1) * COLUMN, PAGE_HEIGHT - line * LINE + BASELINE


def calibrated(x: float, y: float, calibration: Calibration) -> tuple[float, float]:
    """Where the point (x, y) of the grid is printed with `calibration`."""
    k = calibration.scale_percent / 100
    return x * k + calibration.right * 0.72, PAGE_HEIGHT - (PAGE_HEIGHT - y) * k - (
        calibration.down * 0.72
    )


# --- what goes where -------------------------------------------------------------------------

# Box 1's check boxes, by payer kind; box 6's by relationship; the service line rows.
INSURANCE_TYPE_COLUMN = {"medicare": 1, "medicaid": 8, "tricare": 15, "champva": 24,
                         "commercial": 31, "feca": 39, "workers-comp": 45}  # fmt: skip
RELATIONSHIP_COLUMN = {"self": 33, "spouse": 38, "child": 42, "other": 47}
FIRST_SERVICE_LINE = 44  # the unshaded line of service line 1; each takes two lines
DIAGNOSIS_LINE, DIAGNOSIS_COLUMNS = 38, (3, 16, 29, 42)


@dataclass(frozen=True, slots=True)
class Field:
    box: str  # "24D", "33a"...
    line: int
    column: int
    value: str


def form_fields(claim: Claim, page: int = 0) -> list[Field]:
    """The values of one form of the claim (page 0 first), each at its grid cell."""
    pages = form_count(claim)
    lines = claim.lines[page * LINES_PER_FORM : (page + 1) * LINES_PER_FORM]
    last = page == pages - 1
    f: list[Field] = []

    def put(box: str, line: int, column: int, value: str, width: int) -> None:
        if value:
            f.append(Field(box, line, column, plain(value, width)))

    def put_amount(box: str, line: int, column: int, value: Money) -> None:
        f.append(Field(box, line, column, _amount(value)))

    patient, subscriber = claim.patient, claim.subscriber
    put("carrier", 2, 41, claim.payer.name, 31)
    put("1", 8, INSURANCE_TYPE_COLUMN.get(claim.payer.kind, 45), "X", 1)
    put("1a", 8, 50, claim.member_id, 29)
    put("2", 10, 1, patient.name.listed, 28)

    def put_birth(box: str, line: int, column: int) -> None:
        born = patient.date_of_birth
        if born is not None:
            put(box, line, column, f"{born:%m}", 2)
            put(box, line, column + 3, f"{born:%d}", 2)
            put(box, line, column + 6, f"{born:%Y}", 4)

    def put_address(box: str, column: int, width: int, state_column: int, phone: int) -> None:
        if address is None:
            return
        put(box, 12, column, " ".join(p for p in (address.line1, address.line2) if p), width)
        put(box, 14, column, address.city, state_column - column - 2)
        put(box, 14, state_column, address.state, 2)
        put(box, 16, column, _zip(address.postal_code), 12)
        if len(patient.phone) == 10:
            put(box, 16, phone, patient.phone[:3], 3)
            put(box, 16, phone + 4, f"{patient.phone[3:6]}-{patient.phone[6:]}", 8)

    address = patient.address
    put_birth("3", 10, 31)
    if patient.sex in ("M", "F"):
        put("3", 10, 42 if patient.sex == "M" else 47, "X", 1)
    put("4", 10, 50, subscriber.name.listed, 29)
    put_address("5", 1, 28, 26, 15)
    put("6", 12, RELATIONSHIP_COLUMN.get(claim.relationship, 47), "X", 1)
    if claim.patient_is_subscriber:  # 7 and 11a: the insured is the patient
        put_address("7", 50, 29, 74, 65)
    # Medicare primary with no other coverage: "NONE" (CMS Pub. 100-04 ch. 26, item 11)
    group = claim.group_number or ("NONE" if claim.payer.kind == "medicare" else "")
    put("11", 18, 50, group, 29)
    for line in (20, 22, 24):  # 10a-c: not employment, auto or other accident related
        put("10", line, 41, "X", 1)
    if claim.patient_is_subscriber:
        put_birth("11a", 20, 53)
        if patient.sex in ("M", "F"):
            put("11a", 20, 68 if patient.sex == "M" else 75, "X", 1)
    if claim.payer.kind != "medicare":
        put("11d", 26, 57, "X", 1)  # no other health benefit plan
    put("12", 29, 7, "SIGNATURE ON FILE", 20)
    put("13", 29, 55, "SIGNATURE ON FILE", 20)
    if claim.referring is not None:
        put("17", 34, 1, "DN", 2)
        put("17", 34, 4, claim.referring.name.listed, 25)
        put("17b", 34, 33, claim.referring.npi, 10)
    if pages > 1:
        put("19", 36, 1, f"PAGE {page + 1} OF {pages}", 48)
    put("21", 37, 42, "0", 1)  # ICD indicator: ICD-10-CM
    for index, code in enumerate(claim.diagnoses[:12]):
        row, column = divmod(index, 4)
        put("21", DIAGNOSIS_LINE + row, DIAGNOSIS_COLUMNS[column], code.replace(".", ""), 8)
    if claim.frequency_code != ORIGINAL:
        put("22", 38, 50, claim.frequency_code, 2)
        put("22", 38, 62, claim.payer_claim_number, 15)
    for index, service in enumerate(lines):
        f.extend(_service_fields(claim, service, FIRST_SERVICE_LINE + 2 * index))
    billing = claim.billing
    put("25", 56, 1, _tin(billing.tin), 15)
    put("25", 56, 19, "X", 1)  # EIN
    put("26", 56, 23, claim.patient_control_number, 14)
    put("27", 56, 38, "X", 1)  # accepts assignment
    if last:
        put_amount("28", 56, 52, claim.total)
        if claim.amount_paid.amount > 0:
            put_amount("29", 56, 62, claim.amount_paid)
    else:
        put("28", 56, 51, "CONTINUED", 9)
    if len(billing.phone) == 10:
        put("33", 57, 66, billing.phone[:3], 3)
        put("33", 57, 70, f"{billing.phone[3:6]}-{billing.phone[6:]}", 8)
    put("32", 58, 23, billing.name, 26)
    put("33", 58, 50, billing.name, 29)
    street = " ".join(p for p in (billing.address.line1, billing.address.line2) if p)
    put("32", 59, 23, street, 26)
    put("33", 59, 50, street, 29)
    rendering = claim.rendering
    if rendering is not None:
        put("31", 59, 1, f"{rendering.name.first} {rendering.name.last}", 21)
    put("31", 60, 1, "SIGNATURE ON FILE", 21)
    city = f"{billing.address.city} {billing.address.state} {_zip(billing.address.postal_code)}"
    put("32", 60, 23, city, 26)
    put("33", 60, 50, city, 29)
    if claim.signed_on is not None:
        put("31", 61, 6, f"{claim.signed_on:%m%d%y}", 6)
    put("32a", 61, 23, billing.npi, 10)
    put("33a", 61, 50, billing.npi, 10)
    if billing.taxonomy and claim.payer.kind != "medicare":
        put("33b", 61, 63, "ZZ" + billing.taxonomy, 16)
    return f


def _service_fields(claim: Claim, line: ClaimLine, row: int) -> list[Field]:
    day = line.date_of_service
    out = [
        Field("24A", row, 1, f"{day:%m}"),
        Field("24A", row, 4, f"{day:%d}"),
        Field("24A", row, 7, f"{day:%y}"),
        Field("24A", row, 10, f"{day:%m}"),
        Field("24A", row, 13, f"{day:%d}"),
        Field("24A", row, 16, f"{day:%y}"),
        Field("24B", row, 19, claim.place_of_service),
        Field("24D", row, 25, line.code),
    ]
    for index, modifier in enumerate(line.modifiers[:4]):
        out.append(Field("24D", row, 33 + 3 * index, modifier))
    letters = "".join("ABCDEFGHIJKL"[p - 1] for p in line.pointers if 1 <= p <= 12)
    out.append(Field("24E", row, 45, letters[:4]))
    out.append(Field("24F", row, 50, _amount(line.charge)))
    out.append(Field("24G", row, 59, str(line.units)[:3]))
    if claim.rendering is not None:
        out.append(Field("24J", row, 68, claim.rendering.npi))
    if line.description:  # the shaded line above: ZZ narrative of an unlisted code
        out.append(Field("24", row - 1, 1, "ZZ" + plain(line.description, 59)))
    return out


def form_count(claim: Claim) -> int:
    return max(1, -(-len(claim.lines) // LINES_PER_FORM))


def _amount(value: Money) -> str:
    """Dollars and cents with a space for the point, right-aligned: "  124 00"."""
    return f"{value.amount:8.2f}".replace(".", " ")


def _tin(digits: str) -> str:
    return f"{digits[:2]}-{digits[2:]}" if len(digits) == 9 else digits


def _zip(digits: str) -> str:
    return f"{digits[:5]}-{digits[5:]}" if len(digits) == 9 else digits


# --- drawing ---------------------------------------------------------------------------------


def render_forms(
    claims: Sequence[Claim],
    mode: str = "form",
    calibration: Calibration | None = None,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> bytes:
    """CMS-1500 forms of the claims in one PDF (continuation forms included). In "data"
    mode the calibration moves and scales the data; "form" mode prints unmoved."""
    if mode not in MODES:
        raise ExportError(f"CMS-1500 mode {mode!r} is not one of {', '.join(MODES)}.")
    moved = (calibration or Calibration()) if mode == "data" else Calibration()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, pageCompression=1)
    canvas.setTitle("CMS-1500 claim forms")
    canvas.setCreator("otdesk")
    total = len(claims)
    for done, claim in enumerate(claims):
        if cancelled is not None and cancelled():
            raise CancelledError()
        for page in range(form_count(claim)):
            if mode == "form":
                _draw_form(canvas)
            _draw_fields(canvas, form_fields(claim, page), moved)
            canvas.showPage()
        if progress is not None:
            progress(done + 1, total)
    if not claims:
        raise ExportError("There is no claim to print.")
    canvas.save()
    return buffer.getvalue()


def render_alignment_page(calibration: Calibration | None = None) -> bytes:
    """The alignment test page for a pre-printed form: an X in box 1's first check box, a
    row of Xs in boxes 2, 24A (line 1), 24J (line 6) and 33a, each where the data would
    print with `calibration`. Print it on a red form and measure how far the Xs are off."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER)
    canvas.setTitle("CMS-1500 alignment test")
    marks = alignment_fields()
    _draw_fields(canvas, marks, calibration or Calibration())
    canvas.setFont("Helvetica", 8)
    canvas.drawString(LEFT, PAGE_HEIGHT - 14, "otdesk CMS-1500 alignment test: the Xs belong")
    canvas.drawString(LEFT, PAGE_HEIGHT - 24, "in boxes 1, 2, 24A, 24J and 33a.")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def alignment_fields() -> list[Field]:
    last_service = FIRST_SERVICE_LINE + 2 * (LINES_PER_FORM - 1)
    return [
        Field("1", 8, 1, "X"),
        Field("2", 10, 1, "X" * 28),
        Field("24A", FIRST_SERVICE_LINE, 1, "XX XX XX XX XX XX"),
        Field("24J", last_service, 68, "X" * 10),
        Field("33a", 61, 50, "X" * 10),
    ]


def _draw_fields(canvas: Canvas, fields: Sequence[Field], calibration: Calibration) -> None:
    k = calibration.scale_percent / 100
    canvas.saveState()
    canvas.setFillColor(colors.black)
    canvas.setFont(FONT, SIZE * k)
    for item in fields:
        x, y = calibrated(*cell(item.column, item.line), calibration)
        canvas.drawString(x, y, item.value)
    canvas.restoreState()


# Box outlines as (number, label, first column, last column, first line, last line).
BOXES: tuple[tuple[str, str, int, int, int, int], ...] = (
    ("1", "MEDICARE  MEDICAID  TRICARE  CHAMPVA  GROUP HEALTH PLAN  FECA  OTHER", 1, 49, 7, 8),
    ("1a", "INSURED'S I.D. NUMBER", 50, 80, 7, 8),
    ("2", "PATIENT'S NAME (Last, First, MI)", 1, 29, 9, 10),
    ("3", "PATIENT'S BIRTH DATE   SEX", 30, 49, 9, 10),
    ("4", "INSURED'S NAME (Last, First, MI)", 50, 80, 9, 10),
    ("5", "PATIENT'S ADDRESS (No., Street)", 1, 29, 11, 12),
    ("6", "PATIENT RELATIONSHIP TO INSURED", 30, 49, 11, 12),
    ("7", "INSURED'S ADDRESS (No., Street)", 50, 80, 11, 12),
    ("", "CITY                        STATE", 1, 29, 13, 14),
    ("8", "RESERVED FOR NUCC USE", 30, 49, 13, 16),
    ("", "CITY                        STATE", 50, 80, 13, 14),
    ("", "ZIP CODE      TELEPHONE", 1, 29, 15, 16),
    ("", "ZIP CODE      TELEPHONE", 50, 80, 15, 16),
    ("9", "OTHER INSURED'S NAME", 1, 29, 17, 18),
    ("10", "IS PATIENT'S CONDITION RELATED TO:", 30, 49, 17, 18),
    ("11", "INSURED'S POLICY GROUP OR FECA NUMBER", 50, 80, 17, 18),
    ("9a", "OTHER INSURED'S POLICY OR GROUP NUMBER", 1, 29, 19, 20),
    ("10a", "EMPLOYMENT?  YES    NO", 30, 49, 19, 20),
    ("11a", "INSURED'S DATE OF BIRTH   SEX", 50, 80, 19, 20),
    ("9b", "RESERVED FOR NUCC USE", 1, 29, 21, 22),
    ("10b", "AUTO ACCIDENT?  YES    NO", 30, 49, 21, 22),
    ("11b", "OTHER CLAIM ID", 50, 80, 21, 22),
    ("9c", "RESERVED FOR NUCC USE", 1, 29, 23, 24),
    ("10c", "OTHER ACCIDENT?  YES    NO", 30, 49, 23, 24),
    ("11c", "INSURANCE PLAN NAME OR PROGRAM NAME", 50, 80, 23, 24),
    ("9d", "INSURANCE PLAN NAME OR PROGRAM NAME", 1, 29, 25, 26),
    ("10d", "CLAIM CODES", 30, 49, 25, 26),
    ("11d", "ANOTHER HEALTH BENEFIT PLAN?  YES    NO", 50, 80, 25, 26),
    ("12", "PATIENT'S OR AUTHORIZED PERSON'S SIGNATURE", 1, 49, 27, 30),
    ("13", "INSURED'S OR AUTHORIZED PERSON'S SIGNATURE", 50, 80, 27, 30),
    ("14", "DATE OF CURRENT ILLNESS", 1, 29, 31, 32),
    ("15", "OTHER DATE", 30, 49, 31, 32),
    ("16", "DATES UNABLE TO WORK", 50, 80, 31, 32),
    ("17", "NAME OF REFERRING PROVIDER", 1, 29, 33, 34),
    ("17b", "NPI", 30, 49, 33, 34),
    ("18", "HOSPITALIZATION DATES", 50, 80, 33, 34),
    ("19", "ADDITIONAL CLAIM INFORMATION", 1, 49, 35, 36),
    ("20", "OUTSIDE LAB?   $ CHARGES", 50, 80, 35, 36),
    ("21", "DIAGNOSIS OR NATURE OF ILLNESS OR INJURY   ICD Ind.", 1, 49, 37, 40),
    ("22", "RESUBMISSION CODE     ORIGINAL REF. NO.", 50, 80, 37, 38),
    ("23", "PRIOR AUTHORIZATION NUMBER", 50, 80, 39, 40),
    ("24", "A. DATE(S) OF SERVICE  B.POS C.EMG  D. CPT/HCPCS  MODIFIER  E.PTR  "
     "F. $ CHARGES  G.UNITS H. I.   J. RENDERING NPI", 1, 80, 41, 42),
    ("25", "FEDERAL TAX I.D. NUMBER  SSN EIN", 1, 21, 55, 56),
    ("26", "PATIENT'S ACCOUNT NO.", 22, 36, 55, 56),
    ("27", "ACCEPT ASSIGNMENT?", 37, 49, 55, 56),
    ("28", "TOTAL CHARGE", 50, 61, 55, 56),
    ("29", "AMOUNT PAID", 62, 70, 55, 56),
    ("30", "Rsvd for NUCC", 71, 80, 55, 56),
    ("31", "SIGNATURE OF PHYSICIAN OR SUPPLIER", 1, 22, 57, 62),
    ("32", "SERVICE FACILITY LOCATION INFORMATION", 23, 49, 57, 62),
    ("33", "BILLING PROVIDER INFO & PH #", 50, 80, 57, 62),
)  # fmt: skip


def _edges(first_column: int, last_column: int, first_line: int, last_line: int):
    x0 = LEFT + (first_column - 1) * COLUMN - 2
    x1 = LEFT + last_column * COLUMN - 2
    top = PAGE_HEIGHT - (first_line - 1) * LINE
    bottom = PAGE_HEIGHT - last_line * LINE
    return x0, x1, top, bottom


def _draw_form(canvas: Canvas) -> None:
    """The form itself (plain paper): title, box outlines with their numbers and labels,
    the service lines' shaded rows, check boxes."""
    canvas.saveState()
    canvas.setStrokeColor(FORM_RED)
    canvas.setFillColor(FORM_RED)
    canvas.setLineWidth(0.6)
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawString(LEFT, PAGE_HEIGHT - 5 * LINE + 2, "HEALTH INSURANCE CLAIM FORM")
    canvas.setFont("Helvetica", 6)
    canvas.drawString(
        LEFT,
        PAGE_HEIGHT - 6 * LINE + 4,
        "APPROVED BY NATIONAL UNIFORM CLAIM COMMITTEE (NUCC) 02/12",
    )
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(LEFT, PAGE_HEIGHT - 3 * LINE, "1500")
    x0, x1, top, bottom = _edges(41, 80, 1, 6)
    canvas.setFont("Helvetica", 5)
    canvas.drawString(x0 + 2, top - 6, "CARRIER")
    # the service lines: shaded supplemental rows above each line
    for index in range(LINES_PER_FORM):
        shaded = FIRST_SERVICE_LINE - 1 + 2 * index
        sx0, sx1, stop, sbottom = _edges(1, 80, shaded, shaded)
        canvas.setFillColor(SHADE)
        canvas.rect(sx0, sbottom, sx1 - sx0, stop - sbottom, stroke=0, fill=1)
        canvas.setFillColor(FORM_RED)
        canvas.setFont("Helvetica-Bold", 7)
        canvas.drawString(LEFT - 12, sbottom - LINE + 4, str(index + 1))
    for number, label, c0, c1, l0, l1 in BOXES:
        x0, x1, top, bottom = _edges(c0, c1, l0, l1)
        canvas.rect(x0, bottom, x1 - x0, top - bottom, stroke=1, fill=0)
        canvas.setFont("Helvetica-Bold", 5.5)
        canvas.drawString(x0 + 1.5, top - 6, number)
        canvas.setFont("Helvetica", 5)
        indent = canvas.stringWidth(number, "Helvetica-Bold", 5.5) + 3 if number else 0
        canvas.drawString(x0 + 1.5 + indent, top - 6, label)
    x0, x1, top, bottom = _edges(1, 80, 43, 54)
    canvas.rect(x0, bottom, x1 - x0, top - bottom, stroke=1, fill=0)
    for column in (18, 22, 24, 32, 44, 49, 58, 62, 64, 67):  # 24A-J column rules
        x = LEFT + (column - 1) * COLUMN + 3
        canvas.line(x, top, x, bottom)
    for index in range(1, LINES_PER_FORM):
        y = PAGE_HEIGHT - (FIRST_SERVICE_LINE - 2 + 2 * index) * LINE
        canvas.line(x0, y, x1, y)
    # small check boxes where an X goes
    for column, line in _CHECK_BOXES:
        x, y = cell(column, line)
        canvas.rect(x - 1, y - 2, COLUMN + 2, LINE - 2, stroke=1, fill=0)
    canvas.restoreState()


_CHECK_BOXES = (
    *((column, 8) for column in INSURANCE_TYPE_COLUMN.values()),
    (42, 10), (47, 10), (33, 12), (38, 12), (42, 12), (47, 12),
    (35, 20), (41, 20), (35, 22), (41, 22), (35, 24), (41, 24),
    (68, 20), (75, 20), (52, 26), (57, 26), (17, 56), (19, 56), (38, 56), (43, 56),
)  # fmt: skip


__all__ = [
    "MODES",
    "Calibration",
    "Field",
    "alignment_fields",
    "calibrated",
    "cell",
    "form_count",
    "form_fields",
    "render_alignment_page",
    "render_forms",
]
