"""The services tell the core which lines have no fee, so fee-missing warns before a line
charged $0.00 reaches a superbill."""

import otdesk.core.rules
import otdesk.services.findings
from otdesk.core.money import Money
from otdesk.core.visit import Severity
from tests.helpers.clinics import TODAY


def _visit_with_97033(clinic, setup, **options):
    """A Medicare OT visit with 97110 and 97033; the seeded fee schedule lacks 97033."""
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot, **options)
    visit = clinic.visits.add_diagnosis(visit.id, "M62.81")
    visit = clinic.visits.add_line(visit.id, "97110", minutes=30, modifiers="GO", dx_pointers="A")
    return clinic.visits.add_line(visit.id, "97033", minutes=15, modifiers="GO", dx_pointers="A")


def _fee_missing(visit):
    return [f for f in visit.findings if f.rule == "fee-missing"]


def _warning_count(clinic):
    [summary] = clinic.visits.day(TODAY)
    return summary.warning_count


def test_a_line_without_a_fee_is_a_warning_the_day_list_counts(clinic, setup):
    visit = _visit_with_97033(clinic, setup)
    line = visit.lines[1]
    assert line.units == 1 and line.fee is None and line.charge == Money("0.00")
    [finding] = _fee_missing(visit)
    assert finding.severity is Severity.WARNING and finding.fix is None
    assert finding.lines == (1,)
    assert finding.message == (
        "Line 2 (97033) has no fee on file, so it is charged $0.00: add the fee to the fee "
        "schedule (Clinic > Fee schedule) or type it on the line."
    )
    warnings = [f for f in visit.findings if f.severity is Severity.WARNING]
    assert finding in warnings
    assert _warning_count(clinic) == len(warnings)
    assert visit.errors == ()  # a warning never blocks finalizing


def test_a_fee_typed_on_the_line_silences_it(clinic, setup):
    visit = _visit_with_97033(clinic, setup)
    before = _warning_count(clinic)
    visit = clinic.visits.update_line(visit.lines[1].id, fee="40.00")
    assert _fee_missing(visit) == []
    assert visit.lines[1].charge == Money("40.00")
    assert _warning_count(clinic) == before - 1
    visit = clinic.visits.update_line(visit.lines[1].id, fee=None)
    assert len(_fee_missing(visit)) == 1
    assert _warning_count(clinic) == before


def test_a_typed_fee_of_zero_is_taken_as_meant(clinic, setup):
    visit = _visit_with_97033(clinic, setup)
    visit = clinic.visits.update_line(visit.lines[1].id, fee="0")
    assert _fee_missing(visit) == []
    assert visit.lines[1].charge == Money("0.00")


def test_adding_the_code_to_the_fee_schedule_silences_it(clinic, setup):
    visit = _visit_with_97033(clinic, setup)
    # an allowed amount alone gives no charge
    clinic.fees.add("97033", allowed="20.00", payer_id=setup.medicare)
    assert len(_fee_missing(clinic.visits.get(visit.id))) == 1
    clinic.fees.add("97033", charge="45.00")
    visit = clinic.visits.get(visit.id)
    assert _fee_missing(visit) == []
    assert visit.lines[1].charge == Money("45.00")


def test_a_line_billing_no_unit_stays_quiet(clinic, setup):
    visit = _visit_with_97033(clinic, setup)
    visit = clinic.visits.update_line(visit.lines[0].id, minutes=38)
    visit = clinic.visits.update_line(visit.lines[1].id, minutes=5)
    # 43 minutes are 3 units under the CMS rule, all of them 97110's
    assert [line.units for line in visit.lines] == [3, 0]
    assert _fee_missing(visit) == []


def test_applying_a_fix_keeps_the_warning(clinic, setup):
    visit = _visit_with_97033(clinic, setup)
    visit = clinic.visits.update_line(visit.lines[1].id, modifiers=[])
    fix = next(f for f in visit.findings if f.rule == "therapy-modifier-missing").fix
    visit = clinic.visits.apply_fix(visit.id, fix)
    assert [finding.lines for finding in _fee_missing(visit)] == [(1,)]


def test_a_save_computes_the_units_once_and_the_check_uses_them(clinic, setup, monkeypatch):
    """findings.evaluate computes the units and hands them to check_visit, which would
    otherwise compute them again (both modules call the real compute_units, counted)."""
    visit = _visit_with_97033(clinic, setup)
    calls = []
    real = otdesk.core.rules.compute_units

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(otdesk.core.rules, "compute_units", counted)
    monkeypatch.setattr(otdesk.services.findings, "compute_units", counted)
    visit = clinic.visits.update_line(visit.lines[0].id, minutes=38)
    assert len(calls) == 1
    assert [line.units for line in visit.lines] == [3, 1]  # 53 timed minutes: 4 units
    assert "97110" in visit.units_explanation
