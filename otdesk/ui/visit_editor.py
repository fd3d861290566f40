"""The visit editor: header, code picker, charge lines, diagnoses and units on the left;
session timer, findings, totals and the visit's actions on the right.

Every change goes through the VisitController (one service call each, saved at once), and
every widget is redrawn from the VisitDetail the service returns, so what is shown is what
is stored.

The window starts on "No visit open": only the code picker is built with it (code search is
ready at once); the other panels are built when the first visit is shown, or when one of
them is first asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from otdesk.core.catalog import Catalog
from otdesk.core.units import minutes_from_seconds
from otdesk.core.visit import DX_LETTERS, VisitStatus
from otdesk.ui import describe_line_dialog
from otdesk.ui.code_picker import CodePicker
from otdesk.ui.models.charge_lines import COL_MINUTES
from otdesk.ui.models.parsing import format_date
from otdesk.ui.models.records import DiagnosisRow
from otdesk.ui.visit_controller import VisitController

BOTTOM_ROW_HEIGHT = 200
RIGHT_COLUMN_WIDTH = 470
# Asks whether to bill a visit on a day after today: (parent, day, today) -> yes.
ConfirmFuture = Callable[[QWidget, date, date], bool]
# What build_panels() makes; asking for any of them builds them all.
PANELS = frozenset(
    {
        "header",
        "lines_model",
        "lines",
        "units",
        "dx_model",
        "diagnoses",
        "timer",
        "findings_model",
        "findings",
        "totals",
        "finalize_button",
        "void_button",
        "amend_button",
        "delete_button",
        "message",
        "splitter",
    }
)


def confirm_future_date(parent: QWidget, day: date, today: date) -> bool:
    """Ask once before a visit is dated after today (a mistyped year, a visit not yet
    given)."""
    answer = QMessageBox.question(
        parent,
        "Date of service in the future",
        f"{format_date(day)} is after today ({format_date(today)}). A visit is billed on the "
        "day it took place. Date this visit in the future anyway?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class UndoKeys(QObject):
    """Ctrl+Z in a search or header box with nothing of its own to undo undoes the last
    change to the visit (Edit > Undo) instead of doing nothing."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and isinstance(watched, QLineEdit)
        ):
            if event.matches(QKeySequence.StandardKey.Undo) and not watched.isUndoAvailable():
                return True  # not taken by the box: the window's Undo runs
            redo = event.matches(QKeySequence.StandardKey.Redo) or (
                event.key() == Qt.Key.Key_Z
                and event.modifiers()
                == Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
            )
            if redo and not watched.isRedoAvailable():
                return True
        return super().eventFilter(watched, event)


def _box(title: str, widget: QWidget, name: str) -> QGroupBox:
    box = QGroupBox(title)
    box.setAccessibleName(name)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(6, 4, 6, 6)
    layout.addWidget(widget)
    return box


class VisitEditor(QWidget):
    visit_changed = Signal(object)  # VisitDetail or None
    finalized = Signal(int)  # visit id: the visit is done, the next patient is next
    # a clinic code added from the code search (the window reports it on its broadcast,
    # and the codes searched refresh from that)
    clinic_code_added = Signal(str)

    def __init__(
        self,
        controller: VisitController,
        catalog: Catalog,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self._clock = clock
        self.confirm_future: ConfirmFuture = confirm_future_date
        self._panels_built = False
        # Kept for the panels until they exist: the diagnosis index (or why there is none
        # yet) and the splitter position restored from the settings.
        self._dx_index: tuple[Any, str] | None = None
        self._splitter_state: QByteArray | None = None
        self.setAccessibleName("Visit editor")

        self.picker = CodePicker(catalog)
        self.picker.code_chosen.connect(self._add_code)
        self.picker.new_code_requested.connect(self._new_clinic_code)
        self.undo_keys = UndoKeys(self)
        self.picker.search.installEventFilter(self.undo_keys)
        self.page = QWidget()
        self._page_layout = QVBoxLayout(self.page)
        self._page_layout.setContentsMargins(0, 0, 0, 0)
        self._page_layout.addWidget(_box("Add a service", self.picker, "Add a service"))

        self.empty = QLabel(
            "<h3>No visit open</h3>"
            "Type the patient's name, birth date or account in <b>Find patient</b> "
            "(<b>Ctrl+N</b>), or pick a visit from the day list."
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setAccessibleName("No visit open")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        controller.changed.connect(self.show_visit)
        controller.failed.connect(self.show_error)
        self.show_visit(None)

    def __getattr__(self, name: str) -> Any:
        # Reached only for an attribute not set yet: a panel asked for before any visit.
        if name in PANELS and not self.__dict__.get("_panels_built", True):
            self.build_panels()
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def build_panels(self) -> None:
        """Build the header, charge lines, diagnoses, units, timer, checks, totals and the
        visit's buttons (once): most of the editor, which the window's start does without,
        since it opens on "No visit open" (benchmarks/startup.py)."""
        if self._panels_built:
            return
        self._panels_built = True
        from otdesk.ui.diagnoses_panel import DiagnosesPanel
        from otdesk.ui.findings_panel import FindingsPanel
        from otdesk.ui.lines_table import LinesTable
        from otdesk.ui.models.charge_lines import ChargeLinesModel
        from otdesk.ui.models.diagnoses import DiagnosesModel
        from otdesk.ui.models.findings import FindingsModel
        from otdesk.ui.timer_panel import TimerPanel
        from otdesk.ui.totals_panel import TotalsPanel
        from otdesk.ui.units_panel import UnitsPanel
        from otdesk.ui.visit_header import VisitHeader

        controller = self.controller
        clock = self._clock

        self.header = VisitHeader()
        self.header.changed.connect(self._header_changed)

        self.lines_model = ChargeLinesModel(parent=self)
        self.lines = LinesTable(self.lines_model)
        self.lines_model.edited.connect(self._line_edited)
        self.lines.remove_requested.connect(self._remove_line)
        self.lines.row_chosen.connect(self._row_chosen)
        self.lines.loop_done.connect(self.focus_code_search)
        self.lines.view.typed_elsewhere.connect(self.type_into_code_search)

        self.units = UnitsPanel()
        self.dx_model = DiagnosesModel(parent=self)
        self.diagnoses = DiagnosesPanel(self.dx_model)
        self.diagnoses.add_requested.connect(controller.add_diagnosis)
        self.diagnoses.remove_requested.connect(controller.remove_diagnosis)
        self.diagnoses.move_requested.connect(controller.move_diagnosis)
        self.diagnoses.replace_requested.connect(controller.replace_diagnosis)

        self.timer = TimerPanel(clock)
        self.timer.start_requested.connect(self._start_timer)
        self.timer.pause_requested.connect(controller.pause_timer)
        self.timer.resume_requested.connect(controller.resume_timer)
        self.timer.stop_requested.connect(controller.stop_timer)
        self.timer.take_over_requested.connect(controller.take_over_timer)
        self.timer.minute_passed.connect(self._timer_minute)

        self.findings_model = FindingsModel(parent=self)
        self.findings = FindingsPanel(self.findings_model)
        self.findings.fix_requested.connect(self._apply_fix)
        controller.note.connect(self.timer.show_note)
        controller.complete_fix = lambda fix, visit: describe_line_dialog.complete_fix(
            self, fix, visit
        )

        self.totals = TotalsPanel()
        self.totals.payment_requested.connect(self.record_payment)

        self.finalize_button = QPushButton("Finalize  (Ctrl+Enter)")
        self.finalize_button.setAccessibleName("Finalize visit")
        self.finalize_button.setProperty("role", "primary")
        self.finalize_button.clicked.connect(self.finalize)
        self.void_button = QPushButton("Void…")
        self.void_button.setAccessibleName("Void visit")
        self.void_button.clicked.connect(self.void)
        self.amend_button = QPushButton("Amend…")
        self.amend_button.setAccessibleName("Amend visit")
        self.amend_button.clicked.connect(self.amend)
        self.delete_button = QPushButton("Delete draft…")
        self.delete_button.setAccessibleName("Delete draft visit")
        self.delete_button.clicked.connect(self.delete_draft)
        for button in (
            self.finalize_button,
            self.void_button,
            self.amend_button,
            self.delete_button,
        ):
            button.setAutoDefault(False)

        self.message = QLabel()
        self.message.setAccessibleName("Visit message")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.hide()

        # --- layout --------------------------------------------------------------------------
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(_box("Charge lines", self.lines, "Charge lines box"), 1)
        # Diagnoses and units keep a set height: the lines table gets the rest.
        bottom_row = QWidget()
        bottom_row.setMaximumHeight(BOTTOM_ROW_HEIGHT)
        bottom = QHBoxLayout(bottom_row)
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(_box("Diagnoses (A-L)", self.diagnoses, "Diagnoses box"), 1)
        bottom.addWidget(_box("Units", self.units, "Units box"), 1)
        centre_layout.addWidget(bottom_row)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(_box("Session timer", self.timer, "Session timer box"))
        right_layout.addWidget(_box("Checks", self.findings, "Findings box"), 1)
        right_layout.addWidget(_box("Totals", self.totals, "Totals box"))
        actions = QHBoxLayout()
        actions.addWidget(self.finalize_button, 1)
        actions.addWidget(self.amend_button)
        actions.addWidget(self.void_button)
        actions.addWidget(self.delete_button)
        right_layout.addLayout(actions)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("editorSplitter")
        self.splitter.addWidget(centre)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        # the checks need about 470 px for a summary and its fix on one line
        right.setMinimumWidth(RIGHT_COLUMN_WIDTH)

        # above and below the code picker, already on the page
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        for position, widget in enumerate((self.header, self.message, line)):
            self._page_layout.insertWidget(position, widget)
        self._page_layout.addWidget(self.splitter, 1)

        for edit in (
            self.diagnoses.search,
            self.header.total_time,
            self.header.time,
            self.header.date.edit,
        ):
            edit.installEventFilter(self.undo_keys)
        if self._dx_index is not None:
            self.diagnoses.set_index(*self._dx_index)
        if self._splitter_state is not None:
            self.splitter.restoreState(self._splitter_state)
        self.timer.show_state(None)
        self._set_tab_order()

    # --- what the window keeps for the editor -----------------------------------------------

    def set_diagnosis_index(self, index: Any, message: str = "") -> None:
        """Hand the ICD index to the diagnoses panel (None while there is none; message says
        why), now or when the panel is built."""
        self._dx_index = (index, message)
        if self._panels_built:
            self.diagnoses.set_index(index, message)

    def splitter_state(self) -> QByteArray | None:
        """Where the panels' splitter is, for the settings (as restored, until built)."""
        return self.splitter.saveState() if self._panels_built else self._splitter_state

    def restore_splitter_state(self, state: QByteArray) -> None:
        self._splitter_state = state
        if self._panels_built:
            self.splitter.restoreState(state)

    # --- showing ----------------------------------------------------------------------------

    def show_visit(self, visit: Any) -> None:
        if visit is not None:
            self.build_panels()
        self.stack.setCurrentIndex(0 if visit is None else 1)
        self.visit_changed.emit(visit)
        if visit is None:
            if not self._panels_built:
                return
            self.lines_model.set_records([])
            self.findings.show_findings([])
            self.dx_model.set_records([])
            self.timer.show_state(None)
            self.timer.show_note("")
            return
        editable = visit.editable
        clinic = self.controller.clinic
        self.header.show_visit(visit, self.controller.providers, self.controller.policies)
        current_row = self.lines.current_row()
        self.lines_model.set_read_only(not editable)
        self.lines_model.set_diagnosis_count(len(visit.diagnoses))
        self.lines_model.update_records(visit.lines)
        if 0 <= current_row < self.lines_model.rowCount():
            self.lines.select_row(current_row, self.lines.view.currentIndex().column())
        index = self.diagnoses.index()
        rows = []
        for letter, code in zip(DX_LETTERS, visit.diagnoses, strict=False):
            found = index.get(code) if index is not None else None
            rows.append(
                DiagnosisRow(
                    letter,
                    code,
                    found.description if found else "",
                    found.billable if found else None,
                )
            )
        self.dx_model.set_records(rows)
        self.diagnoses.set_read_only(not editable)
        self.units.show_units(
            visit.total_timed_minutes,
            visit.total_units if visit.lines else None,
            visit.units_explanation,
        )
        from otdesk.services.finding_words import describe

        codes = [line.code for line in visit.lines]
        self.findings.show_findings(
            describe(visit.findings, codes, visit.date_of_service, clinic.ctx.tables)
        )
        self.findings.set_fixes_enabled(editable)
        self.totals.show_totals(visit.total, visit.paid)
        self.totals.record_payment.setEnabled(visit.status != VisitStatus.VOID)
        state = self.controller.timer_state()
        self.timer.show_state(state)
        self.lines_model.set_timed_row(state.row if state and state.running else -1)
        self._update_pending()
        self.timer.set_can_start(editable and self.lines.current_row() >= 0)
        self.picker.setEnabled(editable)
        self.finalize_button.setVisible(editable)
        self.delete_button.setVisible(editable)
        finalized = visit.status == VisitStatus.FINALIZED and visit.is_current
        self.amend_button.setVisible(finalized)
        self.void_button.setVisible(finalized)

    def show_error(self, text: str) -> None:
        self.build_panels()
        part = self.controller.failed_part()
        if part == "header":
            self.header.show_message(text)
            return
        if part == "lines":
            self.lines.show_message(text)
            return
        if part == "diagnoses":
            self.diagnoses.status.setText(text)
            return
        self.message.setText(text)
        self.message.show()
        QTimer.singleShot(12000, self.message.hide)

    def clear_messages(self) -> None:
        if not self._panels_built:
            return
        self.message.hide()
        self.header.show_message("")

    # --- actions ----------------------------------------------------------------------------

    def _header_changed(self, changes: dict) -> None:
        self.header.show_message("")
        day = changes.get("date_of_service")
        today = self._clock().date()
        if day is not None and day > today and not self.confirm_future(self, day, today):
            self.controller.changed.emit(self.controller.visit)  # the stored date again
            return
        self.controller.update_header(**changes)

    def _add_code(self, code: str) -> None:
        """Add the line; a timed code waits for its minutes, any other goes straight back
        to the code search."""
        self.clear_messages()
        if self.controller.add_line(code):
            self.picker.note_used(code)
            row = self.lines_model.rowCount() - 1
            line = self.lines_model.record(row)
            if line is not None and line.timed:
                self.lines.edit_minutes(row, loop=True)
            else:
                self.focus_code_search()

    def _line_edited(self, row: int, field: str, value: Any) -> None:
        self.clear_messages()
        self.controller.edit_line(row, field, value, self._ask_units_reason)

    def _apply_fix(self, fix: Any, label: str) -> None:
        self.clear_messages()
        self.controller.apply_fix(fix, label)

    def change_code(self) -> None:
        """Change the selected line's code on purpose (Edit menu, F2 on the code)."""
        if not self.controller.editable:
            return
        self.build_panels()
        from otdesk.ui.models.charge_lines import COL_CODE

        row = max(self.lines.current_row(), 0)
        if row < self.lines_model.rowCount():
            index = self.lines_model.index(row, COL_CODE)
            self.lines.view.setCurrentIndex(index)
            self.lines.view.setFocus()
            self.lines.view.edit(index)

    def refresh_codes(self) -> None:
        """Search the clinic's codes and fee-schedule codes too (after they change)."""
        clinic = self.controller.clinic
        if clinic is not None:
            self.picker.set_catalog(clinic.codes.search_catalog())

    def _new_clinic_code(self, code: str) -> None:
        """ "Add 98975 as a clinic code…": describe it, then it is billed on this visit."""
        visit = self.controller.visit
        if visit is None or not visit.editable:
            return
        from otdesk.ui import clinic_codes_dialog

        saved = clinic_codes_dialog.ask_new(
            self, self.controller.clinic, code, discipline=visit.discipline
        )
        if saved is None:
            self.focus_code_search()
            return
        self.clinic_code_added.emit(saved.code)
        self.picker.search.setText("")
        self._add_code(saved.code)

    def type_into_code_search(self, text: str) -> None:
        """Text typed where it cannot go (on a line's code) starts a code search."""
        if not self.controller.editable:
            return
        self.picker.search.setFocus()
        self.picker.search.insert(text)

    def _ask_units_reason(self, what: str) -> str | None:
        from otdesk.ui import reason_dialog

        answer = reason_dialog.ask(
            self,
            "Set units by hand",
            f"Why should {what} bill a different number of units than the minutes give? "
            "The reason is kept with the line.",
            action="Set units",
        )
        return answer.reason if answer else None

    def _remove_line(self, row: int) -> None:
        line = self.lines_model.record(row)
        if line is None:
            return
        answer = QMessageBox.question(
            self,
            "Remove line",
            f"Remove line {row + 1} ({line.code} {line.label})?",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.controller.remove_line(row)

    def _row_chosen(self, row: int) -> None:
        visit = self.controller.visit
        self.timer.set_can_start(bool(visit and visit.editable and row >= 0))

    def _start_timer(self) -> None:
        row = self.lines.current_row()
        if row < 0:
            self.show_error("Select the line to time first.")
            return
        self.controller.start_timer(row)

    def _timer_minute(self, _line_id: int, _minutes: int) -> None:
        self._update_pending()

    def _update_pending(self) -> None:
        visit = self.controller.visit
        pending: dict[int, int] = {}
        if visit is not None:
            now = self._clock()
            state = self.timer.state()
            for row, line in enumerate(visit.lines):
                if line.timer is None:
                    continue
                if state is not None and state.line_id == line.id:
                    seconds = state.elapsed_seconds(now)
                else:
                    seconds = line.timer.elapsed_seconds
                minutes = minutes_from_seconds(seconds)
                if minutes:
                    pending[row] = minutes
        self.lines_model.set_pending_minutes(pending)

    def commit_editing(self) -> None:
        """Save a value still being typed (a line's cell, the total time) first."""
        if self._panels_built:
            self.lines.commit_editing()
            if self.header.total_time.hasFocus() or self.header.time.hasFocus():
                self.lines.view.setFocus()  # their editingFinished saves them

    def finalize(self) -> None:
        self.commit_editing()
        visit = self.controller.visit
        if visit is None or not visit.editable:
            return
        self.clear_messages()
        if visit.errors:
            from otdesk.ui import reason_dialog

            answer = reason_dialog.ask(
                self,
                "Finalize with errors?",
                "This visit still has errors. Fix them, or give the reason for finalizing "
                "anyway (it is kept in the audit log).",
                action="Finalize anyway",
                details=[f.message for f in visit.errors],
            )
            if answer is None:
                return
            done = self.controller.finalize(answer.reason)
        else:
            done = self.controller.finalize()
        if done:
            self.finalized.emit(visit.id)

    def void(self) -> None:
        visit = self.controller.visit
        if visit is None or visit.status != VisitStatus.FINALIZED:
            return
        from otdesk.ui import reason_dialog

        answer = reason_dialog.ask(
            self,
            "Void visit",
            f"Void the visit of {visit.patient_name} on {visit.date_of_service:%m/%d/%Y}? "
            "It stays on file, marked void.",
            action="Void visit",
        )
        if answer is not None:
            self.controller.void(answer.reason)

    def amend(self) -> None:
        visit = self.controller.visit
        if visit is None or visit.status != VisitStatus.FINALIZED:
            return
        from otdesk.ui import reason_dialog

        answer = reason_dialog.ask(
            self,
            "Amend visit",
            "Amending makes a new draft version of this visit; the finalized one is kept "
            "unchanged. Why is it being amended?",
            action="Amend",
        )
        if answer is not None:
            self.controller.amend(answer.reason)

    def delete_draft(self) -> None:
        visit = self.controller.visit
        if visit is None or not visit.editable:
            return
        answer = QMessageBox.question(
            self,
            "Delete draft",
            f"Delete this draft visit of {visit.patient_name}? Its lines are thrown away.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.controller.delete_draft()

    def record_payment(self) -> None:
        visit = self.controller.visit
        if visit is None:
            return
        from otdesk.ui import payment_dialog

        today: date = self._clock().date()
        answer = payment_dialog.ask(self, visit.balance, today)
        if answer is not None:
            self.controller.record_payment(
                amount=answer.amount,
                kind=answer.kind,
                method=answer.method,
                received_on=answer.received_on,
                reference=answer.reference,
            )

    # --- focus ------------------------------------------------------------------------------

    def focus_code_search(self) -> None:
        self.picker.search.setFocus()
        self.picker.search.selectAll()

    def focus_lines(self) -> None:
        self.build_panels()
        self.lines.view.setFocus()
        if self.lines.current_row() < 0:
            self.lines.select_row(0, COL_MINUTES)

    def focus_diagnoses(self) -> None:
        self.build_panels()
        self.diagnoses.search.setFocus()

    def _set_tab_order(self) -> None:
        order = [
            self.header.date,
            self.header.provider,
            self.header.payer,
            self.header.pos,
            self.header.discipline,
            self.header.total_time,
            self.picker.search,
            self.lines.view,
            self.diagnoses.search,
            self.diagnoses.list,
            self.timer.start,
            self.timer.pause,
            self.timer.stop,
            self.totals.record_payment,
            self.finalize_button,
        ]
        for first, second in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(first, second)
