"""The superbill and encounter form PDFs, laid out with ReportLab platypus.

Imported only when the first document is made (otdesk.export imports it lazily): ReportLab
costs start-up time that charge entry does not need.

Every page is decorated when the document is saved (see _Canvas): the footer with the visit
number and "Page X of Y" (counted per visit, also inside a batch file), the continuation
header on later pages, and the DRAFT / VOID / REPLACED watermark. Text is real text in the
shipped DejaVu Sans, so it can be searched and copied; anything of variable length (names,
addresses, descriptions) is a Paragraph that wraps inside its cell.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from otdesk.core.visit import VisitStatus
from otdesk.export.files import CancelledError
from otdesk.export.model import (
    EncounterFormData,
    InsuranceBlock,
    PatientBlock,
    PracticeBlock,
    ProviderBlock,
    SuperbillData,
)

FONT = "OtdeskSans"
FONT_BOLD = "OtdeskSans-Bold"
PAGE_SIZES = {"letter": LETTER, "a4": A4}
MARGIN = 36.0  # half an inch
TOP_MARGIN = 40.0
BOTTOM_MARGIN = 46.0
GAP = 10.0  # between side-by-side boxes

INK = colors.HexColor("#1d2330")
# Labels survive a fax: at least LABEL_SIZE points, and near-black (a light grey fades).
MUTED = colors.HexColor("#353c48")
LABEL_SIZE = 8.0
RULE = colors.HexColor("#aab2c0")
SHADE = colors.HexColor("#eef1f5")
ACCENT = colors.HexColor("#24507a")
ALERT = colors.HexColor("#a3262a")

Progress = Callable[[int, int], None]


# --- fonts and styles --------------------------------------------------------------------------

_fonts_ready = False


def register_fonts() -> None:
    """Register the shipped DejaVu Sans (regular and bold) with ReportLab, once."""
    global _fonts_ready
    if _fonts_ready:
        return
    from otdesk.paths import resource_file

    pdfmetrics.registerFont(TTFont(FONT, str(resource_file("fonts/DejaVuSans.ttf"))))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(resource_file("fonts/DejaVuSans-Bold.ttf"))))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )
    _fonts_ready = True


@dataclass(frozen=True)
class _Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    cell: ParagraphStyle
    cell_right: ParagraphStyle
    name: ParagraphStyle
    title: ParagraphStyle
    title_sub: ParagraphStyle
    banner: ParagraphStyle
    section: ParagraphStyle


def _styles() -> _Styles:
    body = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=10.5, textColor=INK)
    return _Styles(
        body=body,
        small=ParagraphStyle(
            "small", parent=body, fontSize=LABEL_SIZE, leading=9.6, textColor=MUTED
        ),
        label=ParagraphStyle(
            "label",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=LABEL_SIZE,
            leading=10.5,
            textColor=MUTED,
        ),
        cell=ParagraphStyle("cell", parent=body, fontSize=8, leading=9.8),
        cell_right=ParagraphStyle("cell_right", parent=body, fontSize=8, leading=9.8, alignment=2),
        name=ParagraphStyle("name", parent=body, fontName=FONT_BOLD, fontSize=13, leading=16),
        title=ParagraphStyle(
            "title",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=17,
            leading=20,
            alignment=TA_RIGHT,
            textColor=ACCENT,
        ),
        title_sub=ParagraphStyle("title_sub", parent=body, alignment=TA_RIGHT, leading=11.5),
        banner=ParagraphStyle(
            "banner", parent=body, fontName=FONT_BOLD, fontSize=8.5, textColor=ALERT
        ),
        section=ParagraphStyle(
            "section",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=LABEL_SIZE,
            leading=9.5,
            textColor=ACCENT,
        ),
    )


def _style(commands: list[tuple[Any, ...]]) -> TableStyle:
    """A table style whose cells default to the shipped font (ReportLab's default is
    Helvetica, which would otherwise be referenced by empty cells)."""
    return TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8), *commands])


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped: names may hold & or <)."""
    return Paragraph(escape(text), style)


def _lines(*parts: str) -> str:
    """Escaped lines joined with line breaks, empty ones left out."""
    return "<br/>".join(escape(part) for part in parts if part)


def us_date(day: date | None) -> str:
    return day.strftime("%m/%d/%Y") if day else ""


def wrap(text: str, width: float, font: str = FONT, size: float = 8.0) -> str:
    """`text` broken into lines no wider than `width` (measured in the font), as one string
    with newlines for a table cell. Words longer than a line are broken between letters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        current = ""
        for word in words:
            candidate = f"{current} {word}" if current else word
            if pdfmetrics.stringWidth(candidate, font, size) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            while pdfmetrics.stringWidth(word, font, size) > width:
                cut = len(word) - 1
                while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


# --- page decoration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Decoration:
    """What is drawn on every page of one document (one visit) when the file is saved."""

    footer_left: str
    continued: str  # header on pages 2+
    watermark: str


class _Canvas(Canvas):
    """Keeps each page until save() so every page can say "Page X of Y" of its own visit,
    then draws the footer, the continuation header and the watermark."""

    decorations: Sequence[_Decoration] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept_pages: list[dict[str, Any]] = []
        self.otdesk_group = 0

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._kept_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        pages = list(self._kept_pages)
        totals = Counter(page["otdesk_group"] for page in pages)
        seen: Counter[int] = Counter()
        for page in pages:
            self.__dict__.update(page)
            group = self.otdesk_group
            seen[group] += 1
            if self.decorations:
                self._decorate(self.decorations[group], seen[group], totals[group])
            Canvas.showPage(self)
        Canvas.save(self)

    def _decorate(self, decoration: _Decoration, number: int, total: int) -> None:
        width, height = self._pagesize
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, BOTTOM_MARGIN - 14, width - MARGIN, BOTTOM_MARGIN - 14)
        page_label = f"Page {number} of {total}"
        room = width - 2 * MARGIN - pdfmetrics.stringWidth(page_label, FONT_BOLD, LABEL_SIZE) - 12
        self.setFont(FONT, LABEL_SIZE)
        self.setFillColor(MUTED)
        self.drawString(MARGIN, BOTTOM_MARGIN - 24, _clip(decoration.footer_left, room, LABEL_SIZE))
        self.setFont(FONT_BOLD, LABEL_SIZE)
        self.setFillColor(INK)
        self.drawRightString(width - MARGIN, BOTTOM_MARGIN - 24, page_label)
        if number > 1 and decoration.continued:
            self.setFont(FONT, LABEL_SIZE)
            self.setFillColor(MUTED)
            text = _clip(decoration.continued, width - 2 * MARGIN, LABEL_SIZE)
            self.drawString(MARGIN, height - TOP_MARGIN + 12, text)
        if decoration.watermark:
            self.setFillColor(ALERT)
            self.setFillAlpha(0.11)
            self.setFont(FONT_BOLD, 120 if len(decoration.watermark) <= 5 else 92)
            self.translate(width / 2, height / 2)
            self.rotate(38)
            self.drawCentredString(0, -40, decoration.watermark)
        self.restoreState()


def _clip(text: str, width: float, size: float) -> str:
    """One line of `text` cut (with an ellipsis) to `width`."""
    if pdfmetrics.stringWidth(text, FONT, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


class _StartOf(Flowable):
    """Marks where a visit's pages begin; reports batch progress and honours cancel."""

    def __init__(self, group: int, total: int, progress: Progress | None, cancelled: Any) -> None:
        super().__init__()
        self.group = group
        self.total = total
        self.progress = progress
        self.cancelled = cancelled

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise CancelledError()
        self.canv.otdesk_group = self.group  # type: ignore[attr-defined]
        if self.progress is not None:
            self.progress(self.group, self.total)


def _build(
    stories: Sequence[list[Flowable]],
    decorations: Sequence[_Decoration],
    paper: str,
    *,
    title: str,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> bytes:
    page = PAGE_SIZES[paper]
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=TOP_MARGIN,
        bottomMargin=BOTTOM_MARGIN,
        title=title,
        author="otdesk",
        creator="otdesk",
        invariant=1,
        # every page starts in the shipped font, so no standard font is referenced at all
        initialFontName=FONT,
        initialFontSize=8,
        initialLeading=10,
    )
    frame = Frame(
        MARGIN,
        BOTTOM_MARGIN,
        page[0] - 2 * MARGIN,
        page[1] - TOP_MARGIN - BOTTOM_MARGIN,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    story: list[Flowable] = []
    for index, part in enumerate(stories):
        if index:
            story.append(PageBreak())
        story.append(_StartOf(index, len(stories), progress, cancelled))
        story.extend(part)

    class Made(_Canvas):
        pass

    Made.decorations = tuple(decorations)
    doc.build(story, canvasmaker=Made)
    if progress is not None:
        progress(len(stories), len(stories))
    return buffer.getvalue()


def content_width(paper: str) -> float:
    return PAGE_SIZES[paper][0] - 2 * MARGIN


# --- building blocks ---------------------------------------------------------------------------


def _image(data: bytes, max_width: float, max_height: float) -> Image:
    reader = ImageReader(io.BytesIO(data))
    width, height = reader.getSize()
    scale = min(max_width / width, max_height / height, 1.0)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale)


def _header(
    practice: PracticeBlock, title: str, right_lines: list[str], st: _Styles, width: float
) -> Table:
    left_parts: list[Flowable] = [_p(practice.name, st.name)]
    address = _lines(*practice.address_lines, f"Phone {practice.phone}" if practice.phone else "")
    if address:
        left_parts.append(Paragraph(address, st.body))
    ids = [
        f"TIN {practice.tin}" if practice.tin else "",
        f"Group NPI {practice.group_npi}" if practice.group_npi else "",
        f"Taxonomy {practice.taxonomy}" if practice.taxonomy else "",
    ]
    ids_text = " · ".join(part for part in ids if part)
    if ids_text:
        left_parts.append(_p(ids_text, st.small))
    right_width = 190.0
    left_width = width - right_width
    left: Any = left_parts
    if practice.logo:
        logo = _image(practice.logo, 110, 52)
        left = _beside([logo, left_parts], [logo.drawWidth + 10, left_width - logo.drawWidth - 10])
    right = [_p(title, st.title), Paragraph("<br/>".join(right_lines), st.title_sub)]
    table = Table([[left, right]], colWidths=[left_width, right_width])
    table.setStyle(
        _style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
            ]
        )
    )
    return table


BOX_LABEL_WIDTH = 96.0  # a label of 8 pt fits: "Prior authorization"
BOX_PADDING = 5.0
WRITE_IN = "\x00"  # a value left blank for handwriting (the encounter form)


def _box(title: str, rows: list[tuple[str, str]], st: _Styles, width: float) -> Table:
    """A titled box of label / value rows; values are wrapped to fit their cell."""
    value_width = width - BOX_LABEL_WIDTH - 2 * BOX_PADDING
    label_width = BOX_LABEL_WIDTH - 2 * BOX_PADDING
    data: list[list[Any]] = [[_p(title.upper(), st.section), ""]]
    commands: list[tuple[Any, ...]] = []
    heights: list[float | None] = [None]
    for index, (label, value) in enumerate(rows, start=1):
        label_text = wrap(label, label_width, FONT_BOLD, LABEL_SIZE)
        if value == WRITE_IN:
            shown = ""
            commands.append(("LINEBELOW", (1, index), (1, index), 0.4, RULE))
            heights.append(max(16.0, 6.0 + 8.0 * (label_text.count("\n") + 1)))
        else:
            shown = wrap(value, value_width, FONT, 8.5) or "–"
            heights.append(None)
        data.append([label_text, shown])
    table = Table(data, colWidths=[BOX_LABEL_WIDTH, width - BOX_LABEL_WIDTH], rowHeights=heights)
    table.setStyle(
        _style(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("FONT", (1, 1), (1, -1), FONT, 8.5, 10.5),
                ("TEXTCOLOR", (1, 1), (1, -1), INK),
                # labels are smaller: a little more padding puts them on the value's baseline
                ("FONT", (0, 1), (0, -1), FONT_BOLD, LABEL_SIZE, 9.5),
                ("TEXTCOLOR", (0, 1), (0, -1), MUTED),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), BOX_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), BOX_PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("TOPPADDING", (0, 1), (0, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("TOPPADDING", (0, 0), (-1, 0), 3),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 3),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 4),
                *commands,
            ]
        )
    )
    return table


def _two_boxes(
    left: tuple[str, list[tuple[str, str]]],
    right: tuple[str, list[tuple[str, str]]],
    st: _Styles,
    width: float,
) -> Table:
    """Two titled boxes (title, rows) side by side, each half the width."""
    half = (width - GAP) / 2
    return _beside([_box(*left, st, half), "", _box(*right, st, half)], [half, GAP, half])


def _patient_and_insurance(
    patient: PatientBlock, insurance: InsuranceBlock | None, st: _Styles, width: float
) -> Table:
    """The patient and insurance boxes, alike on the superbill and the encounter form."""
    return _two_boxes(
        ("Patient", _patient_rows(patient)), ("Insurance", _insurance_rows(insurance)), st, width
    )


def _beside(cells: list[Any], widths: list[float]) -> Table:
    """One row of flowables side by side. The table only places them: no padding of its own
    (the cells' contents keep theirs), tops aligned."""
    table = Table([cells], colWidths=widths)
    table.setStyle(
        _style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _patient_rows(patient: PatientBlock) -> list[tuple[str, str]]:
    born = us_date(patient.date_of_birth)
    return [
        ("Name", patient.name),
        ("Date of birth", f"{born} · {patient.sex}" if patient.sex else born),
        ("Address", "\n".join(patient.address_lines)),
        ("Phone", patient.phone),
        ("Account #", patient.account_number),
    ]


def _insurance_rows(insurance: InsuranceBlock | None) -> list[tuple[str, str]]:
    if insurance is None:
        return [("Payer", "Self-pay (no insurance billed)")]
    payer = insurance.payer_name
    if insurance.payer_code:
        payer += f" (payer ID {insurance.payer_code})"
    subscriber = insurance.subscriber_name
    if insurance.subscriber_date_of_birth is not None:
        subscriber += f" · born {us_date(insurance.subscriber_date_of_birth)}"
    return [
        ("Payer", payer),
        ("Member ID", insurance.member_id),
        ("Group #", insurance.group_number),
        ("Subscriber", subscriber.strip(" ·")),
        ("Relationship", insurance.relationship.capitalize() if insurance.relationship else ""),
    ]


def _provider_rows(provider: ProviderBlock) -> list[tuple[str, str]]:
    rows = [
        ("Name", provider.name),
        ("NPI", provider.npi),
        ("License", provider.license),
    ]
    if provider.taxonomy:
        rows.append(("Taxonomy", provider.taxonomy))
    if provider.supervisor_name:
        supervisor = provider.supervisor_name
        if provider.supervisor_npi:
            supervisor += f"\nNPI {provider.supervisor_npi}"
        rows.append(("Supervising therapist", supervisor))
    return rows


CELL_PADDING = 3.0


def _grid_style(header_rows: int = 1) -> list[tuple[Any, ...]]:
    return [
        ("FONT", (0, 0), (-1, -1), FONT, 8, 9.8),
        ("FONT", (0, 0), (-1, header_rows - 1), FONT_BOLD, LABEL_SIZE),
        ("TEXTCOLOR", (0, 0), (-1, header_rows - 1), ACCENT),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE),
        ("LINEBELOW", (0, 0), (-1, header_rows - 1), 0.8, ACCENT),
        ("LINEBELOW", (0, header_rows), (-1, -1), 0.4, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]


def _section(title: str, st: _Styles) -> Paragraph:
    return Paragraph(escape(title.upper()), st.section)


# --- the superbill -----------------------------------------------------------------------------

SERVICE_COLUMNS = ("Code", "Modifiers", "Description", "Minutes", "Units", "Dx", "Fee", "Total")
# Every width but the description's (which takes the rest).
_SERVICE_WIDTHS = (38.0, 52.0, None, 40.0, 32.0, 48.0, 62.0, 64.0)


def service_widths(width: float) -> list[float]:
    fixed = sum(w for w in _SERVICE_WIDTHS if w is not None)
    return [w if w is not None else width - fixed for w in _SERVICE_WIDTHS]


def _status_banner(data: SuperbillData) -> str:
    if data.is_draft:
        return "DRAFT: this visit is not finalized yet. Not for billing."
    if data.status == VisitStatus.VOID:
        return "VOID: this visit was voided. Not for billing."
    if data.status == VisitStatus.AMENDED:
        return "REPLACED: a later version of this visit exists. Use the newest version."
    return ""


def superbill_story(data: SuperbillData, paper: str = "letter") -> list[Flowable]:
    """The flowables of one superbill (used alone or one after another in a batch)."""
    register_fonts()
    st = _styles()
    width = content_width(paper)
    right_lines = [
        f"Visit {data.visit_id} · version {data.version}",
        f"<b>Date of service {us_date(data.date_of_service)}</b>",
    ]
    if data.is_amendment:
        right_lines.append(
            f'<font color="{ALERT.hexval()}"><b>AMENDED</b> (replaces version '
            f"{data.amends_version})</font>"
        )
    story: list[Flowable] = [_header(data.practice, "SUPERBILL", right_lines, st, width)]
    notes = []
    banner = _status_banner(data)
    if banner:
        notes.append(_p(banner, st.banner))
    if data.issued_anyway:
        notes.append(_p(f"Issued with open items: {data.issued_anyway}", st.banner))
    if data.is_amendment:
        why = f" Reason: {data.amend_reason}" if data.amend_reason else ""
        notes.append(
            _p(
                f"Amended superbill: version {data.version} replaces version "
                f"{data.amends_version} of this visit.{why}",
                st.banner,
            )
        )
    story.append(Spacer(0, 6))
    for note in notes:
        story.extend([note, Spacer(0, 3)])
    story.append(_patient_and_insurance(data.patient, data.insurance, st, width))
    story.append(Spacer(0, 6))
    visit_rows = [
        ("Date of service", us_date(data.date_of_service)),
        ("Place of service", f"{data.place_of_service} – {data.place_of_service_name}"),
    ]
    if data.referring_name or data.referring_npi:
        referring = data.referring_name
        if data.referring_npi:
            referring += f"\nNPI {data.referring_npi}"
        visit_rows.append(("Referring provider", referring.strip()))
    if data.plan_start:
        through = us_date(data.plan_certified_through) or "open"
        visit_rows.append(("Plan of care", f"{us_date(data.plan_start)} to {through}"))
    if data.onset_date:
        visit_rows.append(("Onset date", us_date(data.onset_date)))
    if data.prior_authorization:
        visit_rows.append(("Prior authorization", data.prior_authorization))
    story.append(
        _two_boxes(
            ("Rendering provider", _provider_rows(data.provider)), ("Visit", visit_rows), st, width
        )
    )
    story.append(Spacer(0, 9))
    story.extend(_diagnoses_table(data, st, width))
    story.append(Spacer(0, 9))
    story.extend(_services_table(data, st, width))
    story.append(Spacer(0, 6))
    closing: list[Flowable] = [_totals(data, st, width)]
    if data.out_of_network_text:
        closing.extend([Spacer(0, 8), _statement(data.out_of_network_text, st, width)])
    closing.extend([Spacer(0, 14), _signature(data, st, width)])
    story.append(KeepTogether(closing))
    return story


def _diagnoses_table(data: SuperbillData, st: _Styles, width: float) -> list[Flowable]:
    rows: list[list[Any]] = [["Ptr", "ICD-10-CM", "Diagnosis"]]
    text_width = width - 90 - 2 * CELL_PADDING
    for dx in data.diagnoses:
        rows.append([dx.letter, dx.code, wrap(dx.description, text_width)])
    if not data.diagnoses:
        rows.append(["", "", "No diagnosis entered."])
    table = Table(rows, colWidths=[28, 62, width - 90], repeatRows=1)
    table.setStyle(_style([*_grid_style(), ("FONT", (0, 1), (0, -1), FONT_BOLD, 8, 9.8)]))
    return [_section("Diagnoses", st), Spacer(0, 3), table]


def _services_table(data: SuperbillData, st: _Styles, width: float) -> list[Flowable]:
    widths = service_widths(width)
    inner = [w - 2 * CELL_PADDING for w in widths]
    rows: list[list[Any]] = [list(SERVICE_COLUMNS)]
    for line in data.lines:
        rows.append(
            [
                wrap(line.code, inner[0], FONT_BOLD),
                wrap(" ".join(line.modifiers), inner[1]),
                wrap(line.description, inner[2]),
                str(line.minutes) if line.minutes is not None else "–",
                wrap(str(line.units), inner[4]),
                wrap(" ".join(line.pointers), inner[5]),
                wrap(str(line.fee), inner[6]) if line.fee is not None else "–",
                wrap(str(line.total), inner[7]),
            ]
        )
    if not data.lines:
        rows.append(["", "", "No services entered.", "", "", "", "", ""])
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        _style(
            [
                *_grid_style(),
                ("ALIGN", (3, 0), (4, -1), "RIGHT"),
                ("ALIGN", (6, 0), (7, -1), "RIGHT"),
                ("FONT", (0, 1), (0, -1), FONT_BOLD, 8, 9.8),
            ]
        )
    )
    return [_section("Services", st), Spacer(0, 3), table]


def _totals(data: SuperbillData, st: _Styles, width: float) -> Table:
    treatment = (
        f"{data.total_treatment_minutes} min" if data.total_treatment_minutes is not None else "–"
    )
    time_rows = [
        ["Total timed minutes", f"{data.total_timed_minutes} min"],
        ["Total treatment time", treatment],
        ["Units billed", str(sum(line.units for line in data.lines))],
    ]
    time_table = Table(time_rows, colWidths=[110, 60])
    time_table.setStyle(
        _style(
            [
                ("FONT", (0, 0), (-1, -1), FONT, LABEL_SIZE),
                ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    money_width = 70.0
    label_width = 190.0
    money_rows: list[list[Any]] = [["Total charges", str(data.total_charges)]]
    for payment in data.payments:
        what = "Copay" if payment.kind == "copay" else "Payment"
        money_rows.append(
            [
                _p(f"{what} {us_date(payment.received_on)} ({payment.method})", st.cell),
                f"−{payment.amount}",
            ]
        )
    money_rows.append(["Payments and copays", str(data.paid)])
    money_rows.append(["Balance due", str(data.balance)])
    money_table = Table(money_rows, colWidths=[label_width, money_width])
    money_table.setStyle(
        _style(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8.5),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
                ("FONT", (0, -1), (-1, -1), FONT_BOLD, 10),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (0, -1), (-1, -1), 1, INK),
                ("BACKGROUND", (0, -1), (-1, -1), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, -1), (-1, -1), 4),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 4),
            ]
        )
    )
    return _beside(
        [time_table, money_table],
        [width - label_width - money_width, label_width + money_width],
    )


def _statement(text: str, st: _Styles, width: float) -> Table:
    table = Table(
        [
            [_p("For out-of-network reimbursement".upper(), st.section)],
            [Paragraph(_lines(*text.splitlines()), st.body)],  # its line breaks kept
        ],
        colWidths=[width],
    )
    table.setStyle(
        _style(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _signature(data: SuperbillData, st: _Styles, width: float) -> Table:
    date_width = 130.0
    if data.provider.signature and data.signed_on:
        mark: Any = _image(data.provider.signature, 200, 38)
        mark.hAlign = "LEFT"
    else:
        mark = Spacer(0, 26)
    who = f"Rendering provider signature – {data.provider.name}"
    when = us_date(data.signed_on) if data.signed_on else ""
    table = Table(
        [[mark, "", _p(when, st.body)], [_p(who, st.small), "", _p("Date", st.small)]],
        colWidths=[width - date_width - 24, 24, date_width],
    )
    table.setStyle(
        _style(
            [
                ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
                ("LINEBELOW", (0, 0), (0, 0), 0.8, INK),
                ("LINEBELOW", (2, 0), (2, 0), 0.8, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _superbill_decoration(data: SuperbillData) -> _Decoration:
    footer = (
        f"{data.practice.name} · Superbill · visit {data.visit_id}, version {data.version} · "
        f"date of service {us_date(data.date_of_service)}"
    )
    continued = (
        f"{data.patient.name} · account {data.patient.account_number} · date of service "
        f"{us_date(data.date_of_service)} · continued"
    )
    return _Decoration(footer, continued, data.watermark)


def render_superbills(
    visits: Sequence[SuperbillData],
    paper: str = "letter",
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> bytes:
    """One PDF holding the superbills one after another, each starting on a new page with
    its own page numbers. progress(done, total) is called as visits are laid out;
    cancelled() returning True stops with CancelledError."""
    if not visits:
        raise ValueError("no superbills to render")
    stories = [superbill_story(data, paper) for data in visits]
    decorations = [_superbill_decoration(data) for data in visits]
    title = (
        f"Superbill – visit {visits[0].visit_id}"
        if len(visits) == 1
        else f"Superbills – {len(visits)} visits"
    )
    return _build(stories, decorations, paper, title=title, progress=progress, cancelled=cancelled)


# --- the encounter form ------------------------------------------------------------------------

FORM_COLUMNS = ("", "Code", "Service", "Minutes", "Units", "Modifiers", "Dx pointers")
FORM_BLANK_DIAGNOSES = 4
FORM_BLANK_ROWS = 1
_FORM_WIDTHS = (18.0, 40.0, None, 52.0, 42.0, 70.0, 66.0)


def short_label(text: str) -> str:
    """A code's words without their parenthesised examples, for a one-line check list."""
    head = text.split(" (", 1)[0].strip()
    return head or text


def form_widths(width: float) -> list[float]:
    fixed = sum(w for w in _FORM_WIDTHS if w is not None)
    return [w if w is not None else width - fixed for w in _FORM_WIDTHS]


def encounter_form_story(form: EncounterFormData, paper: str = "letter") -> list[Flowable]:
    register_fonts()
    st = _styles()
    width = content_width(paper)
    right_lines = [
        f"<b>Date of service {us_date(form.date_of_service)}</b>",
        "Tick the services given.",
    ]
    story: list[Flowable] = [_header(form.practice, "ENCOUNTER FORM", right_lines, st, width)]
    story.append(Spacer(0, 8))
    story.append(_patient_and_insurance(form.patient, form.insurance, st, width))
    story.append(Spacer(0, 6))
    provider_rows = (
        _provider_rows(form.provider)
        if form.provider
        else [("Name", WRITE_IN), ("NPI", WRITE_IN), ("License", WRITE_IN)]
    )
    pos = (
        f"{form.place_of_service} – {form.place_of_service_name}"
        if form.place_of_service
        else WRITE_IN
    )
    visit_rows = [
        ("Date of service", us_date(form.date_of_service)),
        ("Place of service", pos),
        ("Time in / out", WRITE_IN),
        ("Treatment minutes", WRITE_IN),
    ]
    story.append(
        _two_boxes(("Rendering provider", provider_rows), ("Visit", visit_rows), st, width)
    )
    story.append(Spacer(0, 9))
    widths = form_widths(width)
    rows: list[list[Any]] = [list(FORM_COLUMNS)]
    untimed: list[tuple[Any, ...]] = []
    for index, code in enumerate(form.codes, start=1):
        rows.append(
            [
                "☐",
                code.code,
                wrap(short_label(code.description), widths[2] - 2 * CELL_PADDING),
                "" if code.timed else "untimed",
                "",
                "",
                "",
            ]
        )
        if not code.timed:
            untimed.append(("BACKGROUND", (3, index), (3, index), SHADE))
    for _ in range(FORM_BLANK_ROWS):  # room for codes that are not on the list
        rows.append(["☐", "", "", "", "", "", ""])
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        _style(
            [
                ("INNERGRID", (3, 0), (-1, -1), 0.4, RULE),
                *_grid_style(),
                ("FONT", (0, 1), (0, -1), FONT, 10, 10),
                ("FONT", (1, 1), (1, -1), FONT_BOLD, 8, 9.8),
                ("FONT", (3, 1), (3, -1), FONT, LABEL_SIZE, 9.8),
                ("TEXTCOLOR", (3, 1), (3, -1), MUTED),
                ("ALIGN", (3, 1), (3, -1), "CENTER"),
                ("TOPPADDING", (0, 1), (-1, -1), 3.2),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 3.2),
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                *untimed,
            ]
        )
    )
    story.extend([_section("Services", st), Spacer(0, 3), table, Spacer(0, 9)])
    # Diagnoses and notes side by side: the form should fit one page.
    dx_width = round(width * 0.58)
    notes_width = width - dx_width - GAP
    dx_rows: list[list[Any]] = [["Ptr", "ICD-10-CM", "Diagnosis"]]
    letters = "ABCDEFGHIJKL"
    known = list(form.diagnoses)
    count = max(len(known), FORM_BLANK_DIAGNOSES)
    for index in range(min(count, len(letters))):
        if index < len(known):
            dx = known[index]
            dx_rows.append([dx.letter, dx.code, wrap(dx.description, dx_width - 98 - 6)])
        else:
            dx_rows.append([letters[index], "", ""])
    dx_table = Table(dx_rows, colWidths=[28, 70, dx_width - 98], repeatRows=1)
    dx_table.setStyle(
        _style(
            [
                *_grid_style(),
                ("FONT", (0, 1), (0, -1), FONT_BOLD, 8, 9.8),
                ("TOPPADDING", (0, 1), (-1, -1), 3.5),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 3.5),
            ]
        )
    )
    notes_height = 16.8 * len(dx_rows) - 2
    notes = Table(
        [[_p("NOTES", st.section)], [""]],
        colWidths=[notes_width],
        rowHeights=[14, notes_height],
    )
    notes.setStyle(
        _style(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    lower = _beside(
        [[_section("Diagnoses", st), Spacer(0, 3), dx_table], "", [Spacer(0, 12), notes]],
        [dx_width, GAP, notes_width],
    )
    sign = Table(
        [["", "", ""], [_p("Provider signature", st.small), "", _p("Date", st.small)]],
        colWidths=[width - 154, 24, 130],
        rowHeights=[22, 12],
    )
    sign.setStyle(
        _style(
            [
                ("LINEBELOW", (0, 0), (0, 0), 0.8, INK),
                ("LINEBELOW", (2, 0), (2, 0), 0.8, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(KeepTogether([lower, Spacer(0, 6), sign]))
    return story


def render_encounter_form(form: EncounterFormData, paper: str = "letter") -> bytes:
    decoration = _Decoration(
        f"{form.practice.name} · Encounter form · date of service {us_date(form.date_of_service)}",
        f"{form.patient.name} · account {form.patient.account_number} · continued",
        "",
    )
    return _build(
        [encounter_form_story(form, paper)],
        [decoration],
        paper,
        title="Encounter form",
    )


__all__ = [
    "FORM_COLUMNS",
    "SERVICE_COLUMNS",
    "CancelledError",
    "content_width",
    "encounter_form_story",
    "register_fonts",
    "render_encounter_form",
    "render_superbills",
    "service_widths",
    "superbill_story",
]
