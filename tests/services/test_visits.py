"""Visits through the services: drafts, lines, diagnoses, units and findings from the core,
fixes, finalize/void/amend with versions, payments, the day list."""

from datetime import date, timedelta

import pytest

from otdesk.core.money import Money
from otdesk.services import (
    FinalizeBlockedError,
    NotFoundError,
    ServiceError,
    ValidationError,
    VisitNotEditableError,
)
from tests.helpers.clinics import TODAY


def _draft(clinic, setup, **options):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot, **options)
    return clinic.visits.add_diagnosis(visit.id, "M62.81")


def _clean_visit(clinic, setup, **options):
    """A visit with no error findings: GO on each line, a pointer, a diagnosis."""
    visit = _draft(clinic, setup, **options)
    visit = clinic.visits.add_line(
        visit.id, "97110", minutes=33, modifiers=["GO"], dx_pointers=["A"]
    )
    return clinic.visits.add_line(visit.id, "97535", minutes=7, modifiers="GO", dx_pointers="A")


def _rules(visit):
    return {f.rule for f in visit.findings}


def test_a_new_draft_takes_the_primary_policy_and_the_providers_discipline(clinic, setup):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)
    assert visit.status == "draft" and visit.editable and visit.version == 1
    assert visit.date_of_service == TODAY  # from the clock
    assert visit.payer_id == setup.medicare and visit.policy_id is not None
    assert visit.discipline == "OT" and visit.place_of_service == "11"
    assert visit.patient_name == "Núñez, José"
    assert visit.provider_name == "Avery Demo, OTR/L"


def test_units_charges_and_allowed_come_from_the_core_and_the_fee_schedule(clinic, setup):
    visit = _clean_visit(clinic, setup)
    first, second = visit.lines
    # CMS example: 33 + 7 minutes = 3 units, the leftover unit to the larger remainder
    assert (first.units, second.units) == (2, 1)
    assert first.fee == Money("60.00") and first.charge == Money("120.00")
    assert second.charge == Money("65.00")
    assert first.allowed == Money("62.24")
    assert visit.total == Money("185.00") and visit.total_units == 3
    assert "CMS total-time rule" in visit.units_explanation
    assert first.timed and first.label
    assert visit.errors == ()


def test_the_payers_unit_rule_is_used(clinic, setup):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot, payer_id=setup.commercial)
    visit = clinic.visits.add_line(visit.id, "97110", minutes=8)
    visit = clinic.visits.add_line(visit.id, "97535", minutes=8)
    assert [line.units for line in visit.lines] == [1, 1]  # per-code rule: 8 + 8 = 1 + 1


def test_editing_a_line_recomputes_and_stores_the_totals(clinic, setup):
    visit = _clean_visit(clinic, setup)
    line = visit.lines[0]
    visit = clinic.visits.update_line(line.id, minutes=45)
    # 45 + 7 = 52 minutes = 3 units, all three full units of 97110
    assert [line.units for line in visit.lines] == [3, 0]
    [summary] = clinic.visits.day(TODAY)
    assert summary.total == visit.total == Money("180.00")
    assert summary.total_units == 3


def test_bad_input_is_refused_naming_the_field_and_nothing_changes(clinic, setup):
    visit = _clean_visit(clinic, setup)
    line = visit.lines[0]
    cases = [
        ({"minutes": -5}, "minutes"),
        ({"minutes": "ten"}, "minutes"),
        ({"assistant_minutes": 50}, "assistant_minutes"),
        ({"code": "9711"}, "code"),
        ({"code": "99999"}, "code"),  # right shape, in no catalog or fee schedule
        ({"dx_pointers": ["B"]}, "dx_pointers"),  # the visit has only A
        ({"modifiers": ["GO", "59", "XU", "KX", "CO"]}, "modifiers"),
        ({"fee": "twelve dollars"}, "fee"),
        ({"units_override": 3}, "override_reason"),
    ]
    for changes, field in cases:
        with pytest.raises(ValidationError) as caught:
            clinic.visits.update_line(line.id, **changes)
        assert caught.value.field == field, changes
    with pytest.raises(ValidationError) as caught:
        clinic.visits.update(visit.id, date_of_service="2026-02-30")
    assert caught.value.field == "date_of_service" and "2026-02-30" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        clinic.visits.add_diagnosis(visit.id, "not a code")
    assert caught.value.field == "diagnoses"
    assert clinic.visits.get(visit.id) == visit


def test_an_override_needs_a_reason_and_is_kept(clinic, setup):
    visit = _clean_visit(clinic, setup)
    visit = clinic.visits.update_line(
        visit.lines[0].id, units_override=3, override_reason="documented 38 minutes"
    )
    assert visit.lines[0].units == 3 and visit.lines[0].computed_units == 2
    assert "units-override" in _rules(visit)
    visit = clinic.visits.update_line(visit.lines[0].id, units_override=None)
    assert visit.lines[0].units == 2 and visit.lines[0].override_reason is None


def test_lines_are_removed_and_moved_in_order(clinic, setup):
    visit = _clean_visit(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97530", minutes=15, modifiers="GO")
    codes = [line.code for line in visit.lines]
    assert codes == ["97110", "97535", "97530"]
    visit = clinic.visits.move_line(visit.lines[2].id, 0)
    assert [line.code for line in visit.lines] == ["97530", "97110", "97535"]
    assert [line.position for line in visit.lines] == [0, 1, 2]
    visit = clinic.visits.remove_line(visit.lines[1].id)
    assert [line.code for line in visit.lines] == ["97530", "97535"]
    assert [line.position for line in visit.lines] == [0, 1]


def test_pointers_follow_their_diagnosis_when_the_list_changes(clinic, setup):
    visit = _draft(clinic, setup)
    visit = clinic.visits.set_diagnoses(visit.id, ["M62.81", "r26.89", "R27.9"])
    assert visit.diagnoses == ("M62.81", "R26.89", "R27.9")
    visit = clinic.visits.add_line(visit.id, "97110", minutes=15, dx_pointers="BC")
    visit = clinic.visits.remove_diagnosis(visit.id, "M62.81")
    assert visit.diagnoses == ("R26.89", "R27.9")
    assert visit.lines[0].dx_pointers == ("A", "B")
    visit = clinic.visits.set_diagnoses(visit.id, ["R27.9"])
    assert visit.lines[0].dx_pointers == ("A",)
    with pytest.raises(ValidationError, match="twice"):
        clinic.visits.set_diagnoses(visit.id, ["R27.9", "R27.9"])
    with pytest.raises(ValidationError, match="at most 12"):
        clinic.visits.set_diagnoses(
            visit.id, [f"M62.8{i}" for i in range(10)] + ["R26.1", "R26.2", "R27.0"]
        )


def test_findings_come_from_the_rules_engine_with_fixes(clinic, setup):
    visit = _draft(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97140", minutes=15, dx_pointers="A")
    visit = clinic.visits.add_line(visit.id, "97530", minutes=15, dx_pointers="A")
    rules = _rules(visit)
    assert {"therapy-modifier-missing", "ncci-pair"} <= rules
    missing = next(f for f in visit.findings if f.rule == "therapy-modifier-missing")
    assert missing.fix == {"add_modifier": "GO", "lines": [0, 1]}
    [summary] = clinic.visits.day(TODAY)
    assert summary.error_count == len(visit.errors) > 0


def test_applying_a_fix_edits_the_lines_in_one_audited_step(clinic, setup, monkeypatch):
    from otdesk.services import findings

    visit = _draft(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97110", minutes=20, dx_pointers="A")
    visit = clinic.visits.add_line(visit.id, "97535", minutes=20, dx_pointers="A")
    fix = next(f for f in visit.findings if f.rule == "therapy-modifier-missing").fix
    evaluations = []
    evaluate = findings.evaluate
    monkeypatch.setattr(
        findings, "evaluate", lambda *args: evaluations.append(1) or evaluate(*args)
    )
    visit = clinic.visits.apply_fix(visit.id, fix)
    # the visit is evaluated to apply the fix and once after it, not once per edited line
    assert len(evaluations) == 2
    assert [line.modifiers for line in visit.lines] == [("GO",), ("GO",)]
    assert "therapy-modifier-missing" not in _rules(visit)
    actions = [e.action for e in clinic.audit.visit_history(visit.id)]
    assert actions[-3:] == ["visit.fix", "line.update", "line.update"]


def test_a_fix_that_replaces_a_code_and_one_that_removes_a_line(clinic, setup):
    visit = _draft(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97110", minutes=30, modifiers="GO", dx_pointers="A")
    visit = clinic.visits.add_line(visit.id, "97010", modifiers="GO", dx_pointers="A")
    bundled = next(f for f in visit.findings if f.rule == "bundled-code")
    assert bundled.fix == {"remove_line": True, "lines": [1]}
    visit = clinic.visits.apply_fix(visit.id, bundled.fix)
    assert [line.code for line in visit.lines] == ["97110"]
    with pytest.raises(ValidationError) as caught:
        clinic.visits.apply_fix(visit.id, {"add_modifier": "XU", "lines": [5]})
    assert caught.value.field == "fix"


def test_finalize_is_blocked_by_errors_unless_overridden_with_a_reason(clinic, setup):
    visit = _draft(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97110", minutes=30, dx_pointers="A")  # no GO
    with pytest.raises(FinalizeBlockedError) as caught:
        clinic.visits.finalize(visit.id)
    assert any(f.rule == "therapy-modifier-missing" for f in caught.value.errors)
    assert clinic.visits.get(visit.id).status == "draft"
    done = clinic.visits.finalize(visit.id, override_reason="payer confirmed by phone")
    assert done.status == "finalized" and done.finalized_by == "frontdesk"
    assert done.override_reason == "payer confirmed by phone"
    entry = clinic.audit.visit_history(visit.id)[-1]
    assert entry.action == "visit.finalize" and entry.reason == "payer confirmed by phone"
    assert entry.after["overridden_findings"][0]["rule"] == "therapy-modifier-missing"


def test_a_clean_visit_finalizes_and_then_never_changes(clinic, setup):
    visit = _clean_visit(clinic, setup)
    done = clinic.visits.finalize(visit.id)
    assert done.status == "finalized" and not done.editable and done.override_reason is None
    for attempt in (
        lambda: clinic.visits.update_line(done.lines[0].id, minutes=50),
        lambda: clinic.visits.add_line(done.id, "97110", minutes=10),
        lambda: clinic.visits.remove_line(done.lines[0].id),
        lambda: clinic.visits.add_diagnosis(done.id, "R26.89"),
        lambda: clinic.visits.update(done.id, place_of_service="12"),
        lambda: clinic.visits.finalize(done.id),
        lambda: clinic.visits.delete_draft(done.id),
        lambda: clinic.timers.start(done.lines[0].id),
    ):
        with pytest.raises(VisitNotEditableError):
            attempt()
    assert clinic.visits.get(done.id).lines == done.lines


def test_finalize_needs_a_line(clinic, setup):
    visit = _draft(clinic, setup)
    with pytest.raises(ServiceError, match="no charge lines"):
        clinic.visits.finalize(visit.id)


def test_void_keeps_the_visit_marked_void(clinic, setup):
    done = clinic.visits.finalize(_clean_visit(clinic, setup).id)
    with pytest.raises(ValidationError):
        clinic.visits.void(done.id, "  ")
    voided = clinic.visits.void(done.id, "wrong patient")
    assert voided.status == "void" and voided.void_reason == "wrong patient"
    assert clinic.visits.day(TODAY)[0].status == "void"
    with pytest.raises(VisitNotEditableError):
        clinic.visits.record_payment(done.id, "10.00")


def test_amend_makes_a_new_version_and_keeps_the_old_one(clinic, setup, clock):
    done = clinic.visits.finalize(_clean_visit(clinic, setup).id)
    clock.advance(minutes=30)
    amendment = clinic.visits.amend(done.id, "97535 was 12 minutes")
    assert amendment.version == 2 and amendment.status == "draft"
    assert amendment.amends_id == done.id and amendment.chain_id == done.chain_id
    assert [line.code for line in amendment.lines] == ["97110", "97535"]
    assert amendment.diagnoses == done.diagnoses
    # the day list shows the newest version only, at the time the visit was first started
    assert [s.id for s in clinic.visits.day(TODAY)] == [amendment.id]
    assert clinic.visits.day(TODAY)[0].started_at == done.created_at
    assert clinic.visits.day(TODAY)[0].started_at < clock.now()
    # the old version is still there and cannot be amended twice
    with pytest.raises(VisitNotEditableError):
        clinic.visits.amend(done.id, "again")
    amendment = clinic.visits.update_line(amendment.lines[1].id, minutes=12)
    final = clinic.visits.finalize(amendment.id)
    old = clinic.visits.get(done.id)
    assert old.status == "amended" and old.lines == done.lines and old.total == done.total
    assert [(s.version, s.status) for s in clinic.visits.versions(final.id)] == [
        (1, "amended"),
        (2, "finalized"),
    ]


def test_the_audit_trail_of_an_amend(clinic, setup, clock):
    visit = _clean_visit(clinic, setup)
    done = clinic.visits.finalize(visit.id)
    clock.advance(minutes=5)
    amendment = clinic.visits.amend(done.id, "minutes were wrong")
    amendment = clinic.visits.update_line(amendment.lines[0].id, minutes=38)
    clinic.visits.finalize(amendment.id)
    history = clinic.audit.visit_history(done.id)
    actions = [entry.action for entry in history]
    assert actions == [
        "visit.create",
        "diagnoses.set",
        "line.add",
        "line.add",
        "visit.finalize",
        "visit.amend",
        "line.update",
        "visit.finalize",
    ]
    assert all(entry.user == "frontdesk" for entry in history)
    amend = history[5]
    assert amend.entity_id == amendment.id and amend.reason == "minutes were wrong"
    assert amend.before["version"] == 1 and amend.before["status"] == "finalized"
    assert amend.before["lines"][0]["minutes"] == 33
    assert amend.after == {"visit_id": amendment.id, "version": 2, "amends_id": done.id}
    edit = history[6]
    assert edit.before["minutes"] == 33 and edit.after["minutes"] == 38
    assert history[7].after["version"] == 2 and history[7].after["status"] == "finalized"
    assert history[5].at > history[4].at


def test_a_draft_amendment_can_be_thrown_away(clinic, setup):
    done = clinic.visits.finalize(_clean_visit(clinic, setup).id)
    amendment = clinic.visits.amend(done.id, "oops")
    clinic.visits.delete_draft(amendment.id)
    with pytest.raises(NotFoundError):
        clinic.visits.get(amendment.id)
    [summary] = clinic.visits.day(TODAY)
    assert summary.id == done.id and summary.status == "finalized"


def test_payments_belong_to_the_visit_across_versions(clinic, setup):
    visit = _clean_visit(clinic, setup)
    visit = clinic.visits.record_payment(visit.id, "$20.00", method="card")
    assert visit.paid == Money("20.00") and visit.balance == Money("165.00")
    with pytest.raises(ValidationError) as caught:
        clinic.visits.record_payment(visit.id, "-5")
    assert caught.value.field == "amount"
    with pytest.raises(ValidationError):
        clinic.visits.record_payment(visit.id, "10", method="bitcoin")
    with pytest.raises(ServiceError, match="payments"):
        clinic.visits.delete_draft(visit.id)
    done = clinic.visits.finalize(visit.id)
    amendment = clinic.visits.amend(done.id, "fix")
    assert amendment.paid == Money("20.00")
    [summary] = clinic.visits.day(TODAY)
    assert summary.paid == Money("20.00") and summary.balance == summary.total - Money("20.00")
    after = clinic.visits.remove_payment(amendment.payments[0].id, "refunded")
    assert after.paid == Money(0)


def test_the_day_list_shows_each_visit_with_totals(clinic, setup):
    other = clinic.patients.create(last_name="Demo", first_name="Avery", date_of_birth="1990-01-01")
    _clean_visit(clinic, setup)
    clinic.visits.create(other.id, provider_id=setup.ota)
    clinic.visits.create(other.id, provider_id=setup.ot, date_of_service=TODAY + timedelta(days=1))
    day = clinic.visits.day(TODAY)
    assert [s.patient_name for s in day] == ["Demo, Avery", "Núñez, José"]
    assert day[0].payer_name == "Self-pay" and day[0].provider_name == "Blake Demo, COTA"
    assert day[1].total == Money("185.00")
    json_row = day[1].to_json()
    assert {"id", "patient", "provider", "status", "total"} <= set(json_row)
    assert json_row["started_at"] == day[1].started_at.isoformat()
    assert clinic.visits.day("2026-03-03")[0].patient_name == "Demo, Avery"
    assert len(clinic.visits.between("2026-03-01", "2026-03-31")) == 3
    with pytest.raises(ValidationError):
        clinic.visits.between("2026-03-31", "2026-03-01")


def test_year_to_date_allowed_raises_kx_when_the_threshold_is_crossed(clinic, setup):
    # earlier finalized visits this year: 97110 x 4 units x $31.12 = $124.48 each
    for day in range(2, 20):
        visit = _draft(clinic, setup, date_of_service=date(2026, 2, day))
        visit = clinic.visits.add_line(
            visit.id, "97110", minutes=60, modifiers="GO", dx_pointers="A"
        )
        clinic.visits.finalize(visit.id, override_reason="history for the test")
    # 18 x 124.48 = 2240.64 before today; the 2026 OT threshold is 2480
    today = _clean_visit(clinic, setup)
    assert "kx-approaching" in _rules(today)
    today = clinic.visits.update_line(today.lines[0].id, minutes=120)
    assert "kx-required" in _rules(today)
    # last year's visits and other payers do not count
    old = _draft(clinic, setup, date_of_service=date(2025, 12, 30))
    old = clinic.visits.add_line(old.id, "97110", minutes=120, modifiers="GO", dx_pointers="A")
    assert "kx-required" not in _rules(old)


def test_progress_report_due_counts_treatment_days_since_the_last_report(clinic, setup):
    for day in range(3, 12):  # 9 treatment days after the plan's start
        visit = _draft(clinic, setup, date_of_service=date(2026, 2, day))
        visit = clinic.visits.add_line(
            visit.id, "97110", minutes=30, modifiers="GO", dx_pointers="A"
        )
    tenth = _clean_visit(clinic, setup)
    assert "progress-report-due" in _rules(tenth)
    clinic.patients.record_progress_report(setup.plan, on="2026-02-20")
    assert "progress-report-due" not in _rules(clinic.visits.get(tenth.id))


def test_unknown_ids_are_reported(clinic, setup):
    with pytest.raises(NotFoundError):
        clinic.visits.get(999)
    with pytest.raises(ValidationError) as caught:
        clinic.visits.create(999, provider_id=setup.ot)
    assert caught.value.field == "patient_id"
    with pytest.raises(ValidationError) as caught:
        clinic.visits.create(setup.patient, provider_id=999)
    assert caught.value.field == "provider_id"
    with pytest.raises(ValidationError) as caught:
        clinic.visits.create(setup.patient, provider_id=setup.ot, place_of_service="77")
    assert caught.value.field == "place_of_service"


def test_a_clinic_code_from_the_fee_schedule_is_accepted(clinic, setup):
    clinic.fees.add("S9129", charge="45.00")
    visit = _draft(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "S9129", description="clinic code")
    assert visit.lines[0].charge == Money("45.00")
    assert visit.lines[0].label == "clinic code"
    assert visit.lines[0].units == 1


def test_a_typed_fee_replaces_the_fee_schedule(clinic, setup):
    visit = _draft(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97110", minutes=30, fee="50")
    assert visit.lines[0].fee_entered and visit.lines[0].charge == Money("100.00")


def test_day_totals_count_drafts_and_charge_only_live_visits(clinic, setup):
    from otdesk.services.summaries import day_totals

    assert day_totals([]).charged is None
    finalized = clinic.visits.finalize(_clean_visit(clinic, setup).id)
    clinic.visits.amend(finalized.id, "minutes were wrong")  # replaced v1, draft v2
    other = clinic.patients.create(last_name="Demo", first_name="Avery", date_of_birth="1990-01-01")
    visit = clinic.visits.create(other.id, provider_id=setup.ot)
    clinic.visits.add_diagnosis(visit.id, "M62.81")
    clinic.visits.add_line(visit.id, "97110", minutes=30, modifiers=["GO"], dx_pointers=["A"])
    voided = clinic.visits.finalize(visit.id)
    clinic.visits.void(voided.id, "wrong patient")
    day = clinic.visits.day(TODAY)
    totals = day_totals(day)
    assert totals.visits == 2 and totals.drafts == 1
    # only the amendment (a draft) counts; the void visit does not
    assert totals.charged == Money("185.00")
