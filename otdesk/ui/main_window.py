"""The main window: the day view on the left, the visit editor beside it, the menus and
keyboard shortcuts, and what is remembered between runs: the window's geometry and
splitters (for this computer), the day shown and the last provider chosen (for this
clinic: in its data folder)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QPoint, QRect, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QSplitter,
    QWidget,
)

from otdesk.core.catalog import Catalog
from otdesk.core.visit import VisitStatus
from otdesk.errors import UserError
from otdesk.ui import billing_menu
from otdesk.ui.app_settings import ClinicSettings, ComputerSettings
from otdesk.ui.changes import EVERYTHING, ChangeBus, Changes
from otdesk.ui.day_view import DayView
from otdesk.ui.errors import present
from otdesk.ui.visit_controller import VisitController
from otdesk.ui.visit_editor import VisitEditor
from otdesk.ui.worker import Worker

Clock = Callable[[], datetime]
# Loads (building on first use) the ICD-10-CM index; progress(done, total). Runs in a worker.
IcdLoader = Callable[[Callable[[int, int], None]], Any]

OPENING_NOTE = "Opening the clinic…"
# Which kinds of change (ui.changes, in the audit log's words) each part shows.
DAY_KINDS = ("visit", "visits", "patient", "patients", "provider", "payer", "fee", "fee_schedule")
DAY_KINDS += ("clinic_code",)  # the drafts' totals follow the fees and the clinic's codes
OPEN_VISIT_KINDS = ("patient", "patients", "provider", "payer", "fee", "fee_schedule")
OPEN_VISIT_KINDS += ("clinic_code", "tables")  # "tables": the NCCI and MUE tables
CODE_KINDS = ("fee", "fee_schedule", "clinic_code")
# The diagnosis index's progress dialog shows only when the build takes longer than this.
ICD_DIALOG_AFTER_MS = 800
SHORTCUTS = (
    ("Ctrl+N", "New visit: find the patient"),
    ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo the last change to the visit"),
    ("Ctrl+F", "Find a patient"),
    ("Ctrl+K", "Add a service (code search)"),
    ("Ctrl+L", "Go to the charge lines"),
    ("Ctrl+Shift+L", "Lock the screen now (File > Lock now)"),
    ("Ctrl+D", "Add a diagnosis"),
    ("F2", "Change the code of the selected line"),
    ("Ctrl+Enter", "Finalize the visit"),
    ("Ctrl+P / Ctrl+Shift+P", "Print the superbill / the superbills of the day"),
    ("F5 / F6 / F7", "Timer: start on the selected line / pause or resume / stop"),
    ("Ctrl+PgUp / Ctrl+PgDown", "Previous / next day"),
    ("Ctrl+T", "Today"),
    ("Delete", "Remove the selected line or diagnosis"),
    ("Alt+Up / Alt+Down", "Move the selected diagnosis"),
)


class MainWindow(QMainWindow):
    """The window over an open clinic, or over its first screen (`clinic` None,
    `first_screen` an otdesk.services.first_screen.FirstScreen) until load_clinic() has
    opened the services on a worker thread: what the person does meanwhile waits for them
    and then runs, in order."""

    clinic_opened = Signal()

    def __init__(
        self,
        clinic: Any,
        catalog: Catalog,
        clock: Clock,
        settings: QSettings,
        icd_loader: IcdLoader | None = None,
        title_note: str = "",
        parent: QWidget | None = None,
        first_screen: Any = None,
        clinic_settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.clinic = clinic
        # what belongs to this clinic (the day shown, the last provider) is kept apart from
        # what belongs to this computer (the window's size and place)
        self.clinic_settings = clinic_settings if clinic_settings is not None else settings
        self.kept = ClinicSettings(self.clinic_settings)  # typed: ui.app_settings
        self.computer = ComputerSettings(settings)
        self._first_screen = first_screen
        self._waiting: list[Callable[[], None]] = []
        self._clinic_worker: Worker | None = None
        self.open_failed = False  # the services could not open the database (load_clinic)
        self._icd_index: Any = None
        self._clock = clock
        self.settings = settings
        self._icd_worker: Worker | None = None
        self._icd_dialog: QProgressDialog | None = None
        self._icd_dialog_hidden = False  # the person pressed Hide: the build goes on
        if clinic is not None:
            practice = clinic.practice.get()
            name = practice.name if practice else "otdesk"
        else:
            name = first_screen.practice_name
        self.title_note = title_note  # " (demo clinic)": kept when the practice is renamed
        self.setWindowTitle(f"{name} — otdesk{title_note}")
        # the one change broadcast (ui.changes): every stored change is reported here
        self.changes = ChangeBus(self)
        self.setAccessibleName("otdesk main window")

        self.controller = VisitController(clinic, clock, self)
        self.day = DayView(clinic.patients if clinic is not None else None, self._today())
        self.editor = VisitEditor(self.controller, catalog, clock)
        if clinic is not None:
            self.editor.refresh_codes()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.day)
        self.splitter.addWidget(self.editor)
        # a wider screen gives the day list a little more room for whole names
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setChildrenCollapsible(False)
        # wide enough for a time, a readable patient name, provider, status and total
        self.splitter.setSizes([385, 981])
        self.setCentralWidget(self.splitter)
        self.splitter.setContentsMargins(8, 6, 8, 4)

        self.status_note = QLabel()
        self.status_note.setAccessibleName("Status")
        self.statusBar().addWidget(self.status_note, 1)

        self.day.date_changed.connect(self._date_changed)
        self.day.visit_chosen.connect(self._when_open(self._open_visit))
        self.day.patient_chosen.connect(self._when_open(self._patient_chosen))
        self.day.new_visit_requested.connect(self.new_visit)
        self.day.add_patient_requested.connect(self._when_open(self._add_patient))
        self.controller.saved.connect(self._visit_saved)
        self.changes.changed.connect(self._data_changed)
        self.controller.changed.connect(self._visit_shown)
        self.controller.note.connect(self.show_status)
        self.editor.finalized.connect(self._visit_finalized)
        self.editor.clinic_code_added.connect(
            lambda _code: self.changes.report(Changes.of("clinic_code", origin=self.editor))
        )
        self._build_actions()
        self._restore()
        self.refresh_day()
        # the first thing the desk does: find the patient
        self.day.search.setFocus()

    # --- set-up -----------------------------------------------------------------------------

    def _today(self) -> date:
        return self._clock().astimezone().date()

    # --- the clinic's services --------------------------------------------------------------

    def _when_open(self, slot: Callable[..., None]) -> Callable[..., None]:
        """`slot`, run now when the services are open, else as soon as they are: a click or
        a shortcut in the first moments after start is kept, not lost."""

        def run(*args: Any) -> None:
            if self.clinic is not None:
                slot(*args)
            else:
                self._waiting.append(lambda: slot(*args))

        return run

    def load_clinic(self, opener: Callable[[], Any]) -> None:
        """Open the services on a worker thread (opener() -> Clinic) and take them on when
        they are ready; a failure to open is shown and closes the window (open_failed)."""

        def job(_progress: Any) -> Any:
            from otdesk.services.errors import UnusableDatabaseError

            try:
                return opener()
            except UnusableDatabaseError as error:  # damaged: offered a restore, not closed
                return error

        worker = Worker(job, self)
        worker.finished.connect(lambda result: self._clinic_ready(result, opener))
        worker.failed.connect(self._clinic_failed)
        self._clinic_worker = worker
        self.show_status(OPENING_NOTE)
        worker.start()

    def _clinic_ready(self, result: Any, opener: Callable[[], Any]) -> None:
        if not isinstance(result, Exception):
            self.attach_clinic(result)
            return
        from otdesk.ui import health_check

        if health_check.restore_at_open(self, result):
            self.load_clinic(opener)
        else:
            self._waiting.clear()
            self.open_failed = True
            self.close()

    def attach_clinic(self, clinic: Any) -> None:
        self.clinic = clinic
        self.controller.clinic = clinic
        self._first_screen = None
        if self._icd_index is not None:
            clinic.ctx.icd = self._icd_index
        self.day.set_patients(clinic.patients)
        # the clinic's own codes a moment later: the window answers keys in between
        QTimer.singleShot(0, self.editor.refresh_codes)
        self.refresh_day()
        if self.status_note.text() == OPENING_NOTE:
            self.show_status("")
        waiting, self._waiting = self._waiting, []
        for call in waiting:
            call()
        if self.controller.visit is not None:  # a visit clicked meanwhile stays selected
            self.day.select_visit(self.controller.visit.id)
        self.clinic_opened.emit()

    def _clinic_failed(self, message: str) -> None:
        QMessageBox.critical(self, "otdesk cannot open the clinic database", message)
        self._waiting.clear()
        self.open_failed = True
        self.close()

    def close_clinic(self) -> None:
        """Close the clinic's database (waiting for it to finish opening if the window was
        closed first)."""
        worker = self._clinic_worker
        if worker is not None and not worker.done:
            worker.wait(60000)
        clinic = self.clinic if self.clinic is not None else getattr(worker, "result", None)
        if clinic is not None and not isinstance(clinic, Exception):
            clinic.close()

    def replace_clinic(self, clinic: Any) -> None:
        """Take on another open clinic (the same folder after a restore): the open visit is
        closed, and everything shown (the day, the codes, the favourites, the title) is
        read afresh from the broadcast."""
        self.controller.open(None)
        self.clinic = clinic
        self.controller.clinic = clinic
        if self._icd_index is not None:
            clinic.ctx.icd = self._icd_index
        self.day.set_patients(clinic.patients)
        self.changes.report(Changes.of(EVERYTHING))

    def _action(
        self, text: str, shortcut: str | QKeySequence | None, slot, name: str | None = None
    ) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(self._when_open(lambda: slot()))
        action.setObjectName(name or text)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        stack = self.controller.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.redo_action = stack.createRedoAction(self, "&Redo")
        # Ctrl+Shift+Z everywhere, and the system's own Redo keys; a key listed twice would
        # make the shortcut ambiguous, and then it does nothing at all
        redo_keys = [QKeySequence("Ctrl+Shift+Z")]
        for keys in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo):
            if keys not in redo_keys:
                redo_keys.append(keys)
        self.redo_action.setShortcuts(redo_keys)
        self.redo_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        for action, name in ((self.undo_action, "Undo"), (self.redo_action, "Redo")):
            action.setObjectName(name)
            self.addAction(action)
        self.change_code_action = self._action(
            "&Change the line's code…", None, self.editor.change_code
        )
        self.new_visit_action = self._action("&New visit…", "Ctrl+N", self.new_visit)
        self.find_action = self._action("Find pa&tient", "Ctrl+F", self._find_patient)
        self.finalize_action = self._action(
            "&Finalize visit", QKeySequence("Ctrl+Return"), self.editor.finalize
        )
        self.finalize_enter = self._action(
            "Finalize (keypad Enter)", QKeySequence("Ctrl+Enter"), self.editor.finalize
        )
        self.amend_action = self._action("&Amend visit…", None, self.editor.amend)
        self.void_action = self._action("&Void visit…", None, self.editor.void)
        self.delete_action = self._action("&Delete draft…", None, self.editor.delete_draft)
        self.payment_action = self._action("Record pa&yment…", None, self.editor.record_payment)
        self.print_action = self._action("&Print superbill…", "Ctrl+P", self._print_superbill)
        # the preview (otdesk.ui.superbill_dialog, loaded at the first use); a test may
        # put another handler (set_superbill_handler)
        self._superbill_handler: Callable[[Any, int], None] | None = show_superbill_preview
        self.print_day_action = self._action(
            "Print superbills of t&he day…", "Ctrl+Shift+P", self._print_day
        )
        self.encounter_action = self._action("&Encounter form…", None, self._encounter_form)
        self.quit_action = self._action("&Quit", QKeySequence.StandardKey.Quit, self.close)
        self.code_action = self._action("Add a &service", "Ctrl+K", self._focus_codes)
        self.lines_action = self._action("Charge &lines", "Ctrl+L", self._focus_lines)
        self.dx_action = self._action("Add a &diagnosis", "Ctrl+D", self._focus_dx)
        self.prev_action = self._action("&Previous day", "Ctrl+PgUp", lambda: self.day.step(-1))
        self.next_action = self._action("&Next day", "Ctrl+PgDown", lambda: self.day.step(1))
        self.today_action = self._action("&Today", "Ctrl+T", self._go_today)
        self.shortcuts_action = self._action("&Keyboard shortcuts", "F1", self.show_shortcuts)

        menu = self.menuBar()
        visit = menu.addMenu("&Visit")
        for action in (
            self.new_visit_action,
            self.find_action,
            None,
            self.finalize_action,
            self.amend_action,
            self.void_action,
            self.delete_action,
            None,
            self.payment_action,
            self.print_action,
            self.print_day_action,
            self.encounter_action,
            None,
            self.quit_action,
        ):
            if action is None:
                visit.addSeparator()
            else:
                visit.addAction(action)
        edit = menu.addMenu("&Edit")
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        edit.addAction(self.change_code_action)
        go = menu.addMenu("&Go")
        for action in (
            self.code_action,
            self.lines_action,
            self.dx_action,
            None,
            self.prev_action,
            self.next_action,
            self.today_action,
        ):
            if action is None:
                go.addSeparator()
            else:
                go.addAction(action)
        self.clinic_menu = menu.addMenu("&Clinic")
        self.clinic_menu.setObjectName("clinicMenu")
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        billing_menu.install(self)
        self._visit_shown(None)

    def set_superbill_handler(self, handler) -> None:
        """Show Print superbill (Ctrl+P); handler(window, visit_id) opens the preview."""
        self._superbill_handler = handler
        self.print_action.setVisible(handler is not None)
        self.print_day_action.setVisible(handler is not None)
        self._visit_shown(self.controller.visit)

    def _print_superbill(self) -> None:
        self.editor.commit_editing()
        visit = self.controller.visit
        if self._superbill_handler is not None and visit is not None:
            self._superbill_handler(self, visit.id)

    def _print_day(self) -> None:
        """The superbills of the day shown, all at once (otdesk.ui.batch_print_dialog)."""
        if self._superbill_handler is not None:
            from otdesk.ui.superbill_dialog import show_batch_for

            show_batch_for(self, self.day.current_date())

    def _encounter_form(self) -> None:
        """The paper encounter form of the open visit's patient (or of one asked for)."""
        from otdesk.ui.superbill_dialog import show_encounter_form_for

        show_encounter_form_for(self)

    def favourite_service(self) -> Any:
        """The service that keeps the clinic's favourite codes (the superbill settings: the
        same list prints on the encounter form)."""
        return self.clinic.superbills

    def load_favourites(self) -> None:
        from otdesk.ui.code_picker import group_favourites

        try:
            if self.clinic is None:
                codes = self._first_screen.favourite_codes()
            else:
                from otdesk.services.favourites import favourite_codes

                codes = favourite_codes(self.clinic.ctx)
        except UserError as error:  # keep the shipped favourites; say why
            present(
                self,
                error,
                lambda text: self.show_status(f"Could not read the favourite codes: {text}"),
            )
            return
        groups = group_favourites(codes, self.editor.picker.catalog())
        if groups:
            self.editor.picker.set_favourites(groups)

    def add_clinic_action(self, text: str, slot) -> QAction:
        """A management dialog in the Clinic menu (added by the app, once it exists)."""
        action = self._action(text, None, slot)
        self.clinic_menu.addAction(action)
        return action

    # --- the day ----------------------------------------------------------------------------

    def refresh_day(self, select_id: int | None = None) -> None:
        day = self.day.current_date()
        source = self.clinic.visits if self.clinic is not None else self._first_screen
        try:
            visits = source.day(day)
        except UserError as error:  # a locked or damaged database: say so, keep running
            present(
                self,
                error,
                lambda text: self.show_status(
                    f"Could not read the visits of {day:%m/%d/%Y}: {text}"
                ),
            )
            visits = []
        current = self.controller.visit
        self.day.show_visits(
            visits, select_id if select_id is not None else (current.id if current else None)
        )

    def _date_changed(self, day: date) -> None:
        self.refresh_day()
        visit = self.controller.visit
        if visit is not None and visit.date_of_service != day:
            self.controller.open(None)

    def _go_today(self) -> None:
        self.day.set_today(self._today())
        self.day.set_date(self._today())

    def _open_visit(self, visit_id: int) -> None:
        current = self.controller.visit
        if current is not None and current.id == visit_id:
            return
        self.controller.open(visit_id)

    def _visit_saved(self, visit_id: int) -> None:
        visit = self.controller.visit
        if visit is not None and visit.date_of_service != self.day.current_date():
            self.day.set_date(visit.date_of_service)  # refreshes the list
        self.changes.report(Changes.of(visit=[visit_id], origin=self.controller))
        when = self._clock().astimezone().strftime("%H:%M:%S")
        self.show_status(f"Saved at {when}.")

    def _data_changed(self, changes: Changes) -> None:
        """What shows stored data refreshes from the broadcast: the day list, the open
        visit (its own record, or what it is priced and checked against), the codes the
        search knows, the title, the favourite codes."""
        if changes.touches("practice"):
            practice = self.clinic.practice.get() if self.clinic is not None else None
            if practice is not None:
                self.setWindowTitle(f"{practice.name} — otdesk{self.title_note}")
            self.load_favourites()  # the superbill settings keep them
        if changes.touches(*CODE_KINDS):
            self.editor.refresh_codes()  # a code only the fee schedule lists is searched too
        visit = self.controller.visit
        # the controller's own save has shown the stored visit already
        if (
            visit is not None
            and changes.origin is not self.controller
            and (changes.touches(*OPEN_VISIT_KINDS) or changes.touches_one("visit", visit.id))
        ):
            self.controller.reload()
        if changes.touches(*DAY_KINDS):
            self.refresh_day()

    def _visit_shown(self, visit: Any) -> None:
        editable = bool(visit is not None and visit.editable)
        finalized = bool(
            visit is not None and visit.status == VisitStatus.FINALIZED and visit.is_current
        )
        self.finalize_action.setEnabled(editable)
        self.finalize_enter.setEnabled(editable)
        self.delete_action.setEnabled(editable)
        self.amend_action.setEnabled(finalized)
        self.void_action.setEnabled(finalized)
        self.change_code_action.setEnabled(editable)
        self.payment_action.setEnabled(visit is not None and visit.status != VisitStatus.VOID)
        self.print_action.setEnabled(visit is not None and visit.status != VisitStatus.VOID)
        self.code_action.setEnabled(editable)

    def show_status(self, text: str) -> None:
        self.status_note.setText(text)

    # --- new visits -------------------------------------------------------------------------

    def new_visit(self) -> None:
        self.day.focus_search("New visit: type the patient's name, birth date or account.")

    def _find_patient(self) -> None:
        self.day.focus_search()

    def _add_patient(self, first_name: str, last_name: str) -> None:
        """A patient the search did not find: the patients dialog with the typed name, and
        their visit of the day shown once they are saved."""
        from otdesk.ui import patients_dialog

        patient_id = patients_dialog.ask_new(
            self, self.clinic, first_name, last_name, changes=self.changes
        )
        if patient_id is not None:
            self._patient_chosen(patient_id)
        else:
            self.day.focus_search()

    def _visit_finalized(self, _visit_id: int) -> None:
        self.day.focus_search("Done. Next patient: type a name, birth date or account.")

    def _patient_chosen(self, patient_id: int) -> None:
        """Open the patient's visit on the day shown, or start a draft for them (asking
        first when the day shown is after today)."""
        outcome = self.controller.open_or_start(
            patient_id,
            self.day.current_date(),
            self.day.visits_model.records(),
            provider_id=self.default_provider(),
            today=self._today(),
            confirm_future=lambda day, today: self.editor.confirm_future(self, day, today),
        )
        if outcome == "opened":
            self.day.select_visit(self.controller.visit.id)
            self.editor.focus_code_search()
        elif outcome == "created":
            self.kept.last_provider = self.controller.visit.provider_id
            self.editor.focus_code_search()
        elif outcome == "no provider":
            QMessageBox.information(
                self,
                "No provider yet",
                "Add a provider first (Clinic > Providers): every visit needs one.",
            )

    def default_provider(self) -> int | None:
        """The provider a new visit (or a blank encounter form) is for: the last one chosen,
        else the first; None when there is none yet."""
        providers = self.clinic.providers.list()
        if not providers:
            return None
        last = self.kept.last_provider
        ids = [p.id for p in providers]
        return last if last in ids else ids[0]

    # --- focus ------------------------------------------------------------------------------

    def _focus_codes(self) -> None:
        if self.controller.editable:
            self.editor.focus_code_search()

    def _focus_lines(self) -> None:
        if self.controller.visit is not None:
            self.editor.focus_lines()

    def _focus_dx(self) -> None:
        if self.controller.editable:
            self.editor.focus_diagnoses()

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td><b>{keys}</b></td><td>{what}</td></tr>" for keys, what in SHORTCUTS
        )
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setText(f"<table cellpadding=4>{rows}</table>")
        box.exec()
        box.deleteLater()

    # --- the ICD-10-CM index ----------------------------------------------------------------

    def start_icd(self, loader: IcdLoader) -> None:
        """Load (or build, the first time) the diagnosis index in a worker; the typeahead
        says so meanwhile and works as soon as it is ready."""
        self.editor.set_diagnosis_index(
            None, "Building the diagnosis index (first start only, about a minute)…"
        )
        worker = Worker(loader, self)
        worker.progress.connect(self._icd_progress)
        worker.finished.connect(self._icd_ready)
        worker.failed.connect(self._icd_failed)
        self._icd_worker = worker
        worker.start()

    def _icd_progress(self, done: int, total: int) -> None:
        """Progress of the first build (opening a built index reports none): in the
        diagnosis search box, and in a progress dialog that appears if the build takes more
        than a moment. The dialog is not modal: the desk can go on entering charges."""
        percent = int(100 * done / total) if total else 0
        self.editor.set_diagnosis_index(
            None, f"Building the diagnosis index… {percent}% (first start only)"
        )
        if self._icd_dialog_hidden:
            return
        dialog = self._icd_dialog
        if dialog is None:
            dialog = QProgressDialog(
                "Building the diagnosis index (first start only). You can go on working.",
                "Hide",
                0,
                max(total, 1),
                self,
            )
            dialog.setWindowTitle("Diagnosis index")
            dialog.setAccessibleName("Diagnosis index progress")
            dialog.setWindowModality(Qt.WindowModality.NonModal)
            dialog.setMinimumDuration(ICD_DIALOG_AFTER_MS)
            dialog.setAutoReset(False)
            dialog.canceled.connect(self._hide_icd_dialog)
            self._icd_dialog = dialog
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, max(total, 1)))

    def _hide_icd_dialog(self) -> None:
        self._icd_dialog_hidden = True
        self._close_icd_dialog()

    def _close_icd_dialog(self) -> None:
        dialog, self._icd_dialog = self._icd_dialog, None
        if dialog is not None:
            dialog.canceled.disconnect(self._hide_icd_dialog)  # closing emits canceled
            dialog.close()
            dialog.deleteLater()

    def _icd_ready(self, index: Any) -> None:
        self._close_icd_dialog()
        if index is None:
            self._icd_failed("the diagnosis data is not installed")
            return
        self._icd_index = index
        if self.clinic is not None:
            self.clinic.ctx.icd = index
        self.editor.set_diagnosis_index(index)
        self.controller.reload()

    def _icd_failed(self, message: str) -> None:
        self._close_icd_dialog()
        self.editor.set_diagnosis_index(None, f"Diagnosis search is not available: {message}")

    def icd_worker(self) -> Worker | None:
        return self._icd_worker

    # --- remembered between runs ------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.computer.geometry
        restored = geometry is not None and self.restoreGeometry(geometry)
        if not restored or not fits_a_screen(self.frameGeometry()):
            # a saved place on a screen that is gone (a laptop off its dock) or bigger
            # than this one: the usual size, on the main screen
            self.setWindowState(Qt.WindowState.WindowNoState)
            self.resize(1366, 740)
            screen = QGuiApplication.primaryScreen()
            if screen is not None:
                area = screen.availableGeometry()
                self.resize(min(1366, area.width()), min(740, area.height()))
                frame = self.frameGeometry()
                frame.moveCenter(area.center())
                self.move(frame.topLeft())
        for restore, state in (
            (self.splitter.restoreState, self.computer.main_splitter),
            (self.editor.restore_splitter_state, self.computer.editor_splitter),
        ):
            if state is not None:
                restore(state)
        # The last day shown comes back only on the same calendar day; a new day opens on
        # today (the front desk's usual start).
        day = self.kept.day_to_show(self._today())
        if day is not None:
            self.day.set_date(day)

    def save_settings(self) -> None:
        self.computer.geometry = self.saveGeometry()
        self.computer.main_splitter = self.splitter.saveState()
        editor_state = self.editor.splitter_state()
        if editor_state is not None:
            self.computer.editor_splitter = editor_state
        self.kept.remember_day(self.day.current_date(), self._today())
        self.computer.sync()
        self.kept.sync()  # beside the clinic's data, owner-only like it

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        # Focus leaves any open cell editor first, so a typed value is committed.
        self.setFocus()
        self.save_settings()
        if self._icd_worker is not None and not self._icd_worker.done:
            self._icd_worker.cancel()
            self._icd_worker.wait(5000)
        # the quick check after start (otdesk.ui.health_check) reads the file to its end
        checking = getattr(self, "quick_check_worker", None)
        if checking is not None and not checking.done:
            checking.wait(60000)
        super().closeEvent(event)


def show_superbill_preview(window: Any, visit_id: int) -> None:
    """Print superbill: the preview of the visit's superbill (its module loads here)."""
    from otdesk.ui import superbill_dialog

    superbill_dialog.show_for(window, visit_id)


def fits_a_screen(frame: QRect) -> bool:
    """Whether a window placed at `frame` is usable on one of the screens attached now:
    nearly all of it on that screen, its title bar within reach."""
    for screen in QGuiApplication.screens():
        area = screen.availableGeometry()
        shown = area.intersected(frame)
        if (
            shown.width() >= frame.width() * 0.9
            and shown.height() >= frame.height() * 0.9
            and area.contains(QPoint(frame.center().x(), frame.top() + 10))
        ):
            return True
    return False
