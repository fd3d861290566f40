"""The layout the documents share, with ReportLab platypus: the fonts (the shipped DejaVu
Sans, so text can be searched and copied), colours and paragraph styles, the page
decoration, and the building blocks (the header, labelled boxes, grids). The superbill
(otdesk.export.superbill), the encounter form (otdesk.export.encounter_form), the CMS-1500
(otdesk.export.cms1500) and the recovery sheet are made of these.

Imported only when the first document is made (otdesk.export imports the documents
lazily): ReportLab costs start-up time that charge entry does not need.

Every page is decorated when the document is saved (see _Canvas): the footer with the visit
number and "Page X of Y" (counted per visit, also inside a batch file), the continuation
header on later pages, and the DRAFT / VOID / REPLACED watermark. Anything of variable
length (names, addresses, descriptions) is a Paragraph that wraps inside its cell.
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
    PageBreak,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

from otdesk.export.files import CancelledError
from otdesk.export.model import (
    InsuranceBlock,
    PatientBlock,
    PracticeBlock,
    ProviderBlock,
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
class Styles:
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


def styles() -> Styles:
    body = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=10.5, textColor=INK)
    return Styles(
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


def table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    """A table style whose cells default to the shipped font (ReportLab's default is
    Helvetica, which would otherwise be referenced by empty cells)."""
    return TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8), *commands])


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped: names may hold & or <)."""
    return Paragraph(escape(text), style)


def joined(*parts: str) -> str:
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
class Decoration:
    """What is drawn on every page of one document (one visit) when the file is saved."""

    footer_left: str
    continued: str  # header on pages 2+
    watermark: str


class _Canvas(Canvas):
    """Keeps each page until save() so every page can say "Page X of Y" of its own visit,
    then draws the footer, the continuation header and the watermark."""

    decorations: Sequence[Decoration] = ()

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

    def _decorate(self, decoration: Decoration, number: int, total: int) -> None:
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


def build_pdf(
    stories: Sequence[list[Flowable]],
    decorations: Sequence[Decoration],
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


def image(data: bytes, max_width: float, max_height: float) -> Image:
    reader = ImageReader(io.BytesIO(data))
    width, height = reader.getSize()
    scale = min(max_width / width, max_height / height, 1.0)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale)


def header(
    practice: PracticeBlock, title: str, right_lines: list[str], st: Styles, width: float
) -> Table:
    left_parts: list[Flowable] = [para(practice.name, st.name)]
    address = joined(*practice.address_lines, f"Phone {practice.phone}" if practice.phone else "")
    if address:
        left_parts.append(Paragraph(address, st.body))
    ids = [
        f"TIN {practice.tin}" if practice.tin else "",
        f"Group NPI {practice.group_npi}" if practice.group_npi else "",
        f"Taxonomy {practice.taxonomy}" if practice.taxonomy else "",
    ]
    ids_text = " · ".join(part for part in ids if part)
    if ids_text:
        left_parts.append(para(ids_text, st.small))
    right_width = 190.0
    left_width = width - right_width
    left: Any = left_parts
    if practice.logo:
        logo = image(practice.logo, 110, 52)
        left = beside([logo, left_parts], [logo.drawWidth + 10, left_width - logo.drawWidth - 10])
    right = [para(title, st.title), Paragraph("<br/>".join(right_lines), st.title_sub)]
    table = Table([[left, right]], colWidths=[left_width, right_width])
    table.setStyle(
        table_style(
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


def _box(title: str, rows: list[tuple[str, str]], st: Styles, width: float) -> Table:
    """A titled box of label / value rows; values are wrapped to fit their cell."""
    value_width = width - BOX_LABEL_WIDTH - 2 * BOX_PADDING
    label_width = BOX_LABEL_WIDTH - 2 * BOX_PADDING
    data: list[list[Any]] = [[para(title.upper(), st.section), ""]]
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
        table_style(
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


def two_boxes(
    left: tuple[str, list[tuple[str, str]]],
    right: tuple[str, list[tuple[str, str]]],
    st: Styles,
    width: float,
) -> Table:
    """Two titled boxes (title, rows) side by side, each half the width."""
    half = (width - GAP) / 2
    return beside([_box(*left, st, half), "", _box(*right, st, half)], [half, GAP, half])


def patient_and_insurance(
    patient: PatientBlock, insurance: InsuranceBlock | None, st: Styles, width: float
) -> Table:
    """The patient and insurance boxes, alike on the superbill and the encounter form."""
    return two_boxes(
        ("Patient", _patient_rows(patient)), ("Insurance", _insurance_rows(insurance)), st, width
    )


def beside(cells: list[Any], widths: list[float]) -> Table:
    """One row of flowables side by side. The table only places them: no padding of its own
    (the cells' contents keep theirs), tops aligned."""
    table = Table([cells], colWidths=widths)
    table.setStyle(
        table_style(
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


def provider_rows_of(provider: ProviderBlock) -> list[tuple[str, str]]:
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


def grid_style(header_rows: int = 1) -> list[tuple[Any, ...]]:
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


def section(title: str, st: Styles) -> Paragraph:
    return Paragraph(escape(title.upper()), st.section)
