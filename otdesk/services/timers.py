"""The activity timer of a charge line: start, pause, stop, switch.

Each start and pause is written at once (started_at, accumulated seconds), so a crash or a
closed window loses no timed minutes: a timer left running keeps counting from its stored
start. A visit times one activity at a time: starting another line's timer stops the one
there was (running or paused) and adds its minutes to its line, so no paused timer waits
unseen on another line (that is also what "switch" does). Stopping adds the timed minutes
to the line's minutes, rounded to whole minutes, half a minute up (90 s -> 2 min, 89 s ->
1 min), and removes the timer; the line and the visit are recomputed like any edit.

A running timer belongs to the person who started it and their desk (line_timers.started_by,
.desk): every desk sees it running (states()), and another person at another desk pausing
or stopping it (or starting another line's, which stops it) is refused, naming them, unless
they take it over (take_over=True). Each start, pause and stop is a change of the draft:
one version on, and refused when made on an older version (expected_version, as in
otdesk.services.visits).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from otdesk.core.units import minutes_from_seconds
from otdesk.core.visit import VisitStatus
from otdesk.services import permissions
from otdesk.services.context import ServiceContext
from otdesk.services.errors import NotFoundError, TimerTakenError, VisitNotEditableError
from otdesk.services.visit_detail import (
    TimerState,
    VisitDetail,
    detail_now,
    elapsed_seconds,
    get_row,
    mark_changed,
    recompute,
    timer_rows,
    timer_states,
)
from otdesk.storage import schema as s

MAX_LINE_MINUTES = 24 * 60


class TimerService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def start(
        self, line_id: int, *, expected_version: int | None = None, take_over: bool = False
    ) -> VisitDetail:
        """Start (or resume) a line's timer; another line's timer stops, its minutes added
        to its line. The timer is then the signed-in person's, at this desk."""
        with self.ctx.db.write() as connection:
            line = _draft_line(connection, line_id, expected_version)
            now = self.ctx.now()
            stopped = False
            for other in timer_rows(connection, line.visit_id):
                if other.line_id != line_id:
                    self._refuse_taken(connection, other, "stop", take_over)
                    _stop(self.ctx, connection, _line_row(connection, other.line_id), now)
                    stopped = True
            current = _timer(connection, line_id)
            owner = {"started_by": self.ctx.user, "desk": self.ctx.desk}
            if current is None:
                connection.execute(
                    insert(s.line_timers).values(
                        line_id=line_id,
                        visit_id=line.visit_id,
                        started_at=now,
                        accumulated_seconds=0,
                        **owner,
                    )
                )
            elif current.started_at is None:  # resumed: the timer is the resumer's now
                connection.execute(
                    update(s.line_timers)
                    .where(s.line_timers.c.line_id == line_id)
                    .values(started_at=now, **owner)
                )
            mark_changed(self.ctx, connection, line.visit_id)
            self.ctx.audit(
                connection, "timer.start", "visit", line.visit_id, after={"line_id": line_id}
            )
            if stopped:  # minutes were added: units and amounts follow
                return recompute(self.ctx, connection, line.visit_id)
            return detail_now(self.ctx, connection, line.visit_id)

    def switch(
        self, line_id: int, *, expected_version: int | None = None, take_over: bool = False
    ) -> VisitDetail:
        """Move the visit's timer to another line (the same as start)."""
        return self.start(line_id, expected_version=expected_version, take_over=take_over)

    def pause(
        self, line_id: int, *, expected_version: int | None = None, take_over: bool = False
    ) -> VisitDetail:
        """Pause a line's timer. Another person's, running at another desk, only with
        `take_over`."""
        with self.ctx.db.write() as connection:
            line = _draft_line(connection, line_id, expected_version)
            current = _timer(connection, line_id)
            if current is not None and current.started_at is not None:
                taken = self._refuse_taken(connection, current, "pause", take_over)
                seconds = _pause(connection, current, self.ctx.now())
                mark_changed(self.ctx, connection, line.visit_id)
                self.ctx.audit(
                    connection,
                    "timer.pause",
                    "visit",
                    line.visit_id,
                    after={"line_id": line_id, "seconds": seconds, **taken},
                )
            return detail_now(self.ctx, connection, line.visit_id)

    def stop(
        self, line_id: int, *, expected_version: int | None = None, take_over: bool = False
    ) -> VisitDetail:
        """Stop a line's timer and add its minutes to the line. Another person's, running
        at another desk, only with `take_over`."""
        with self.ctx.db.write() as connection:
            line = _draft_line(connection, line_id, expected_version)
            current = _timer(connection, line_id)
            if current is not None:
                self._refuse_taken(connection, current, "stop", take_over)
                _stop(self.ctx, connection, line, self.ctx.now())
                mark_changed(self.ctx, connection, line.visit_id)
            return recompute(self.ctx, connection, line.visit_id)

    def take_over(self, line_id: int, *, expected_version: int | None = None) -> VisitDetail:
        """Make a timer that runs for another person at another desk this person's, at this
        desk, and keep it running (the time counted so far stays on it): the therapist
        moved rooms. A timer that is this desk's already, or paused, is left as it is."""
        with self.ctx.db.write() as connection:
            line = _draft_line(connection, line_id, expected_version)
            current = _timer(connection, line_id)
            if current is not None and _belongs_elsewhere(current, self.ctx.user, self.ctx.desk):
                taken = self._refuse_taken(connection, current, "take over", True)
                connection.execute(
                    update(s.line_timers)
                    .where(s.line_timers.c.line_id == line_id)
                    .values(started_by=self.ctx.user, desk=self.ctx.desk)
                )
                mark_changed(self.ctx, connection, line.visit_id)
                self.ctx.audit(
                    connection,
                    "timer.take_over",
                    "visit",
                    line.visit_id,
                    after={"line_id": line_id, **taken},
                )
            return detail_now(self.ctx, connection, line.visit_id)

    def _refuse_taken(
        self, connection: Connection, timer: Any, verb: str, take_over: bool
    ) -> dict[str, str]:
        """Refuse (TimerTakenError, naming them) to pause or stop a timer that is running
        for another person at another desk, unless `take_over`; returns what the audit
        entry records of a timer taken over ({} when it was this person's or desk's)."""
        if not _belongs_elsewhere(timer, self.ctx.user, self.ctx.desk):
            return {}
        if not take_over:
            line = _line_row(connection, timer.line_id)
            raise TimerTakenError(
                f"The timer on line {line.position + 1} of visit {timer.visit_id} is running "
                f"for {timer.started_by} at another desk; take it over to {verb} it."
            )
        return {"taken_from": timer.started_by}

    def states(self, visit_id: int) -> dict[int, TimerState]:
        """Each timed line's timer (by line id), with its elapsed seconds now."""
        with self.ctx.db.read() as connection:
            return timer_states(connection, visit_id, self.ctx.now())


def stop_all(ctx: ServiceContext, connection: Connection, visit_id: int) -> None:
    """Stop every timer of a visit (before finalizing), inside the caller's transaction."""
    now = ctx.now()
    for timer in timer_rows(connection, visit_id):
        _stop(ctx, connection, _line_row(connection, timer.line_id), now)


def running_elsewhere(timer: TimerState, user: str, desk: str) -> str:
    """ "started at desk FRONT-PC by pat" for a timer running for another person at another
    desk (the window shows it, with Take over); "" when it is this person's or desk's."""
    if not _belongs_elsewhere(timer, user, desk):
        return ""
    return f"started at desk {desk_name(timer.desk)} by {timer.started_by}"


def desk_name(desk: str) -> str:
    """The computer's name a desk id begins with (storage.server.desk_id), for people."""
    name, mark, _rest = desk.rpartition(":")
    return name if mark and name else "another desk"


def _belongs_elsewhere(timer: Any, user: str, desk: str) -> bool:
    # "" is a timer started before otdesk kept who and where: nobody's in particular
    return (
        timer.started_at is not None
        and timer.started_by not in ("", user)
        and timer.desk not in ("", desk)
    )


def _pause(connection: Connection, timer: Any, now: datetime) -> int:
    seconds = elapsed_seconds(timer, now)
    connection.execute(
        update(s.line_timers)
        .where(s.line_timers.c.line_id == timer.line_id)
        .values(started_at=None, accumulated_seconds=seconds)
    )
    return seconds


def _stop(ctx: ServiceContext, connection: Connection, line: Any, now: datetime) -> None:
    timer = _timer(connection, line.id)
    if timer is None:
        return
    seconds = elapsed_seconds(timer, now)
    added = minutes_from_seconds(seconds)
    minutes = min(line.minutes + added, MAX_LINE_MINUTES)
    connection.execute(delete(s.line_timers).where(s.line_timers.c.line_id == line.id))
    if minutes != line.minutes:
        connection.execute(
            update(s.charge_lines).where(s.charge_lines.c.id == line.id).values(minutes=minutes)
        )
    ctx.audit(
        connection,
        "timer.stop",
        "visit",
        line.visit_id,
        before={"line_id": line.id, "minutes": line.minutes},
        after={"line_id": line.id, "minutes": minutes, "seconds": seconds},
    )


def _line_row(connection: Connection, line_id: int) -> Any:
    return connection.execute(select(s.charge_lines).where(s.charge_lines.c.id == line_id)).first()


def _timer(connection: Connection, line_id: int) -> Any:
    return connection.execute(
        select(s.line_timers).where(s.line_timers.c.line_id == line_id)
    ).first()


def _draft_line(connection: Connection, line_id: int, expected_version: int | None = None) -> Any:
    line = _line_row(connection, line_id)
    if line is None:
        raise NotFoundError("charge line", line_id)
    # the visit's row locked (on a server) and its version checked before anything else:
    # a desk holding an old version hears who changed it
    visit = get_row(connection, line.visit_id, expected_version)
    if visit.status != VisitStatus.DRAFT or not visit.is_current:
        raise VisitNotEditableError(f"Visit {line.visit_id} is not a draft; its timers cannot run.")
    return line


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(TimerService)
