"""The units engine against DOMAIN.md section 1 (CMS Pub 100-04 ch. 5 §20.2, per-code rule)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otdesk.core.units import (
    UnitLine,
    UnitRule,
    UnitsInputError,
    cms_units_for_total,
    compute_units,
    per_code_units,
    units_per_line,
)

# The CMS table as printed: (units, first minute, last minute).
CMS_TABLE = [
    (0, 0, 7),
    (1, 8, 22),
    (2, 23, 37),
    (3, 38, 52),
    (4, 53, 67),
    (5, 68, 82),
    (6, 83, 97),
    (7, 98, 112),
    (8, 113, 127),
]


def timed(code, minutes, group=""):
    return UnitLine(code, minutes, True, group)


def units_by_code(result):
    return {
        (line.code, line.group) if line.group else line.code: line.units for line in result.lines
    }


@pytest.mark.parametrize(("units", "low", "high"), CMS_TABLE)
def test_cms_table_boundaries(units, low, high):
    for minutes in (low, high):
        assert cms_units_for_total(minutes) == units
        result = compute_units([timed("97110", minutes)], UnitRule.CMS)
        assert result.total_units == units
        assert result.total_timed_minutes == minutes


@pytest.mark.parametrize("minutes", range(7, 129))
def test_every_minute_from_7_to_128_matches_the_table(minutes):
    expected = next((u for u, lo, hi in CMS_TABLE if lo <= minutes <= hi), None)
    if expected is None:  # 128: "the pattern remains the same" past two hours
        expected = 9
    split = [timed("97110", minutes // 2), timed("97530", minutes - minutes // 2)]
    assert compute_units(split, "cms").total_units == expected


def test_cms_worked_example_33_and_7_minutes():
    result = compute_units([timed("97110", 33), timed("97140", 7)], "cms")
    assert result.total_timed_minutes == 40
    assert result.total_units == 3
    assert units_by_code(result) == {"97110": 2, "97140": 1}
    text = result.explanation
    assert "40 timed minutes -> 3 units" in text
    assert "97110: 33 min = 2 full units + 3 min" in text
    assert "97140: 7 min = 0 full units + 7 min" in text
    assert "The 1 unit left goes to 97140" in text
    assert "7 min > 3 min" in text


def test_cms_example_24_and_23_minutes_gives_the_extra_unit_to_the_larger_remainder():
    result = compute_units([timed("97112", 24), timed("97110", 23)], "cms")
    assert units_by_code(result) == {"97112": 2, "97110": 1}


def test_two_services_under_8_minutes_bill_one_unit_for_the_longer():
    result = compute_units([timed("97110", 5), timed("97140", 7)], "cms")
    assert result.total_units == 1
    assert units_by_code(result) == {"97110": 0, "97140": 1}


def test_at_least_one_unit_from_15_minutes_and_two_from_30():
    result = compute_units([timed("97110", 15), timed("97530", 30), timed("97140", 52)], "cms")
    units = units_by_code(result)
    assert units["97110"] >= 1
    assert units["97530"] >= 2


def test_never_all_units_on_one_code_when_another_has_over_15_minutes():
    result = compute_units([timed("97110", 50), timed("97530", 16)], "cms")
    units = units_by_code(result)
    assert units["97530"] >= 1
    assert units["97110"] + units["97530"] == cms_units_for_total(66)


def test_equal_remainders_break_by_total_minutes_then_line_order():
    # both 5 minutes left; 97530 has more minutes in all, so it takes the unit
    result = compute_units([timed("97110", 20), timed("97530", 35)], "cms")
    assert units_by_code(result) == {"97110": 1, "97530": 3}
    assert "more minutes in all" in result.explanation
    # same minutes: the line entered first takes it, whichever code that is
    first = compute_units([timed("97140", 20), timed("97110", 20)], "cms")
    assert units_by_code(first) == {"97140": 2, "97110": 1}
    assert "tie at 5 min left" in first.explanation
    assert "entered first" in first.explanation
    again = compute_units([timed("97140", 20), timed("97110", 20)], "cms")
    assert again == first


def test_untimed_codes_bill_one_unit_and_stay_out_of_the_timed_total():
    lines = [UnitLine("97165", 45, False), timed("97530", 23), UnitLine("97010", 10, False)]
    result = compute_units(lines, "cms")
    assert result.total_timed_minutes == 23
    assert result.total_units == 2
    assert result.untimed_units == 2
    assert result.total_minutes == 78
    assert [line.units for line in result.lines] == [1, 2, 1]
    assert "Untimed" in result.explanation and "97165" in result.explanation


def test_duplicate_timed_lines_are_merged_and_explained():
    lines = [timed("97110", 20), timed("97140", 7), timed("97110", 13)]
    result = compute_units(lines, "cms")
    assert [(ln.code, ln.minutes) for ln in result.lines] == [("97110", 33), ("97140", 7)]
    assert result.lines[0].sources == (0, 2)
    assert result.units_for_input(2) == 2
    assert "97110 was entered on 2 lines (20 + 13 min)" in result.explanation


def test_units_per_line_bill_a_merged_code_once_and_take_typed_units():
    lines = [timed("97110", 20), timed("97140", 7), timed("97110", 13)]
    result = compute_units(lines, "cms")
    assert units_per_line(result, [None, None, None]) == ((2, 1, 2), (2, 1, 0))
    # typed units replace the billed ones only; the computed ones stay for comparison
    assert units_per_line(result, [None, 2, 3]) == ((2, 1, 2), (2, 2, 3))
    assert units_per_line(compute_units([], "cms"), []) == ((), ())


def test_assistant_part_of_a_code_stays_on_its_own_line():
    lines = [timed("97530", 20), timed("97530", 18, group="CO")]
    result = compute_units(lines, "cms")
    assert len(result.lines) == 2
    assert result.total_units == cms_units_for_total(38)


def test_zero_and_empty():
    assert compute_units([], "cms").total_units == 0
    assert "No lines" in compute_units([], "per-code").explanation
    assert compute_units([timed("97110", 0)], "cms").lines[0].units == 0


@pytest.mark.parametrize(
    ("minutes", "units"), [(0, 0), (7, 0), (8, 1), (15, 1), (22, 1), (23, 2), (37, 2), (38, 3)]
)
def test_per_code_midpoint(minutes, units):
    assert per_code_units(minutes) == units
    assert compute_units([timed("97110", minutes)], "per-code").total_units == units


def test_per_code_differs_from_cms_as_documented():
    twenty = [timed("97110", 20), timed("97140", 20)]
    assert compute_units(twenty, "per-code").total_units == 2
    assert compute_units(twenty, "cms").total_units == 3
    eight = [timed("97110", 8), timed("97140", 8)]
    assert units_by_code(compute_units(eight, "per-code")) == {"97110": 1, "97140": 1}
    assert compute_units(eight, "cms").total_units == 1
    text = compute_units(twenty, "per-code").explanation
    assert "under 8: no unit" in text and "2 units in all" in text


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (UnitLine("97110", -1, True), "negative"),
        (UnitLine("97110", 1441, True), "more than a day"),
        (UnitLine("97110", 12.5, True), "whole number"),  # type: ignore[arg-type]
        (UnitLine("97110", True, True), "whole number"),  # type: ignore[arg-type]
    ],
)
def test_bad_minutes_name_the_line(line, words):
    with pytest.raises(UnitsInputError, match=words) as caught:
        compute_units([timed("97530", 10), line], "cms")
    assert "Line 2 (97110)" in str(caught.value)


def test_unknown_rule():
    with pytest.raises(UnitsInputError, match="Unknown units rule 'medicaid'"):
        compute_units([timed("97110", 10)], "medicaid")


codes = st.sampled_from(["97110", "97112", "97140", "97530", "97535", "97033", "97129"])
minutes = st.integers(min_value=0, max_value=200)
line_lists = st.lists(st.tuples(codes, minutes), min_size=1, max_size=8)


def merged_minutes(pairs):
    totals: dict[str, int] = {}
    for code, mins in pairs:
        totals[code] = totals.get(code, 0) + mins
    return totals


@given(line_lists)
def test_property_cms_total_matches_the_table(pairs):
    result = compute_units([timed(c, m) for c, m in pairs], "cms")
    total = sum(m for _, m in pairs)
    assert result.total_timed_minutes == total
    assert result.total_units == cms_units_for_total(total)
    # every unit is assigned to a line
    assert sum(line.units for line in result.lines) == result.total_units


@given(line_lists, st.sampled_from(["cms", "per-code"]))
def test_property_a_line_never_exceeds_ceil_minutes_over_15(pairs, rule):
    result = compute_units([timed(c, m) for c, m in pairs], rule)
    for line in result.lines:
        assert line.units <= math.ceil(line.minutes / 15)


@given(line_lists)
def test_property_cms_gives_full_units_first(pairs):
    result = compute_units([timed(c, m) for c, m in pairs], "cms")
    for line in result.lines:
        assert line.units >= line.minutes // 15
        assert line.units <= line.minutes // 15 + 1


@given(line_lists, st.tuples(codes, minutes))
def test_property_per_code_units_ignore_the_other_lines(pairs, extra):
    alone = compute_units([timed(*extra)], "per-code").lines[0].units
    with_others = compute_units(
        [timed(c, m) for c, m in pairs if c != extra[0]] + [timed(*extra)], "per-code"
    )
    assert units_by_code(with_others)[extra[0]] == alone == per_code_units(extra[1])
    for code, mins in merged_minutes(pairs).items():
        assert per_code_units(mins) == compute_units([timed(code, mins)], "per-code").total_units


@given(line_lists)
def test_property_result_is_deterministic(pairs):
    lines = [timed(c, m) for c, m in pairs]
    assert compute_units(lines, "cms") == compute_units(list(lines), "cms")
