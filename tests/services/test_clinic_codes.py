"""The clinic's own codes (issue 12): a well-formed code outside the catalog is added with a
plain label, a kind and disciplines, then billed and checked like a catalog code."""

import pytest

from otdesk.services.errors import NotFoundError, ValidationError


def test_a_timed_clinic_code_is_billed_in_units_with_its_label_and_fee(clinic, setup):
    code = clinic.codes.add(
        "98975", label="Remote monitoring set-up", kind="timed", disciplines=["SLP"], fee="80.00"
    )
    assert (code.code, code.kind, code.disciplines, code.used) == (
        "98975",
        "timed",
        ("SLP",),
        False,
    )
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)
    visit = clinic.visits.add_line(visit.id, "98975", minutes=30)
    line = visit.lines[0]
    assert (line.label, line.timed, line.units, str(line.charge)) == (
        "Remote monitoring set-up",
        True,
        2,
        "$160.00",
    )
    assert "unknown-code" not in {f.rule for f in visit.findings}
    assert clinic.codes.get("98975").used


def test_an_item_code_bills_one_unit_per_item_and_no_therapy_modifier(clinic, setup):
    clinic.codes.add("L3999", label="Custom thumb orthosis", kind="item")
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot, total_time_auto=True)
    visit = clinic.visits.add_line(visit.id, "L3999", defaults=True)
    assert visit.lines[0].modifiers == () and not visit.lines[0].timed
    assert visit.lines[0].units == 1


def test_the_code_search_offers_clinic_codes_and_fee_schedule_codes(clinic, setup):
    clinic.codes.add("98975", label="Remote monitoring set-up", kind="timed", disciplines=["SLP"])
    clinic.fees.add("A4570", charge="12.00")
    catalog = clinic.codes.search_catalog()
    assert catalog.search("98975")[0].label == "Remote monitoring set-up"
    assert catalog.search("remote monit")[0].code == "98975"
    assert "fee schedule" in catalog.search("A4570")[0].label
    # the fee-schedule-only code is not labelled for the rules: they still say so
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)
    visit = clinic.visits.add_line(visit.id, "A4570")
    assert "unknown-code" in {f.rule for f in visit.findings}


@pytest.mark.parametrize(
    ("code", "fields", "field", "words"),
    [
        ("9750", {"label": "x", "kind": "timed"}, "code", "not a procedure code"),
        ("97110", {"label": "x", "kind": "timed"}, "code", "in the catalog already"),
        ("98975", {"label": " ", "kind": "timed"}, "label", "Label is required"),
        ("98975", {"label": "x", "kind": "hourly"}, "kind", "timed, untimed, item"),
        ("98975", {"label": "x", "kind": "timed", "disciplines": ["OX"]}, "discipline", "OT"),
    ],
)
def test_bad_clinic_codes_are_refused_with_the_field(clinic, code, fields, field, words):
    with pytest.raises(ValidationError) as caught:
        clinic.codes.add(code, **fields)
    assert caught.value.field == field and words in str(caught.value)
    assert clinic.codes.list() == []


def test_a_code_twice_is_refused_and_a_used_code_is_hidden_not_deleted(clinic, setup):
    clinic.codes.add("98975", label="Remote monitoring set-up", kind="timed")
    with pytest.raises(ValidationError, match="clinic code already"):
        clinic.codes.add("98975", label="Again", kind="timed")
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)
    clinic.visits.add_line(visit.id, "98975", minutes=15)
    assert clinic.codes.remove("98975") is False
    assert clinic.codes.list() == []
    assert clinic.visits.get(visit.id).lines[0].label == "Remote monitoring set-up"
    assert "98975" not in [p.code for p in clinic.codes.search_catalog().search("98975")]
    clinic.codes.add("L3999", label="Splint", kind="item")
    assert clinic.codes.remove("L3999") is True
    with pytest.raises(NotFoundError):
        clinic.codes.get("L3999")


def test_a_changed_kind_changes_the_units_of_a_draft(clinic, setup):
    clinic.codes.add("98975", label="Remote monitoring set-up", kind="untimed")
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)
    visit = clinic.visits.add_line(visit.id, "98975", minutes=30)
    assert visit.lines[0].units == 1
    clinic.codes.update("98975", kind="timed", label="Speech therapy, each 15 minutes")
    visit = clinic.visits.get(visit.id)
    assert visit.lines[0].units == 2 and visit.lines[0].label.startswith("Speech therapy")
    assert clinic.visits.day("2026-03-02")[0].total_units == 2  # the stored totals follow
