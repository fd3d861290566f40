"""The per-line activity timer: start, pause, switch, stop, and surviving a crash."""

from datetime import timedelta

import pytest

from otdesk.core.units import minutes_from_seconds
from otdesk.services import Clinic


@pytest.fixture
def draft(clinic, setup):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)
    visit = clinic.visits.add_diagnosis(visit.id, "M62.81")
    visit = clinic.visits.add_line(visit.id, "97110", modifiers="GO", dx_pointers="A")
    return clinic.visits.add_line(visit.id, "97530", modifiers="GO", dx_pointers="A")


def test_rounding_is_to_whole_minutes_half_up():
    assert [minutes_from_seconds(s) for s in (0, 29, 30, 89, 90, 600)] == [0, 0, 1, 1, 2, 10]


def test_start_pause_and_stop_write_the_minutes_into_the_line(clinic, clock, draft):
    line = draft.lines[0]
    visit = clinic.timers.start(line.id)
    assert visit.lines[0].timer.running
    clock.advance(minutes=10)
    visit = clinic.timers.pause(line.id)
    assert not visit.lines[0].timer.running and visit.lines[0].timer.elapsed_seconds == 600
    clock.advance(minutes=30)  # paused: does not count
    clinic.timers.start(line.id)
    clock.advance(minutes=12, seconds=30)
    visit = clinic.timers.stop(line.id)
    assert visit.lines[0].minutes == 23  # 22.5 min rounds up
    assert visit.lines[0].timer is None
    assert visit.lines[0].units == 2


def test_a_timer_state_counts_on_from_its_start_and_holds_when_paused(clinic, clock, draft):
    """The window repaints the time from the TimerState alone (accumulated + since start)."""
    line = draft.lines[0]
    clinic.timers.start(line.id)
    clock.advance(minutes=2)
    clinic.timers.pause(line.id)
    visit = clinic.timers.start(line.id)
    timer = visit.lines[0].timer
    assert timer.accumulated_seconds == 120 and timer.started_at == clock.now()
    assert timer.elapsed_at(clock.now() + timedelta(seconds=45)) == 165
    paused = clinic.timers.pause(line.id).lines[0].timer
    assert paused.elapsed_at(clock.now() + timedelta(hours=1)) == 120


def test_starting_another_line_stops_the_first_and_adds_its_minutes(clinic, clock, draft):
    """One activity at a time: the first line's 8 minutes go into it when the timer moves;
    no paused timer is left on it."""
    first, second = draft.lines
    clinic.timers.start(first.id)
    clock.advance(minutes=8)
    visit = clinic.timers.switch(second.id)
    assert visit.lines[0].timer is None and visit.lines[0].minutes == 8
    assert visit.lines[1].timer.running
    clock.advance(minutes=15)
    states = clinic.timers.states(draft.id)
    assert list(states) == [second.id] and states[second.id].elapsed_seconds == 15 * 60


def test_a_paused_timer_is_stopped_too_when_another_line_starts(clinic, clock, draft):
    first, second = draft.lines
    clinic.timers.start(first.id)
    clock.advance(minutes=4)
    clinic.timers.pause(first.id)
    clock.advance(minutes=10)  # paused: does not count
    visit = clinic.timers.start(second.id)
    assert visit.lines[0].minutes == 4 and visit.lines[0].timer is None
    assert set(clinic.timers.states(draft.id)) == {second.id}


def test_finalize_stops_every_timer(clinic, clock, draft):
    first, second = draft.lines
    clinic.timers.start(first.id)
    clock.advance(minutes=20)
    clinic.timers.start(second.id)
    clock.advance(minutes=16)
    done = clinic.visits.finalize(draft.id, override_reason="timers test")
    assert [line.minutes for line in done.lines] == [20, 16]
    assert clinic.timers.states(draft.id) == {}


def test_a_running_timer_survives_a_crash(clinic, clock, draft, sqlite_only):
    """The timer's start is on disk: a new process sees it still running."""
    line = draft.lines[0]
    clinic.timers.start(line.id)
    path = clinic.db.path
    # no pause, no stop: the window "crashes" (a new Clinic on the same file)
    clock.advance(minutes=25)
    with Clinic.open(path.parent, clock=clock) as reopened:
        state = reopened.timers.states(draft.id)[line.id]
        assert state.running and state.elapsed_seconds == 25 * 60
        visit = reopened.timers.stop(line.id)
    assert visit.lines[0].minutes == 25


def test_timer_changes_are_audited(clinic, clock, draft):
    line = draft.lines[0]
    clinic.timers.start(line.id)
    clock.advance(minutes=1)
    clinic.timers.stop(line.id)
    actions = [e.action for e in clinic.audit.visit_history(draft.id)]
    assert actions[-2:] == ["timer.start", "timer.stop"]
