"""The superbill of one visit version (or of several, one after another in one file): the
practice header, patient and insurance, provider, diagnoses, services, totals with payments,
the out-of-network statement and the signature, laid out with otdesk.export.layout."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
)

from otdesk.core.visit import VisitStatus
from otdesk.export.layout import (
    ALERT,
    CELL_PADDING,
    FONT,
    FONT_BOLD,
    INK,
    LABEL_SIZE,
    MUTED,
    RULE,
    SHADE,
    Decoration,
    Progress,
    Styles,
    beside,
    build_pdf,
    content_width,
    grid_style,
    header,
    image,
    joined,
    para,
    patient_and_insurance,
    provider_rows_of,
    register_fonts,
    section,
    styles,
    table_style,
    two_boxes,
    us_date,
    wrap,
)
from otdesk.export.model import (
    SuperbillData,
)

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
    st = styles()
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
    story: list[Flowable] = [header(data.practice, "SUPERBILL", right_lines, st, width)]
    notes = []
    banner = _status_banner(data)
    if banner:
        notes.append(para(banner, st.banner))
    if data.issued_anyway:
        notes.append(para(f"Issued with open items: {data.issued_anyway}", st.banner))
    if data.is_amendment:
        why = f" Reason: {data.amend_reason}" if data.amend_reason else ""
        notes.append(
            para(
                f"Amended superbill: version {data.version} replaces version "
                f"{data.amends_version} of this visit.{why}",
                st.banner,
            )
        )
    story.append(Spacer(0, 6))
    for note in notes:
        story.extend([note, Spacer(0, 3)])
    story.append(patient_and_insurance(data.patient, data.insurance, st, width))
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
        two_boxes(
            ("Rendering provider", provider_rows_of(data.provider)),
            ("Visit", visit_rows),
            st,
            width,
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


def _diagnoses_table(data: SuperbillData, st: Styles, width: float) -> list[Flowable]:
    rows: list[list[Any]] = [["Ptr", "ICD-10-CM", "Diagnosis"]]
    text_width = width - 90 - 2 * CELL_PADDING
    for dx in data.diagnoses:
        rows.append([dx.letter, dx.code, wrap(dx.description, text_width)])
    if not data.diagnoses:
        rows.append(["", "", "No diagnosis entered."])
    table = Table(rows, colWidths=[28, 62, width - 90], repeatRows=1)
    table.setStyle(table_style([*grid_style(), ("FONT", (0, 1), (0, -1), FONT_BOLD, 8, 9.8)]))
    return [section("Diagnoses", st), Spacer(0, 3), table]


def _services_table(data: SuperbillData, st: Styles, width: float) -> list[Flowable]:
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
        table_style(
            [
                *grid_style(),
                ("ALIGN", (3, 0), (4, -1), "RIGHT"),
                ("ALIGN", (6, 0), (7, -1), "RIGHT"),
                ("FONT", (0, 1), (0, -1), FONT_BOLD, 8, 9.8),
            ]
        )
    )
    return [section("Services", st), Spacer(0, 3), table]


def _totals(data: SuperbillData, st: Styles, width: float) -> Table:
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
        table_style(
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
                para(f"{what} {us_date(payment.received_on)} ({payment.method})", st.cell),
                f"−{payment.amount}",
            ]
        )
    money_rows.append(["Payments and copays", str(data.paid)])
    money_rows.append(["Balance due", str(data.balance)])
    money_table = Table(money_rows, colWidths=[label_width, money_width])
    money_table.setStyle(
        table_style(
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
    return beside(
        [time_table, money_table],
        [width - label_width - money_width, label_width + money_width],
    )


def _statement(text: str, st: Styles, width: float) -> Table:
    table = Table(
        [
            [para("For out-of-network reimbursement".upper(), st.section)],
            [Paragraph(joined(*text.splitlines()), st.body)],  # its line breaks kept
        ],
        colWidths=[width],
    )
    table.setStyle(
        table_style(
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


def _signature(data: SuperbillData, st: Styles, width: float) -> Table:
    date_width = 130.0
    if data.provider.signature and data.signed_on:
        mark: Any = image(data.provider.signature, 200, 38)
        mark.hAlign = "LEFT"
    else:
        mark = Spacer(0, 26)
    who = f"Rendering provider signature – {data.provider.name}"
    when = us_date(data.signed_on) if data.signed_on else ""
    table = Table(
        [[mark, "", para(when, st.body)], [para(who, st.small), "", para("Date", st.small)]],
        colWidths=[width - date_width - 24, 24, date_width],
    )
    table.setStyle(
        table_style(
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


def _superbill_decoration(data: SuperbillData) -> Decoration:
    footer = (
        f"{data.practice.name} · Superbill · visit {data.visit_id}, version {data.version} · "
        f"date of service {us_date(data.date_of_service)}"
    )
    continued = (
        f"{data.patient.name} · account {data.patient.account_number} · date of service "
        f"{us_date(data.date_of_service)} · continued"
    )
    return Decoration(footer, continued, data.watermark)


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
    return build_pdf(
        stories, decorations, paper, title=title, progress=progress, cancelled=cancelled
    )
