"""Diagnoses: ICD-10-CM search (code or words) with a drop-down of up to ten results under
the box (code, whole description, billable or category; the arrows and Enter pick), the
ordered list A-L (reorder with Alt+Up/Alt+Down or the buttons), and a warning with billable
codes to pick instead when a code is not billable.

Billable codes come first. Picking a category ("M62.8") does not add it: the drop-down
opens its billable codes to pick from.

The index arrives later than the window (its first build takes a while and runs in a
worker): until `set_index` hands it over, the box says so instead of freezing.
"""

from __future__ import annotations

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

from otdesk.core.visit import MAX_DIAGNOSES
from otdesk.ui.dx_dropdown import ROWS_SHOWN, DxDropDown
from otdesk.ui.models.diagnoses import (
    COL_CODE,
    COL_DESCRIPTION,
    COL_LETTER,
    DiagnosesModel,
    DxResultsModel,
    billable_first,
)
from otdesk.ui.search_results import chosen_row, list_of_rows, step_row

RESULT_LIMIT = 16  # searched; billable ones first, ten rows shown before it scrolls
CATEGORY_LIMIT = 60
SUGGESTIONS = 4


class DiagnosesPanel(QWidget):
    add_requested = Signal(str)  # code
    remove_requested = Signal(int)  # row
    move_requested = Signal(int, int)  # row, new row
    replace_requested = Signal(int, str)  # row, billable code

    def __init__(self, model: DiagnosesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._index = None
        self._read_only = False
        self._pending_select: int | None = None  # the row to select after a move
        # What the warning and its buttons were last drawn for (row, code, index offered):
        # the list resets on every change to the visit, mostly with the same diagnoses.
        self._warning_shown: tuple | None = ()
        self.setAccessibleName("Diagnoses")

        self.search = QLineEdit()
        self.search.setAccessibleName("Search diagnoses")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_text)
        self.search.returnPressed.connect(self._choose_current)
        self.search.installEventFilter(self)

        self.results_model = DxResultsModel(parent=self)
        self.dropdown = DxDropDown(self.results_model, self)
        self.results = self.dropdown.view
        self.results.clicked.connect(lambda index: self._choose_row(index.row()))
        self._category: str | None = None  # the category whose codes the list shows

        self.status = QLabel()
        self.status.setAccessibleName("Diagnosis search status")
        self.status.setProperty("role", "hint")
        self.status.setWordWrap(True)

        self.list = QTableView()
        self.list.setModel(model)
        self.list.setAccessibleName("Diagnosis list, A to L")
        list_of_rows(self.list, alternating=False)
        lh = self.list.horizontalHeader()
        lh.setHighlightSections(False)
        lh.setSectionResizeMode(COL_LETTER, QHeaderView.ResizeMode.ResizeToContents)
        lh.setSectionResizeMode(COL_CODE, QHeaderView.ResizeMode.ResizeToContents)
        lh.setSectionResizeMode(COL_DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        self.list.installEventFilter(self)
        self.list.setMinimumHeight(60)
        self.list.verticalHeader().setDefaultSectionSize(24)
        self.list.selectionModel().currentRowChanged.connect(self._show_warning)
        model.modelReset.connect(self._after_reset)

        self.up = QPushButton("Up")
        self.up.setAccessibleName("Move diagnosis up")
        self.up.setToolTip("Move the selected diagnosis up (Alt+Up)")
        self.up.clicked.connect(lambda: self._move(-1))
        self.down = QPushButton("Down")
        self.down.setAccessibleName("Move diagnosis down")
        self.down.setToolTip("Move the selected diagnosis down (Alt+Down)")
        self.down.clicked.connect(lambda: self._move(1))
        self.remove = QPushButton("Remove")
        self.remove.setAccessibleName("Remove diagnosis")
        self.remove.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        for button in (self.up, self.down, self.remove):
            button.setAutoDefault(False)
            # narrow: the box shares its row with the units explanation
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance(button.text()) + 24)
            button.setMaximumWidth(button.fontMetrics().horizontalAdvance(button.text()) + 36)
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.warning = QLabel()
        self.warning.setAccessibleName("Diagnosis warning")
        self.warning.setProperty("role", "warning")
        self.warning.setWordWrap(True)
        self.suggestions = QWidget()
        self.suggestions.setAccessibleName("Billable codes to choose instead")
        self._suggestions_layout = QHBoxLayout(self.suggestions)
        self._suggestions_layout.setContentsMargins(0, 0, 0, 0)
        self.suggestion_buttons: list[QPushButton] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.warning)
        layout.addWidget(self.suggestions)
        self.set_index(None, "Diagnosis search is getting ready…")
        self._show_warning()

    # --- the index ---------------------------------------------------------------------------

    def set_index(self, index, message: str = "") -> None:
        """Hand over the ICD index (None while it is being built; message says why)."""
        self._index = index
        if index is None:
            self.search.setPlaceholderText(message or "Diagnosis search is not available.")
            self.status.setText(message)
        else:
            self.search.setPlaceholderText("Add a diagnosis: code or words (M62.81, weakness)…")
            self.status.setText("")
        self._on_text(self.search.text())
        self._show_warning()

    def index(self):
        return self._index

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.search.setEnabled(not read_only)
        for button in (self.up, self.down, self.remove):
            button.setEnabled(not read_only)
        self._show_warning()

    # --- search -----------------------------------------------------------------------------

    def _on_text(self, text: str) -> None:
        self._category = None
        if not text.strip() or self._index is None:
            self.results_model.set_records([])
            self.dropdown.close_list()
            if self._index is not None:
                self.status.setText("")
            return
        found = billable_first(self._index.search(text, RESULT_LIMIT))
        self._show_results(found)
        if found:
            self.status.setText("")
        else:
            self.status.setText(f"No diagnosis matches “{text.strip()}”.")

    def _show_results(self, found: list, caption: str = "") -> None:
        self.results_model.set_records(found)
        if not found:
            self.dropdown.close_list()
            return
        self.results.selectRow(0)
        if self.search.isVisible():
            self.dropdown.show_under(self.search, caption)

    def open_category(self, code: str) -> None:
        """List a category's billable codes in the drop-down, to pick one of them."""
        if self._index is None:
            return
        codes = self._index.billable_children(code, CATEGORY_LIMIT)
        category = self._index.get(code)
        words = f"{code} {category.description}" if category else code
        self._category = code
        self._show_results(
            codes, f"{words} is a category: pick one of its {len(codes)} billable codes."
        )
        self.status.setText("")

    def _choose_current(self) -> None:
        if self.results_model.rowCount() == 0:
            return
        self._choose_row(chosen_row(self.results))

    def _choose_row(self, row: int) -> None:
        diagnosis = self.results_model.record(row)
        if diagnosis is None:
            return
        if not diagnosis.billable:
            self.open_category(diagnosis.code)
            return
        if self.model.rowCount() >= MAX_DIAGNOSES:
            self.status.setText(f"A visit takes at most {MAX_DIAGNOSES} diagnoses (A-L).")
            return
        if diagnosis.code in self.model.codes():
            self.status.setText(f"{diagnosis.code} is already in the list.")
            return
        self.search.setText("")  # (not clear(): Ctrl+Z then undoes the diagnosis)
        self.dropdown.close_list()
        self.add_requested.emit(diagnosis.code)

    # --- the list ---------------------------------------------------------------------------

    def current_row(self) -> int:
        index = self.list.currentIndex()
        return index.row() if index.isValid() else -1

    def _move(self, step: int) -> None:
        row = self.current_row()
        target = row + step
        if self._read_only or row < 0 or not 0 <= target < self.model.rowCount():
            return
        self._pending_select = target
        self.move_requested.emit(row, target)

    def _remove(self) -> None:
        row = self.current_row()
        if row >= 0 and not self._read_only:
            self.remove_requested.emit(row)

    def _after_reset(self) -> None:
        target = self._pending_select
        self._pending_select = None
        if target is not None and 0 <= target < self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(target, COL_CODE))
        self._show_warning()

    def _show_warning(self, *_args) -> None:
        problems = [
            (row, record)
            for row, record in enumerate(self.model.records())
            if record.billable is False
        ]
        offer = self._index is not None and not self._read_only
        if problems:
            current = self.current_row()
            row, record = next(((r, rec) for r, rec in problems if r == current), problems[0])
            shown = (row, record.code, self._index if offer else None)
        else:
            shown = None
        if shown == self._warning_shown:
            return
        self._warning_shown = shown
        for button in self.suggestion_buttons:
            button.deleteLater()
        self.suggestion_buttons = []
        while self._suggestions_layout.count():
            self._suggestions_layout.takeAt(0)
        if shown is None:
            self.warning.hide()
            self.suggestions.hide()
            return
        self.warning.setText(
            f"{record.code} is a category, not a billable code: claims need a more specific "
            "code." + (" Choose one:" if offer else "")
        )
        self.warning.show()
        if not offer:
            self.suggestions.hide()
            return
        for child in self._index.billable_children(record.code, SUGGESTIONS):
            button = QPushButton(child.code)
            button.setToolTip(f"Use {child.code}: {child.description}")
            button.setAccessibleName(f"Use {child.code} {child.description}")
            button.setAutoDefault(False)
            button.clicked.connect(
                lambda _=False, r=row, c=child.code: self.replace_requested.emit(r, c)
            )
            self.suggestion_buttons.append(button)
            self._suggestions_layout.addWidget(button)
        self._suggestions_layout.addStretch(1)
        self.suggestions.setVisible(bool(self.suggestion_buttons))

    # --- keyboard ---------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.search and event.type() == QEvent.Type.FocusOut:
            self.dropdown.close_list()
        if (
            watched is self.search
            and event.type() == QEvent.Type.FocusIn
            and self.results_model.rowCount()
        ):
            self.dropdown.show_under(self.search, self.dropdown.caption.text())
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.search and key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step_row(self.results, 1 if key == Qt.Key.Key_Down else -1)
                return True
            if watched is self.search and key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                step = ROWS_SHOWN - 1
                step_row(self.results, step if key == Qt.Key.Key_PageDown else -step)
                return True
            if watched is self.search and key == Qt.Key.Key_Escape:
                if self._category is not None:  # back from a category to what was typed
                    self._on_text(self.search.text())
                    return True
                if self.dropdown.is_open():
                    self.dropdown.close_list()
                    return True
            if watched is self.list:
                alt = event.modifiers() & Qt.KeyboardModifier.AltModifier
                if alt and key == Qt.Key.Key_Up:
                    self._move(-1)
                    return True
                if alt and key == Qt.Key.Key_Down:
                    self._move(1)
                    return True
                if key == Qt.Key.Key_Delete:
                    self._remove()
                    return True
        return super().eventFilter(watched, event)
