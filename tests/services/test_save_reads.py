"""A save reads what it needs once (issue 16, the server's save latency): the visit row
read and locked at the start of a line or diagnosis change serves the rules and the detail
returned, and the plan of care comes with its treatment days. What a save returns must
still be exactly what is stored: these tests compare it with the visit read afresh, on both
engines."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event

from otdesk.services import findings as fx
from otdesk.services import visit_detail as vd


def _same_as_stored(clinic, returned):
    assert returned == clinic.visits.get(returned.id)
    return returned


def test_every_line_and_diagnosis_save_returns_the_visit_as_stored(clinic, setup, clock):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot, total_time_auto=True)
    visit = _same_as_stored(clinic, clinic.visits.add_diagnosis(visit.id, "M62.81"))
    visit = _same_as_stored(
        clinic, clinic.visits.add_line(visit.id, "97110", minutes=23, defaults=True)
    )
    assert visit.lines[0].modifiers == ("GO",)  # the defaults were applied
    visit = _same_as_stored(
        clinic, clinic.visits.add_line(visit.id, "97530", minutes=14, modifiers="GO")
    )
    clock.advance(minutes=3)
    before = visit.edit_version
    visit = _same_as_stored(clinic, clinic.visits.update_line(visit.lines[1].id, minutes=31))
    assert visit.edit_version == before + 1
    assert visit.total_treatment_minutes == 54  # the automatic total followed the lines
    visit = _same_as_stored(clinic, clinic.visits.add_diagnosis(visit.id, "R26.89"))
    visit = _same_as_stored(clinic, clinic.visits.update_line(visit.lines[0].id, dx_pointers="AB"))
    visit = _same_as_stored(clinic, clinic.visits.set_diagnoses(visit.id, ["R26.89", "M62.81"]))
    assert visit.lines[0].dx_pointers == ("B", "A")  # pointers followed their diagnosis
    visit = _same_as_stored(clinic, clinic.visits.remove_diagnosis(visit.id, "R26.89"))
    visit = _same_as_stored(clinic, clinic.visits.remove_line(visit.lines[0].id))
    assert [line.code for line in visit.lines] == ["97530"]
    assert visit.updated_by == "frontdesk"


def test_a_line_save_reads_the_visit_row_once(clinic, setup):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)
    visit = clinic.visits.add_diagnosis(visit.id, "M62.81")
    visit = clinic.visits.add_line(visit.id, "97110", minutes=23, defaults=True)
    seen: list[str] = []

    def statement(conn, cursor, text, params, context, many):
        seen.append(" ".join(text.split()))

    engine = clinic.db.engine
    event.listen(engine, "before_cursor_execute", statement)
    try:
        clinic.visits.update_line(
            visit.lines[0].id, minutes=30, expected_version=visit.edit_version
        )
        clinic.visits.add_line(visit.id, "97530", minutes=15, defaults=True)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    visit_reads = [t for t in seen if t.startswith("SELECT visits.id, visits.chain_id")]
    diagnosis_reads = [t for t in seen if t.startswith("SELECT visit_diagnoses.code")]
    plan_reads = [t for t in seen if "FROM plans_of_care" in t]
    assert len(visit_reads) == 2  # one a save, with the names and the diagnosis count
    assert len(diagnosis_reads) == 2  # update: the rules; add: the defaults and the rules
    assert len(plan_reads) == 2  # the plan and its treatment days together
    assert not [t for t in seen if t.startswith("SELECT patients.last_name")]
    # the visit is written once a save: its stamp (version, who, when) with its totals
    assert len([t for t in seen if t.startswith("UPDATE visits")]) == 2
    # an added line's place is counted in its INSERT
    assert not [t for t in seen if t.startswith("SELECT count(*)")]


def test_a_change_not_recomputed_is_still_stamped_before_the_commit(clinic, setup, clock):
    """touched() leaves its stamp for the save's one UPDATE of the visit; a transaction
    that never recomputes writes it before committing, and reads the row as stamped."""
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)
    clock.advance(minutes=2)
    with clinic.db.write() as connection:
        row = vd.touched(clinic.ctx, connection, vd.draft_row(connection, visit.id))
        again = vd.touched(clinic.ctx, connection, vd.get_row(connection, visit.id))
        assert row.edit_version == again.edit_version == visit.edit_version + 1
    stored = clinic.visits.get(visit.id)
    assert stored.edit_version == visit.edit_version + 1  # one version on, not two
    assert stored.updated_at == clock.now() and stored.updated_by == "frontdesk"
    # a transaction that fails forgets its stamp: the next one does not write it
    try:
        with clinic.db.write() as connection:
            vd.touched(clinic.ctx, connection, vd.draft_row(connection, visit.id))
            raise RuntimeError("cut short")
    except RuntimeError:
        pass
    with clinic.db.write():
        pass
    assert clinic.visits.get(visit.id).edit_version == stored.edit_version


def _days(clinic, visit_id):
    with clinic.db.read() as connection:
        row = fx.visit_row(connection, visit_id)
        context, _ = fx.patient_context(connection, row, fx.payer_of(row))
    return context.treatment_days_since_progress_report


def test_treatment_days_count_from_the_plans_start_then_from_its_last_report(clinic, setup):
    """The plan starts 02/02/2026. Counted: distinct dates of service in OT, drafts and
    finalized, not void, from the start (or after the last report) up to the visit's date."""

    def visit_on(day, provider=setup.ot):
        made = clinic.visits.create(setup.patient, provider_id=provider, date_of_service=day)
        made = clinic.visits.add_diagnosis(made.id, "M62.81")
        return clinic.visits.add_line(made.id, "97110", minutes=30, modifiers="GO", dx_pointers="A")

    visit_on(date(2026, 2, 1))  # before the plan's start
    visit_on(date(2026, 2, 2))  # its first day: counted
    visit_on(date(2026, 2, 4))
    visit_on(date(2026, 2, 4))  # the same day twice counts once
    finalized = visit_on(date(2026, 2, 6))
    clinic.visits.finalize(finalized.id)
    voided = visit_on(date(2026, 2, 9))
    clinic.visits.finalize(voided.id)
    clinic.visits.void(voided.id, "entered on the wrong patient")
    visit_on(date(2026, 2, 10), provider=setup.pt)  # physical therapy: another discipline
    later = visit_on(date(2026, 2, 20))  # after the visit asked about
    asked = visit_on(date(2026, 2, 12))
    assert _days(clinic, asked.id) == 4  # 02/02, 02/04, 02/06, 02/12
    assert _days(clinic, later.id) == 5
    clinic.patients.record_progress_report(setup.plan, on="2026-02-04")
    assert _days(clinic, asked.id) == 2  # after the report: 02/06, 02/12
    # a save's figures come from the same count as this read
    saved = clinic.visits.update_line(asked.lines[0].id, minutes=31)
    assert saved == clinic.visits.get(asked.id)


def test_a_row_as_stored_lays_the_written_columns_over_the_row_read():
    class Row:
        id = 7
        edit_version = 3
        updated_by = "earlier"

    once = vd.AsStored(Row(), {"edit_version": 4, "updated_by": "frontdesk"})
    twice = vd.AsStored(once, {"total_treatment_minutes": 40})
    assert (twice.id, twice.edit_version, twice.updated_by) == (7, 4, "frontdesk")
    assert twice.total_treatment_minutes == 40
