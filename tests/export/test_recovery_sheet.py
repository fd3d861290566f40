"""The recovery sheet PDF: one page holding the key's eight groups and what a person needs
to know about it, read back with pypdf."""

import io
from datetime import date

from pypdf import PdfReader

from otdesk.export.recovery_sheet import render_recovery_sheet
from otdesk.storage.keys import RecoveryKey, new_recovery_key


def _text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(page.extract_text() for page in reader.pages)


def test_the_sheet_holds_the_key_and_says_what_it_is_and_what_is_lost():
    recovery = new_recovery_key()
    for paper in ("letter", "a4"):
        data = render_recovery_sheet(
            str(recovery), practice_name="Harbor Hands OT", made_on=date(2026, 3, 2), paper=paper
        )
        pages, text = _text(data)
        assert pages == 1
        for group in recovery.groups:
            assert group in text
        flat = " ".join(text.split())
        assert "Harbor Hands OT" in flat and "March 2, 2026" in flat
        for phrase in ("What this is", "Where to keep it", "What is lost without it"):
            assert phrase in flat
        assert "can never be opened again" in flat
        # what is printed reads back as the same key
        typed = " ".join(g for g in recovery.groups)
        assert RecoveryKey.parse(typed) == recovery
