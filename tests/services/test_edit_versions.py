"""Each change of a draft carries the version it was made on (issue 16, several desks): the
version moves on with every write, a change made on an older version is refused with the
name of who changed it, and nothing is written then. On both engines (the `engine`
parameter of the clinic fixture)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from otdesk.services import Clinic
from otdesk.services.context import LOCAL_DESK
from otdesk.services.errors import StaleVisitError, TimerTakenError
from otdesk.services.visit_state import state_of
from otdesk.storage import server


@pytest.fixture
def draft(clinic, setup):
    """A Medicare draft: one diagnosis, 97110 with GO, and 97530 missing its GO (a finding
    with a fix)."""
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)
    visit = clinic.visits.add_diagnosis(visit.id, "M62.81")
    visit = clinic.visits.add_line(visit.id, "97110", modifiers="GO", dx_pointers="A", minutes=15)
    return clinic.visits.add_line(visit.id, "97530", dx_pointers="A", minutes=10)


@pytest.fixture
def other_desk(clinic, clock, tmp_path) -> Iterator[Clinic]:
    """The same clinic opened a second time by another person (on a server: another desk)."""
    if isinstance(clinic.db, server.ServerDatabase):
        db = server.open_server(clinic.db.url, desk_dir=tmp_path / "desk-two")
        other = Clinic(db, clock=clock, user="therapist2")
    else:
        other = Clinic.open(
            clinic.db.path.parent, clock=clock, user="therapist2", daily_backup=False
        )
    yield other
    other.close()


def _fix(visit: Any) -> Any:
    return next(f for f in visit.findings if f.rule == "therapy-modifier-missing").fix


def _no_change(clinic: Clinic, visit: Any) -> Any:
    return visit


def _with_timer(clinic: Clinic, visit: Any) -> Any:
    return clinic.timers.start(visit.lines[0].id)


def _with_payment(clinic: Clinic, visit: Any) -> Any:
    return clinic.visits.record_payment(visit.id, "20.00")


def _restore(clinic: Clinic, visit: Any, version: int) -> Any:
    base = state_of(visit)
    target = dataclasses.replace(base, total_treatment_minutes=55, total_time_auto=False)
    return clinic.visits.restore(visit.id, target, base, expected_version=version)


Change = Callable[[Clinic, Any, int], Any]
# kind of change -> (what the draft needs first, the change made on `version`)
KINDS: dict[str, tuple[Callable[[Clinic, Any], Any], Change]] = {
    "header": (
        _no_change,
        lambda c, v, n: c.visits.update(v.id, total_treatment_minutes=40, expected_version=n),
    ),
    "add line": (
        _no_change,
        lambda c, v, n: c.visits.add_line(v.id, "97140", modifiers="GO", expected_version=n),
    ),
    "update line": (
        _no_change,
        lambda c, v, n: c.visits.update_line(v.lines[0].id, minutes=23, expected_version=n),
    ),
    "remove line": (
        _no_change,
        lambda c, v, n: c.visits.remove_line(v.lines[1].id, expected_version=n),
    ),
    "move line": (
        _no_change,
        lambda c, v, n: c.visits.move_line(v.lines[1].id, 0, expected_version=n),
    ),
    "set diagnoses": (
        _no_change,
        lambda c, v, n: c.visits.set_diagnoses(v.id, ["R26.89", "M62.81"], expected_version=n),
    ),
    "add diagnosis": (
        _no_change,
        lambda c, v, n: c.visits.add_diagnosis(v.id, "R26.89", expected_version=n),
    ),
    "remove diagnosis": (
        _no_change,
        lambda c, v, n: c.visits.remove_diagnosis(v.id, "M62.81", expected_version=n),
    ),
    "fix": (_no_change, lambda c, v, n: c.visits.apply_fix(v.id, _fix(v), expected_version=n)),
    "undo": (_no_change, _restore),
    "timer start": (
        _no_change,
        lambda c, v, n: c.timers.start(v.lines[1].id, expected_version=n),
    ),
    "timer pause": (
        _with_timer,
        lambda c, v, n: c.timers.pause(v.lines[0].id, expected_version=n),
    ),
    "timer stop": (
        _with_timer,
        lambda c, v, n: c.timers.stop(v.lines[0].id, expected_version=n),
    ),
    "payment": (
        _no_change,
        lambda c, v, n: c.visits.record_payment(v.id, "10.00", expected_version=n),
    ),
    "payment removal": (
        _with_payment,
        lambda c, v, n: c.visits.remove_payment(v.payments[0].id, "typo", expected_version=n),
    ),
    "finalize": (
        _no_change,
        lambda c, v, n: c.visits.finalize(v.id, override_reason="checked", expected_version=n),
    ),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_change_of_a_draft_moves_its_version_on(clinic, clock, draft, kind):
    prepare, change = KINDS[kind]
    visit = prepare(clinic, draft)
    clock.advance(minutes=1)
    after = change(clinic, visit, visit.edit_version)
    stored = clinic.visits.get(visit.id)
    assert stored.edit_version > visit.edit_version
    assert after.edit_version == stored.edit_version
    assert stored.updated_by == "frontdesk" and stored.updated_at == clock.now()


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_change_made_on_an_older_version_is_refused_and_nothing_is_written(
    clinic, other_desk, clock, draft, kind
):
    prepare, change = KINDS[kind]
    seen = prepare(clinic, draft)  # what this desk shows
    clock.advance(minutes=1)
    # meanwhile another person changes the visit
    other_desk.visits.update_line(seen.lines[0].id, assistant_minutes=5)
    newer = clinic.visits.get(seen.id)
    history = clinic.audit.visit_history(seen.id)
    with pytest.raises(StaleVisitError) as refused:
        change(clinic, seen, seen.edit_version)
    assert str(refused.value) == (
        f"Visit {seen.id} was changed at another desk by therapist2; reloaded."
    )
    assert refused.value.changed_by == "therapist2"
    # the newer data kept, nothing of the refused change written
    assert clinic.visits.get(seen.id) == newer
    assert clinic.audit.visit_history(seen.id) == history
    # after reloading, the same change goes through
    change(clinic, newer, newer.edit_version)


def test_without_a_version_a_change_is_made_as_before(clinic, other_desk, draft):
    """The command line and older callers pass no version: their change is not checked."""
    other_desk.visits.update_line(draft.lines[0].id, minutes=30)
    visit = clinic.visits.update_line(draft.lines[1].id, minutes=12)
    assert [line.minutes for line in visit.lines] == [30, 12]


def test_a_visit_finalized_at_another_desk_is_refused_as_changed(clinic, other_desk, draft):
    other_desk.visits.finalize(draft.id, override_reason="checked with the therapist")
    with pytest.raises(StaleVisitError, match="changed at another desk by therapist2"):
        clinic.visits.update_line(
            draft.lines[0].id, minutes=20, expected_version=draft.edit_version
        )
    with pytest.raises(StaleVisitError):
        clinic.visits.finalize(draft.id, override_reason="x", expected_version=draft.edit_version)
    with pytest.raises(StaleVisitError):
        clinic.visits.delete_draft(draft.id, expected_version=draft.edit_version)
    assert clinic.visits.get(draft.id).status == "finalized"


def test_void_and_amend_check_the_version_too(clinic, other_desk, draft):
    """A finalized visit's version no longer moves: the one it was finalized at voids or
    amends it; a desk that still shows the draft is told it changed."""
    final = clinic.visits.finalize(draft.id, override_reason="checked")
    assert final.edit_version > draft.edit_version
    for attempt in (
        lambda: clinic.visits.void(draft.id, "wrong patient", expected_version=draft.edit_version),
        lambda: clinic.visits.amend(draft.id, "minutes", expected_version=draft.edit_version),
    ):
        with pytest.raises(StaleVisitError, match="by frontdesk"):
            attempt()
    amendment = other_desk.visits.amend(draft.id, "minutes", expected_version=final.edit_version)
    assert amendment.edit_version == 1
    assert clinic.visits.get(draft.id).edit_version == final.edit_version


def test_deleting_a_draft_on_an_older_version_is_refused(clinic, other_desk, draft):
    other_desk.visits.add_diagnosis(draft.id, "R26.89")
    with pytest.raises(StaleVisitError):
        clinic.visits.delete_draft(draft.id, expected_version=draft.edit_version)
    assert clinic.visits.get(draft.id).diagnoses == ("M62.81", "R26.89")
    newer = clinic.visits.get(draft.id)
    clinic.visits.delete_draft(draft.id, expected_version=newer.edit_version)


def test_a_timer_says_who_started_it_and_where(clinic, other_desk, draft):
    clinic.timers.start(draft.lines[0].id)
    seen = other_desk.timers.states(draft.id)[draft.lines[0].id]
    assert seen.running
    assert seen.started_by == "frontdesk"
    assert seen.desk == clinic.ctx.desk
    if isinstance(clinic.db, server.ServerDatabase):
        assert seen.desk == clinic.db.desk != other_desk.ctx.desk
    else:
        assert seen.desk == LOCAL_DESK == other_desk.ctx.desk


def test_another_person_at_the_same_desk_may_pause_the_timer(clinic, other_desk, draft, engine):
    """On a clinic in a local file every window is this desk's: the person who signed in
    after the one who started the timer pauses it (a server's desks are in
    tests/server/test_server_desks.py)."""
    if engine != "sqlite":
        pytest.skip("on a server the second connection is another desk")
    clinic.timers.start(draft.lines[0].id)
    paused = other_desk.timers.pause(draft.lines[0].id)
    assert not paused.lines[0].timer.running


def test_another_desks_running_timer_is_refused_unless_taken_over(
    clinic, other_desk, draft, engine, clock
):
    if engine != "postgresql":
        pytest.skip("a clinic in a local file has one desk")
    line = draft.lines[0].id
    started = clinic.timers.start(line)
    clock.advance(minutes=3)
    for attempt in (
        lambda: other_desk.timers.pause(line),
        lambda: other_desk.timers.stop(line),
        lambda: other_desk.timers.start(draft.lines[1].id),
    ):
        with pytest.raises(TimerTakenError) as refused:
            attempt()
        assert "running for frontdesk at another desk" in str(refused.value)
        assert "line 1 of visit" in str(refused.value)
    assert clinic.visits.get(draft.id) == dataclasses.replace(
        started,
        lines=tuple(
            dataclasses.replace(
                ln, timer=dataclasses.replace(ln.timer, elapsed_seconds=180) if ln.timer else None
            )
            for ln in started.lines
        ),
    )
    taken = other_desk.timers.pause(line, take_over=True)
    assert not taken.lines[0].timer.running and taken.lines[0].timer.elapsed_seconds == 180
    resumed = other_desk.timers.start(line)
    assert resumed.lines[0].timer.started_by == "therapist2"
    assert resumed.lines[0].timer.desk == other_desk.db.desk
    # now it is the other desk's: the first desk is asked to take it over
    with pytest.raises(TimerTakenError, match="running for therapist2"):
        clinic.timers.stop(line)
