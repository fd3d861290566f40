"""KX modifier, Medicare therapy threshold and medical review threshold."""

from __future__ import annotations

from datetime import date

from otdesk.core.fixes import apply_fix
from otdesk.core.money import Money
from otdesk.core.tables import KxThreshold, RuleTables
from otdesk.core.visit import PayerInfo, Severity
from tests.helpers.fakes import clean_visit, found, line, patient, rules_of

KX_RULES = {
    "kx-required",
    "kx-unneeded",
    "kx-approaching",
    "medical-review-threshold",
    "kx-threshold-unknown",
}


def ytd(ot: str, pt_slp: str = "0.00") -> dict[str, Money]:
    return {"OT": Money(ot), "PT_SLP": Money(pt_slp)}


def test_threshold_crossed_on_this_visit_needs_kx_from_the_crossing_line():
    # 2026 OT threshold $2,480: 2,400 + 60 = 2,460 (line 1), + 90 = 2,550 (line 2 crosses)
    visit = clean_visit(
        lines=(line("97140", 30, "GO", allowed="60.00"), line("97110", 30, "GO", allowed="90.00")),
        patient=patient(ytd_allowed=ytd("2400.00")),
    )
    [finding] = found(visit, "kx-required")
    assert finding.severity is Severity.ERROR
    assert finding.lines == (1,)
    assert finding.fix == {"add_modifier": "KX", "lines": [1]}
    assert "$2,480.00" in finding.message and "$2,550.00" in finding.message
    assert "Line 2 (97110)" in finding.message
    fixed = apply_fix(visit, finding.fix)
    assert not rules_of(fixed) & {"kx-required", "kx-unneeded"}


def test_threshold_passed_before_the_visit_needs_kx_on_every_line():
    visit = clean_visit(patient=patient(ytd_allowed=ytd("2500.00")))
    [finding] = found(visit, "kx-required")
    assert finding.lines == (0, 1)


def test_exactly_at_the_threshold_is_not_past_it():
    visit = clean_visit(
        lines=(line("97530", 30, "GO", allowed="80.00"),),
        patient=patient(ytd_allowed=ytd("2400.00")),
    )
    assert "kx-required" not in rules_of(visit)
    assert "kx-approaching" in rules_of(visit)


def test_kx_present_past_the_threshold_is_silent():
    visit = clean_visit(
        lines=(line("97530", 30, "GO", "KX", allowed="104.00"),),
        patient=patient(ytd_allowed=ytd("2500.00")),
    )
    assert not rules_of(visit) & {"kx-required", "kx-unneeded"}


def test_ga_instead_of_kx_is_accepted():
    visit = clean_visit(
        lines=(line("97530", 30, "GO", "GA", allowed="104.00"),),
        patient=patient(ytd_allowed=ytd("2500.00")),
    )
    assert "kx-required" not in rules_of(visit)


def test_kx_below_the_threshold_is_unneeded_and_the_fix_removes_it():
    visit = clean_visit(lines=(line("97530", 30, "GO", "KX", allowed="104.00"),))
    [finding] = found(visit, "kx-unneeded")
    assert finding.severity is Severity.WARNING
    assert finding.fix == {"remove_modifier": "KX", "lines": [0]}
    assert "kx-unneeded" not in rules_of(apply_fix(visit, finding.fix))


def test_missing_allowed_amount_is_named_not_guessed():
    visit = clean_visit(
        lines=(line("97530", 30, "GO", allowed="104.00"), line("97110", 30, "GO")),
        patient=patient(ytd_allowed=ytd("2400.00")),
    )
    [finding] = found(visit, "kx-required")
    assert "Line 2 (97110) has no allowed amount" in finding.message
    # the line without an amount comes after the crossing, so it needs KX too
    assert finding.lines == (0, 1)


def test_missing_amount_before_the_crossing_is_left_out_and_said():
    visit = clean_visit(
        lines=(line("97530", 30, "GO"), line("97110", 30, "GO", allowed="20.00")),
        patient=patient(ytd_allowed=ytd("2300.00")),
    )
    [finding] = found(visit, "kx-approaching")
    assert finding.severity is Severity.INFO
    assert "Line 1 (97530) has no allowed amount" in finding.message
    assert "$2,320.00" in finding.message


def test_approaching_from_90_percent_only():
    # 90% of 2,480 = 2,232
    at = clean_visit(patient=patient(ytd_allowed=ytd("2038.00")))  # + 194 = 2,232
    below = clean_visit(patient=patient(ytd_allowed=ytd("2037.99")))
    assert "kx-approaching" in rules_of(at)
    assert "kx-approaching" not in rules_of(below)


def test_medical_review_threshold_past_3000_only():
    past = clean_visit(
        lines=(line("97530", 30, "GO", "KX", allowed="104.00"),),
        patient=patient(ytd_allowed=ytd("2900.00")),
    )
    at = clean_visit(
        lines=(line("97530", 30, "GO", "KX", allowed="100.00"),),
        patient=patient(ytd_allowed=ytd("2900.00")),
    )
    [finding] = found(past, "medical-review-threshold")
    assert finding.severity is Severity.INFO and "$3,000.00" in finding.message
    assert "medical-review-threshold" not in rules_of(at)


def test_pt_and_slp_share_a_bucket():
    visit = clean_visit(
        discipline="PT",
        lines=(line("97110", 30, "GP", allowed="104.00"),),
        patient=patient(ytd_allowed=ytd("0.00", "2450.00")),
    )
    [finding] = found(visit, "kx-required")
    assert "PT and SLP: $2,450.00 allowed this year" in finding.message


def test_threshold_is_chosen_by_the_year_of_service():
    # 2,200 + 104 = 2,304: past 2023's 2,230, not 2024's 2,330
    lines = (line("97530", 30, "GO", allowed="104.00"),)
    in_2023 = clean_visit(
        date_of_service=date(2023, 6, 1),
        lines=lines,
        patient=patient(ytd_allowed=ytd("2200.00"), plan_of_care=None),
    )
    in_2024 = clean_visit(
        date_of_service=date(2024, 6, 1),
        lines=lines,
        patient=patient(ytd_allowed=ytd("2200.00"), plan_of_care=None),
    )
    assert "kx-required" in rules_of(in_2023)
    assert "kx-required" not in rules_of(in_2024)


def test_a_year_without_a_figure_says_so():
    visit = clean_visit(
        date_of_service=date(2029, 3, 1),
        patient=patient(ytd_allowed=ytd("2500.00"), plan_of_care=None),
    )
    fired = rules_of(visit) & KX_RULES
    assert fired == {"kx-threshold-unknown"}


def test_tables_from_rows_give_the_threshold():
    tables = RuleTables.from_rows(kx=[KxThreshold(2026, Money("100.00"), None)])
    visit = clean_visit(patient=patient(ytd_allowed=ytd("0.00")))
    assert "kx-required" in rules_of(visit, tables=tables)


def test_no_kx_rules_without_a_year_to_date_amount_or_for_other_payers():
    no_ytd = clean_visit(patient=patient(ytd_allowed={}))
    commercial = clean_visit(
        payer=PayerInfo(kind="commercial"), patient=patient(ytd_allowed=ytd("5000.00"))
    )
    assert not rules_of(no_ytd) & KX_RULES
    assert not rules_of(commercial) & KX_RULES
