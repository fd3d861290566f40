"""Issue 11 through the services: KX sums by each line's modifier, the referring NPI from
the plan of care, line descriptions, per-item codes and the assistant split, on a real
SQLite file."""

from __future__ import annotations

from datetime import date

from otdesk.core.money import Money
from otdesk.services import findings as fx

from .conftest import TODAY


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
