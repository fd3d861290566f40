"""The visit's header: patient and policy, date of service and appointment time, provider,
payer, place of service, discipline and total treatment time. Each change is saved at once
(through the controller); a value refused here or by the services shows its message under
the fields, and the field shows the stored value again. The total treatment time is
automatic (the lines' minutes added, shown in grey italics) until one is typed; clearing it
makes it automatic again."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from otdesk.core.catalog import load_places_of_service
from otdesk.core.visit import DISCIPLINES, VisitStatus
from otdesk.ui.date_field import DateField
from otdesk.ui.models.day_visits import STATUS_TEXT
from otdesk.ui.models.parsing import (
    TIME_FORMAT,
    InputError,
    format_time,
    parse_minutes,
    parse_time,
)
from otdesk.ui.style import set_role

SELF_PAY = "Self-pay (no insurance)"
AUTO_TOTAL_TIP = (
    "Added up from the lines' minutes as they change. Type a number to set the total "
    "treatment time yourself; clear it to add up the lines again."
)


class VisitHeader(QWidget):
    changed = Signal(dict)  # the fields to save, e.g. {"provider_id": 3}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Visit header")
        self._loading = False
        self.payer_choices: list[tuple[int | None, int | None]] = []
        self.patient = QLabel()
        self.patient.setAccessibleName("Patient")
        self.patient.setProperty("role", "title")
        self.patient.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.policy = QLabel()
        self.policy.setAccessibleName("Policy in use")
        self.policy.setProperty("role", "hint")
        self.status = QLabel()
        self.status.setAccessibleName("Visit status")
        self.status.setProperty("role", "badge")

        self.date = DateField("Date of service")
        self.date.date_changed.connect(self._date_done)
        self.date.refused.connect(self.show_message)
        self.time = QLineEdit()
        self.time.setAccessibleName("Appointment time")
        self.time.setPlaceholderText(TIME_FORMAT)
        self.time.setToolTip("The appointment's time: the time the day list shows.")
        self.time.setFixedWidth(self.time.fontMetrics().horizontalAdvance("12:00 PM") + 20)
        self.time.editingFinished.connect(self._time_done)
        self._time_shown = ""
        self.provider = QComboBox()
        self.provider.setAccessibleName("Rendering provider")
        self.provider.activated.connect(lambda _i: self._emit_combo(self.provider, "provider"))
        self.payer = QComboBox()
        self.payer.setAccessibleName("Payer")
        self.payer.activated.connect(lambda _i: self._emit_combo(self.payer, "payer"))
        self.pos = QComboBox()
        self.pos.setAccessibleName("Place of service")
        for code, place in sorted(load_places_of_service().items()):
            self.pos.addItem(f"{code} {place.name}", code)
        self.pos.activated.connect(lambda _i: self._emit_combo(self.pos, "pos"))
        self.discipline = QComboBox()
        self.discipline.setAccessibleName("Discipline")
        for discipline in DISCIPLINES:
            self.discipline.addItem(discipline, discipline)
        self.discipline.activated.connect(
            lambda _i: self._emit_combo(self.discipline, "discipline")
        )
        self.total_time = QLineEdit()
        self.total_time.setAccessibleName("Total treatment time in minutes")
        self.total_time.setPlaceholderText("min")
        self.total_time.setMaximumWidth(70)
        self.total_time.editingFinished.connect(self._total_done)
        self._total_shown = ""
        self.timed_note = QLabel()
        self.timed_note.setAccessibleName("Timed minutes")
        self.timed_note.setProperty("role", "hint")
        self.message = QLabel()
        self.message.setAccessibleName("Header message")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.hide()

        top = QHBoxLayout()
        top.addWidget(self.patient)
        top.addWidget(self.status)
        top.addSpacing(12)
        top.addWidget(self.policy, 1)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        when = QHBoxLayout()
        when.setContentsMargins(0, 0, 0, 0)
        when.addWidget(self.date, 1)
        at = QLabel("at")
        at.setBuddy(self.time)
        when.addWidget(at)
        when.addWidget(self.time)
        when_box = QWidget()
        when_box.setLayout(when)
        fields = (
            ("&Date", when_box, self.date.edit),
            ("P&rovider", self.provider, self.provider),
            ("Pa&yer", self.payer, self.payer),
        )
        for column, (text, widget, buddy) in enumerate(fields):
            label = QLabel(text)
            label.setBuddy(buddy)
            grid.addWidget(label, 0, column * 2)
            grid.addWidget(widget, 0, column * 2 + 1)
        time_row = QHBoxLayout()
        time_row.setContentsMargins(0, 0, 0, 0)
        time_row.addWidget(self.total_time)
        time_row.addWidget(self.timed_note)
        time_row.addStretch(1)
        time_box = QWidget()
        time_box.setLayout(time_row)
        second = (("Place", self.pos), ("Discipline", self.discipline), ("Total &time", time_box))
        for column, (text, widget) in enumerate(second):
            label = QLabel(text)
            label.setBuddy(self.total_time if widget is time_box else widget)
            grid.addWidget(label, 1, column * 2)
            grid.addWidget(widget, 1, column * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 2)
        grid.setColumnStretch(5, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(grid)
        layout.addWidget(self.message)
        self.pos.setMinimumContentsLength(10)
        self.payer.setMinimumContentsLength(12)
        self.provider.setMinimumContentsLength(12)
        for combo in (self.pos, self.payer, self.provider):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )

    def show_visit(self, visit: Any, providers: list[Any], policies: list[Any]) -> None:
        """Fill the fields from a VisitDetail, the active providers and the patient's
        policies."""
        self._loading = True
        try:
            self.patient.setText(f"{visit.patient_name}  ·  {visit.account_number}")
            policy = next((p for p in policies if p.id == visit.policy_id), None)
            if policy is not None:
                self.policy.setText(
                    f"{policy.payer_name} · member {policy.member_id}"
                    + (f" · group {policy.group_number}" if policy.group_number else "")
                )
            else:
                self.policy.setText(visit.payer_name or SELF_PAY)
            self.status.setText(_status_words(visit))
            self.status.setProperty("status", visit.status)
            self.status.style().unpolish(self.status)
            self.status.style().polish(self.status)
            self.date.set_date(visit.date_of_service)
            self._time_shown = format_time(visit.appointment_time)
            self.time.setText(self._time_shown)
            self.provider.clear()
            for provider in providers:
                self.provider.addItem(provider.display_name, provider.id)
            if self.provider.findData(visit.provider_id) < 0:
                self.provider.addItem(visit.provider_name, visit.provider_id)
            self.provider.setCurrentIndex(self.provider.findData(visit.provider_id))
            # (policy id, payer id) per item, kept here: Qt's item data loses a None
            self.payer.clear()
            self.payer_choices = []
            for item in policies:
                text = f"{item.payer_name} ({'primary' if item.priority == 1 else 'secondary'})"
                self.payer.addItem(text)
                self.payer_choices.append((item.id, item.payer_id))
            self.payer.addItem(SELF_PAY)
            self.payer_choices.append((None, None))
            current = (visit.policy_id, visit.payer_id)
            if current not in self.payer_choices:
                self.payer.addItem(visit.payer_name)
                self.payer_choices.append(current)
            self.payer.setCurrentIndex(self.payer_choices.index(current))
            self.pos.setCurrentIndex(max(self.pos.findData(visit.place_of_service), 0))
            self.discipline.setCurrentIndex(max(self.discipline.findData(visit.discipline), 0))
            total = visit.total_treatment_minutes
            self._total_shown = "" if total is None else str(total)
            self.total_time.setText(self._total_shown)
            automatic = bool(visit.total_time_auto)
            set_role(self.total_time, "auto" if automatic else None)
            self.total_time.setToolTip(AUTO_TOTAL_TIP if automatic else "")
            note = f"timed: {visit.total_timed_minutes} min"
            self.timed_note.setText(f"automatic · {note}" if automatic else note)
            editable = visit.editable
            for widget in (
                self.date,
                self.time,
                self.provider,
                self.payer,
                self.pos,
                self.discipline,
                self.total_time,
            ):
                widget.setEnabled(editable)
        finally:
            self._loading = False

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _date_done(self, day: Any) -> None:
        if not self._loading and day is not None:
            self.show_message("")
            self.changed.emit({"date_of_service": day})

    def _time_done(self) -> None:
        text = self.time.text()
        if self._loading or text == self._time_shown:
            return
        try:
            at = parse_time(text)
        except InputError as problem:
            self.time.setText(self._time_shown)
            self.show_message(f"Appointment time: {problem}")
            return
        self.show_message("")
        self.changed.emit({"appointment_time": at})

    def _total_done(self) -> None:
        text = self.total_time.text()
        if self._loading or text.strip() == self._total_shown:
            return
        try:
            minutes = parse_minutes(text) if text.strip() else None
        except InputError as problem:
            self.total_time.setText(self._total_shown)
            self.show_message(f"Total treatment time: {problem}")
            return
        self.show_message("")
        if minutes is None:
            self.changed.emit({"total_time_auto": True})
        else:
            self.changed.emit({"total_treatment_minutes": minutes})

    def _emit_combo(self, combo: QComboBox, which: str) -> None:
        if self._loading:
            return
        data = combo.currentData()
        if which == "provider":
            self.changed.emit({"provider_id": data})
        elif which == "payer":
            policy_id, payer_id = self.payer_choices[combo.currentIndex()]
            self.changed.emit({"policy_id": policy_id, "payer_id": payer_id})
        elif which == "pos":
            self.changed.emit({"place_of_service": data})
        else:
            self.changed.emit({"discipline": data})


def _status_words(visit: Any) -> str:
    text = STATUS_TEXT.get(visit.status, visit.status)
    if visit.version > 1:
        text += f" (version {visit.version})"
    if visit.status == VisitStatus.FINALIZED and visit.finalized_at is not None:
        text += " " + visit.finalized_at.astimezone().strftime("%m/%d %H:%M")
    if visit.status == VisitStatus.VOID and visit.void_reason:
        text += f": {visit.void_reason}"
    return text
