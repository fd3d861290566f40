"""The seed's scenarios (seed/ot-cpt-faq.txt), the units the engine computes, and NCCI
edits applied by date of service."""

from __future__ import annotations

import json
from datetime import date

import pytest

from otdesk.core.fixes import apply_fix
from otdesk.core.ncci import PtpEdit
from otdesk.core.rules import check_visit
from otdesk.core.tables import RuleTables
from otdesk.core.visit import PayerInfo, PlanOfCare, Severity
from tests.helpers.fakes import check, clean_visit, found, line, patient, rules_of


def test_97140_with_97530_on_medicare_suggests_xu_on_97530_and_is_silent_once_added():
    visit = clean_visit(lines=(line("97140", 15, "GO"), line("97530", 30, "GO")))
    [finding] = found(visit, "ncci-pair")
    assert finding.fix == {"add_modifier": "XU", "lines": [1]}
    assert "59" in finding.message and "XU" in finding.message
    # the engine suggests only: the visit is unchanged
    assert visit.lines[1].modifiers == ("GO",)
    fixed = apply_fix(visit, finding.fix)
    assert fixed.lines[1].modifiers == ("GO", "XU")
    assert rules_of(fixed) == set()


def test_97003_on_a_2026_date_names_the_three_ot_evaluations():
    visit = clean_visit(lines=(line("97003", 0, "GO"),))
    [finding] = found(visit, "deleted-code")
    assert finding.severity is Severity.ERROR
    for code in ("97165", "97166", "97167"):
        assert code in finding.message
    assert finding.fix is None


def test_97014_on_medicare_becomes_g0283():
    visit = clean_visit(lines=(line("97530", 30, "GO"), line("97014", 0, "GO")))
    [finding] = found(visit, "medicare-replacement")
    fixed = apply_fix(visit, finding.fix)
    assert fixed.lines[1].code == "G0283"
    assert rules_of(fixed) == set()


def test_97012_on_a_medicare_visit_is_one_untimed_unit_and_no_finding():
    visit = clean_visit(lines=(line("97530", 30, "GO"), line("97012", 10, "GO")))
    result = check(visit)
    assert result.findings == ()
    traction = [ln for ln in result.units.lines if ln.code == "97012"]
    assert [(ln.timed, ln.units) for ln in traction] == [(False, 1)]
    assert result.units.total_timed_minutes == 30


def test_go_on_an_ot_visit_gives_no_therapy_modifier_finding():
    assert not rules_of(clean_visit()) & {"therapy-modifier-missing", "therapy-modifier-mismatch"}


def test_missing_go_gives_one_finding_adding_go_to_every_line():
    visit = clean_visit(lines=(line("97530", 30), line("97110", 15), line("97140", 15)))
    [finding] = found(visit, "therapy-modifier-missing")
    assert finding.fix == {"add_modifier": "GO", "lines": [0, 1, 2]}
    fixed = apply_fix(visit, finding.fix)
    assert all(ln.modifiers == ("GO",) for ln in fixed.lines)
    assert "therapy-modifier-missing" not in rules_of(fixed)


# --- units ---------------------------------------------------------------------------------------


def test_units_use_the_cms_rule_for_medicare():
    visit = clean_visit(
        lines=(line("97110", 33, "GO"), line("97035", 7, "GO")), total_treatment_minutes=40
    )
    units = check(visit).units
    assert [(ln.code, ln.units) for ln in units.lines] == [("97110", 2), ("97035", 1)]


def test_units_use_the_payers_per_code_rule():
    visit = clean_visit(
        payer=PayerInfo(kind="commercial", unit_rule="per-code"),
        lines=(line("97110", 20), line("97530", 20)),
        total_treatment_minutes=40,
    )
    units = check(visit).units
    assert str(units.rule) == "per-code"
    assert units.total_units == 2


def test_assistant_lines_stay_apart_from_the_therapists():
    visit = clean_visit(
        lines=(
            line("97110", 20, "GO"),
            line("97110", 25, "GO", "CO", assistant_minutes=25),
        ),
        total_treatment_minutes=45,
    )
    result = check(visit)
    assert [(ln.code, ln.group, ln.minutes) for ln in result.units.lines] == [
        ("97110", "", 20),
        ("97110", "CO", 25),
    ]
    assert "duplicate-timed-line" not in {f.rule for f in result.findings}


def test_unknown_codes_count_as_untimed():
    visit = clean_visit(lines=(line("97530", 30, "GO"), line("98765", 20, "GO")))
    result = check(visit)
    unknown = [ln for ln in result.units.lines if ln.code == "98765"]
    assert [(ln.timed, ln.units) for ln in unknown] == [(False, 1)]


def test_the_result_is_json():
    visit = clean_visit(lines=(line("97140", 15, "GO"), line("97530", 30, "GO")))
    data = json.loads(json.dumps(check(visit).to_json()))
    assert data["units"]["total_units"] == 3
    assert data["findings"][0]["rule"] == "ncci-pair"
    assert data["findings"][0]["fix"] == {"add_modifier": "XU", "lines": [1]}


# --- NCCI by date of service ---------------------------------------------------------------------

WINDOW = RuleTables.from_rows(
    ptp=[PtpEdit("97530", "97164", date(2021, 4, 1), date(2023, 1, 1), 1, "Misuse")]
)


@pytest.mark.parametrize(
    ("day", "applies"),
    [
        (date(2021, 3, 31), False),
        (date(2021, 4, 1), True),
        (date(2022, 12, 31), True),
        (date(2023, 1, 1), False),
    ],
)
def test_an_edit_applies_from_its_effective_date_until_its_deletion_date(day, applies):
    visit = clean_visit(
        date_of_service=day,
        discipline="PT",
        lines=(line("97530", 30, "GP"), line("97164", 0, "GP")),
        patient=patient(ytd_allowed={}, plan_of_care=PlanOfCare(day, None)),
    )
    findings = [f for f in check_visit(visit, tables=WINDOW).findings if f.rule == "ncci-pair"]
    assert bool(findings) is applies
    if applies:
        assert findings[0].fix == {"add_modifier": "XU", "lines": [1]}
        assert "(CMS: Misuse)" in findings[0].message


def test_shipped_pairs_apply_to_medicaid_too():
    visit = clean_visit(
        payer=PayerInfo(kind="medicaid"),
        lines=(line("97140", 15, "GO"), line("97530", 30, "GO")),
    )
    assert "ncci-pair" in rules_of(visit)


def test_a_payer_can_turn_ncci_off():
    visit = clean_visit(
        payer=PayerInfo(kind="medicare", ncci_applies=False),
        lines=(line("97140", 15, "GO"), line("97530", 30, "GO")),
    )
    assert "ncci-pair" not in rules_of(visit)
