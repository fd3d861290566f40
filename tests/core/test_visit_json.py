"""visit_from_json: the issue's shape, read strictly; errors name the field."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from otdesk.core.money import Money
from otdesk.core.visit import PlanOfCare
from otdesk.core.visit_json import VisitInputError, visit_from_json, visit_to_json

ISSUE_EXAMPLE = {
    "date_of_service": "2026-11-27",
    "payer": {"kind": "medicare", "unit_rule": "cms"},
    "discipline": "OT",
    "place_of_service": "11",
    "provider": {"role": "OT", "npi": "1234567893"},
    "total_treatment_minutes": 60,
    "lines": [
        {
            "code": "97530",
            "minutes": 30,
            "assistant_minutes": 0,
            "modifiers": ["GO"],
            "dx_pointers": ["A"],
            "units": None,
            "allowed": "104.00",
        }
    ],
    "diagnoses": ["M62.81"],
    "referring_npi": "1234567893",
    "patient": {
        "ytd_allowed": {"OT": "2400.00", "PT_SLP": "0.00"},
        "treatment_days_since_progress_report": 3,
        "plan_of_care": {"start": "2026-10-01", "cert_through": "2026-12-29"},
    },
}


BACKWARDS_PLAN = {"start": "2026-10-01", "cert_through": "2026-09-30"}


def example(**changes):
    data = copy.deepcopy(ISSUE_EXAMPLE)
    data.update(changes)
    return data


def test_the_issue_example_reads():
    visit = visit_from_json(example())
    assert visit.date_of_service == date(2026, 11, 27)
    assert visit.payer.is_medicare and str(visit.payer.unit_rule) == "cms"
    assert visit.lines[0].code == "97530"
    assert visit.lines[0].allowed == Money("104.00")
    assert visit.lines[0].units is None
    assert visit.patient.ytd_allowed == {"OT": Money("2400.00"), "PT_SLP": Money("0.00")}
    assert visit.patient.plan_of_care == PlanOfCare(date(2026, 10, 1), date(2026, 12, 29))


def test_a_minimal_visit_takes_the_defaults():
    visit = visit_from_json(
        {
            "date_of_service": "2026-11-27",
            "payer": {"kind": "commercial", "unit_rule": "per-code"},
            "discipline": "ot",
            "lines": [{"code": "97530"}],
        }
    )
    assert visit.discipline == "OT"
    assert visit.place_of_service == "11"
    assert visit.provider.npi is None
    assert visit.lines[0].minutes == 0
    assert visit.diagnoses == ()


def test_codes_modifiers_and_diagnoses_are_normalized():
    data = example()
    data["lines"][0].update(code=" 97530 ", modifiers=["go", "xu"], dx_pointers=["a"])
    data["diagnoses"] = ["m6281", "r26"]
    visit = visit_from_json(data)
    assert visit.lines[0].code == "97530"
    assert visit.lines[0].modifiers == ("GO", "XU")
    assert visit.lines[0].dx_pointers == ("A",)
    assert visit.diagnoses == ("M62.81", "R26")


def test_round_trip():
    visit = visit_from_json(example())
    assert visit_from_json(visit_to_json(visit)) == visit


def line_with(**changes):
    data = example()
    data["lines"][0].update(changes)
    return data


def test_a_json_visit_has_no_fee_schedule_so_no_line_is_marked_no_fee():
    visit = visit_from_json(example(lines=[{"code": "97033", "minutes": 15}]))
    assert not visit.lines[0].no_fee
    assert "no_fee" not in visit_to_json(visit)["lines"][0]
    with pytest.raises(VisitInputError, match=r"lines\[0\]"):
        visit_from_json(line_with(no_fee=True))


def without(*path):
    data = example()
    target = data
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return data


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ([], "visit", "must be an object"),
        (without("date_of_service"), "date_of_service", "is required"),
        (without("lines"), "lines", "is required"),
        (without("payer", "kind"), "payer.kind", "is required"),
        (without("lines", 0, "code"), "lines[0].code", "is required"),
        (example(colour="red"), "colour", "unknown key"),
        (example(payer={"kind": "medicare", "rule": "cms"}), "payer.rule", "unknown key"),
        (line_with(minute=30), "lines[0].minute", "unknown key"),
        (example(patient={"ytd_allowed": {"SLP": "1.00"}}), "patient.ytd_allowed.SLP", "unknown"),
        (example(date_of_service="2026-02-30"), "date_of_service", "not a real date"),
        (example(date_of_service="11/27/2026"), "date_of_service", "YYYY-MM-DD"),
        (example(date_of_service=20261127), "date_of_service", "must be a string"),
        (example(payer={"kind": "medicaire"}), "payer.kind", "not one of"),
        (example(payer={"kind": "medicare", "unit_rule": "8-minute"}), "payer.unit_rule", "not"),
        (example(discipline="OTR"), "discipline", "not one of"),
        (example(provider={"role": "aide"}), "provider.role", "not one of"),
        (example(place_of_service="office"), "place_of_service", "2-digit"),
        (example(lines=[]), "lines", "at least one line"),
        (example(lines={"code": "97530"}), "lines", "must be a list"),
        (line_with(code="9753"), "lines[0].code", "not a procedure code"),
        (line_with(code=97530), "lines[0].code", "must be a string"),
        (line_with(minutes=12.5), "lines[0].minutes", "whole number"),
        (line_with(minutes=-1), "lines[0].minutes", "out of range"),
        (line_with(minutes="30"), "lines[0].minutes", "whole number"),
        (line_with(minutes=True), "lines[0].minutes", "whole number"),
        (line_with(assistant_minutes=40), "lines[0].assistant_minutes", "more than the line"),
        (line_with(modifiers=["GO", "GOO"]), "lines[0].modifiers[1]", "2-character"),
        (line_with(modifiers=["GO", "go"]), "lines[0].modifiers[1]", "given twice"),
        (line_with(modifiers="GO"), "lines[0].modifiers", "must be a list"),
        (line_with(dx_pointers=["M"]), "lines[0].dx_pointers[0]", "letter A to L"),
        (line_with(dx_pointers=["1"]), "lines[0].dx_pointers[0]", "letter A to L"),
        (line_with(units=1.5), "lines[0].units", "whole number or null"),
        (line_with(allowed=104.0), "lines[0].allowed", "as strings"),
        (line_with(allowed="lots"), "lines[0].allowed", "not an amount"),
        (line_with(allowed="-5.00"), "lines[0].allowed", "negative"),
        (example(diagnoses=["M62.81", "muscle weakness"]), "diagnoses[1]", "not an ICD-10-CM"),
        (
            example(
                patient={"plan_of_care": {"start": "2026-10-01", "cert_through": "2026-09-01"}}
            ),
            "patient.plan_of_care.cert_through",
            "before the start",
        ),
        (
            example(patient={"treatment_days_since_progress_report": -1}),
            "patient.treatment_days_since_progress_report",
            "out of range",
        ),
        (
            example(payer={"kind": "medicare", "ncci_applies": "yes"}),
            "payer.ncci_applies",
            "true, false or null",
        ),
    ],
)
def test_bad_input_names_the_field(data, field, words):
    with pytest.raises(VisitInputError) as raised:
        visit_from_json(data)
    message = str(raised.value)
    assert message.startswith(f"{field}: "), message
    assert words in message
    assert raised.value.path == field
    assert message.count("\n") == 0


def test_what_the_rules_check_is_not_an_input_error():
    data = line_with(modifiers=["GO", "59", "KX", "RT", "GA"], dx_pointers=["B"])
    data["diagnoses"] = ["M62.81"] * 13
    data["provider"] = {"role": "OT", "npi": "1234567890"}
    visit = visit_from_json(data)
    assert len(visit.lines[0].modifiers) == 5
