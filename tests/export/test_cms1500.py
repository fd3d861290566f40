"""CMS-1500 forms read back with pypdf: each value at its box (the 1500 grid's line and
column), continuation forms, both modes, and calibration moving every field exactly."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader

from otdesk.core.money import Money
from otdesk.export.claim_model import (
    Address,
    BillingProvider,
    Claim,
    ClaimLine,
    ClaimPayer,
    ClaimProvider,
    Member,
    PersonName,
)
from otdesk.export.cms1500 import (
    Calibration,
    alignment_fields,
    cell,
    form_fields,
    render_alignment_page,
    render_forms,
)
from otdesk.export.files import ExportError

DAY = date(2026, 3, 2)
TWELVE = ("M62.81", "R26.89", "R27.9", "R44.8", "R26.1", "F82", "M79.641", "M25.511",
          "M25.512", "M62.838", "R29.898", "Z74.09")  # fmt: skip


def _claim(lines: int = 2, **changes) -> Claim:
    patient = Member(
        PersonName("Núñez", "José", "Luis"),
        date(1948, 7, 14),
        "M",
        Address("12 Sample Street", "", "Portland", "OR", "97202"),
        "5035550111",
    )
    services = tuple(
        ClaimLine(
            n,
            "97110" if n % 2 else "97530",
            ("GO", "CO", "KX", "59") if n == 1 else ("GO",),
            Money("124.00") if n % 2 else Money("72.00"),
            2 if n % 2 else 1,
            (1, 2, 3, 4) if n == 1 else (12,),
            DAY,
            f"7-{n}",
        )
        for n in range(1, lines + 1)
    )
    claim = Claim(
        visit_id=7,
        version=1,
        patient_control_number="7V1",
        frequency_code="1",
        billing=BillingProvider(
            "Harbor Hands OT",
            "1497758544",
            "123456789",
            Address("100 Example Way", "Suite 200", "Portland", "OR", "972013344"),
            "5035550100",
            "225X00000X",
        ),
        payer=ClaimPayer("Medicare Part B", "MCR01", "MB", "medicare"),
        subscriber=patient,
        member_id="1EG4TE5MK73",
        group_number="",
        relationship="self",
        patient=patient,
        account_number="A-1001",
        place_of_service="11",
        date_of_service=DAY,
        diagnoses=TWELVE,
        lines=services,
        rendering=ClaimProvider(PersonName("Demo", "Avery"), "1234567893", "225X00000X"),
        referring=ClaimProvider(PersonName("Example", "Rowan"), "1679576722"),
        amount_paid=Money("20.00"),
        signed_on=DAY,
    )
    return replace(claim, **changes)


def _texts(pdf: bytes) -> list[list[tuple[str, float, float]]]:
    """Every text run of every page with where it starts (text matrix times the CTM)."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        found: list[tuple[str, float, float]] = []

        def visit(text, cm, tm, font, size, found=found):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                found.append((text.strip(), round(x, 2), round(y, 2)))

        page.extract_text(visitor_text=visit)
        pages.append(found)
    return pages


def _at(page, line: int, column: int) -> str:
    x, y = cell(column, line)
    hits = [t for t, tx, ty in page if abs(tx - x) < 0.01 and abs(ty - y) < 0.01]
    assert hits, f"nothing printed at line {line}, column {column}"
    return hits[0]


def test_the_grid_is_ten_characters_and_six_lines_per_inch():
    assert cell(1, 1) == (18.0, 792 - 12 + 3)
    assert cell(11, 7)[0] - cell(1, 7)[0] == pytest.approx(72.0)  # 10 columns: one inch
    assert cell(1, 1)[1] - cell(1, 7)[1] == pytest.approx(72.0)  # 6 lines: one inch


@pytest.mark.parametrize("mode", ["form", "data"])
def test_each_value_is_at_its_box(mode):
    (page,) = _texts(render_forms([_claim()], mode))
    assert _at(page, 8, 1) == "X"  # 1: Medicare
    assert _at(page, 8, 50) == "1EG4TE5MK73"  # 1a
    assert _at(page, 10, 1) == "NUNEZ, JOSE L"  # 2
    assert (_at(page, 10, 31), _at(page, 10, 34), _at(page, 10, 37)) == ("07", "14", "1948")
    assert _at(page, 10, 42) == "X"  # 3: male
    assert _at(page, 12, 33) == "X"  # 6: self
    assert _at(page, 18, 50) == "NONE"  # 11: Medicare, no other insurance
    assert _at(page, 34, 4) == "EXAMPLE, ROWAN" and _at(page, 34, 33) == "1679576722"  # 17
    assert _at(page, 37, 42) == "0"  # 21: ICD-10
    # 21 A-L: four a row, three rows, no decimal point
    expected = [c.replace(".", "") for c in TWELVE]
    found = [_at(page, 38 + i // 4, (3, 16, 29, 42)[i % 4]) for i in range(12)]
    assert found == expected
    # 24A-J for line 1 (line 44) and line 2 (line 46)
    for row, code, modifiers, pointers, charge, units in (
        (44, "97110", ["GO", "CO", "KX", "59"], "ABCD", "124 00", "2"),
        (46, "97530", ["GO"], "L", "72 00", "1"),
    ):
        assert [_at(page, row, c) for c in (1, 4, 7, 10, 13, 16)] == ["03", "02", "26"] * 2
        assert _at(page, row, 19) == "11"  # 24B
        assert _at(page, row, 25) == code  # 24D
        assert [_at(page, row, 33 + 3 * i) for i in range(len(modifiers))] == modifiers
        assert _at(page, row, 45) == pointers  # 24E
        assert _at(page, row, 50) == charge  # 24F (right-aligned)
        assert _at(page, row, 59) == units  # 24G
        assert _at(page, row, 68) == "1234567893"  # 24J rendering NPI
    assert _at(page, 56, 1) == "12-3456789"  # 25
    assert _at(page, 56, 23) == "7V1"  # 26
    assert _at(page, 56, 52) == "196 00"  # 28 total
    assert _at(page, 56, 62) == "20 00"  # 29 paid
    assert _at(page, 61, 50) == "1497758544"  # 33a
    assert _at(page, 61, 23) == "1497758544"  # 32a
    assert _at(page, 58, 50) == "HARBOR HANDS OT"  # 33


def test_seven_or_more_lines_continue_with_the_total_on_the_last_form():
    claim = _claim(lines=8)
    first, second = _texts(render_forms([claim], "data"))
    assert [_at(first, 44 + 2 * i, 25) for i in range(6)] == ["97110", "97530"] * 3
    assert [_at(second, 44 + 2 * i, 25) for i in range(2)] == ["97110", "97530"]
    assert not [t for t, _x, y in second if abs(y - cell(1, 48)[1]) < 0.01]  # lines 3-6 empty
    assert _at(first, 56, 51) == "CONTINUED"
    assert _at(second, 56, 52) == "784 00"  # 4 x 124 + 4 x 72
    assert (_at(first, 36, 1), _at(second, 36, 1)) == ("PAGE 1 OF 2", "PAGE 2 OF 2")


def test_a_replacement_shows_box_22_and_an_unlisted_code_its_description():
    line = replace(_claim().lines[1], code="97139", description="Scar massage with wax")
    claim = replace(
        _claim(frequency_code="7", payer_claim_number="ICN-1"), lines=(_claim().lines[0], line)
    )
    (page,) = _texts(render_forms([claim], "form"))
    assert (_at(page, 38, 50), _at(page, 38, 62)) == ("7", "ICN-1")
    assert _at(page, 45, 1) == "ZZSCAR MASSAGE WITH WAX"  # shaded line above line 2


def test_a_patient_who_is_not_the_subscriber():
    claim = _claim(
        relationship="child",
        subscriber=Member(PersonName("Sample", "Jamie")),
        payer=ClaimPayer("Evergreen", "EVG01", "CI", "commercial"),
        group_number="G-77",
    )
    (page,) = _texts(render_forms([claim], "data"))
    assert _at(page, 10, 50) == "SAMPLE, JAMIE"  # 4
    assert _at(page, 12, 42) == "X"  # 6: child
    assert _at(page, 8, 31) == "X"  # 1: group health plan
    assert _at(page, 18, 50) == "G-77"
    assert not [t for t, x, y in page if (x, y) == cell(50, 12)]  # 7 left for the insured


def test_a_calibration_moves_every_field_by_exactly_its_offset():
    claim = _claim(lines=3)
    (plain,) = _texts(render_forms([claim], "data"))
    (moved,) = _texts(render_forms([claim], "data", Calibration(right=12, down=-7)))
    assert len(plain) == len(moved) == len(form_fields(claim))
    for (text, x, y), (text2, x2, y2) in zip(plain, moved, strict=True):
        assert text == text2
        assert x2 - x == pytest.approx(0.12 * 72, abs=0.01)
        assert y2 - y == pytest.approx(0.07 * 72, abs=0.01)  # down -0.07 in: up 5.04 pt


def test_a_scale_stretches_from_the_top_left_corner():
    claim = _claim()
    (plain,) = _texts(render_forms([claim], "data"))
    (scaled,) = _texts(render_forms([claim], "data", Calibration(scale_percent=102)))
    for (_t, x, y), (_t2, x2, y2) in zip(plain, scaled, strict=True):
        assert x2 == pytest.approx(x * 1.02, abs=0.02)
        assert 792 - y2 == pytest.approx((792 - y) * 1.02, abs=0.02)


def test_the_plain_paper_form_is_not_moved_by_a_calibration_and_draws_the_boxes():
    claim = _claim()
    form = render_forms([claim], "form", Calibration(right=30, down=30))
    (page,) = _texts(form)
    assert _at(page, 10, 1) == "NUNEZ, JOSE L"
    words = " ".join(t for t, _x, _y in page)
    for label in ("HEALTH INSURANCE CLAIM FORM", "PATIENT'S NAME", "TOTAL CHARGE", "NUCC) 02/12"):
        assert label in words
    data_only = " ".join(t for t, _x, _y in _texts(render_forms([claim], "data"))[0])
    assert "PATIENT'S NAME" not in data_only


def test_the_alignment_page_puts_its_marks_where_data_goes():
    (page,) = _texts(render_alignment_page())
    for mark in alignment_fields():
        assert _at(page, mark.line, mark.column) == mark.value
    (moved,) = _texts(render_alignment_page(Calibration(right=10)))
    assert any(t == "X" and x == pytest.approx(cell(1, 8)[0] + 7.2) for t, x, _y in moved)


def test_several_claims_make_one_pdf_and_no_claim_or_a_wrong_mode_is_refused():
    pdf = render_forms([_claim()] * 3, "form")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 3
    with pytest.raises(ExportError, match="no claim"):
        render_forms([], "form")
    with pytest.raises(ExportError, match="mode"):
        render_forms([_claim()], "pretty")
