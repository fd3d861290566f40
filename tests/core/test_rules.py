"""Every rule fires when it should, stays silent when it should not, and its fix (applied
with apply_fix) makes the finding go away."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from otdesk.core.catalog import default_catalog
from otdesk.core.fixes import apply_fix
from otdesk.core.money import Money
from otdesk.core.ncci import MueValue, PtpEdit
from otdesk.core.rules import RULE_IDS, RULES, check_visit, unit_lines
from otdesk.core.tables import RuleTables
from otdesk.core.visit import PayerInfo, PlanOfCare, ProviderInfo, Severity
from tests.helpers.fakes import (
    FakeDx,
    check,
    clean_visit,
    commercial,
    found,
    line,
    patient,
    rules_of,
)

ISSUE_RULE_IDS = {
    "therapy-modifier-missing",
    "therapy-modifier-mismatch",
    "assistant-modifier",
    "kx-required",
    "kx-unneeded",
    "kx-approaching",
    "medical-review-threshold",
    "ncci-pair",
    "mue-exceeded",
    "one-evaluation-per-day",
    "untimed-units",
    "addon-without-primary",
    "deleted-code",
    "medicare-replacement",
    "bundled-code",
    "telehealth-modifier",
    "dx-missing",
    "dx-unknown",
    "dx-not-billable",
    "dx-pointer-invalid",
    "too-many-diagnoses",
    "too-many-pointers",
    "too-many-modifiers",
    "duplicate-timed-line",
    "units-override",
    "timed-over-total",
    "zero-units",
    "plan-of-care-missing",
    "plan-of-care-expired",
    "progress-report-due",
    "npi-invalid",
    "unknown-code",
}

MUE_TABLES = RuleTables.from_rows(
    mue=[
        MueValue("97530", 2, 2, "Clinical"),
        MueValue("97110", 1, 1, "Line"),
    ]
)


def pair_tables(indicator: int) -> RuleTables:
    return RuleTables.from_rows(ptp=[PtpEdit("97140", "97530", date(2020, 1, 1), None, indicator)])


def with_lines(*lines):
    return clean_visit(lines=tuple(lines))


# (id, visit, rule, severity, lines, fix, words the message must hold, check kwargs)
FIRES = [
    (
        "unknown-code-outside-catalog",
        with_lines(line("97530", 30, "GO"), line("98765", 0, "GO")),
        "unknown-code",
        Severity.WARNING,
        (1,),
        None,
        ["Line 2 (98765)", "outside the procedure catalog"],
        {},
    ),
    (
        "unknown-code-bad-format",
        with_lines(line("97530", 30, "GO"), line("9753X", 0, "GO")),
        "unknown-code",
        Severity.ERROR,
        (1,),
        None,
        ["Line 2 (9753X)", "not a procedure code"],
        {},
    ),
    (
        "deleted-code-97003-lists-the-three-evaluations",
        with_lines(line("97003", 0, "GO")),
        "deleted-code",
        Severity.ERROR,
        (0,),
        None,
        ["Line 1 (97003)", "2017-01-01", "97165, 97166 or 97167"],
        {},
    ),
    (
        "deleted-code-97532-follows-97127-to-97129",
        with_lines(line("97532", 30, "GO")),
        "deleted-code",
        Severity.ERROR,
        (0,),
        {"replace_code": "97129", "lines": [0]},
        ["97127, itself deleted on 2020-01-01", "use 97129", "97130"],
        {},
    ),
    (
        "deleted-code-97532-in-2019-is-97127",
        clean_visit(
            date_of_service=date(2019, 6, 3),
            lines=(line("97532", 30, "GO"),),
            patient=patient(
                plan_of_care=PlanOfCare(date(2019, 5, 1), date(2019, 7, 29)), ytd_allowed={}
            ),
        ),
        "deleted-code",
        Severity.ERROR,
        (0,),
        {"replace_code": "97127", "lines": [0]},
        ["use 97127"],
        {},
    ),
    (
        "medicare-replacement-97014",
        with_lines(line("97530", 30, "GO"), line("97014", 0, "GO")),
        "medicare-replacement",
        Severity.ERROR,
        (1,),
        {"replace_code": "G0283", "lines": [1]},
        ["Line 2 (97014)", "G0283"],
        {},
    ),
    (
        "bundled-code-97010",
        with_lines(line("97530", 30, "GO"), line("97010", 0, "GO")),
        "bundled-code",
        Severity.WARNING,
        (1,),
        {"remove_line": True, "lines": [1]},
        ["Line 2 (97010)", "never paid separately"],
        {},
    ),
    (
        "therapy-modifier-missing-adds-go-to-every-bare-line",
        with_lines(line("97530", 30), line("97110", 15, "GO"), line("97140", 15)),
        "therapy-modifier-missing",
        Severity.ERROR,
        (0, 2),
        {"add_modifier": "GO", "lines": [0, 2]},
        ["Lines 1 (97530) and 3 (97140)", "GO"],
        {},
    ),
    (
        "therapy-modifier-mismatch-gp-on-ot",
        with_lines(line("97530", 30, "GP")),
        "therapy-modifier-mismatch",
        Severity.ERROR,
        (0,),
        {"replace_modifier": "GP", "with": "GO", "lines": [0]},
        ["Line 1 (97530)", "GP", "use GO"],
        {},
    ),
    (
        "therapy-modifier-mismatch-both-present",
        with_lines(line("97530", 30, "GO", "GP")),
        "therapy-modifier-mismatch",
        Severity.ERROR,
        (0,),
        {"remove_modifier": "GP", "lines": [0]},
        ["remove GP"],
        {},
    ),
    (
        "assistant-modifier-missing-over-10-percent",
        with_lines(line("97530", 30, "GO", assistant_minutes=12), line("97110", 30, "GO")),
        "assistant-modifier",
        Severity.ERROR,
        (0,),
        # per 15-minute unit (2022): the therapist's 15 min are a unit without CO; the last
        # unit has 3 therapist and 12 assistant minutes, so it takes CO
        {"split_assistant": "CO", "units": [1, 1], "lines": [0]},
        ["Line 1 (97530)", "18 min by the therapist and 12 by the assistant", "split the line"],
        {},
    ),
    (
        "assistant-modifier-missing-whole-line",
        with_lines(line("97530", 30, "GO", assistant_minutes=30), line("97110", 30, "GO")),
        "assistant-modifier",
        Severity.ERROR,
        (0,),
        {"add_modifier": "CO", "lines": [0]},
        ["Line 1 (97530)", "2 with CO and 0 without", "CO"],
        {},
    ),
    (
        "assistant-modifier-missing-untimed-over-10-percent",
        with_lines(line("97530", 30, "GO"), line("97150", 30, "GO", assistant_minutes=12)),
        "assistant-modifier",
        Severity.ERROR,
        (1,),
        {"add_modifier": "CO", "lines": [1]},
        ["Line 2 (97150)", "12 of 30 minutes (40%)", "CO"],
        {},
    ),
    (
        "assistant-modifier-ota-provider-all-lines",
        clean_visit(provider=ProviderInfo(role="OTA", npi="1234567893")),
        "assistant-modifier",
        Severity.ERROR,
        (0, 1),
        {"add_modifier": "CO", "lines": [0, 1]},
        ["OTA", "CO"],
        {},
    ),
    (
        "assistant-modifier-cq-needed-on-pt",
        clean_visit(
            discipline="PT",
            lines=(line("97110", 30, "GP", assistant_minutes=30),),
            patient=patient(ytd_allowed={"PT_SLP": Money("100.00")}),
        ),
        "assistant-modifier",
        Severity.ERROR,
        (0,),
        {"add_modifier": "CQ", "lines": [0]},
        ["CQ"],
        {},
    ),
    (
        "assistant-modifier-unneeded-at-10-percent",
        with_lines(line("97530", 30, "GO", "CO", assistant_minutes=3)),
        "assistant-modifier",
        Severity.WARNING,
        (0,),
        {"remove_modifier": "CO", "lines": [0]},
        ["the therapist's remaining 12 min (8 or more", "0 with CO and 2 without"],
        {},
    ),
    (
        "assistant-modifier-cq-on-ot-visit",
        with_lines(line("97530", 30, "GO", "CQ", assistant_minutes=30)),
        "assistant-modifier",
        Severity.ERROR,
        (0,),
        {"replace_modifier": "CQ", "with": "CO", "lines": [0]},
        ["CQ", "CO"],
        {},
    ),
    (
        "telehealth-modifier-pos-10",
        clean_visit(place_of_service="10"),
        "telehealth-modifier",
        Severity.ERROR,
        (0, 1),
        {"add_modifier": "95", "lines": [0, 1]},
        ["Place of service 10", "95"],
        {},
    ),
    (
        "telehealth-modifier-payer-modifier",
        clean_visit(
            place_of_service="02", payer=PayerInfo(kind="medicaid", telehealth_modifier="GT")
        ),
        "telehealth-modifier",
        Severity.ERROR,
        (0, 1),
        {"add_modifier": "GT", "lines": [0, 1]},
        ["GT"],
        {},
    ),
    (
        "too-many-modifiers",
        with_lines(line("97530", 30, "GO", "59", "KX", "RT", "GA")),
        "too-many-modifiers",
        Severity.ERROR,
        (0,),
        None,
        ["Line 1 (97530) has 5 modifiers"],
        {},
    ),
    (
        "ncci-pair-97140-97530-suggests-xu-on-97530",
        with_lines(line("97140", 15, "GO"), line("97530", 30, "GO")),
        "ncci-pair",
        Severity.WARNING,
        (0, 1),
        {"add_modifier": "XU", "lines": [1]},
        ["Lines 1 (97140) and 2 (97530)", "XU", "XS", "XE", "XP", "59"],
        {},
    ),
    (
        "ncci-pair-pt-eval-with-97140",
        clean_visit(
            discipline="PT",
            lines=(line("97161", 0, "GP"), line("97140", 15, "GP")),
            patient=patient(ytd_allowed={}),
        ),
        "ncci-pair",
        Severity.WARNING,
        (0, 1),
        {"add_modifier": "XU", "lines": [1]},
        ["97161", "97140"],
        {},
    ),
    (
        "ncci-pair-indicator-0-is-an-error-without-fix",
        with_lines(line("97140", 15, "GO"), line("97530", 30, "GO", "XU")),
        "ncci-pair",
        Severity.ERROR,
        (0, 1),
        None,
        ["indicator 0"],
        {
            "tables": RuleTables.from_rows(
                ptp=[PtpEdit("97140", "97530", date(2020, 1, 1), None, 0)]
            )
        },
    ),
    (
        "mue-exceeded-date-of-service",
        with_lines(line("97530", 45, "GO")),
        "mue-exceeded",
        Severity.ERROR,
        (0,),
        None,
        ["3 units of 97530", "allows 2 per date of service"],
        {"tables": MUE_TABLES},
    ),
    (
        "mue-exceeded-per-line",
        with_lines(line("97110", 30, "GO")),
        "mue-exceeded",
        Severity.ERROR,
        (0,),
        None,
        ["Line 1 (97110): 2 units on one line", "1 Line Edit"],
        {"tables": MUE_TABLES},
    ),
    (
        "one-evaluation-per-day",
        with_lines(line("97165", 0, "GO"), line("97168", 0, "GO")),
        "one-evaluation-per-day",
        Severity.ERROR,
        (0, 1),
        None,
        ["Lines 1 (97165) and 2 (97168)", "one OT evaluation"],
        {},
    ),
    (
        "untimed-units-evaluation-with-2-units",
        with_lines(line("97166", 0, "GO", units=2)),
        "untimed-units",
        Severity.ERROR,
        (0,),
        {"set_units": None, "lines": [0]},
        ["Line 1 (97166): 2 units", "untimed"],
        {},
    ),
    (
        "addon-without-primary",
        with_lines(line("97130", 15, "GO")),
        "addon-without-primary",
        Severity.ERROR,
        (0,),
        None,
        ["Line 1 (97130)", "97129"],
        {},
    ),
    (
        "duplicate-timed-line-medicare",
        with_lines(line("97110", 20, "GO"), line("97530", 15, "GO"), line("97110", 10, "GO")),
        "duplicate-timed-line",
        Severity.ERROR,
        (0, 2),
        {"merge_lines": True, "lines": [0, 2]},
        ["Lines 1 (97110) and 3 (97110)", "30 minutes", "April 2021"],
        {},
    ),
    (
        "duplicate-timed-line-commercial-is-a-warning",
        clean_visit(payer=commercial(), lines=(line("97110", 20), line("97110", 10))),
        "duplicate-timed-line",
        Severity.WARNING,
        (0, 1),
        {"merge_lines": True, "lines": [0, 1]},
        ["97110"],
        {},
    ),
    (
        "units-override",
        with_lines(line("97530", 30, "GO", units=3)),
        "units-override",
        Severity.WARNING,
        (0,),
        {"set_units": None, "lines": [0]},
        ["Line 1 (97530): 3 units entered", "gives 2"],
        {},
    ),
    (
        "timed-over-total",
        clean_visit(total_treatment_minutes=50),
        "timed-over-total",
        Severity.ERROR,
        (0, 1),
        None,
        ["60 minutes", "50 minutes"],
        {},
    ),
    (
        "zero-units-cms-leftover",
        with_lines(line("97110", 38, "GO"), line("97140", 5, "GO")),
        "zero-units",
        Severity.WARNING,
        (1,),
        None,
        ["Line 2 (97140)", "5 minutes earn no unit"],
        {},
    ),
    (
        "fee-missing-one-line",
        with_lines(line("97530", 30, "GO"), line("97033", 15, "GO", no_fee=True)),
        "fee-missing",
        Severity.WARNING,
        (1,),
        None,
        [
            "Line 2 (97033) has no fee on file",
            "charged $0.00",
            "(Clinic > Fee schedule)",
            "type it on the line",
        ],
        {},
    ),
    (
        "fee-missing-names-every-line-in-one-finding",
        with_lines(line("97530", 30, "GO", no_fee=True), line("97033", 15, "GO", no_fee=True)),
        "fee-missing",
        Severity.WARNING,
        (0, 1),
        None,
        ["Lines 1 (97530) and 2 (97033) have no fee on file", "type them on the lines"],
        {},
    ),
    (
        "fee-missing-for-a-code-outside-the-catalog",
        with_lines(line("97530", 30, "GO"), line("98960", 15, "GO", no_fee=True)),
        "fee-missing",
        Severity.WARNING,
        (1,),
        None,
        ["Line 2 (98960) has no fee on file"],
        {},
    ),
    (
        "dx-missing-no-diagnoses",
        clean_visit(diagnoses=()),
        "dx-missing",
        Severity.ERROR,
        (),
        None,
        ["no diagnosis"],
        {},
    ),
    (
        "dx-missing-line-without-pointer",
        with_lines(line("97530", 30, "GO", dx_pointers=()), line("97110", 30, "GO")),
        "dx-missing",
        Severity.ERROR,
        (0,),
        {"set_dx_pointers": ["A"], "lines": [0]},
        ["Line 1 (97530)"],
        {},
    ),
    (
        "dx-unknown",
        clean_visit(diagnoses=("M62.81", "X99.9")),
        "dx-unknown",
        Severity.ERROR,
        (),
        None,
        ["Diagnosis B (X99.9)", "not an ICD-10-CM code"],
        {},
    ),
    (
        "dx-not-billable-names-children",
        clean_visit(diagnoses=("R26",)),
        "dx-not-billable",
        Severity.ERROR,
        (0, 1),
        None,
        ["Diagnosis A (R26)", "R26.89"],
        {},
    ),
    (
        "dx-pointer-invalid-past-the-last-diagnosis",
        with_lines(line("97530", 30, "GO", dx_pointers=("B",))),
        "dx-pointer-invalid",
        Severity.ERROR,
        (0,),
        {"set_dx_pointers": ["A"], "lines": [0]},
        ["Line 1 (97530)", "B points at no diagnosis"],
        {},
    ),
    (
        "dx-pointer-invalid-repeated",
        with_lines(line("97530", 30, "GO", dx_pointers=("A", "A"))),
        "dx-pointer-invalid",
        Severity.ERROR,
        (0,),
        {"set_dx_pointers": ["A"], "lines": [0]},
        ["A is given twice"],
        {},
    ),
    (
        "too-many-diagnoses",
        clean_visit(diagnoses=("M62.81",) * 13),
        "too-many-diagnoses",
        Severity.ERROR,
        (),
        None,
        ["13 diagnoses"],
        {},
    ),
    (
        "too-many-pointers",
        clean_visit(
            diagnoses=("M62.81", "R26.89", "R27.9", "R44.8", "R26.1"),
            lines=(line("97530", 30, "GO", dx_pointers=("A", "B", "C", "D", "E")),),
        ),
        "too-many-pointers",
        Severity.ERROR,
        (0,),
        {"set_dx_pointers": ["A", "B", "C", "D"], "lines": [0]},
        ["Line 1 (97530) points at 5 diagnoses"],
        {},
    ),
    (
        "plan-of-care-missing",
        clean_visit(patient=patient(plan_of_care=None)),
        "plan-of-care-missing",
        Severity.WARNING,
        (),
        None,
        ["No plan of care"],
        {},
    ),
    (
        "plan-of-care-expired-after-cert",
        clean_visit(patient=patient(plan_of_care=PlanOfCare(date(2026, 8, 1), date(2026, 10, 29)))),
        "plan-of-care-expired",
        Severity.ERROR,
        (),
        None,
        ["2026-10-29", "2026-11-27"],
        {},
    ),
    (
        "plan-of-care-expired-before-start",
        clean_visit(patient=patient(plan_of_care=PlanOfCare(date(2026, 11, 28), None))),
        "plan-of-care-expired",
        Severity.ERROR,
        (),
        None,
        ["before the plan of care starts"],
        {},
    ),
    (
        "plan-of-care-expired-90-days-without-cert-date",
        clean_visit(patient=patient(plan_of_care=PlanOfCare(date(2026, 8, 29), None))),
        "plan-of-care-expired",
        Severity.ERROR,
        (),
        None,
        ["2026-11-26", "90 days"],
        {},
    ),
    (
        "progress-report-due-10th-day",
        clean_visit(patient=patient(treatment_days_since_progress_report=9)),
        "progress-report-due",
        Severity.WARNING,
        (),
        None,
        ["treatment day 10"],
        {},
    ),
    (
        "progress-report-coming-8th-day",
        clean_visit(patient=patient(treatment_days_since_progress_report=7)),
        "progress-report-due",
        Severity.INFO,
        (),
        None,
        ["treatment day 8"],
        {},
    ),
    (
        "npi-invalid",
        clean_visit(provider=ProviderInfo(role="OT", npi="1234567890")),
        "npi-invalid",
        Severity.ERROR,
        (),
        None,
        ["1234567890", "check digit"],
        {},
    ),
    (
        "npi-missing-is-a-warning",
        clean_visit(provider=ProviderInfo(role="OT", npi=None)),
        "npi-invalid",
        Severity.WARNING,
        (),
        None,
        ["no NPI"],
        {},
    ),
]

# (id, visit, rule that must not fire (None: no finding at all), check kwargs)
SILENT = [
    ("clean-visit", clean_visit(), None, {}),
    (
        "deleted-code-before-deletion",
        clean_visit(
            date_of_service=date(2016, 12, 30),
            lines=(line("97003", 0, "GO"),),
            patient=patient(ytd_allowed={}, plan_of_care=None),
        ),
        "deleted-code",
        {},
    ),
    (
        "medicare-replacement-commercial",
        clean_visit(payer=commercial(), lines=(line("97014", 0),)),
        "medicare-replacement",
        {},
    ),
    (
        "bundled-code-commercial",
        clean_visit(payer=commercial(), lines=(line("97010", 0),)),
        "bundled-code",
        {},
    ),
    ("go-on-ot-visit", clean_visit(), "therapy-modifier-missing", {}),
    (
        "therapy-modifiers-not-required",
        clean_visit(payer=commercial(), lines=(line("97530", 30),)),
        "therapy-modifier-missing",
        {},
    ),
    (
        "assistant-10-percent-no-co",
        with_lines(line("97530", 30, "GO", assistant_minutes=3)),
        "assistant-modifier",
        {},
    ),
    (
        "assistant-co-present",
        with_lines(line("97530", 30, "GO", "CO", assistant_minutes=30)),
        "assistant-modifier",
        {},
    ),
    (
        "slpa-has-no-modifier",
        clean_visit(
            discipline="SLP",
            provider=ProviderInfo(role="SLPA", npi="1234567893"),
            lines=(line("92526", 30, "GN"),),
            patient=patient(ytd_allowed={}),
        ),
        "assistant-modifier",
        {},
    ),
    (
        "telehealth-pos-02-with-95",
        clean_visit(
            place_of_service="02",
            lines=(line("97530", 30, "GO", "95"), line("97110", 30, "GO", "95")),
        ),
        "telehealth-modifier",
        {},
    ),
    (
        "four-modifiers",
        with_lines(line("97530", 30, "GO", "59", "RT", "GA")),
        "too-many-modifiers",
        {},
    ),
    (
        "ncci-xu-added",
        with_lines(line("97140", 15, "GO"), line("97530", 30, "GO", "XU")),
        "ncci-pair",
        {},
    ),
    (
        "ncci-59-added",
        with_lines(line("97140", 15, "GO"), line("97530", 30, "GO", "59")),
        "ncci-pair",
        {},
    ),
    (
        "ncci-commercial",
        clean_visit(payer=commercial(), lines=(line("97140", 15), line("97530", 30))),
        "ncci-pair",
        {},
    ),
    (
        "ncci-before-effective",
        clean_visit(
            date_of_service=date(2019, 12, 31),
            lines=(line("97140", 15, "GO"), line("97530", 30, "GO")),
            patient=patient(ytd_allowed={}, plan_of_care=None),
        ),
        "ncci-pair",
        {},
    ),
    (
        "withdrawn-2020-eval-edits-not-shipped",
        with_lines(line("97165", 0, "GO"), line("97530", 30, "GO"), line("97150", 0, "GO")),
        "ncci-pair",
        {},
    ),
    (
        "ncci-indicator-9",
        with_lines(line("97140", 15, "GO"), line("97530", 30, "GO")),
        "ncci-pair",
        {
            "tables": RuleTables.from_rows(
                ptp=[PtpEdit("97140", "97530", date(2020, 1, 1), None, 9)]
            )
        },
    ),
    ("mue-within", with_lines(line("97530", 30, "GO")), "mue-exceeded", {"tables": MUE_TABLES}),
    (
        "evaluations-of-two-disciplines",
        with_lines(line("97165", 0, "GO"), line("97163", 0, "GO")),
        "one-evaluation-per-day",
        {},
    ),
    ("group-97150-two-units", with_lines(line("97150", 0, "GO", units=2)), "untimed-units", {}),
    (
        "addon-with-primary",
        with_lines(line("97129", 15, "GO"), line("97130", 15, "GO")),
        "addon-without-primary",
        {},
    ),
    (
        "co-line-and-plain-line",
        with_lines(line("97110", 20, "GO"), line("97110", 10, "GO", "CO", assistant_minutes=10)),
        "duplicate-timed-line",
        {},
    ),
    (
        "units-equal-computed",
        with_lines(line("97530", 30, "GO", units=2), line("97110", 30, "GO")),
        "units-override",
        {},
    ),
    ("timed-equal-total", clean_visit(total_treatment_minutes=60), "timed-over-total", {}),
    ("no-total", clean_visit(total_treatment_minutes=None), "timed-over-total", {}),
    (
        "one-line-zero-units-has-override",
        with_lines(line("97110", 5, "GO", units=0)),
        "zero-units",
        {},
    ),
    ("lines-with-fees", clean_visit(), "fee-missing", {}),
    (
        "no-fee-line-earning-no-unit",
        with_lines(line("97110", 38, "GO"), line("97140", 5, "GO", no_fee=True)),
        "fee-missing",
        {},
    ),
    (
        "no-fee-line-overridden-to-zero-units",
        with_lines(line("97530", 30, "GO"), line("97033", 15, "GO", units=0, no_fee=True)),
        "fee-missing",
        {},
    ),
    (
        # the code must be replaced (its own error says with what), not given a fee
        "no-fee-on-a-deleted-code",
        with_lines(line("97530", 30, "GO"), line("97003", 0, "GO", no_fee=True)),
        "fee-missing",
        {},
    ),
    (
        "no-fee-on-a-malformed-code",
        with_lines(line("97530", 30, "GO"), line("ABC", 0, "GO", no_fee=True)),
        "fee-missing",
        {},
    ),
    (
        "no-fee-on-the-merged-away-duplicate",
        with_lines(line("97530", 30, "GO"), line("97530", 15, "GO", no_fee=True)),
        "fee-missing",
        {},
    ),
    (
        "dx-rules-without-dx-check",
        clean_visit(diagnoses=("X99.9",)),
        "dx-unknown",
        {"dx_check": None},
    ),
    ("billable-dx", clean_visit(diagnoses=("R26.89",)), "dx-not-billable", {}),
    ("twelve-diagnoses", clean_visit(diagnoses=("M62.81",) * 12), "too-many-diagnoses", {}),
    (
        "four-pointers",
        clean_visit(
            diagnoses=("M62.81", "R26.89", "R27.9", "R44.8"),
            lines=(line("97530", 30, "GO", dx_pointers=("A", "B", "C", "D")),),
        ),
        "too-many-pointers",
        {},
    ),
    (
        "evaluation-visit-without-plan",
        clean_visit(lines=(line("97166", 0, "GO"),), patient=patient(plan_of_care=None)),
        "plan-of-care-missing",
        {},
    ),
    (
        "commercial-without-plan",
        clean_visit(payer=commercial(), patient=patient(plan_of_care=None)),
        "plan-of-care-missing",
        {},
    ),
    (
        "last-certified-day",
        clean_visit(patient=patient(plan_of_care=PlanOfCare(date(2026, 8, 30), None))),
        "plan-of-care-expired",
        {},
    ),
    (
        "progress-7th-day",
        clean_visit(patient=patient(treatment_days_since_progress_report=6)),
        "progress-report-due",
        {},
    ),
    (
        "progress-unknown",
        clean_visit(patient=patient(treatment_days_since_progress_report=None)),
        "progress-report-due",
        {},
    ),
    (
        "progress-commercial",
        clean_visit(payer=commercial(), patient=patient(treatment_days_since_progress_report=20)),
        "progress-report-due",
        {},
    ),
]


@pytest.mark.parametrize(
    ("visit", "rule", "severity", "lines", "fix", "words", "kwargs"),
    [pytest.param(*case[1:], id=case[0]) for case in FIRES],
)
def test_rule_fires(visit, rule, severity, lines, fix, words, kwargs):
    findings = found(visit, rule, **kwargs)
    assert len(findings) == 1, findings
    finding = findings[0]
    assert finding.severity is severity
    assert finding.lines == lines
    assert finding.fix == fix
    for word in words:
        assert word in finding.message


@pytest.mark.parametrize(
    ("visit", "rule", "kwargs"), [pytest.param(*case[1:], id=case[0]) for case in SILENT]
)
def test_rule_stays_silent(visit, rule, kwargs):
    fired = rules_of(visit, **kwargs)
    if rule is None:
        assert fired == set()
    else:
        assert rule not in fired


@pytest.mark.parametrize(
    ("visit", "rule", "fix", "kwargs"),
    [pytest.param(case[1], case[2], case[5], case[7], id=case[0]) for case in FIRES if case[5]],
)
def test_fix_makes_the_finding_go_away(visit, rule, fix, kwargs):
    fixed = apply_fix(visit, fix)
    assert rule not in rules_of(fixed, **kwargs)


# --- the table itself ---------------------------------------------------------------------------


# Issue 11's rules (tests/core/test_rules_issue11.py).
ISSUE_11_RULE_IDS = {
    "code-not-yet-effective",
    "day-over-24-hours",
    "unlisted-description",
    "referring-provider",
}


def test_rule_ids_are_those_of_the_issue_plus_the_threshold_notice_and_fee_missing():
    assert set(RULE_IDS) == ISSUE_RULE_IDS | ISSUE_11_RULE_IDS | {
        "kx-threshold-unknown",
        "fee-missing",
        "dx-excludes1",
        "future-date-of-service",
    }
    assert len(RULE_IDS) == len(set(RULE_IDS))


def test_every_rule_is_a_function_with_a_severity():
    for rule_id, severity, func in RULES:
        assert isinstance(severity, Severity), rule_id
        assert callable(func), rule_id


def test_findings_are_sorted_errors_first():
    visit = clean_visit(
        lines=(line("97140", 15, "GO"), line("97530", 30, "GO"), line("97014", 0)),
        patient=patient(treatment_days_since_progress_report=7),
    )
    severities = [f.severity for f in check(visit).findings]
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    assert severities == sorted(severities, key=order.get)
    assert severities[0] is Severity.ERROR and severities[-1] is Severity.INFO


def test_check_visit_does_not_change_the_visit():
    visit = with_lines(line("97140", 15, "GO"), line("97530", 30, "GO"))
    before = replace(visit)
    check(visit)
    assert visit == before


def test_no_fee_changes_neither_the_units_nor_the_other_findings():
    plain = with_lines(line("97530", 30, "GO"), line("97033", 15, "GO"))
    flagged = with_lines(line("97530", 30, "GO"), line("97033", 15, "GO", no_fee=True))
    catalog = default_catalog()
    assert unit_lines(flagged, catalog) == unit_lines(plain, catalog)
    before, after = check(plain), check(flagged)
    assert after.units == before.units
    assert [f for f in after.findings if f.rule != "fee-missing"] == list(before.findings)
    assert [f.rule for f in after.findings if f.rule == "fee-missing"] == ["fee-missing"]


def test_fake_dx_is_asked_once_per_code():
    dx = FakeDx()
    check(clean_visit(diagnoses=("M62.81", "R26")), dx_check=dx)
    assert sorted(dx.asked) == ["M62.81", "R26"]


def test_without_dx_check_the_icd_rules_are_skipped():
    visit = clean_visit(diagnoses=("R26",))
    assert "dx-not-billable" not in {f.rule for f in check_visit(visit).findings}
