"""The clinic's own codes: "Add 98975 as a clinic code…" from the code search (a plain
label, timed or untimed or per item, the discipline, a fee), and Clinic > Clinic codes to
see, change and remove them. Saved through the clinic-code service; a refused field shows
its message under it."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from otdesk.core.catalog import code_format_problem, normalize_code
from otdesk.core.visit import DISCIPLINES
from otdesk.ui.changes import ChangeBus, ChangeLink, Changes
from otdesk.ui.forms import Form
from otdesk.ui.modal import run_modal
from otdesk.ui.models.fees import parse_money
from otdesk.ui.models.parsing import InputError

KINDS = (
    ("timed", "&Timed: 15-minute units from the minutes"),
    ("untimed", "&Untimed: 1 unit per visit"),
    ("item", "Per &item: 1 unit per item supplied"),
)
NOT_THERAPY = "Not a therapy service (no GO/GP/GN)"
KIND_WORDS = {"timed": "timed", "untimed": "untimed", "item": "per item"}


class ClinicCodeDialog(QDialog):
    """One clinic code: a new one (`existing` None) or a change of one."""

    def __init__(
        self,
        clinic: Any,
        code: str,
        discipline: str | None = None,
        existing: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.code = code
        self.existing = existing
        self.saved: Any = None
        self.setWindowTitle(f"{'Change' if existing else 'Add'} clinic code {code}")
        self.setMinimumWidth(520)
        intro = QLabel(
            f"{code} is billed as the clinic's own code. Describe it in plain words (the "
            "superbill prints them; do not copy the CPT book's wording)."
            if existing is None
            else f"Change how {code} is described and billed. Visits already finalized keep "
            "what they billed."
        )
        intro.setWordWrap(True)
        self.form = Form()
        self.label = self.form.add_text("label", "&Label", "e.g. Speech treatment, individual")
        self.discipline = self.form.add_choice(
            "disciplines", "&Discipline", [(d, d) for d in DISCIPLINES] + [(NOT_THERAPY, "")]
        )
        self.fee = self.form.add_text("fee", "&Fee per unit", "e.g. 85.00 (optional)", width=160)
        kinds = QWidget()
        kinds.setAccessibleName("How it is billed")
        kinds_layout = QVBoxLayout(kinds)
        kinds_layout.setContentsMargins(0, 0, 0, 0)
        kinds_layout.setSpacing(2)
        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[str, QRadioButton] = {}
        for value, text in KINDS:
            button = QRadioButton(text)
            button.setAccessibleName(text.replace("&", ""))
            self.kind_group.addButton(button)
            self.kind_buttons[value] = button
            kinds_layout.addWidget(button)
        self.kind_message = QLabel()
        self.kind_message.setProperty("role", "error")
        self.kind_message.setAccessibleName("Billing message")
        self.kind_message.hide()
        kinds_layout.addWidget(self.kind_message)
        self.form.layout_.insertRow(1, "Billed", kinds)
        if existing is not None:
            self.label.setText(existing.label)
            self.kind_buttons[existing.kind].setChecked(True)
            first = existing.disciplines[0] if existing.disciplines else ""
            self.discipline.setCurrentIndex(max(self.discipline.findData(first), 0))
            self.form.layout_.setRowVisible(self.fee.parentWidget(), False)
        else:
            self.kind_buttons["timed"].setChecked(True)
            index = self.discipline.findData(discipline) if discipline else 0
            self.discipline.setCurrentIndex(max(index, 0))
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setAccessibleName("Clinic code message")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Add and bill it" if existing is None else "Save")
        self.save_button.setAccessibleName("Save the clinic code")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.label.setFocus()

    def kind(self) -> str:
        return next(value for value, button in self.kind_buttons.items() if button.isChecked())

    def accept(self) -> None:
        from otdesk.services.errors import ServiceError

        self.form.clear_errors()
        self.message.clear()
        try:
            fee = parse_money(self.fee.text()) if self.existing is None else None
        except InputError as problem:
            self.form.show_error("fee", str(problem))
            return
        discipline = self.discipline.currentData()
        fields = {
            "label": self.label.text(),
            "kind": self.kind(),
            "disciplines": [discipline] if discipline else [],
        }
        try:
            if self.existing is None:
                self.saved = self.clinic.codes.add(self.code, fee=fee, **fields)
            else:
                self.saved = self.clinic.codes.update(self.code, **fields)
        except ServiceError as error:
            if getattr(error, "field", None) == "kind":
                self.kind_message.setText(str(error))
                self.kind_message.show()
            else:
                self.form.show_refusal(error, self.message)
            return
        super().accept()


def ask_new(parent: QWidget | None, clinic: Any, code: str, discipline: str | None = None) -> Any:
    """Add `code` as a clinic code; the ClinicCode saved, or None when cancelled."""
    dialog = ClinicCodeDialog(clinic, code, discipline, parent=parent)
    return dialog.saved if run_modal(dialog) else None


class ClinicCodesDialog(QDialog):
    """Clinic > Clinic codes: the list, with Add, Change and Remove."""

    def __init__(self, clinic: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.changed = False
        self.setWindowTitle("Clinic codes")
        self.resize(720, 420)
        intro = QLabel(
            "Codes the clinic bills that otdesk's catalog lacks (a payer's own code, an "
            "L-code). To add one, type it in the code search of a visit, or here."
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setAccessibleName("Clinic codes")
        self.table.setHorizontalHeaderLabels(["Code", "Label", "Billed", "Discipline"])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.change())
        self.new_code = Form()
        self.code_box = self.new_code.add_text("code", "New &code", "e.g. 98975", width=120)
        self.add_button = QPushButton("&Add…")
        self.add_button.setAccessibleName("Add a clinic code")
        self.add_button.clicked.connect(self.add)
        self.change_button = QPushButton("C&hange…")
        self.change_button.setAccessibleName("Change the selected clinic code")
        self.change_button.clicked.connect(self.change)
        self.remove_button = QPushButton("&Remove…")
        self.remove_button.setAccessibleName("Remove the selected clinic code")
        self.remove_button.clicked.connect(self.remove)
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setAccessibleName("Clinic codes message")
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.new_code)
        row.addWidget(self.add_button)
        row.addStretch(1)
        row.addWidget(self.change_button)
        row.addWidget(self.remove_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.link = ChangeLink(self, None, (), self._changed_elsewhere)
        self.reload()

    def listen(self, bus: ChangeBus | None) -> None:
        """Report every change on the window's broadcast; read the codes again when
        another part (a visit's code search) or desk changes them."""
        self.link = ChangeLink(self, bus, ("clinic_code",), self._changed_elsewhere)

    def _changed_elsewhere(self, _changes: Changes) -> None:
        chosen = self._selected()
        self.reload(chosen.code if chosen is not None else None)

    def _stored(self, select: str | None = None) -> None:
        self.changed = True
        self.link.report("clinic_code")
        self.reload(select)

    def reload(self, select: str | None = None) -> None:
        codes = self.clinic.codes.list()
        self.codes = codes
        self.table.setRowCount(len(codes))
        for row, code in enumerate(codes):
            values = (
                code.code,
                code.label,
                KIND_WORDS.get(code.kind, code.kind),
                ", ".join(code.disciplines) or "not therapy",
            )
            for column, text in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(text))
            if code.code == select:
                self.table.selectRow(row)
        has = bool(codes)
        self.change_button.setEnabled(has)
        self.remove_button.setEnabled(has)

    def _selected(self) -> Any:
        row = self.table.currentRow()
        return self.codes[row] if 0 <= row < len(self.codes) else None

    def add(self) -> None:
        self.new_code.clear_errors()
        code = normalize_code(self.code_box.text())
        problem = code_format_problem(code)
        if problem:
            self.new_code.show_error("code", problem)
            return
        saved = ask_new(self, self.clinic, code)
        if saved is not None:
            self.code_box.clear()
            self._stored(saved.code)

    def change(self) -> None:
        code = self._selected()
        if code is None:
            return
        dialog = ClinicCodeDialog(self.clinic, code.code, existing=code, parent=self)
        if run_modal(dialog):
            self._stored(code.code)

    def remove(self) -> None:
        code = self._selected()
        if code is None:
            return
        answer = QMessageBox.question(
            self,
            "Remove clinic code",
            f"Remove {code.code} ({code.label}) from the clinic's codes?"
            + (" Visits that bill it keep it and its label." if code.used else ""),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        from otdesk.services.errors import ServiceError

        try:
            self.clinic.codes.remove(code.code)
        except ServiceError as error:
            self.message.setText(str(error))
            return
        self._stored()


def ask(parent: QWidget | None, clinic: Any, changes: ChangeBus | None = None) -> bool:
    """The clinic codes dialog; True when a code was added, changed or removed. Each
    change is reported on `changes` (the window's ChangeBus) as it is made."""
    dialog = ClinicCodesDialog(clinic, parent)
    dialog.listen(changes)
    run_modal(dialog)
    return dialog.changed
