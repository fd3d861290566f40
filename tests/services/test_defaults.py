"""The defaults a visit implies (issue 12): GO on an OT Medicare visit, CO for an
assistant, pointer A while there is one diagnosis, the total treatment time as the sum of
the minutes; marked automatic, following the header, and never overriding what a person
set (the checks still fire then)."""

from otdesk.services.visit_state import state_of


def _rules(visit):
    return {f.rule for f in visit.findings}


def _new(clinic, setup, provider=None):
    return clinic.visits.create(
        setup.patient, provider_id=provider or setup.ot, total_time_auto=True
    )


def test_a_new_medicare_ot_visit_entered_with_defaults_has_no_preventable_errors(clinic, setup):
    visit = _new(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97110", defaults=True, minutes=20)
    visit = clinic.visits.add_line(visit.id, "97530", defaults=True, minutes=15)
    # a line added before any diagnosis is pointed at the first one when it comes
    visit = clinic.visits.add_diagnosis(visit.id, "M62.81")
    assert [(ln.modifiers, ln.dx_pointers) for ln in visit.lines] == [
        (("GO",), ("A",)),
        (("GO",), ("A",)),
    ]
    assert [(ln.auto_modifiers, ln.auto_pointers) for ln in visit.lines] == [
        (("GO",), True),
        (("GO",), True),
    ]
    assert visit.total_treatment_minutes == 35 and visit.total_time_auto
    assert visit.errors == (), [f.message for f in visit.errors]
    # without defaults (a script, the demo) the same lines need GO and a pointer
    bare = clinic.visits.create(setup.patient, provider_id=setup.ot)
    bare = clinic.visits.add_line(bare.id, "97110", minutes=20)
    bare = clinic.visits.add_diagnosis(bare.id, "M62.81")
    assert {"therapy-modifier-missing", "dx-missing"} <= _rules(bare)


def test_an_assistant_gets_co_and_a_second_diagnosis_keeps_pointer_a(clinic, setup):
    visit = _new(clinic, setup, provider=setup.ota)
    visit = clinic.visits.add_diagnosis(visit.id, "M62.81")
    visit = clinic.visits.add_line(visit.id, "97110", defaults=True, minutes=23)
    assert visit.lines[0].modifiers == ("GO", "CO")
    assert "assistant-modifier" not in _rules(visit)
    visit = clinic.visits.add_diagnosis(visit.id, "R26.89")
    assert visit.lines[0].dx_pointers == ("A",)
    # with two diagnoses a new line gets no pointer: which one is the person's choice
    visit = clinic.visits.add_line(visit.id, "97530", defaults=True, minutes=10)
    assert visit.lines[1].dx_pointers == () and "dx-missing" in _rules(visit)


def test_automatic_modifiers_follow_the_header_and_the_payer(clinic, setup):
    visit = _new(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97110", defaults=True, minutes=20)
    visit = clinic.visits.update(visit.id, discipline="PT")
    assert visit.lines[0].modifiers == ("GP",) and visit.lines[0].auto_modifiers == ("GP",)
    visit = clinic.visits.update(visit.id, discipline="OT", provider_id=setup.ota)
    assert visit.lines[0].modifiers == ("GO", "CO")
    visit = clinic.visits.update(visit.id, payer_id=setup.commercial, policy_id=None)
    assert visit.lines[0].modifiers == ()  # this payer wants no therapy modifiers


def test_a_changed_default_is_the_persons_and_the_checks_fire(clinic, setup):
    visit = _new(clinic, setup)
    visit = clinic.visits.add_diagnosis(visit.id, "M62.81")
    visit = clinic.visits.add_line(visit.id, "97110", defaults=True, minutes=20)
    line = visit.lines[0]
    # adding to the default keeps it automatic ...
    visit = clinic.visits.update_line(line.id, modifiers=["GO", "59"])
    assert visit.lines[0].auto_modifiers == ("GO",)
    # ... replacing it makes the line's modifiers the person's: nothing is re-added
    visit = clinic.visits.update_line(line.id, modifiers=["GP"])
    assert visit.lines[0].auto_modifiers is None
    assert "therapy-modifier-mismatch" in _rules(visit)
    visit = clinic.visits.update(visit.id, provider_id=setup.ota)
    assert visit.lines[0].modifiers == ("GP",)
    visit = clinic.visits.update_line(line.id, dx_pointers=[])
    assert not visit.lines[0].auto_pointers and "dx-missing" in _rules(visit)


def test_a_typed_total_ends_the_automatic_one_and_blank_brings_it_back(clinic, setup):
    visit = _new(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97110", defaults=True, minutes=30)
    visit = clinic.visits.update(visit.id, total_treatment_minutes=25)
    assert not visit.total_time_auto and "timed-over-total" in _rules(visit)
    visit = clinic.visits.add_line(visit.id, "97530", defaults=True, minutes=10)
    assert visit.total_treatment_minutes == 25
    visit = clinic.visits.update(visit.id, total_time_auto=True)
    assert visit.total_treatment_minutes == 40 and "timed-over-total" not in _rules(visit)


def test_a_visit_of_today_gets_the_time_it_was_started_as_its_appointment(clinic, setup):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)  # clock: 14:00 UTC
    assert visit.appointment_time.strftime("%H:%M") == "14:00"
    other = clinic.visits.create(setup.patient, provider_id=setup.ot, date_of_service="2026-03-09")
    assert other.appointment_time is None
    other = clinic.visits.update(other.id, appointment_time="9:40 AM")
    assert other.appointment_time.strftime("%H:%M") == "09:40"
    assert clinic.visits.day("2026-03-09")[0].appointment_time == other.appointment_time


def test_the_day_list_is_in_appointment_order(clinic, setup):
    late = clinic.visits.create(setup.patient, provider_id=setup.ot, appointment_time="15:30")
    early = clinic.visits.create(setup.patient, provider_id=setup.pt, appointment_time="08:15")
    unknown = clinic.visits.create(setup.patient, provider_id=setup.ota, appointment_time=None)
    assert [v.id for v in clinic.visits.day("2026-03-02")] == [early.id, late.id, unknown.id]


def test_a_future_date_of_service_warns(clinic, setup):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot, date_of_service="2026-03-04")
    assert "future-date-of-service" in _rules(visit)
    visit = clinic.visits.update(visit.id, date_of_service="2026-03-02")
    assert "future-date-of-service" not in _rules(visit)


def test_restore_undoes_one_change_and_nothing_else(clinic, setup, clock):
    visit = _new(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97110", defaults=True, minutes=20)
    before = state_of(visit)
    visit = clinic.visits.add_line(visit.id, "97530", defaults=True, minutes=15)
    added = state_of(visit)
    # a change the undo does not cover happens meanwhile: it stays
    visit = clinic.visits.update_line(visit.lines[0].id, assistant_minutes=2)
    undone = clinic.visits.restore(visit.id, before, added, action="undo")
    assert [ln.code for ln in undone.lines] == ["97110"]
    assert undone.lines[0].assistant_minutes == 2
    assert undone.total_treatment_minutes == 20
    redone = clinic.visits.restore(visit.id, added, before, action="redo")
    assert [(ln.id, ln.code, ln.minutes, ln.modifiers) for ln in redone.lines] == [
        (ln.id, ln.code, ln.minutes, ln.modifiers) for ln in visit.lines
    ]
    actions = [entry.action for entry in clinic.audit.visit_history(visit.id)]
    assert "visit.undo" in actions and "visit.redo" in actions


def test_restore_puts_back_a_removed_line_with_its_id_and_order(clinic, setup):
    visit = _new(clinic, setup)
    for code in ("97110", "97530", "97535"):
        visit = clinic.visits.add_line(visit.id, code, defaults=True, minutes=10)
    before = state_of(visit)
    middle = visit.lines[1]
    after = state_of(clinic.visits.remove_line(middle.id))
    restored = clinic.visits.restore(visit.id, before, after)
    assert [(ln.id, ln.code) for ln in restored.lines] == [(ln.id, ln.code) for ln in visit.lines]


def test_restore_puts_back_diagnoses_pointers_and_header(clinic, setup):
    visit = _new(clinic, setup)
    visit = clinic.visits.add_line(visit.id, "97110", defaults=True, minutes=10)
    visit = clinic.visits.add_diagnosis(visit.id, "M62.81")
    before = state_of(visit)
    visit = clinic.visits.update(visit.id, discipline="PT", place_of_service="12")
    visit = clinic.visits.remove_diagnosis(visit.id, "M62.81")
    after = state_of(visit)
    assert visit.lines[0].dx_pointers == ()
    restored = clinic.visits.restore(visit.id, before, after)
    assert restored.discipline == "OT" and restored.place_of_service == "11"
    assert restored.diagnoses == ("M62.81",)
    assert restored.lines[0].dx_pointers == ("A",) and restored.lines[0].modifiers == ("GO",)
