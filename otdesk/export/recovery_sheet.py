"""The recovery sheet: the clinic's recovery key on one printed page, with what it is, where
to keep it and what is lost without it, in plain words. Shown once, when the key is made
(the emergency access procedure of the HIPAA Security Rule, 45 CFR 164.312(a)(2)(ii)).

Imported only when the sheet is printed (ReportLab is a heavy import). The sheet is made in
memory; the caller shows or prints it and should not keep it on disk.
"""

from __future__ import annotations

import io
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from otdesk.export.layout import (
    ACCENT,
    ALERT,
    FONT,
    FONT_BOLD,
    INK,
    MARGIN,
    MUTED,
    PAGE_SIZES,
    RULE,
    SHADE,
    register_fonts,
)

# Courier is one of PDF's standard fonts: every character the same width, so the groups
# line up and a 5 is never taken for an S.
_KEY_FONT = "Courier-Bold"

SECTIONS = (
    (
        "What this is",
        "This is the recovery key of the clinic's otdesk data. otdesk keeps the clinic's "
        "database and every backup of it encrypted: they open only with the password of a "
        "person who has an account, or with this key. It is the way back in when nobody "
        "can sign in (every administrator's password is forgotten, or the only administrator "
        "has left).",
    ),
    (
        "Where to keep it",
        "Keep this sheet on paper, locked away from the computer: in a safe, a locked drawer, "
        "or with the practice owner. Do not keep it beside the computer, and do not save, "
        "scan, photograph or email it: anyone who has it can open every patient's record. "
        "Make one copy for a second safe place if you wish.",
    ),
    (
        "What is lost without it",
        "If every password is forgotten and this key is lost too, the clinic's data and all of "
        "its backups can never be opened again, by you, by your IT support or by otdesk's "
        "makers. There is no other copy of the key and no way around the encryption.",
    ),
    (
        "How to use it",
        "When otdesk asks for the recovery key, type the 40 letters and digits in the boxes "
        "above. Capitals, spaces and dashes do not matter, and the last group checks the "
        "others, so a typing mistake is caught. A backup restores with this key too, as long "
        "as the backup was made while this key was the clinic's. If a new recovery key is made, "
        "this sheet stops working for the data after that day: destroy it then.",
    ),
)


def render_recovery_sheet(
    recovery_key: str, *, practice_name: str, made_on: date, paper: str = "letter"
) -> bytes:
    """The recovery sheet as PDF bytes. `recovery_key` is the key as printed (8 groups of 5
    separated by dashes: str(otdesk.storage.keys.RecoveryKey))."""
    register_fonts()
    groups = [group for group in recovery_key.replace(" ", "-").split("-") if group]
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=18, leading=22, textColor=ACCENT)
    sub = ParagraphStyle("sub", fontName=FONT, fontSize=10, leading=13, textColor=MUTED)
    heading = ParagraphStyle(
        "heading", fontName=FONT_BOLD, fontSize=11.5, leading=15, textColor=INK, spaceBefore=8
    )
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=14.5, textColor=INK)
    warning = ParagraphStyle(
        "warning", parent=body, fontName=FONT_BOLD, textColor=ALERT, spaceBefore=6
    )
    key_style = ParagraphStyle(
        "key", fontName=_KEY_FONT, fontSize=20, leading=26, alignment=1, textColor=INK
    )
    rows = [
        [Paragraph(escape(group), key_style) for group in groups[:4]],
        [Paragraph(escape(group), key_style) for group in groups[4:8]],
    ]
    key_table = Table(rows, colWidths=[110] * 4, rowHeights=[40, 40], hAlign="CENTER")
    key_table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, ACCENT),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, RULE),
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story = [
        Paragraph("otdesk recovery key", title),
        Paragraph(
            f"{escape(practice_name)} &middot; made on {made_on:%B} {made_on.day}, {made_on.year}",
            sub,
        ),
        Spacer(1, 16),
        key_table,
        Paragraph(
            "Keep this page secret. Anyone who has it can open the clinic's patient records.",
            warning,
        ),
        Spacer(1, 6),
    ]
    for name, text in SECTIONS:
        story += [Paragraph(escape(name), heading), Paragraph(escape(text), body)]
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=PAGE_SIZES[paper],
        leftMargin=MARGIN * 1.5,
        rightMargin=MARGIN * 1.5,
        topMargin=MARGIN * 1.5,
        bottomMargin=MARGIN,
        title="otdesk recovery key",
        author="otdesk",
    )
    document.build(story)
    return out.getvalue()
