"""The session timer: a large elapsed time for the line being timed, with start (or switch
to the selected line), pause/resume and stop. One activity is timed at a time: moving the
timer to another line stops it on the first and adds its minutes there, and the panel says
how many ("Added 7 min to line 1 (97110)").

The panel holds no timer state of its own: it shows the TimerState the services stored
(in a ShownTimer, with the line's row and words) and asks for changes through signals, so
closing the window or a crash loses nothing. A QTimer only repaints the time and says when
another whole minute has passed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from otdesk.ui.models.records import ShownTimer

Clock = Callable[[], datetime]
TICK_MS = 500


def format_elapsed(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class TimerPanel(QWidget):
    start_requested = Signal()  # on the selected line (switches a running timer to it)
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()
    take_over_requested = Signal()  # a timer running for another person at another desk
    minute_passed = Signal(int, int)  # line id, whole minutes elapsed

    def __init__(self, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._state: ShownTimer | None = None
        self._last_minutes = -1
        self._can_start = False
        self.setAccessibleName("Session timer")

        self.time = QLabel("00:00")
        font = QFont(self.time.font())
        font.setPointSize(28)
        font.setBold(True)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.time.setFont(font)
        self.time.setAccessibleName("Elapsed time")
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setAccessibleName("Timed line")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Minutes added by the timer")
        self.note.setProperty("role", "note")
        self.note.hide()

        self.start = QPushButton("Start (F5)")
        self.start.setAccessibleName("Start timer on the selected line")
        self.start.setShortcut(QKeySequence("F5"))
        self.start.clicked.connect(self.start_requested)
        self.pause = QPushButton("Pause (F6)")
        self.pause.setAccessibleName("Pause or resume the timer")
        self.pause.setShortcut(QKeySequence("F6"))
        self.pause.clicked.connect(self._pause_or_resume)
        self.stop = QPushButton("Stop (F7)")
        self.stop.setAccessibleName("Stop the timer")
        self.stop.setShortcut(QKeySequence("F7"))
        self.stop.clicked.connect(self.stop_requested)
        self.take_over = QPushButton("Take over")
        self.take_over.setAccessibleName("Take over the timer from the other desk")
        self.take_over.setToolTip("The timer goes on running, as yours, at this desk.")
        self.take_over.clicked.connect(self.take_over_requested)
        self.take_over.hide()
        for button in (self.start, self.pause, self.stop, self.take_over):
            button.setAutoDefault(False)

        buttons = QVBoxLayout()
        buttons.setSpacing(2)
        row = QHBoxLayout()
        row.addWidget(self.start)
        row.addWidget(self.pause)
        row.addWidget(self.stop)
        row.addWidget(self.take_over)
        buttons.addLayout(row)
        buttons.addWidget(self.caption)
        buttons.addWidget(self.note)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.time)
        layout.addLayout(buttons, 1)

        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self.tick)
        self.show_state(None)

    def set_can_start(self, can_start: bool) -> None:
        """Whether a line is selected that a timer can start on (and the visit is a draft)."""
        self._can_start = can_start
        self._update_buttons()

    def state(self) -> ShownTimer | None:
        return self._state

    def show_note(self, text: str) -> None:
        """Say what the timer did ("Added 7 min to line 1 (97110)"); blank hides it."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def show_state(self, state: ShownTimer | None) -> None:
        changed_line = (state.line_id if state else None) != (
            self._state.line_id if self._state else None
        )
        self._state = state
        if changed_line:
            self._last_minutes = -1
        if state is None:
            self.caption.setText("Select a line, then Start (F5).")
        else:
            what = "Timing" if state.running else "Paused on"
            where = f", {state.elsewhere}" if state.elsewhere else ""
            self.caption.setText(f"{what} line {state.row + 1}: {state.label}{where}")
        self.take_over.setVisible(bool(state is not None and state.elsewhere))
        self.pause.setText("Resume (F6)" if state and not state.running else "Pause (F6)")
        self.pause.setShortcut(QKeySequence("F6"))
        self._update_buttons()
        if state is not None and state.running:
            self._ticker.start()
        else:
            self._ticker.stop()
        self.tick()

    def tick(self) -> None:
        """Repaint the elapsed time; announce each new whole minute of a running timer."""
        state = self._state
        seconds = state.elapsed_seconds(self._clock()) if state else 0
        self.time.setText(format_elapsed(seconds))
        self.time.setAccessibleDescription(f"{seconds // 60} minutes {seconds % 60} seconds")
        if state is not None and state.running:
            minutes = seconds // 60
            if minutes != self._last_minutes:
                first = self._last_minutes < 0
                self._last_minutes = minutes
                if not first:
                    self.minute_passed.emit(state.line_id, minutes)

    def _pause_or_resume(self) -> None:
        if self._state is None:
            return
        if self._state.running:
            self.pause_requested.emit()
        else:
            self.resume_requested.emit()

    def _update_buttons(self) -> None:
        self.start.setEnabled(self._can_start)
        self.pause.setEnabled(self._state is not None)
        self.stop.setEnabled(self._state is not None)
