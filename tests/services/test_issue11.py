"""Issue 11 through the services: KX sums by each line's modifier, the referring NPI from
the plan of care, line descriptions, per-item codes and the assistant split, on a real
SQLite file."""

from __future__ import annotations

from datetime import date

from otdesk.core.money import Money
from otdesk.services import findings as fx
from tests.helpers.clinics import TODAY


def _draft(clinic, setup, **options):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot, **options)
    return clinic.visits.add_diagnosis(visit.id, "M62.81")


def _rules(visit):
    return {finding.rule for finding in visit.findings}


def test_year_to_date_allowed_goes_by_each_lines_therapy_modifier(clinic, setup):
    earlier = _draft(clinic, setup, date_of_service=date(2026, 2, 10))
    earlier = clinic.visits.add_line(
        earlier.id, "97110", minutes=60, modifiers="GO", dx_pointers="A"
    )
    # a PT line billed on the OT visit counts toward PT and SLP (4 units x $31.12)
    earlier = clinic.visits.add_line(
        earlier.id, "97140", minutes=60, modifiers="GP", dx_pointers="A"
    )
    clinic.visits.finalize(earlier.id, override_reason="history for the test")
    with clinic.ctx.db.read() as connection:
        totals = fx.ytd_allowed(connection, setup.patient, TODAY, None, clinic.ctx.catalog)
    assert totals == {"OT": Money("124.48"), "PT_SLP": Money("115.60")}


def test_an_orthosis_takes_its_item_count_without_a_reason_and_no_therapy_modifier(clinic, setup):
    visit = _draft(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97760", minutes=25, modifiers="GO", dx_pointers="A")
    visit = clinic.visits.add_line(visit.id, "L3807", dx_pointers="A")
    assert visit.lines[1].per_item and visit.lines[1].units == 1
    visit = clinic.visits.update_line(visit.lines[1].id, units_override=2)
    assert visit.lines[1].units == 2 and visit.lines[1].override_reason is None
    assert visit.total_timed_minutes == 25
    assert not _rules(visit) & {"units-override", "untimed-units", "therapy-modifier-missing"}


def test_the_referring_npi_comes_from_the_plan_of_care(clinic, setup):
    visit = _draft(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97110", minutes=30, modifiers="GO", dx_pointers="A")
    assert "referring-provider" not in _rules(visit)  # the seeded plan names an NPI
    clinic.patients.update_plan_of_care(setup.plan, referring_npi="")
    assert "referring-provider" in _rules(clinic.visits.get(visit.id))


def test_describing_an_unlisted_line_through_its_fix_saves_the_description(clinic, setup):
    visit = _draft(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97139", minutes=15, modifiers="GO", dx_pointers="A")
    [finding] = [f for f in visit.findings if f.rule == "unlisted-description"]
    assert finding.fix == {"set_description": None, "lines": [0]}
    visit = clinic.visits.apply_fix(
        visit.id, {**finding.fix, "set_description": "Fluidotherapy, right hand"}
    )
    assert visit.lines[0].description == "Fluidotherapy, right hand"
    assert "unlisted-description" not in _rules(visit)
    # kept in storage and in the audit log
    assert clinic.visits.get(visit.id).lines[0].description == "Fluidotherapy, right hand"
    actions = [entry.action for entry in clinic.audit.visit_history(visit.id)]
    assert "visit.fix" in actions and "line.update" in actions


def test_splitting_a_shared_line_bills_the_assistants_unit_with_co(clinic, setup):
    visit = _draft(clinic, setup)
    visit = clinic.visits.add_line(
        visit.id, "97110", minutes=36, assistant_minutes=23, modifiers="GO", dx_pointers="A"
    )
    visit = clinic.visits.add_line(visit.id, "97140", minutes=30, modifiers="GO", dx_pointers="A")
    [finding] = [f for f in visit.findings if f.rule == "assistant-modifier"]
    assert finding.fix == {"split_assistant": "CO", "units": [1, 1], "lines": [0]}
    visit = clinic.visits.apply_fix(visit.id, finding.fix)
    rows = [
        (ln.code, ln.modifiers, ln.minutes, ln.assistant_minutes, ln.units) for ln in visit.lines
    ]
    assert rows == [
        ("97110", ("GO",), 13, 0, 1),
        ("97110", ("GO", "CO"), 23, 23, 1),
        ("97140", ("GO",), 30, 0, 2),
    ]
    assert "assistant-modifier" not in _rules(visit)
    assert "duplicate-timed-line" not in _rules(visit)
    assert visit.total_units == 4
