"""A list of records on the left and the selected one's form on the right, with New and
Save: the shape of the providers and payers dialogs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.changes import ChangeBus, ChangeLink, Changes
from otdesk.ui.forms import Form

CHANGED_ELSEWHERE = "Changed elsewhere meanwhile: the list is read again; what you typed is kept."


class RecordsDialog(QDialog):
    """Subclasses fill `form`, and give list_records(), title_of(record),
    values_of(record), create(values) and update(record_id, values). `noun` is also the
    kind of change (ui.changes) a save reports and the dialog refreshes from (listen())."""

    noun = "record"

    def __init__(self, clinic: Any, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.setWindowTitle(title)
        self.resize(760, 520)
        self.current_id: int | None = None
        self._shown: dict[str, Any] = {}  # the form as last filled, to tell typed edits
        self._keep_form = False  # a refresh from elsewhere keeps what was typed
        self.link = ChangeLink(self, None, (), self._changed_elsewhere)
        self.list = QListWidget()
        self.list.setAccessibleName(f"{title} list")
        self.list.currentItemChanged.connect(self._chosen)
        self.form = Form()
        self.new_button = QPushButton(f"&New {self.noun}")
        self.new_button.setAccessibleName(f"New {self.noun}")
        self.new_button.clicked.connect(self.start_new)
        self.save_button = QPushButton("&Save")
        self.save_button.setAccessibleName(f"Save {self.noun}")
        self.save_button.clicked.connect(self.save)
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setAccessibleName(f"{title} message")
        self.message.setWordWrap(True)
        self.saved_note = QLabel()
        self.saved_note.setProperty("role", "note")
        self.saved_note.setAccessibleName("Saved")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addWidget(self.new_button)
        right = QVBoxLayout()
        right.addWidget(self.form)
        right.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addWidget(self.saved_note, 1)
        buttons.addWidget(self.save_button)
        right.addLayout(buttons)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(close)

    # --- for subclasses ---------------------------------------------------------------------

    def list_records(self) -> list[Any]:
        raise NotImplementedError

    def title_of(self, record: Any) -> str:
        raise NotImplementedError

    def values_of(self, record: Any) -> dict[str, Any]:
        raise NotImplementedError

    def create(self, values: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update(self, record_id: int, values: dict[str, Any]) -> Any:
        raise NotImplementedError

    def new_values(self) -> dict[str, Any]:
        return {}

    # --- behaviour --------------------------------------------------------------------------

    def listen(self, bus: ChangeBus | None) -> None:
        """Report saves on the window's broadcast, and refresh from what others report."""
        self.link = ChangeLink(self, bus, (self.noun,), self._changed_elsewhere)

    def _changed_elsewhere(self, _changes: Changes) -> None:
        edited = self.current_id is None or self.form.values() != self._shown
        self._keep_form = edited
        try:
            self.reload(self.current_id)
        finally:
            self._keep_form = False
        if self.current_id is None:  # a new one being filled in: no record is chosen
            self.list.clearSelection()
        if edited and self.form.values() != self._shown:
            self.saved_note.setText(CHANGED_ELSEWHERE)

    def reload(self, select_id: int | None = None) -> None:
        if not fill_list(self.list, self.list_records(), self.title_of, select_id):
            self.start_new()

    def _chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        if self._keep_form:
            return
        record = item.data(Qt.ItemDataRole.UserRole)
        self.current_id = record.id
        self.form.set_values(self.values_of(record))
        self._shown = self.form.values()
        self.message.clear()
        self.saved_note.clear()

    def start_new(self) -> None:
        if self._keep_form:
            return
        self.current_id = None
        self.list.clearSelection()
        self.form.set_values(self.new_values())
        self._shown = self.form.values()
        self.message.clear()
        self.saved_note.setText(f"New {self.noun}: fill in and save.")
        first = next(iter(self.form.fields.values()), None)
        if first is not None:
            first.setFocus()

    def save(self) -> bool:
        from otdesk.services.errors import ServiceError

        self.message.clear()
        if self.form.problems():
            return False
        try:
            values = self.form.values()
            if self.current_id is None:
                record = self.create(values)
            else:
                record = self.update(self.current_id, values)
        except ServiceError as error:
            self.form.show_refusal(error, self.message)
            return False
        self.link.report(**{self.noun: [record.id]})
        self.reload(record.id)
        self.saved_note.setText("Saved.")
        return True


def fill_list(
    view: QListWidget,
    records: Iterable[Any],
    title_of: Callable[[Any], str],
    select_id: int | None,
) -> bool:
    """Put records in a list (each item carries its record) and select the one whose id is
    `select_id`, else the first. Signals wait until the list is full, so the form is loaded
    once, with the selected record. False when there is nothing to select."""
    view.blockSignals(True)
    view.clear()
    chosen = None
    for record in records:
        item = QListWidgetItem(title_of(record))
        item.setData(Qt.ItemDataRole.UserRole, record)
        view.addItem(item)
        if record.id == select_id:
            chosen = item
    view.blockSignals(False)
    if chosen is not None:
        view.setCurrentItem(chosen)
    elif view.count():
        view.setCurrentRow(0)
    else:
        return False
    return True


Factory = Callable[[Any, QWidget | None], RecordsDialog]
