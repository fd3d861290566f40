"""apply_fix: pure, whole or nothing, with clear refusals."""

from __future__ import annotations

import pytest

from otdesk.core.fixes import FixError, apply_fix, fix_label
from otdesk.core.money import Money
from tests.helpers.fakes import clean_visit, line


def visit_of(*lines):
    return clean_visit(lines=tuple(lines))


def test_add_modifier_returns_a_new_visit_and_leaves_the_old_one():
    visit = visit_of(line("97140", 15, "GO"), line("97530", 30, "GO"))
    fixed = apply_fix(visit, {"add_modifier": "XU", "lines": [1]})
    assert fixed.lines[1].modifiers == ("GO", "XU")
    assert visit.lines[1].modifiers == ("GO",)
    assert fixed.lines[0] is visit.lines[0]


def test_adding_a_modifier_already_there_is_a_no_op():
    visit = visit_of(line("97530", 30, "GO", "XU"))
    assert apply_fix(visit, {"add_modifier": "xu", "lines": [0]}) == visit


def test_a_fifth_modifier_is_refused_and_nothing_is_half_applied():
    visit = visit_of(line("97110", 30, "GO"), line("97530", 30, "GO", "59", "RT", "GA"))
    with pytest.raises(FixError, match=r"Line 2 \(97530\) already has 4 modifiers"):
        apply_fix(visit, {"add_modifier": "KX", "lines": [0, 1]})
    assert visit.lines[0].modifiers == ("GO",)


def test_remove_and_replace_modifier():
    visit = visit_of(line("97530", 30, "GP", "KX"))
    assert apply_fix(visit, {"remove_modifier": "KX", "lines": [0]}).lines[0].modifiers == ("GP",)
    swapped = apply_fix(visit, {"replace_modifier": "GP", "with": "GO", "lines": [0]})
    assert swapped.lines[0].modifiers == ("GO", "KX")


def test_replace_modifier_needs_the_old_one():
    with pytest.raises(FixError, match="no GP modifier"):
        apply_fix(
            visit_of(line("97530", 30, "GO")),
            {"replace_modifier": "GP", "with": "GO", "lines": [0]},
        )


def test_replace_code_and_set_units():
    visit = visit_of(line("97014", 0, "GO", units=2))
    fixed = apply_fix(visit, {"replace_code": "g0283", "lines": [0]})
    assert fixed.lines[0].code == "G0283"
    assert apply_fix(visit, {"set_units": None, "lines": [0]}).lines[0].units is None
    assert apply_fix(visit, {"set_units": 1, "lines": [0]}).lines[0].units == 1


def test_remove_line_and_set_pointers():
    visit = visit_of(line("97530", 30, "GO"), line("97010", 0, "GO"))
    assert [ln.code for ln in apply_fix(visit, {"remove_line": True, "lines": [1]}).lines] == [
        "97530"
    ]
    pointed = apply_fix(visit, {"set_dx_pointers": ["a", "B"], "lines": [0, 1]})
    assert [ln.dx_pointers for ln in pointed.lines] == [("A", "B"), ("A", "B")]


def test_removing_every_line_is_refused():
    with pytest.raises(FixError, match="empty visit"):
        apply_fix(visit_of(line("97010", 0)), {"remove_line": True, "lines": [0]})


def test_merge_lines_adds_minutes_and_amounts_into_the_first():
    visit = visit_of(
        line("97110", 20, "GO", allowed="40.00"),
        line("97530", 15, "GO"),
        line("97110", 10, "GO", "KX", allowed="20.00", dx_pointers=("A", "B"), units=1),
    )
    merged = apply_fix(visit, {"merge_lines": True, "lines": [0, 2]})
    assert [ln.code for ln in merged.lines] == ["97110", "97530"]
    first = merged.lines[0]
    assert first.minutes == 30
    assert first.modifiers == ("GO", "KX")
    assert first.dx_pointers == ("A", "B")
    assert first.units is None
    assert first.allowed == Money("60.00")


def test_merge_without_every_amount_leaves_the_amount_unknown():
    visit = visit_of(line("97110", 20, allowed="40.00"), line("97110", 10))
    assert apply_fix(visit, {"merge_lines": True, "lines": [0, 1]}).lines[0].allowed is None


@pytest.mark.parametrize(
    "fix",
    [
        {"add_modifier": "KX", "lines": [0]},
        {"remove_modifier": "GO", "lines": [0]},
        {"replace_modifier": "GO", "with": "GP", "lines": [0]},
        {"replace_code": "97112", "lines": [0]},
        {"set_units": 1, "lines": [0]},
        {"set_dx_pointers": ["A"], "lines": [0]},
        {"remove_line": True, "lines": [1]},
        {"merge_lines": True, "lines": [0, 2]},
    ],
    ids=lambda fix: next(iter(fix)),
)
def test_every_fix_keeps_the_no_fee_flag(fix):
    visit = visit_of(
        line("97110", 20, "GO", no_fee=True), line("97530", 15, "GO"), line("97110", 10, "GO")
    )
    fixed = apply_fix(visit, fix)
    assert fixed.lines[0].no_fee
    assert not any(ln.no_fee for ln in fixed.lines[1:])


def test_merge_of_different_codes_is_refused():
    with pytest.raises(FixError, match="same code"):
        apply_fix(
            visit_of(line("97110", 20), line("97530", 10)), {"merge_lines": True, "lines": [0, 1]}
        )


@pytest.mark.parametrize(
    ("fix", "words"),
    [
        ({"lines": [0]}, "one action"),
        ({"add_modifier": "XU", "remove_modifier": "KX", "lines": [0]}, "one action"),
        ({"add_modifier": "XU", "lines": [5]}, "no line 6"),
        ({"add_modifier": "XU", "lines": []}, "non-empty list"),
        ({"add_modifier": "XU", "lines": ["0"]}, "not a whole number"),
        ({"add_modifier": "XYZ", "lines": [0]}, "2-character"),
        ({"add_modifier": "XU", "lines": [0], "why": "x"}, "unknown key"),
        ({"replace_code": "9753", "lines": [0]}, "not usable"),
        ({"set_units": "2", "lines": [0]}, "whole number or null"),
        ({"set_units": -1, "lines": [0]}, "negative"),
    ],
)
def test_malformed_fixes_are_refused(fix, words):
    with pytest.raises(FixError, match=words):
        apply_fix(visit_of(line("97530", 30, "GO")), fix)


@pytest.mark.parametrize(
    ("fix", "label"),
    [
        ({"add_modifier": "XU", "lines": [1]}, "Add XU to line 2 (97530)"),
        ({"add_modifier": "GO", "lines": [0, 1]}, "Add GO to lines 1 (97140) and 2 (97530)"),
        ({"remove_modifier": "KX", "lines": [0]}, "Remove KX from line 1 (97140)"),
        ({"replace_modifier": "GP", "with": "GO", "lines": [0]}, "Replace GP with GO on line 1"),
        ({"replace_code": "G0283", "lines": [0]}, "Change line 1 (97140) to G0283"),
        ({"set_units": None, "lines": [1]}, "Use the computed units on line 2 (97530)"),
        ({"set_dx_pointers": ["A"], "lines": [1]}, "Point line 2 (97530) at diagnosis A"),
        ({"remove_line": True, "lines": [0]}, "Remove line 1 (97140)"),
        ({"merge_lines": True, "lines": [0, 1]}, "Merge lines 1 (97140) and 2 (97530)"),
    ],
)
def test_fix_labels(fix, label):
    visit = visit_of(line("97140", 15, "GO"), line("97530", 30, "GO"))
    assert fix_label(fix, visit).startswith(label)
