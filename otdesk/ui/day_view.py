"""The day view: a date (today by default, arrows for the previous and next day), the visits
of that date, patient search and New visit. A name that finds no one (or not the one
wanted) can be added as a new patient from the search: "Add patient “Ana Rivera”…"."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from otdesk.services.summaries import day_totals
from otdesk.ui.date_field import DateField
from otdesk.ui.models.base import RECORD_ROLE
from otdesk.ui.models.day_visits import (
    COL_PATIENT,
    COL_PROVIDER,
    COL_STATUS,
    COL_TIME,
    COL_TOTAL,
    DayVisitsModel,
)
from otdesk.ui.models.patients import COL_NAME, PatientResultsModel, typed_name
from otdesk.ui.search_results import chosen_row, list_of_rows, step_row
from otdesk.ui.two_line_delegate import TwoLineDelegate

PATIENT_LIMIT = 12


class DayView(QWidget):
    date_changed = Signal(object)  # date
    visit_chosen = Signal(int)  # visit id
    patient_chosen = Signal(int)  # patient id: open or start their visit on this date
    new_visit_requested = Signal()
    add_patient_requested = Signal(str, str)  # first and last name, as typed

    def __init__(self, patients: Any, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # the patients service: search(text, limit=...); None until the services are open
        self._patients = patients
        self.setAccessibleName("Day view")

        self.previous = QPushButton("◀")
        self.previous.setAccessibleName("Previous day")
        self.previous.setToolTip("Previous day (Ctrl+PgUp)")
        self.previous.setFixedWidth(36)
        self.previous.clicked.connect(lambda: self.step(-1))
        self.next = QPushButton("▶")
        self.next.setAccessibleName("Next day")
        self.next.setToolTip("Next day (Ctrl+PgDown)")
        self.next.setFixedWidth(36)
        self.next.clicked.connect(lambda: self.step(1))
        self.date = DateField("Day shown")
        self.date.set_date(today)
        self.date.date_changed.connect(self._date_edited)
        self.date.refused.connect(self._date_refused)
        self.date_message = QLabel()
        self.date_message.setAccessibleName("Day message")
        self.date_message.setProperty("role", "error")
        self.date_message.setWordWrap(True)
        self.date_message.hide()
        self.weekday = QLabel(f"{today:%a}")
        self.weekday.setAccessibleName("Weekday shown")
        self.weekday.setProperty("role", "strong")
        self.today_button = QPushButton("Today")
        self.today_button.setAccessibleName("Go to today")
        self.today_button.clicked.connect(lambda: self.set_date(self._today))
        self._today = today
        for button in (self.previous, self.next, self.today_button):
            button.setAutoDefault(False)

        self.visits_model = DayVisitsModel(parent=self)
        self.visits = QTableView()
        self.visits.setModel(self.visits_model)
        self.visits.setAccessibleName("Visits of the day")
        list_of_rows(self.visits)
        # two lines a row: the patient's whole name with the provider under it, the status
        # with what is left to fix under it (the provider has no column of its own)
        self._two_lines = (TwoLineDelegate(self.visits, bold=True), TwoLineDelegate(self.visits))
        self.visits.setItemDelegateForColumn(COL_PATIENT, self._two_lines[0])
        self.visits.setItemDelegateForColumn(COL_STATUS, self._two_lines[1])
        metrics = self.visits.fontMetrics()
        self.visits.verticalHeader().setDefaultSectionSize(metrics.height() * 2 + 8)
        header = self.visits.horizontalHeader()
        header.setSectionResizeMode(COL_TIME, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(COL_TIME, metrics.horizontalAdvance("10:30 AMM"))
        header.setSectionResizeMode(COL_PATIENT, QHeaderView.ResizeMode.Stretch)
        header.setSectionHidden(COL_PROVIDER, True)
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(COL_STATUS, metrics.horizontalAdvance("Amended v2M"))
        header.setSectionResizeMode(COL_TOTAL, QHeaderView.ResizeMode.ResizeToContents)
        self.visits.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.visits.selectionModel().currentRowChanged.connect(self._visit_row)
        self.summary = QLabel()
        self.summary.setAccessibleName("Day summary")
        self.summary.setProperty("role", "hint")
        self.summary.setWordWrap(True)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Find patient: name, birth date, account, member ID")
        self.search.setAccessibleName("Find patient")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search)
        self.search.returnPressed.connect(self._choose_patient)
        self.search.installEventFilter(self)
        self.patients_model = PatientResultsModel(parent=self)
        self.patient_results = QTableView()
        self.patient_results.setModel(self.patients_model)
        self.patient_results.setAccessibleName("Patients found")
        list_of_rows(self.patient_results)
        self.patient_results.verticalHeader().setDefaultSectionSize(28)
        self.patient_results.horizontalHeader().setSectionResizeMode(
            COL_NAME, QHeaderView.ResizeMode.Stretch
        )
        self.patient_results.setMaximumHeight(180)
        self.patient_results.clicked.connect(lambda index: self._choose_patient(index.row()))
        self.patient_results.installEventFilter(self)
        self.patient_results.hide()
        self.search_note = QLabel()
        self.search_note.setAccessibleName("Patient search message")
        self.search_note.setProperty("role", "hint")
        self.search_note.setWordWrap(True)
        self.search_note.hide()
        self.add_patient = QPushButton()
        self.add_patient.setAccessibleName("Add the typed name as a new patient")
        self.add_patient.setAutoDefault(False)
        self.add_patient.clicked.connect(self._add_patient)
        self.add_patient.hide()

        self.new_visit = QPushButton("New visit  (Ctrl+N)")
        self.new_visit.setAccessibleName("New visit")
        self.new_visit.setAutoDefault(False)
        self.new_visit.clicked.connect(self.new_visit_requested)

        dates = QHBoxLayout()
        dates.addWidget(self.previous)
        dates.addWidget(self.weekday)
        dates.addWidget(self.date, 1)
        dates.addWidget(self.next)
        dates.addWidget(self.today_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(dates)
        layout.addWidget(self.date_message)
        layout.addWidget(self.visits, 1)
        layout.addWidget(self.summary)
        layout.addSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.patient_results)
        layout.addWidget(self.search_note)
        layout.addWidget(self.add_patient)
        layout.addWidget(self.new_visit)
        QWidget.setTabOrder(self.date, self.visits)
        QWidget.setTabOrder(self.visits, self.search)
        QWidget.setTabOrder(self.search, self.new_visit)

    # --- the date ---------------------------------------------------------------------------

    def current_date(self) -> date:
        shown = self.date.date()
        return shown if shown is not None else self._today

    def set_date(self, day: date) -> None:
        if day != self.date.date():
            self.date.set_date(day)
            self._date_edited(day)

    def set_today(self, today: date) -> None:
        self._today = today

    def step(self, days: int) -> None:
        self.set_date(self.current_date() + timedelta(days=days))

    def _date_edited(self, _day: object) -> None:
        self.date_message.hide()
        self.weekday.setText(f"{self.current_date():%a}")
        self.date_changed.emit(self.current_date())

    def _date_refused(self, text: str) -> None:
        self.date_message.setText(text)
        self.date_message.show()

    # --- the visits -------------------------------------------------------------------------

    def show_visits(self, visits: list[Any], select_id: int | None = None) -> None:
        blocker = self.visits.selectionModel().blockSignals(True)
        try:
            self.visits_model.set_records(visits)
            row = self.visits_model.row_of(select_id) if select_id is not None else -1
            if row >= 0:
                self.visits.selectRow(row)
        finally:
            self.visits.selectionModel().blockSignals(blocker)
        totals = day_totals(visits)
        if not visits:
            self.summary.setText("No visits on this day yet.")
        else:
            parts = [f"{totals.visits} visit{'s' if totals.visits != 1 else ''}"]
            if totals.drafts:
                parts.append(f"{totals.drafts} draft{'s' if totals.drafts != 1 else ''}")
            if totals.charged is not None:
                parts.append(f"{totals.charged} charged")
            self.summary.setText(" · ".join(parts))

    def select_visit(self, visit_id: int | None) -> None:
        blocker = self.visits.selectionModel().blockSignals(True)
        try:
            row = self.visits_model.row_of(visit_id) if visit_id is not None else -1
            if row >= 0:
                self.visits.selectRow(row)
            else:
                self.visits.clearSelection()
        finally:
            self.visits.selectionModel().blockSignals(blocker)

    def _visit_row(self, current, _previous) -> None:
        record = self.visits_model.data(self.visits_model.index(current.row(), 0), RECORD_ROLE)
        if record is not None:
            self.visit_chosen.emit(record.id)

    # --- patients ---------------------------------------------------------------------------

    def focus_search(self, note: str = "") -> None:
        self.search.setFocus()
        self.search.selectAll()
        self.search_note.setText(note)
        self.search_note.setVisible(bool(note))

    def set_patients(self, patients: Any) -> None:
        """The patients service, once open; a search typed before then runs now."""
        self._patients = patients
        self._search(self.search.text())

    def _search(self, text: str) -> None:
        if self._patients is None:
            return
        if not text.strip():
            self.patients_model.set_records([])
            self.patient_results.hide()
            self.search_note.hide()
            self.add_patient.hide()
            return
        found = self._patients.search(text, limit=PATIENT_LIMIT)
        self.patients_model.set_records(found)
        self.patient_results.setVisible(bool(found))
        name = typed_name(text)
        if found:
            self.patient_results.selectRow(0)
            self.search_note.setText("Enter opens the patient's visit on this day (or starts one).")
        elif name is not None:
            self.search_note.setText(
                f"No patient matches “{text.strip()}”. Enter adds them as a new patient."
            )
        else:
            self.search_note.setText(f"No patient matches “{text.strip()}”.")
        self.search_note.show()
        if name is not None:
            shown = " ".join(part for part in name if part)
            self.add_patient.setText(f"Add patient “{shown}”…")
        self.add_patient.setVisible(name is not None)

    def _add_patient(self) -> None:
        name = typed_name(self.search.text())
        if name is not None:
            self.search.clear()
            self.add_patient_requested.emit(*name)

    def _choose_patient(self, row: int | None = None) -> None:
        if self.patients_model.rowCount() == 0:
            self._add_patient()
            return
        if row is None:
            row = chosen_row(self.patient_results)
        match = self.patients_model.record(row)
        if match is not None:
            self.search.clear()
            self.patient_chosen.emit(match.patient.id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.search and key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step_row(self.patient_results, 1 if key == Qt.Key.Key_Down else -1)
                return True
            if watched is self.search and key == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
            if watched is self.patient_results and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._choose_patient()
                return True
        return super().eventFilter(watched, event)
