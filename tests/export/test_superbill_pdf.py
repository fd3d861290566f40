"""The superbill PDF read back with pypdf: every field of a demo visit seeded through the
services, wrapping inside cells, long visits over several pages, watermarks, paper sizes,
byte-stable output, the encounter form and batches."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from otdesk.export import (
    DEFAULT_OUT_OF_NETWORK_TEXT,
    CancelledError,
    ExportError,
    layout,
    render_superbill,
    render_superbills,
    sha256,
    superbill,
    write_file_atomic,
)
from otdesk.services.superbills import SuperbillService
from tests.export.helpers import (
    flat,
    image_count,
    overlapping,
    page_texts,
    pdf_pages,
    pdf_text,
    sample_data,
    text_boxes,
    tiny_png,
)
from tests.helpers.clinics import GROUP_NPI, OT_NPI, OTA_NPI

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def clinic(superbill_clinic):
    return superbill_clinic


def test_importing_export_does_not_import_reportlab():
    code = (
        "import sys, otdesk.export, otdesk.export.model, otdesk.services.superbills; "
        "print('reportlab' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"


def test_the_demo_superbill_carries_every_field(clinic, demo):
    service = SuperbillService(clinic.ctx)
    service.save_settings(out_of_network=True)
    document = service.render(demo.visit)
    text = flat(pdf_text(document))
    expected = [
        # practice
        "Harbor Hands Occupational Therapy",
        "1200 Riverside Drive, Suite 400",
        "Portland, OR 97201",
        "Phone (503) 555-0142",
        "TIN 12-3456789",
        f"Group NPI {GROUP_NPI}",
        "Taxonomy 225X00000X",
        # rendering provider and supervising therapist
        "Blake Demo, COTA/L",
        OTA_NPI,
        "OTA-20391 (OR)",
        "Supervising therapist",
        "Avery Demo, OTR/L",
        f"NPI {OT_NPI}",
        # patient
        "Ng-Ødegård, Zoë",
        "05/09/1951",
        "4711 SE Hawthorne Blvd, Apt 12B",
        "Portland, OR 97214",
        "(503) 555-0199",
        "A-1001",
        # insurance
        "Medicare Part B (payer ID MCR01)",
        "1EG4-TE5-MK73",
        "GRP-0042",
        "Zoë Ng-Ødegård",
        "Relationship Self",
        # the visit
        "Date of service 03/02/2026",
        "Place of service 11 – Office",
        "Dr. Rowan Demo",
        "Plan of care 02/02/2026 to 05/01/2026",
        f"Visit {demo.visit} · version 1",
        # diagnoses
        "A M62.81 Muscle weakness (generalized)",
        "B R26.89 Other abnormalities of gait and mobility",
        # services: code, modifiers, words, minutes, units, pointers, fee, line total
        "97530 GO CO Therapeutic activities",
        "38 2 A B $70.00 $140.00",
        "97110 GO CO Therapeutic exercise",
        "15 1 A $60.00 $60.00",
        "97535 GO CO Self-care and home management training",
        "9 1 B $65.00 $65.00",
        # totals
        "Total timed minutes 62 min",
        "Total treatment time 62 min",
        "Total charges $265.00",
        "Copay 03/02/2026 (card) −$20.00",
        "Payments and copays $20.00",
        "Balance due $245.00",
        # signature, statement, page numbers
        "Rendering provider signature – Blake Demo, COTA/L",
        DEFAULT_OUT_OF_NETWORK_TEXT,
        "Page 1 of 1",
    ]
    missing = [item for item in expected if item not in text]
    assert missing == []
    assert "03/02/2026" in text.split("Balance due")[1]  # the signature's date
    assert len(pdf_pages(document)) == 1
    assert "DRAFT" not in text and "AMENDED" not in text


def test_logo_and_signature_images_are_printed_when_set(clinic, demo):
    service = SuperbillService(clinic.ctx)
    assert image_count(service.render(demo.visit)) == 0
    service.set_logo(tiny_png(120, 40))
    service.set_signature(demo.ota, tiny_png(160, 30, (0, 0, 0)))
    assert image_count(service.render(demo.visit)) == 2
    service.set_logo(None)
    assert image_count(service.render(demo.visit)) == 1


def test_names_with_accents_are_real_text_in_the_shipped_font():
    data = sample_data()
    data = replace(data, patient=replace(data.patient, name="Ng-Ødegård, Zoë"))
    data = replace(data, insurance=replace(data.insurance, subscriber_name="José Núñez"))
    document = render_superbill(data)
    text = pdf_text(document)
    assert "Ng-Ødegård, Zoë" in text
    assert "José Núñez" in text
    fonts = set()
    for page in pdf_pages(document):
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts and all("DejaVuSans" in name for name in fonts), fonts


def test_long_text_wraps_inside_its_cells_and_nothing_overlaps():
    data = sample_data(6, 4, long=True)
    document = render_superbill(data)
    text = flat(pdf_text(document))
    for part in ("Montgomery-Smythe", "Community Orchard", "functional performance"):
        assert part in text
    width = layout.PAGE_SIZES["letter"][0]
    columns = superbill.service_widths(layout.content_width("letter"))
    edges = [layout.MARGIN]
    for column in columns:
        edges.append(edges[-1] + column)
    for number in range(len(pdf_pages(document))):
        boxes = text_boxes(document, number)
        assert boxes
        assert overlapping(boxes) == []
        for box in boxes:
            assert box.x0 >= layout.MARGIN - 0.5 and box.x1 <= width - layout.MARGIN + 0.5, box
        header = [b for b in boxes if b.text == "Description"]
        totals = [b for b in boxes if b.text.startswith("Total timed minutes")]
        if not header:
            continue
        top = header[0].y1
        bottom = totals[0].y1 if totals else layout.BOTTOM_MARGIN
        for box in boxes:
            if bottom < box.y0 < top:  # a cell of the services table
                column = max(i for i, edge in enumerate(edges[:-1]) if edge <= box.x0 + 0.5)
                assert box.x1 <= edges[column + 1] + 0.5, (box, column)


def test_twelve_diagnoses_and_thirty_lines_flow_onto_more_pages_with_the_header_again():
    data = sample_data(30, 12, status="draft", signed_on=None)
    document = render_superbill(data)
    texts = [flat(t) for t in page_texts(document)]
    assert len(texts) >= 2
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in text
        assert "DRAFT" in text
    for letter, code in zip("ABCDEFGHIJKL", [d.code for d in data.diagnoses], strict=True):
        assert f"{letter} {code}" in flat(" ".join(texts))
    pages_with_lines = [t for t in texts if "$70.00" in t or "$60.00" in t]
    assert len(pages_with_lines) >= 2
    for text in pages_with_lines:
        assert "Code Modifiers Description Minutes Units Dx Fee Total" in text
    later = texts[1]
    assert "Núñez, José · account A-1002 · date of service 03/02/2026 · continued" in later


def test_status_marks_draft_amended_void_and_replaced():
    draft = flat(pdf_text(render_superbill(sample_data(status="draft", signed_on=None))))
    assert "DRAFT" in draft and "not finalized" in draft
    amended = flat(
        pdf_text(
            render_superbill(
                sample_data(version=2, amends_version=1, amend_reason="Minutes corrected")
            )
        )
    )
    assert "AMENDED (replaces version 1)" in amended
    assert "Reason: Minutes corrected" in amended
    assert "Visit 41 · version 2" in amended
    assert "VOID" in flat(pdf_text(render_superbill(sample_data(status="void"))))
    assert "REPLACED" in flat(pdf_text(render_superbill(sample_data(status="amended"))))


def test_letter_by_default_and_a4_when_chosen():
    letter = pdf_pages(render_superbill(sample_data()))[0].mediabox
    a4 = pdf_pages(render_superbill(sample_data(), "a4"))[0].mediabox
    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)
    with pytest.raises(ExportError, match="Paper size"):
        render_superbill(sample_data(), "legal")


def test_output_is_byte_stable_and_matches_the_golden_text():
    first = render_superbill(sample_data())
    assert render_superbill(sample_data()) == first
    code = (
        "import sys; sys.path.insert(0, '.'); from tests.export.helpers import sample_data; "
        "from otdesk.export import render_superbill, sha256; "
        "print(sha256(render_superbill(sample_data())))"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=root
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == sha256(first)
    golden = (GOLDEN / "sample_superbill.txt").read_text(encoding="utf-8")
    assert pdf_text(first).strip() == golden.strip()


def test_a_batch_numbers_the_pages_of_each_visit_and_reports_progress():
    visits = [
        sample_data(visit_id=1),
        sample_data(30, 12, visit_id=2),
        sample_data(visit_id=3, status="draft", signed_on=None),
    ]
    seen: list[tuple[int, int]] = []
    document = render_superbills(visits, progress=lambda done, total: seen.append((done, total)))
    texts = [flat(t) for t in page_texts(document)]
    assert len(texts) >= 4
    numbers = [re.search(r"Page (\d+) of (\d+)", t).groups() for t in texts]
    assert numbers[0] == ("1", "1")
    assert numbers[-1] == ("1", "1")
    assert all(total == str(len(texts) - 2) for _, total in numbers[1:-1])
    assert "DRAFT" in texts[-1] and "DRAFT" not in texts[0]
    assert seen[-1] == (3, 3)
    assert [done for done, _ in seen[:3]] == [0, 1, 2]


def test_a_cancelled_batch_raises_and_returns_nothing():
    asked = []

    def cancelled():
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(CancelledError):
        render_superbills([sample_data(visit_id=n) for n in range(5)], cancelled=cancelled)


def test_the_encounter_form_has_the_patient_date_and_favourite_codes(clinic, demo):
    service = SuperbillService(clinic.ctx)
    service.save_settings(favourite_codes="97165 97110 97530 97535 97010")
    document = service.encounter_form(demo.other_patient, "2026-03-04")
    text = flat(pdf_text(document))
    assert "ENCOUNTER FORM" in text
    assert "Núñez, José" in text and "A-1002" in text
    assert "Date of service 03/04/2026" in text
    assert "Evergreen Health" in text and "EVG123456" in text
    assert "Minutes Units Modifiers Dx pointers" in text
    for code in ("97165", "97110", "97530", "97535", "97010"):
        assert f"☐ {code}" in text
    assert "Page 1 of 1" in text
    assert overlapping(text_boxes(document)) == []


def test_files_are_written_whole_or_not_at_all(tmp_path, monkeypatch):
    target = write_file_atomic(tmp_path / "a.pdf", b"%PDF-1.4 one")
    assert target.read_bytes() == b"%PDF-1.4 one"
    with pytest.raises(ExportError, match="does not exist"):
        write_file_atomic(tmp_path / "no" / "such" / "a.pdf", b"x")
    with pytest.raises(ExportError, match="is a folder"):
        write_file_atomic(tmp_path, b"x")

    def full(_fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ExportError, match="disk is full"):
        write_file_atomic(tmp_path / "a.pdf", b"%PDF-1.4 two")
    assert (tmp_path / "a.pdf").read_bytes() == b"%PDF-1.4 one"  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"]  # no temporary left


def test_a_visit_without_lines_or_diagnoses_still_lays_out():
    text = flat(pdf_text(render_superbill(sample_data(0, 0, status="draft", signed_on=None))))
    assert "No services entered." in text
    assert "No diagnosis entered." in text


def test_dates_are_exact_dates_of_service():
    text = flat(pdf_text(render_superbill(sample_data(date_of_service=date(2026, 11, 27)))))
    assert "Date of service 11/27/2026" in text


def test_every_text_is_at_least_8_points_and_labels_are_dark():
    """Field labels survive a fax: no text under 8 pt (the DRAFT watermark is huge), and
    the label colour is near-black, not a light grey."""
    from otdesk.export import layout

    sizes: list[float] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 or 1
            sizes.append(font_size * scale)

    for page in pdf_pages(render_superbill(sample_data(status="draft"))):
        page.extract_text(visitor_text=visit)
    assert sizes and min(sizes) >= 8.0
    red, green, blue = (layout.MUTED.red, layout.MUTED.green, layout.MUTED.blue)
    assert 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.3
