"""The visit being edited: every user action becomes one service call, and the visit the
service hands back is announced to the widgets. Nothing here draws; nothing here stores.

Errors the services raise (a refused value, a visit that is no longer a draft, a locked
database, a full disk) become `failed(message)`; the stored visit is unchanged and the
widgets show the message beside what the person touched. A damaged database met in the
middle of work is also announced as `damaged(error)`: the window then blocks saving (block())
and offers to restore a backup; the visits still show, read-only.

Every change to the open draft's header, lines, diagnoses and fixes goes on an undo stack
(Edit > Undo, Ctrl+Z; Redo, Ctrl+Shift+Z): a command keeps the visit's state before and
after it, and undoing it asks the services to put back what it changed. The stack belongs
to the open visit: opening another one, finalizing, or a change outside it (the timer adds
minutes) starts it afresh.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from otdesk.core.visit import VisitStatus
from otdesk.services.visit_state import HEADER_FIELDS, LineState, state_of
from otdesk.ui.models.records import ShownTimer

log = logging.getLogger(__name__)

# The fields of a line a refusal can name (the id is never typed).
LINE_FIELDS = frozenset(f.name for f in fields(LineState) if f.name != "id")

# Another desk's change to the open visit waits this long while the person types.
RELOAD_AFTER_TYPING_MS = 500

# A person's reason for setting units by hand: (line label) -> reason or None (cancelled).
AskReason = Callable[[str], str | None]


def _service_errors() -> tuple[type[Exception], ...]:
    from otdesk.services.errors import ServiceError, StorageError

    return (ServiceError, StorageError)


def _connection_lost(error: Exception) -> bool:
    from otdesk.services.errors import ServerUnavailableError

    return isinstance(error, ServerUnavailableError)


def _damage_errors() -> tuple[type[Exception], ...]:
    from otdesk.services.errors import UnusableDatabaseError

    return (UnusableDatabaseError,)


class ReadOnlyVisit:
    """A visit as shown while saving is blocked: every field as stored, nothing editable
    (the editor then shows it as it shows a finalized one)."""

    editable = False

    def __init__(self, visit: Any) -> None:
        self.stored = visit

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stored, name)


class _Change(QUndoCommand):
    """One change already made (the services did it): undo and redo put the visit back at
    the state before or after it."""

    def __init__(self, controller: VisitController, text: str, before: Any, after: Any):
        super().__init__(text)
        self._controller = controller
        self._before = before
        self._after = after
        self._done = True  # QUndoStack.push() calls redo(): the change is made already

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._controller._restore(self._after, self._before, "redo")

    def undo(self) -> None:
        self._controller._restore(self._before, self._after, "undo")


class VisitController(QObject):
    changed = Signal(object)  # VisitDetail, or None when no visit is open
    failed = Signal(str)
    saved = Signal(int)  # visit id, after each stored change (the day list refreshes)
    note = Signal(str)  # something done worth a word ("Added 7 min to line 1 (97110).")
    damaged = Signal(object)  # the UnusableDatabaseError a service call met
    # the clinic server went away during a change (issue 16): the change is kept (pending)
    # and tried again by retry_pending(); the widgets keep what was typed meanwhile
    connection_lost = Signal(str)

    def __init__(self, clinic: Any, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self._clock = clock
        self.visit: Any = None
        self.last_field: str | None = None
        self._timer_line: int | None = None  # the line whose timer was touched last
        # (fix, visit) -> the fix completed by the person, or None (cancelled); the editor
        # sets it to a dialog, tests to a stand-in
        self.complete_fix: Callable[[Any, Any], dict[str, Any] | None] | None = None
        self.undo_stack = QUndoStack(self)
        self._restoring = False
        self.blocked: str | None = None  # why saving is refused (a damaged database)
        # what the header offers for the open visit: the active providers and the patient's
        # policies, read with the visit (inside _call's error handling)
        self.providers: list[Any] = []
        self.policies: list[Any] = []
        # changes of the open visit made while the clinic server was away, in order
        self.pending: list[Callable[[], Any]] = []
        # whether the person is typing into the open visit (set by the window): another
        # desk's change then waits, and the person's own save meets StaleVisitError
        self.typing: Callable[[], bool] = lambda: False

    def block(self, reason: str) -> None:
        """Refuse every change from now on with `reason`; the open visit shows read-only."""
        self.blocked = reason
        self.undo_stack.clear()
        if self.visit is not None and not isinstance(self.visit, ReadOnlyVisit):
            self.visit = ReadOnlyVisit(self.visit)
            self.changed.emit(self.visit)

    def unblock(self) -> None:
        """Saving works again (a good database is open); the open visit is shown afresh."""
        self.blocked = None
        if self.visit is not None:
            self.open(self.visit.id)

    # --- opening ----------------------------------------------------------------------------

    def open(self, visit_id: int | None) -> bool:
        if self.pending and (self.visit is None or visit_id != self.visit.id):
            # the waiting changes belong to the open visit: it stays until they are saved
            self.failed.emit(
                f"Visit {self.visit.id} has changes waiting for the clinic server; it stays "
                "open until they are saved."
            )
            return False
        if self.visit is None or visit_id != self.visit.id:
            self.undo_stack.clear()
        if visit_id is None:
            self.visit = None
            self.changed.emit(None)
            return True
        return self._call(lambda: self.clinic.visits.get(visit_id), save=False)

    def reload(self) -> None:
        if self.visit is None or self.pending:
            return  # what waits to be saved is shown until it is saved or refused
        if self.typing():
            QTimer.singleShot(RELOAD_AFTER_TYPING_MS, self.reload)  # once they stop
            return
        self.open(self.visit.id)

    def retry_pending(self) -> bool:
        """Try the changes kept while the clinic server was away, in order; True when none
        is left waiting. A change refused now (another desk changed the visit meanwhile:
        StaleVisitError) is said and the visit shown as stored; the changes after it were
        made on what it showed, so they are dropped with it."""
        while self.pending:
            action, *rest = self.pending
            self.pending = []
            done = self._call(action, retried=True)
            if self.pending:  # the server is still away: all of them wait again
                self.pending += rest
                return False
            if not done:
                if rest:
                    self.note.emit(
                        f"{len(rest)} later change(s) made at the same time were not saved."
                    )
                return True
            self.pending = rest
        return True

    def create(self, patient_id: int, provider_id: int, on: date) -> bool:
        """A new draft for the patient on a day, its total treatment time automatic."""
        self.undo_stack.clear()
        return self._call(
            lambda: self.clinic.visits.create(
                patient_id, provider_id=provider_id, date_of_service=on, total_time_auto=True
            )
        )

    def failed_part(self) -> str | None:
        """Where the last refusal belongs: "header", "lines" or "diagnoses" (the part of the
        visit whose field the error names), or None (said in the editor's own message)."""
        field = self.last_field
        if field in HEADER_FIELDS:
            return "header"
        if field in LINE_FIELDS:
            return "lines"
        if field == "diagnoses":
            return "diagnoses"
        return None

    def open_or_start(
        self,
        patient_id: int,
        day: date,
        day_visits: Iterable[Any],
        *,
        provider_id: int | None,
        today: date,
        confirm_future: Callable[[date, date], bool],
    ) -> str:
        """A patient chosen for the day shown: their visit of that day (a draft or a
        finalized one) opens, else a draft starts for them with `provider_id` (asking
        confirm_future(day, today) first when the day is after today). Returns "opened",
        "created", "no provider", "cancelled" or "failed" (said in `failed`)."""
        existing = [
            v
            for v in day_visits
            if v.patient_id == patient_id and v.status in (VisitStatus.DRAFT, VisitStatus.FINALIZED)
        ]
        if existing:
            return "opened" if self.open(existing[0].id) else "failed"
        if provider_id is None:
            return "no provider"
        if day > today and not confirm_future(day, today):
            return "cancelled"
        return "created" if self.create(patient_id, provider_id, day) else "failed"

    @property
    def editable(self) -> bool:
        return self.visit is not None and self.visit.editable

    # --- header -----------------------------------------------------------------------------

    def update_header(self, **changes: Any) -> bool:
        if not self.editable:
            return False
        words = {
            "date_of_service": "date of service",
            "appointment_time": "appointment time",
            "provider_id": "provider",
            "payer_id": "payer",
            "place_of_service": "place of service",
            "discipline": "discipline",
            "total_treatment_minutes": "total treatment time",
            "total_time_auto": "total treatment time",
        }
        what = next((words[key] for key in changes if key in words), "visit")
        return self._change(
            f"Change the {what}",
            lambda: self.clinic.visits.update(
                self.visit.id, expected_version=self.visit.edit_version, **changes
            ),
        )

    # --- lines ------------------------------------------------------------------------------

    def add_line(self, code: str) -> bool:
        """Add a line with the defaults the visit implies (automatic modifiers, pointer)."""
        if self.blocked is not None:
            self.failed.emit(self.blocked)
            return False
        if not self.editable:
            self.failed.emit("This visit is not a draft: amend it to change its lines.")
            return False
        return self._change(
            f"Add {code.strip().upper()}",
            lambda: self.clinic.visits.add_line(
                self.visit.id, code, defaults=True, expected_version=self.visit.edit_version
            ),
        )

    def edit_line(self, row: int, field: str, value: Any, ask_reason: AskReason | None) -> bool:
        line = self._line(row)
        if line is None:
            return False
        changes: dict[str, Any]
        if field == "units":
            if value is None or getattr(line, "per_item", False):
                # (an orthosis's or a supply's units are the items: no reason to ask)
                changes = {"units_override": value}
            else:
                reason = ask_reason(f"{line.code} {line.label}") if ask_reason else None
                if not reason:
                    self.failed.emit("Units not changed: setting units by hand needs a reason.")
                    self.changed.emit(self.visit)
                    return False
                changes = {"units_override": value, "override_reason": reason}
        else:
            changes = {field: value}
        words = {"dx_pointers": "diagnosis pointers", "units": "units", "code": "code"}
        return self._change(
            f"Change the {words.get(field, field)} of line {row + 1} ({line.code})",
            lambda: self.clinic.visits.update_line(
                line.id, expected_version=self.visit.edit_version, **changes
            ),
        )

    def remove_line(self, row: int) -> bool:
        line = self._line(row)
        if line is None:
            return False
        return self._change(
            f"Remove line {row + 1} ({line.code})",
            lambda: self.clinic.visits.remove_line(
                line.id, expected_version=self.visit.edit_version
            ),
        )

    def _line(self, row: int) -> Any:
        if not self.editable or not 0 <= row < len(self.visit.lines):
            return None
        return self.visit.lines[row]

    # --- diagnoses --------------------------------------------------------------------------

    def add_diagnosis(self, code: str) -> bool:
        if not self.editable:
            return False
        return self._change(
            f"Add diagnosis {code}",
            lambda: self.clinic.visits.add_diagnosis(
                self.visit.id, code, expected_version=self.visit.edit_version
            ),
        )

    def remove_diagnosis(self, row: int) -> bool:
        if not self.editable or not 0 <= row < len(self.visit.diagnoses):
            return False
        code = self.visit.diagnoses[row]
        return self._change(
            f"Remove diagnosis {code}",
            lambda: self.clinic.visits.remove_diagnosis(
                self.visit.id, code, expected_version=self.visit.edit_version
            ),
        )

    def move_diagnosis(self, row: int, to: int) -> bool:
        if not self.editable:
            return False
        codes = list(self.visit.diagnoses)
        if not (0 <= row < len(codes) and 0 <= to < len(codes)):
            return False
        moved = codes[row]
        codes.insert(to, codes.pop(row))
        return self._change(
            f"Move diagnosis {moved}",
            lambda: self.clinic.visits.set_diagnoses(
                self.visit.id, codes, expected_version=self.visit.edit_version
            ),
        )

    def replace_diagnosis(self, row: int, code: str) -> bool:
        if not self.editable or not 0 <= row < len(self.visit.diagnoses):
            return False
        codes = list(self.visit.diagnoses)
        old, codes[row] = codes[row], code
        return self._change(
            f"Change diagnosis {old} to {code}",
            lambda: self.clinic.visits.set_diagnoses(
                self.visit.id, codes, expected_version=self.visit.edit_version
            ),
        )

    # --- findings ---------------------------------------------------------------------------

    def apply_fix(self, fix: Any, label: str = "Apply a fix") -> bool:
        """Apply one of a finding's fixes (plain data: otdesk.core.fixes)."""
        if not self.editable or not fix:
            return False
        if self.complete_fix is not None:
            # a fix that needs words typed first (a line's description) asks for them
            completed = self.complete_fix(fix, self.visit)
            if completed is None:
                return False
            fix = completed
        return self._change(
            label,
            lambda: self.clinic.visits.apply_fix(
                self.visit.id, fix, expected_version=self.visit.edit_version
            ),
        )

    # --- timer ------------------------------------------------------------------------------

    def timer_state(self) -> ShownTimer | None:
        """The visit's running timer, else the paused one touched last, else the first."""
        if self.visit is None:
            return None
        timed = [(row, line) for row, line in enumerate(self.visit.lines) if line.timer is not None]
        if not timed:
            return None
        running = [(row, line) for row, line in timed if line.timer.running]
        last = [(row, line) for row, line in timed if line.id == self._timer_line]
        row, line = (running or last or timed)[0]
        elsewhere = ""
        if self.clinic is not None and line.timer.running:
            from otdesk.services.timers import running_elsewhere

            ctx = self.clinic.ctx
            elsewhere = running_elsewhere(line.timer, ctx.user, ctx.desk)
        return ShownTimer(
            line.timer, row=row, label=f"{line.code} {line.label}", elsewhere=elsewhere
        )

    def take_over_timer(self) -> bool:
        """The timer another person runs at another desk becomes this person's, here, and
        goes on running (services TimerService.take_over)."""
        state = self.timer_state()
        if state is None or not self.editable:
            return False
        self._timer_line = state.line_id
        return self._call(
            lambda: self.clinic.timers.take_over(
                state.line_id, expected_version=self.visit.edit_version
            )
        )

    def start_timer(self, row: int) -> bool:
        """Time a line; the timer another line had stops and its minutes are added there
        (said in `note`)."""
        line = self._line(row)
        if line is None:
            return False
        self._timer_line = line.id
        before = self.visit
        started = self._call(
            lambda: self.clinic.timers.start(line.id, expected_version=self.visit.edit_version)
        )
        if started:
            self._note_added_minutes(before, self.visit)
        return started

    def pause_timer(self) -> bool:
        state = self.timer_state()
        if state is None or not self.editable:
            return False
        self._timer_line = state.line_id
        return self._call(
            lambda: self.clinic.timers.pause(
                state.line_id, expected_version=self.visit.edit_version
            )
        )

    def resume_timer(self) -> bool:
        state = self.timer_state()
        if state is None or not self.editable:
            return False
        return self._call(
            lambda: self.clinic.timers.start(
                state.line_id, expected_version=self.visit.edit_version
            )
        )

    def stop_timer(self) -> bool:
        state = self.timer_state()
        if state is None or not self.editable:
            return False
        before = self.visit
        stopped = self._call(
            lambda: self.clinic.timers.stop(state.line_id, expected_version=self.visit.edit_version)
        )
        if stopped:
            self._note_added_minutes(before, self.visit)
        return stopped

    def _note_added_minutes(self, before: Any, after: Any) -> None:
        """Say which line the timer's minutes went to; the lines changed outside the undo
        stack, so it starts afresh."""
        was = {line.id: line for line in before.lines if line.timer is not None}
        for row, line in enumerate(after.lines):
            old = was.get(line.id)
            if old is not None and line.timer is None:
                added = line.minutes - old.minutes
                self.undo_stack.clear()
                self.note.emit(
                    f"Added {added} min to line {row + 1} ({line.code}): it has {line.minutes} "
                    "min now."
                )

    # --- lifecycle --------------------------------------------------------------------------

    def finalize(self, override_reason: str | None = None) -> bool:
        if not self.editable:
            return False
        done = self._call(
            lambda: self.clinic.visits.finalize(
                self.visit.id,
                override_reason=override_reason,
                expected_version=self.visit.edit_version,
            )
        )
        if done:
            self.undo_stack.clear()
        return done

    def void(self, reason: str) -> bool:
        if self.visit is None:
            return False
        return self._call(
            lambda: self.clinic.visits.void(
                self.visit.id, reason, expected_version=self.visit.edit_version
            )
        )

    def amend(self, reason: str) -> bool:
        if self.visit is None:
            return False
        self.undo_stack.clear()
        return self._call(
            lambda: self.clinic.visits.amend(
                self.visit.id, reason, expected_version=self.visit.edit_version
            )
        )

    def delete_draft(self) -> bool:
        if not self.editable:
            return False
        visit_id = self.visit.id
        try:
            self.clinic.visits.delete_draft(visit_id, expected_version=self.visit.edit_version)
        except _service_errors() as error:
            self.failed.emit(str(error))
            self._reload_if_stale(error)
            if isinstance(error, _damage_errors()):
                self.damaged.emit(error)
            return False
        self.visit = None
        self.undo_stack.clear()
        self.changed.emit(None)
        self.saved.emit(visit_id)
        return True

    def record_payment(self, **payment: Any) -> bool:
        if self.visit is None:
            return False
        return self._call(
            lambda: self.clinic.visits.record_payment(
                self.visit.id, expected_version=self.visit.edit_version, **payment
            )
        )

    # --- undo ------------------------------------------------------------------------------

    def _change(self, text: str, action: Callable[[], Any]) -> bool:
        """A change of the open draft through the services, put on the undo stack."""
        before = state_of(self.visit)
        if not self._call(action):
            return False
        after = state_of(self.visit)
        if after != before:
            self.undo_stack.push(_Change(self, text, before, after))
        return True

    def _restore(self, target: Any, base: Any, action: str) -> None:
        if self.visit is None or self.visit.id != target.visit_id:
            return
        if not self._call(
            lambda: self.clinic.visits.restore(
                self.visit.id, target, base, action=action, expected_version=self.visit.edit_version
            )
        ):
            # The visit moved on in a way the change cannot be put back into; the stack is
            # emptied after the undo that is running now has returned.
            QTimer.singleShot(0, self.undo_stack.clear)

    # --- the one way a service is called ----------------------------------------------------

    def _reload_if_stale(self, error: Exception) -> bool:
        """A change refused because another desk changed the visit since it was shown
        (StaleVisitError, whose sentence the caller shows): show the visit as stored now.
        The undo stack held states of the older version: it starts afresh."""
        from otdesk.services.errors import StaleVisitError

        if not isinstance(error, StaleVisitError) or self.visit is None:
            return False
        QTimer.singleShot(0, self.undo_stack.clear)
        try:
            visit = self.clinic.visits.get(self.visit.id)
        except _service_errors():  # deleted there meanwhile: nothing left to show
            visit = None
        if visit is not None and self.blocked is not None:
            visit = ReadOnlyVisit(visit)
        self.visit = visit
        self.changed.emit(visit)
        return True

    def _call(self, action: Callable[[], Any], save: bool = True, retried: bool = False) -> bool:
        self.last_field = None
        if save and self.blocked is not None:
            self.failed.emit(self.blocked)
            if self.visit is not None:
                self.changed.emit(self.visit)
            return False
        if save and self.pending:  # after the ones waiting, never before them
            self.pending.append(action)
            return False
        visit = None
        try:
            visit = action()
            providers = self.clinic.providers.list()
            policies = self.clinic.patients.policies(visit.patient_id)
        except _service_errors() as error:
            if visit is not None and _connection_lost(error):
                # the change was saved; only the header's lists could not be read again
                # (the providers stay as they were, the policies if they are this patient's;
                # all is read afresh once the server is back): shown, never tried again
                providers = self.providers
                same_patient = self.visit is not None and self.visit.patient_id == visit.patient_id
                policies = self.policies if same_patient else []
                self.connection_lost.emit(str(error))
            elif save and _connection_lost(error) and self.visit is not None:
                # not saved, or saved with its confirmation lost: the change is kept and
                # tried again (on the version it was made on, so it cannot be made twice);
                # the widgets go on showing what was typed, not the stored visit
                self.pending.append(action)
                self.connection_lost.emit(str(error))
                return False
            else:
                return self._refused(error, retried)
        if self.blocked is not None:
            visit = ReadOnlyVisit(visit)
        self.visit = visit
        self.providers, self.policies = providers, policies
        self.changed.emit(visit)
        if save:
            self.saved.emit(visit.id)
        return True

    def _refused(self, error: Exception, retried: bool) -> bool:
        self.last_field = getattr(error, "field", None)
        self.failed.emit(self._words_for(error, retried))
        # Redraw from the stored visit so a refused edit shows the stored value again.
        if not self._reload_if_stale(error) and self.visit is not None:
            self.changed.emit(self.visit)
        if isinstance(error, _damage_errors()):
            self.damaged.emit(error)
        return False

    def _words_for(self, error: Exception, retried: bool) -> str:
        """What a refusal says. A change tried again after the connection was lost
        (`retried`), refused because the visit moved on, may have been this person's own:
        its commit reached the server but the answer did not."""
        from otdesk.services.errors import StaleVisitError

        own = isinstance(error, StaleVisitError) and error.changed_by == self.clinic.ctx.user
        if retried and own:
            return (
                f"Visit {error.visit_id} changed while the connection was lost, last by "
                f"{error.changed_by}: the change may have been saved just before the "
                "connection went. The visit is shown as stored; check that it is there."
            )
        return str(error)
