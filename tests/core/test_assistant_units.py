"""CO/CQ by the 15-minute unit (CMS CY2022 Physician Fee Schedule final rule): each example
below is one CMS published or the professional associations restated from the rule, with its
source, run through the rules engine. A line the therapist and the assistant shared yields
the units with and without CO/CQ the example gives; where both kinds are needed, the fix
splits the line and the units engine then bills the split lines exactly so.

Sources (as cited in each case):
- CMS, "Billing Examples Using CQ/CO Modifiers for Services Furnished In Whole or In Part by
  PTAs and OTAs" (cms.gov, Medicare > Coding & billing > Therapy services); its Scenario 1
  as restated, with CMS's answer, in the CQ/CO "2022 Reimbursement Changes Series, Part 2".
- AOTA, "Practice Resource for Coding & Billing: How to Apply the Medicare OTA Modifier"
  (2021, on the CY2022 final rule): the modifier applies when the OTA furnishes a whole
  15-minute unit, more than 10% of a unit, or 8 minutes or more of the final unit; not when
  the OT furnishes 8 or more minutes of the final unit, nor for minutes furnished together.
- therapycomply.com, "PTA and OTA Modifiers - 2022 Rule": Example A, and two units left
  when the PT/OT and the PTA/OTA each furnish 9 to 14 minutes: one with, one without.
- APTA, "Quick Guide to Using the PTA Modifier" (2019): the PT furnishing both units while
  assisted by the PTA bills them without CQ; 15 min 97140 by the PT and 7 min 97110 by the
  PTA bill one unit of 97140 without CQ.
"""

from __future__ import annotations

from datetime import date

import pytest

from otdesk.core.fixes import apply_fix
from otdesk.core.money import Money
from otdesk.core.rules import check_visit
from otdesk.core.units import assistant_split
from otdesk.core.visit import PatientContext, PlanOfCare, Severity
from tests.helpers.fakes import FakeDx, clean_visit, line


def pt_visit(*lines, day=date(2026, 11, 27)):
    return clean_visit(
        discipline="PT",
        date_of_service=day,
        total_treatment_minutes=None,
        lines=tuple(lines),
        patient=PatientContext(
            ytd_allowed={"OT": Money("0.00"), "PT_SLP": Money("0.00")},
            treatment_days_since_progress_report=1,
            plan_of_care=PlanOfCare(date(2026, 10, 1), None),
        ),
    )


def billed(visit):
    """(code, has CQ/CO, units) per line as the claim would bill them."""
    result = check_visit(visit, dx_check=FakeDx())
    rows = []
    for index, ln in enumerate(visit.lines):
        units = result.units.units_for_input(index)
        rows.append((ln.code, bool({"CQ", "CO"} & set(ln.modifiers)), units))
    return rows, result


def assistant_findings(result):
    return [f for f in result.findings if f.rule == "assistant-modifier"]


def split_and_bill(visit):
    """Apply the rule's fix (if any) and return the billed lines after it."""
    _, result = billed(visit)
    findings = assistant_findings(result)
    while findings:
        [finding] = findings
        visit = apply_fix(visit, finding.fix)
        _, result = billed(visit)
        findings = assistant_findings(result)
    rows, result = billed(visit)
    return sorted((code, mod, units) for code, mod, units in rows if units), result


def test_cms_scenario_1_pta_23_and_pt_13_min_of_97110_with_30_min_97140_by_the_pt():
    # CMS scenario 1: 66 minutes -> 4 units. 97140: 2 units without CQ (the PT's 30 min).
    # 97110: 36 min -> 2 units; the PTA's 15 full minutes are 1 unit with CQ; the last unit
    # has 13 PT minutes (8 or more: the PT could bill it alone), so it goes without CQ.
    visit = pt_visit(
        line("97110", 36, "GP", assistant_minutes=23),
        line("97140", 30, "GP"),
    )
    _, result = billed(visit)
    [finding] = assistant_findings(result)
    assert finding.severity is Severity.ERROR
    assert finding.fix == {"split_assistant": "CQ", "units": [1, 1], "lines": [0]}
    assert "13 min by the therapist and 23 by the assistant -> 2 units" in finding.message
    assert "the assistant's 15 min alone = 1 unit with CQ" in finding.message
    assert "therapist's remaining 13 min (8 or more" in finding.message
    rows, result = split_and_bill(visit)
    assert rows == [("97110", False, 1), ("97110", True, 1), ("97140", False, 2)]
    assert result.units.total_units == 4
    assert "97110 with and without CQ, per 15-minute unit" in result.units.explanation


def test_therapycomply_example_a_pta_10_and_pt_5_min_bill_one_unit_with_cq():
    # 15 min -> 1 unit; the PT furnished under 8 minutes of it and the PTA more than 10%.
    visit = pt_visit(line("97110", 15, "GP", assistant_minutes=10))
    _, result = billed(visit)
    [finding] = assistant_findings(result)
    assert finding.fix == {"add_modifier": "CQ", "lines": [0]}
    rows, _ = split_and_bill(visit)
    assert rows == [("97110", True, 1)]


@pytest.mark.parametrize("each", [12, 13, 14])
def test_two_units_left_each_furnishing_9_to_14_minutes_bill_one_each_way(each):
    # CY2022 rule (therapycomply): 24-28 minutes are two units, one with CQ, one without.
    visit = pt_visit(line("97110", 2 * each, "GP", assistant_minutes=each))
    rows, _ = split_and_bill(visit)
    assert rows == [("97110", False, 1), ("97110", True, 1)]


def test_aota_the_therapist_furnishing_8_minutes_of_the_final_unit_bills_it_without_co():
    # OTA 7 + OT 8 = 15 min -> 1 unit: the OT's 8 minutes make it the OT's unit.
    visit = clean_visit(lines=(line("97530", 15, "GO", assistant_minutes=7),))
    rows, result = split_and_bill(visit)
    assert not assistant_findings(check_visit(visit, dx_check=FakeDx()))
    assert rows == [("97530", False, 1)]


def test_aota_the_assistant_furnishing_8_minutes_of_the_final_unit_bills_it_with_co():
    # OTA 8 + OT 5 = 13 min -> 1 unit: the OT furnished under 8, the OTA more than 10%.
    visit = clean_visit(lines=(line("97530", 13, "GO", assistant_minutes=8),))
    rows, _ = split_and_bill(visit)
    assert rows == [("97530", True, 1)]


def test_aota_an_assistant_share_of_10_percent_of_a_unit_or_less_bills_without_co():
    # OTA 1 + OT 7 = 8 min -> 1 unit: 1 minute is not more than 10% of 15 minutes.
    visit = clean_visit(lines=(line("97530", 8, "GO", assistant_minutes=1),))
    assert not assistant_findings(check_visit(visit, dx_check=FakeDx()))
    with_co = clean_visit(lines=(line("97530", 8, "GO", "CO", assistant_minutes=1),))
    [finding] = assistant_findings(check_visit(with_co, dx_check=FakeDx()))
    assert finding.severity is Severity.WARNING
    assert finding.fix == {"remove_modifier": "CO", "lines": [0]}
    assert "remaining 1 min are 10% of a unit or less" in finding.message


def test_aota_a_whole_unit_by_the_assistant_bills_with_co():
    visit = clean_visit(lines=(line("97530", 30, "GO", assistant_minutes=15),))
    # 30 min -> 2 units: the OTA's 15 min are a unit with CO, the OT's 15 one without
    rows, _ = split_and_bill(visit)
    assert rows == [("97530", False, 1), ("97530", True, 1)]


def test_apta_minutes_furnished_together_are_the_therapists():
    # The PT furnished both units of 97112 while assisted by the PTA: no assistant minutes
    # of the PTA's own, so 2 units without CQ.
    visit = pt_visit(line("97112", 30, "GP"))
    rows, result = split_and_bill(visit)
    assert rows == [("97112", False, 2)]
    assert not assistant_findings(result)


def test_apta_example_d_pt_15_min_97140_and_pta_7_min_97110_bill_97140_without_cq():
    # 22 minutes -> 1 unit, to 97140 (the PT's full 15 minutes); 97110's 7 minutes bill none.
    visit = pt_visit(
        line("97140", 15, "GP"),
        line("97110", 7, "GP", assistant_minutes=7),
    )
    rows, result = split_and_bill(visit)
    assert rows == [("97140", False, 1)]
    assert not assistant_findings(result)


def test_before_2022_the_10_percent_test_is_on_the_service_not_the_unit():
    # 2021: 4 of 24 minutes (16.7%) by the PTA -> CQ on the whole line, no split.
    visit = pt_visit(line("97110", 24, "GP", assistant_minutes=4), day=date(2021, 6, 1))
    [finding] = assistant_findings(check_visit(visit, dx_check=FakeDx()))
    assert finding.fix == {"add_modifier": "CQ", "lines": [0]}
    # 2022 on: the PT's 15 minutes are a unit without; the last unit has 5 PT minutes
    # (under 8) and 4 PTA minutes (more than 10%): with CQ
    later = pt_visit(line("97110", 24, "GP", assistant_minutes=4))
    rows, _ = split_and_bill(later)
    assert rows == [("97110", False, 1), ("97110", True, 1)]


def test_the_split_shares_the_allowed_amount_by_units():
    visit = pt_visit(line("97110", 36, "GP", assistant_minutes=23, allowed="62.24"))
    [finding] = assistant_findings(check_visit(visit, dx_check=FakeDx()))
    fixed = apply_fix(visit, finding.fix)
    first, second = fixed.lines
    assert (first.minutes, first.assistant_minutes, first.modifiers) == (13, 0, ("GP",))
    assert (second.minutes, second.assistant_minutes, second.modifiers) == (23, 23, ("GP", "CQ"))
    assert first.allowed + second.allowed == Money("62.24")
    assert second.allowed == Money("31.12")


@pytest.mark.parametrize(
    ("units", "therapist", "assistant", "expected"),
    [
        (2, 13, 23, (1, 1)),
        (1, 5, 10, (1, 0)),
        (2, 12, 12, (1, 1)),
        (1, 8, 7, (0, 1)),
        (1, 5, 8, (1, 0)),
        (1, 7, 1, (0, 1)),
        (4, 30, 23, (2, 2)),  # the PT's first 30 min, the PTA the rest (pt-management.com)
        (0, 3, 4, (0, 0)),
    ],
)
def test_assistant_split_arithmetic(units, therapist, assistant, expected):
    split = assistant_split(units, therapist, assistant, "CQ")
    assert (split.with_modifier, split.without_modifier) == expected
    assert split.with_modifier + split.without_modifier == units
    assert f"{expected[0]} with CQ and {expected[1]} without" in split.explanation
