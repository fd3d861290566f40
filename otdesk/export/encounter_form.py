"""The paper encounter form: the clinic's favourite codes with check boxes, minutes and
units to write in, for the therapist to fill during the session (otdesk.export.layout)."""

from __future__ import annotations

from typing import Any

from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Spacer,
    Table,
)

from otdesk.export.layout import (
    CELL_PADDING,
    FONT,
    FONT_BOLD,
    GAP,
    INK,
    LABEL_SIZE,
    MUTED,
    RULE,
    SHADE,
    WRITE_IN,
    Decoration,
    beside,
    build_pdf,
    content_width,
    grid_style,
    header,
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
    EncounterFormData,
)

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
    st = styles()
    width = content_width(paper)
    right_lines = [
        f"<b>Date of service {us_date(form.date_of_service)}</b>",
        "Tick the services given.",
    ]
    story: list[Flowable] = [header(form.practice, "ENCOUNTER FORM", right_lines, st, width)]
    story.append(Spacer(0, 8))
    story.append(patient_and_insurance(form.patient, form.insurance, st, width))
    story.append(Spacer(0, 6))
    provider_rows = (
        provider_rows_of(form.provider)
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
    story.append(two_boxes(("Rendering provider", provider_rows), ("Visit", visit_rows), st, width))
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
        table_style(
            [
                ("INNERGRID", (3, 0), (-1, -1), 0.4, RULE),
                *grid_style(),
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
    story.extend([section("Services", st), Spacer(0, 3), table, Spacer(0, 9)])
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
        table_style(
            [
                *grid_style(),
                ("FONT", (0, 1), (0, -1), FONT_BOLD, 8, 9.8),
                ("TOPPADDING", (0, 1), (-1, -1), 3.5),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 3.5),
            ]
        )
    )
    notes_height = 16.8 * len(dx_rows) - 2
    notes = Table(
        [[para("NOTES", st.section)], [""]],
        colWidths=[notes_width],
        rowHeights=[14, notes_height],
    )
    notes.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    lower = beside(
        [[section("Diagnoses", st), Spacer(0, 3), dx_table], "", [Spacer(0, 12), notes]],
        [dx_width, GAP, notes_width],
    )
    sign = Table(
        [["", "", ""], [para("Provider signature", st.small), "", para("Date", st.small)]],
        colWidths=[width - 154, 24, 130],
        rowHeights=[22, 12],
    )
    sign.setStyle(
        table_style(
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
    decoration = Decoration(
        f"{form.practice.name} · Encounter form · date of service {us_date(form.date_of_service)}",
        f"{form.patient.name} · account {form.patient.account_number} · continued",
        "",
    )
    return build_pdf(
        [encounter_form_story(form, paper)],
        [decoration],
        paper,
        title="Encounter form",
    )
