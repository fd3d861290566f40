"""The code picker: a search box with instant results from the procedure catalog, the
clinic's favourite codes as buttons grouped by category, and the codes used recently.

Enter in the search box adds the highlighted result (the first one unless the person moved
down the list); a click or Enter on a result or a button adds that code. The picker only
announces `code_chosen(code)`; the visit editor adds the line.

The first nine favourite buttons also answer to Alt+1 ... Alt+9 (the digit is on the button),
at once, from anywhere in the window.

The search covers the catalog, the clinic's own codes and the fee schedule's codes (the
window hands over that catalog once the clinic is open). A well-formed code found in none
of them is offered as "Add 98975 as a clinic code…" (Enter when nothing else matches),
which announces `new_code_requested(code)`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from otdesk.core.catalog import Catalog, code_format_problem, normalize_code
from otdesk.ui.flow_layout import flow_widget
from otdesk.ui.models.base import RECORD_ROLE
from otdesk.ui.models.code_results import (
    COL_CATEGORY,
    COL_CODE,
    COL_KIND,
    COL_LABEL,
    CodeResultsModel,
)
from otdesk.ui.search_results import chosen_row, list_of_rows, step_row

RESULT_LIMIT = 20
CAPTION_WIDTH = 80
MAX_RECENT = 8
FAVOURITE_KEYS = 9  # Alt+1 ... Alt+9
QWIDGETSIZE_MAX = (1 << 24) - 1

# Shown until the clinic picks its own (Settings > Favourite codes).
DEFAULT_FAVOURITES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Evaluation", ("97165", "97166", "97167", "97168")),
    ("Treatment", ("97110", "97112", "97140", "97530", "97535", "97760", "97763")),
    ("Modalities", ("97033", "97035", "97010", "97018", "G0283")),
)


# Words the front desk uses for the usual codes; other codes get their label's first phrase.
SHORT_NAMES = {
    "97165": "OT eval low",
    "97166": "OT eval mod",
    "97167": "OT eval high",
    "97168": "OT re-eval",
    "97110": "Ther ex",
    "97112": "Neuro re-ed",
    "97140": "Manual",
    "97530": "Ther act",
    "97535": "ADL / self-care",
    "97033": "Ionto",
    "97035": "Ultrasound",
    "97010": "Hot/cold pack",
    "97018": "Paraffin",
    "G0283": "E-stim unatt.",
    "97032": "E-stim attended",
    "97760": "Orthotic fit",
    "97763": "Orthotic check",
    "97150": "Group",
}


# Catalog categories as the picker groups them, in this order.
GROUP_OF_CATEGORY = {
    "evaluation": "Evaluation",
    "therapeutic procedure": "Treatment",
    "group": "Treatment",
    "constant attendance modality": "Modalities",
    "supervised modality": "Modalities",
}
GROUP_ORDER = ("Evaluation", "Treatment", "Modalities", "Other")


def group_favourites(codes: Sequence[str], catalog: Catalog) -> list[tuple[str, tuple[str, ...]]]:
    """The clinic's favourite codes (one list, in its order) grouped by kind of service."""
    groups: dict[str, list[str]] = {name: [] for name in GROUP_ORDER}
    for code in dict.fromkeys(codes):
        procedure = catalog.get(code)
        if procedure is None:
            continue
        groups[GROUP_OF_CATEGORY.get(procedure.category, "Other")].append(procedure.code)
    return [(name, tuple(found)) for name, found in groups.items() if found]


def button_words(code: str, label: str) -> str:
    return SHORT_NAMES.get(code) or short_label(label, 16)


def short_label(label: str, limit: int = 22) -> str:
    """The first phrase of a catalog label, cut to fit a button."""
    text = re.split(r"[,(:]", label, maxsplit=1)[0].strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class CodePicker(QWidget):
    code_chosen = Signal(str)
    new_code_requested = Signal(str)  # a well-formed code the search does not know

    def __init__(
        self,
        catalog: Catalog,
        favourites: Sequence[tuple[str, Sequence[str]]] = DEFAULT_FAVOURITES,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._recent: list[str] = []
        self.setAccessibleName("Code picker")

        self.search = QLineEdit()
        self.search.setPlaceholderText("Add a code: type a code or words (ther ex, TA, ionto)…")
        self.search.setAccessibleName("Search procedure codes")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_text)
        self.search.returnPressed.connect(self._choose_current)
        self.search.installEventFilter(self)

        self.model = CodeResultsModel(parent=self)
        self.results = QTableView()
        self.results.setModel(self.model)
        self.results.setAccessibleName("Code search results")
        list_of_rows(self.results)
        # Fixed widths from the font: sizing columns to their contents on every keystroke
        # would cost more than the search itself.
        header = self.results.horizontalHeader()
        metrics = self.results.fontMetrics()
        for column, sample in (
            (COL_CODE, "G0283MM"),
            (COL_KIND, "15-min add-onMM"),
            (COL_CATEGORY, "constant attendance modalityM"),
        ):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, metrics.horizontalAdvance(sample))
        header.setSectionResizeMode(COL_LABEL, QHeaderView.ResizeMode.Stretch)
        self.results.verticalHeader().setDefaultSectionSize(metrics.height() + 8)
        self.results.clicked.connect(self._choose_index)
        self.results.installEventFilter(self)

        self.no_match = QLabel()
        self.no_match.setWordWrap(True)
        self.no_match.setAccessibleName("No matching code")
        self.add_code = QPushButton()
        self.add_code.setAccessibleName("Add the typed code as a clinic code")
        self.add_code.setAutoDefault(False)
        self.add_code.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.add_code.clicked.connect(self._ask_new_code)
        self.add_code.hide()
        self._new_code: str | None = None
        self._results_room = 0  # the favourites' height, kept by the results (_show_page)
        no_match_page = QWidget()
        no_match_layout = QVBoxLayout(no_match_page)
        no_match_layout.setContentsMargins(0, 0, 0, 0)
        no_match_layout.addWidget(self.no_match)
        no_match_layout.addWidget(self.add_code)
        no_match_layout.addStretch(1)

        self.favourites = QWidget()
        self.favourites.setAccessibleName("Favourite codes")
        self._favourites_layout = QVBoxLayout(self.favourites)
        self._favourites_layout.setContentsMargins(0, 0, 0, 0)
        self._favourites_layout.setSpacing(2)
        self.recent_row = QWidget()
        self.recent_row.setAccessibleName("Recently used codes")
        self._recent_layout = QHBoxLayout(self.recent_row)
        self._recent_layout.setContentsMargins(0, 0, 0, 0)
        self.favourite_buttons: dict[str, QPushButton] = {}
        self._favourite_keys: list[QShortcut] = []
        self.set_favourites(favourites)

        browse = QWidget()
        browse_layout = QVBoxLayout(browse)
        browse_layout.setContentsMargins(0, 0, 0, 0)
        browse_layout.setSpacing(2)
        browse_layout.addWidget(self.favourites)
        browse_layout.addWidget(self.recent_row)
        browse_layout.addStretch(1)

        self.stack = QStackedWidget()
        self.stack.addWidget(browse)
        self.stack.addWidget(self.results)
        self.stack.addWidget(no_match_page)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.stack, 1)
        self.set_recent([])

    # --- content ----------------------------------------------------------------------------

    def set_favourites(self, groups: Sequence[tuple[str, Sequence[str]]]) -> None:
        _clear(self._favourites_layout)
        self.favourite_buttons.clear()
        for shortcut in self._favourite_keys:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self._favourite_keys = []
        for category, codes in groups:
            row = QHBoxLayout()
            row.setSpacing(4)
            title = QLabel(category)
            title.setFixedWidth(CAPTION_WIDTH)
            title.setProperty("role", "caption")
            row.addWidget(title, 0, Qt.AlignmentFlag.AlignTop)
            buttons, flow = flow_widget()
            for code in codes:
                procedure = self._catalog.get(code)
                if procedure is None:
                    continue
                words = button_words(code, procedure.label)
                number = len(self.favourite_buttons) + 1
                button = self._code_button(code, words, procedure.label)
                if number <= FAVOURITE_KEYS:
                    # a shortcut of its own, not the button's: that one clicks 100 ms late,
                    # and the minutes typed meanwhile would land in the search
                    keys = QKeySequence(f"Alt+{number}")
                    shortcut = QShortcut(keys, self)
                    shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
                    shortcut.activated.connect(lambda c=code: self._favourite_key(c))
                    self._favourite_keys.append(shortcut)
                    button.setText(f"{number}  {button.text()}")
                    button.setToolTip(f"{button.toolTip()} (Alt+{number})")
                self.favourite_buttons[code] = button
                flow.addWidget(button)
            row.addWidget(buttons, 1)
            self._favourites_layout.addLayout(row)

    def set_recent(self, codes: Sequence[str]) -> None:
        self._recent = [c for c in dict.fromkeys(codes) if c in self._catalog][:MAX_RECENT]
        _clear(self._recent_layout)
        title = QLabel("Recent")
        title.setFixedWidth(CAPTION_WIDTH)
        title.setProperty("role", "caption")
        self._recent_layout.addWidget(title)
        if not self._recent:
            hint = QLabel("Codes you add show up here.")
            hint.setProperty("role", "hint")
            self._recent_layout.addWidget(hint)
        for code in self._recent:
            procedure = self._catalog.get(code)
            label = procedure.label if procedure else code
            self._recent_layout.addWidget(self._code_button(code, "", label, recent=True))
        self._recent_layout.addStretch(1)

    def catalog(self) -> Catalog:
        return self._catalog

    def set_catalog(self, catalog: Catalog) -> None:
        """Search this catalog from now on (the clinic's: its own and fee-schedule codes)."""
        self._catalog = catalog
        self._on_text(self.search.text())

    def favourite_codes(self) -> list[str]:
        return list(self.favourite_buttons)

    def recent(self) -> list[str]:
        return list(self._recent)

    def note_used(self, code: str) -> None:
        """Put a code at the front of the recently used ones."""
        self.set_recent([code, *self._recent])

    def _code_button(self, code: str, words: str, full: str, recent: bool = False) -> QPushButton:
        text = f"{code} {words}" if words else code
        button = QPushButton(text)
        button.setToolTip(f"Add {code}: {full}")
        button.setAccessibleName(f"Add {code}{' (recent)' if recent else ''}")
        button.setAccessibleDescription(full)
        button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _=False, c=code: self._emit(c))
        return button

    # --- searching --------------------------------------------------------------------------

    def _on_text(self, text: str) -> None:
        if not text.strip():
            self.model.set_records([])
            self.stack.setMaximumHeight(QWIDGETSIZE_MAX)  # the favourites wrap as they need
            self.stack.setCurrentIndex(0)
            self._new_code = None
            return
        found = self._catalog.search(text, RESULT_LIMIT)
        self.model.set_records(found)
        typed = normalize_code(text)
        self._new_code = (
            typed if not code_format_problem(typed) and typed not in self._catalog else None
        )
        if found:
            if self.stack.currentIndex() != 1:
                self._show_page(1)
            self.results.selectRow(0)
            return
        if self._new_code is not None:
            self.no_match.setText(
                f"{self._new_code} is not in otdesk's catalog or the clinic's codes. Press "
                "Enter to add it as a clinic code: you give it a label, how it is billed "
                "and a fee."
            )
            self.add_code.setText(f"Add {self._new_code} as a clinic code…")
        else:
            self.no_match.setText(
                f"No code matches “{text.strip()}”. Try a code (97110), words (exercise) or "
                "shorthand (ther ex, TA, ionto)."
            )
        self.add_code.setVisible(self._new_code is not None)
        self._show_page(2)

    def _show_page(self, page: int) -> None:
        """Show the results (1) or the no-match page (2) in the room the favourites had:
        growing, the picker would push the lines table down and make the whole editor lay
        itself out again (a few milliseconds of every first keystroke)."""
        if self.stack.currentIndex() == 0:
            self._results_room = self.stack.height()
        room = self._results_room
        if room > 0:
            self.stack.setMaximumHeight(room)
        self.stack.setCurrentIndex(page)

    def _choose_current(self) -> None:
        if self.model.rowCount() == 0:
            self._ask_new_code()
            return
        self._choose_index(self.model.index(chosen_row(self.results), 0))

    def _ask_new_code(self) -> None:
        if self._new_code is not None:
            self.new_code_requested.emit(self._new_code)

    def _choose_index(self, index) -> None:
        procedure = self.model.data(self.model.index(index.row(), 0), RECORD_ROLE)
        if procedure is not None:
            self._emit(procedure.code)

    def _favourite_key(self, code: str) -> None:
        if self.isEnabled():  # (a finalized visit's picker is disabled)
            self._emit(code)

    def _emit(self, code: str) -> None:
        # setText, not clear(): Ctrl+Z in the empty box then undoes the line, not the typing
        self.search.setText("")
        self.search.setFocus()
        self.code_chosen.emit(code)

    # --- keyboard: arrows move through results while typing -------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.search and key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step_row(self.results, 1 if key == Qt.Key.Key_Down else -1)
                return True
            if watched is self.search and key == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
            if watched is self.results and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._choose_current()
                return True
        return super().eventFilter(watched, event)


def _clear(layout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None:
            # Hidden at once: deleteLater waits for the event loop, and until then the old
            # button would still be drawn over the new rows.
            widget.hide()
            widget.deleteLater()
        elif item.layout() is not None:
            _clear(item.layout())
