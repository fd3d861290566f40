"""Issue 11 (rules and catalog): each defect's test fails on the code before the fix; each
new rule fires and stays quiet."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from otdesk.core.catalog import default_catalog
from otdesk.core.fixes import FixError, apply_fix, fix_label, needs_input
from otdesk.core.money import Money
from otdesk.core.rules import article, certification_warning, check_visit
from otdesk.core.visit import PlanOfCare, ProviderInfo, Severity
from tests.helpers.fakes import clean_visit, commercial, found, line, patient, rules_of

# --- 6. articles and near-miss codes ---


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("PTA", "a"),
        ("PT", "a"),
        ("OTA", "an"),
        ("OT", "an"),
        ("SLP", "an"),
        ("SLPA", "an"),
        ("assistant", "an"),
        ("therapist", "a"),
        ("", "a"),
    ],
)
def test_article_follows_how_the_word_is_read(word, expected):
    assert article(word) == expected


def test_a_pta_provider_is_not_an_pta():
    visit = clean_visit(
        discipline="PT",
        provider=ProviderInfo(role="PTA", npi="1234567893"),
        lines=(line("97110", 30, "GP", allowed="90.00"),),
    )
    [finding] = found(visit, "assistant-modifier")
    assert "the provider is a PTA" in finding.message
    assert "an PTA" not in finding.message


def test_unknown_code_one_slip_from_a_catalog_code_suggests_it():
    visit = clean_visit(lines=(line("97410", 30, "GO"),))
    [finding] = found(visit, "unknown-code")
    assert "Did you mean 97140" in finding.message


def test_near_misses_are_swaps_then_single_changes_and_never_the_code_itself():
    catalog = default_catalog()
    assert [p.code for p in catalog.near_misses("97410")][0] == "97140"
    assert "97140" not in [p.code for p in catalog.near_misses("97140")]
    assert catalog.near_misses("12345") == []
    assert catalog.did_you_mean("12345") == ""


# --- 1. KX buckets follow each line's therapy modifier ---


def kx_ytd(ot: str, pt_slp: str) -> dict[str, Money]:
    return {"OT": Money(ot), "PT_SLP": Money(pt_slp)}


def test_kx_counts_each_line_in_its_own_modifiers_bucket():
    # OT: 2,400 + 100 = 2,500, past 2026's 2,480; PT/SLP: 0 + 90 = 90. Only the GO line
    # needs KX (the old code added both lines to the visit's OT bucket and asked for both).
    visit = clean_visit(
        lines=(line("97530", 30, "GO", allowed="100.00"), line("97110", 30, "GP", allowed="90.00")),
        patient=patient(ytd_allowed=kx_ytd("2400.00", "0.00")),
    )
    [finding] = found(visit, "kx-required")
    assert finding.lines == (0,)
    assert finding.fix == {"add_modifier": "KX", "lines": [0]}
    assert (
        "OT: $2,400.00 allowed this year before this visit + $100.00 on this visit = "
        "$2,500.00, past it" in finding.message
    )
    assert (
        "PT and SLP: $0.00 allowed this year before this visit + $90.00 on this visit = "
        "$90.00, not past it" in finding.message
    )


def test_kx_for_a_gp_line_on_an_ot_visit_goes_by_the_pt_slp_bucket():
    visit = clean_visit(
        lines=(line("97530", 30, "GO", allowed="100.00"), line("97110", 30, "GP", allowed="90.00")),
        patient=patient(ytd_allowed=kx_ytd("0.00", "2450.00")),
    )
    [finding] = found(visit, "kx-required")
    assert finding.lines == (1,)
    # KX typed on the GO line, whose bucket is far below, is unneeded
    with_kx = replace(
        visit,
        lines=(
            line("97530", 30, "GO", "KX", allowed="100.00"),
            line("97110", 30, "GP", "KX", allowed="90.00"),
        ),
    )
    [extra] = found(with_kx, "kx-unneeded")
    assert extra.lines == (0,)


def test_kx_gn_line_shares_the_pt_slp_bucket():
    visit = clean_visit(
        discipline="SLP",
        lines=(line("92526", 0, "GN", allowed="100.00"),),
        patient=patient(ytd_allowed=kx_ytd("2475.00", "2400.00")),
    )
    [finding] = found(visit, "kx-required")
    assert "PT and SLP: $2,400.00" in finding.message and "OT:" not in finding.message


def test_kx_approaching_is_per_bucket():
    visit = clean_visit(
        lines=(line("97530", 30, "GO", allowed="10.00"), line("97110", 30, "GP", allowed="10.00")),
        patient=patient(ytd_allowed=kx_ytd("2300.00", "100.00")),
    )
    [note] = found(visit, "kx-approaching")
    assert note.message.startswith("OT therapy for 2026")
    assert note.lines == (0,)


def test_kx_thresholds_2018_to_2020_are_shipped_so_back_dated_visits_are_checked():
    # $2,010 in 2018, $2,040 in 2019, $2,080 in 2020: 2,000 + 50 passes the first two only.
    for year, fires in ((2018, True), (2019, True), (2020, False)):
        visit = clean_visit(
            date_of_service=date(year, 6, 1),
            lines=(line("97530", 30, "GO", allowed="50.00"),),
            patient=patient(ytd_allowed=kx_ytd("2000.00", "0.00"), plan_of_care=None),
        )
        assert ("kx-required" in rules_of(visit)) is fires, year
        assert "kx-threshold-unknown" not in rules_of(visit)


# --- 2. a plan of care certified beyond 90 days ---


def test_a_certification_typed_past_90_days_still_expires_on_day_90():
    # start 2026-08-01: day 90 is 2026-10-29; the typed end 2026-12-31 does not extend it
    plan = PlanOfCare(date(2026, 8, 1), date(2026, 12, 31))
    day_90 = clean_visit(date_of_service=date(2026, 10, 29), patient=patient(plan_of_care=plan))
    day_91 = clean_visit(date_of_service=date(2026, 10, 30), patient=patient(plan_of_care=plan))
    assert "plan-of-care-expired" not in rules_of(day_90)
    [finding] = found(day_91, "plan-of-care-expired")
    assert finding.severity is Severity.ERROR
    assert "certified through 2026-10-29" in finding.message
    assert "typed as certified through 2026-12-31" in finding.message
    assert "at most 90 days" in finding.message and "Recertify" in finding.message


def test_certification_warning_for_an_end_past_day_90():
    assert certification_warning(date(2026, 8, 1), date(2026, 10, 29)) is None
    assert certification_warning(date(2026, 8, 1), None) is None
    text = certification_warning(date(2026, 8, 1), date(2026, 10, 30))
    assert text is not None and "through 2026-10-29" in text


# --- 5. a day longer than a day ---


def test_lines_adding_up_to_more_than_24_hours_are_an_error_naming_the_total():
    visit = clean_visit(
        total_treatment_minutes=None,
        lines=(line("97530", 900, "GO"), line("97110", 541, "GO"), line("97010", 0, "GO")),
    )
    [finding] = found(visit, "day-over-24-hours")
    assert finding.severity is Severity.ERROR
    assert "1441 minutes (24 h 01 min)" in finding.message and "2026-11-27" in finding.message
    assert finding.lines == (0, 1)


def test_exactly_24_hours_is_not_over():
    visit = clean_visit(
        total_treatment_minutes=None,
        lines=(line("97530", 900, "GO"), line("97110", 540, "GO")),
    )
    assert "day-over-24-hours" not in rules_of(visit)


# --- 3. codes used before they existed ---


def test_an_ot_evaluation_code_before_2017_is_an_error_with_the_code_of_the_day():
    visit = clean_visit(
        date_of_service=date(2016, 12, 30),
        lines=(line("97165", 45, "GO"),),
        patient=patient(plan_of_care=None, ytd_allowed={}),
    )
    [finding] = found(visit, "code-not-yet-effective")
    assert finding.severity is Severity.ERROR
    assert "97165 came into effect on 2017-01-01" in finding.message
    assert "2016-12-30" in finding.message and "bill 97003" in finding.message
    assert finding.fix == {"replace_code": "97003", "lines": [0]}
    fixed = apply_fix(visit, finding.fix)
    assert "code-not-yet-effective" not in rules_of(fixed)
    assert "deleted-code" not in rules_of(fixed)


def test_97129_in_2019_names_both_codes_of_that_year():
    visit = clean_visit(
        date_of_service=date(2019, 6, 3),
        lines=(line("97129", 15, "GO"),),
        patient=patient(plan_of_care=None, ytd_allowed={}),
    )
    [finding] = found(visit, "code-not-yet-effective")
    assert "came into effect on 2020-01-01" in finding.message
    assert "97127 or G0515" in finding.message and finding.fix is None


def test_97763_in_2017_points_back_to_97762():
    visit = clean_visit(
        date_of_service=date(2017, 5, 1),
        lines=(line("97763", 20, "GO"),),
        patient=patient(plan_of_care=None, ytd_allowed={}),
    )
    [finding] = found(visit, "code-not-yet-effective")
    assert finding.fix == {"replace_code": "97762", "lines": [0]}


def test_a_code_on_or_after_its_first_day_is_quiet():
    visit = clean_visit(
        date_of_service=date(2017, 1, 1),
        lines=(line("97165", 45, "GO"),),
        patient=patient(plan_of_care=None, ytd_allowed={}),
    )
    assert "code-not-yet-effective" not in rules_of(visit)


def test_every_catalog_effective_date_has_its_source():
    for procedure in default_catalog():
        if procedure.effective_from is not None:
            assert procedure.effective_from.isoformat() in procedure.source, procedure.code


# --- orthoses and supplies are billed per item ---


def test_item_units_are_the_items_entered_default_one_and_no_minutes_counted():
    visit = clean_visit(
        total_treatment_minutes=40,
        lines=(
            line("97760", 25, "GO"),
            line("L3807", 30),  # minutes typed on an item count nowhere
            line("A4580", 0, units=3),
        ),
    )
    result = check_visit(visit, dx_check=None)
    units = result.units
    assert units.total_timed_minutes == 25 and units.total_minutes == 25
    assert [ln.units for ln in units.lines] == [2, 1, 3]
    assert [ln.per_item for ln in units.lines] == [False, True, True]
    assert "Billed per item: L3807 x 1, A4580 x 3" in units.explanation
    fired = {f.rule for f in result.findings}
    # no 8-minute rule, no GO, no KX, no "untimed bills 1 unit", no override warning
    assert not fired & {
        "units-override",
        "untimed-units",
        "therapy-modifier-missing",
        "zero-units",
        "kx-required",
        "timed-over-total",
    }, fired


def test_items_do_not_count_toward_kx_and_take_no_therapy_modifier():
    visit = clean_visit(
        lines=(line("97760", 30, "GO", allowed="50.00"), line("L3808", 0, allowed="400.00")),
        patient=patient(ytd_allowed={"OT": Money("2400.00"), "PT_SLP": Money("0.00")}),
    )
    # 2,400 + 50 = 2,450: below 2026's 2,480 (the orthosis's 400 is not therapy)
    assert "kx-required" not in rules_of(visit)
    assert "therapy-modifier-missing" not in rules_of(visit)


def test_items_under_the_per_code_rule_too():
    visit = clean_visit(payer=commercial(), lines=(line("L3913", 12, units=2),))
    assert [ln.units for ln in check_visit(visit, dx_check=None).units.lines] == [2]


# --- unlisted codes need a description ---


@pytest.mark.parametrize("code", ["97039", "97139", "97799"])
def test_an_unlisted_code_without_a_description_is_an_error_until_one_is_typed(code):
    visit = clean_visit(lines=(line("97530", 30, "GO"), line(code, 15, "GO")))
    [finding] = found(visit, "unlisted-description")
    assert finding.severity is Severity.ERROR and finding.lines == (1,)
    assert f"Line 2 ({code})" in finding.message
    assert finding.fix == {"set_description": None, "lines": [1]}
    assert needs_input(finding.fix)
    assert fix_label(finding.fix, visit) == f"Describe line 2 ({code})..."
    with pytest.raises(FixError, match="Type the description"):
        apply_fix(visit, finding.fix)
    typed = apply_fix(visit, {**finding.fix, "set_description": "  Fluidotherapy,  hand "})
    assert typed.lines[1].description == "Fluidotherapy, hand"
    assert "unlisted-description" not in rules_of(typed)


def test_a_blank_description_does_not_count_and_listed_codes_need_none():
    visit = clean_visit(lines=(line("97139", 15, "GO", description="   "),))
    assert "unlisted-description" in rules_of(visit)
    assert "unlisted-description" not in rules_of(clean_visit())


def test_a_description_longer_than_a_claim_line_note_is_refused():
    visit = clean_visit(lines=(line("97139", 15, "GO"),))
    with pytest.raises(FixError, match="at most 80"):
        apply_fix(visit, {"set_description": "x" * 81, "lines": [0]})


# --- Medicare referring / certifying provider ---


def test_a_medicare_therapy_visit_without_a_referring_npi_warns():
    [finding] = found(clean_visit(referring_npi=None), "referring-provider")
    assert finding.severity is Severity.WARNING
    assert "referring or certifying physician NPI" in finding.message
    assert "box 17b" in finding.message


def test_a_referring_npi_that_fails_its_check_digit_is_an_error():
    [finding] = found(clean_visit(referring_npi="1234567890"), "referring-provider")
    assert finding.severity is Severity.ERROR and "check digit" in finding.message


def test_referring_provider_is_quiet_for_other_payers_and_with_an_npi():
    assert "referring-provider" not in rules_of(clean_visit())
    other = clean_visit(payer=commercial(), referring_npi=None)
    assert "referring-provider" not in rules_of(other)
    # a Medicare visit billing only items (an orthosis) is not a therapy claim
    items = clean_visit(referring_npi=None, lines=(line("L3908", 0),))
    assert "referring-provider" not in rules_of(items)


def test_an_slp_evaluation_visit_needs_no_plan_of_care_yet_and_may_bill_two_evaluations():
    visit = clean_visit(
        discipline="SLP",
        lines=(line("92523", 60, "GN"), line("92524", 30, "GN")),
        patient=patient(plan_of_care=None, ytd_allowed={}),
    )
    fired = rules_of(visit)
    assert "plan-of-care-missing" not in fired
    assert "one-evaluation-per-day" not in fired


def test_a_clinics_own_item_code_is_billed_per_item_too():
    from otdesk.core.catalog import BillingKind, Catalog

    catalog = Catalog.load()
    custom = catalog.with_custom("A9999", "Therapy putty", category="supply", kind="item")
    assert custom.kind is BillingKind.ITEM and custom.per_item
    visit = clean_visit(lines=(line("97110", 30, "GO"), line("A9999", 5, units=2)))
    result = check_visit(visit, catalog=catalog, dx_check=None)
    assert [ln.units for ln in result.units.lines] == [2, 2]
    assert result.units.total_timed_minutes == 30
