"""The fee schedule: the clinic's charge per code and each payer's allowed amount, edited
in the table; rows added and removed; CSV import (a bad row rejects the whole file, and the
services' message names the row) and export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from otdesk.ui.changes import ChangeBus, ChangeLink, Changes
from otdesk.ui.date_field import DateField
from otdesk.ui.modal import run_modal
from otdesk.ui.models.fees import (
    CLINIC_CHARGE,
    COL_FROM,
    COL_LABEL,
    COL_TO,
    FeesModel,
    parse_money,
)
from otdesk.ui.models.parsing import InputError
from otdesk.ui.style import show_note

# what the table shows: the fees, and the payers they are for (ui.changes kinds)
KINDS = ("fee", "fee_schedule", "payer")


def choose_open_file(parent: QWidget | None) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Import fee schedule", "", "CSV files (*.csv)")
    return Path(name) if name else None


def choose_save_file(parent: QWidget | None) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(
        parent, "Export fee schedule", "fee-schedule.csv", "CSV files (*.csv)"
    )
    return Path(name) if name else None


class FeeScheduleDialog(QDialog):
    def __init__(self, clinic: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.setWindowTitle("Fee schedule")
        self.resize(980, 560)
        self.model = FeesModel(parent=self, label_of=self._label)
        self.model.edited.connect(self._edited)
        self.model.rejected.connect(lambda row, column, text: self.show_message(text))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Fee schedule")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_LABEL, QHeaderView.ResizeMode.Stretch)
        # a date fits its column even when the column holds none yet
        date_width = self.table.fontMetrics().horizontalAdvance("00/00/00000") + 16
        for column in (COL_FROM, COL_TO):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, date_width)

        self.code = QLineEdit()
        self.code.setAccessibleName("New fee code")
        self.code.setPlaceholderText("Code")
        self.code.setMaximumWidth(90)
        self.payer = QComboBox()
        self.payer.setAccessibleName("New fee payer")
        self.charge = QLineEdit()
        self.charge.setAccessibleName("New fee charge")
        self.charge.setPlaceholderText("Charge")
        self.allowed = QLineEdit()
        self.allowed.setAccessibleName("New fee allowed amount")
        self.allowed.setPlaceholderText("Allowed (optional)")
        self.start = DateField("New fee effective from", optional=True)
        self.start.refused.connect(self.show_message)
        self.add_button = QPushButton("&Add")
        self.add_button.setAccessibleName("Add fee")
        self.add_button.clicked.connect(self.add_fee)
        add_row = QHBoxLayout()
        for widget in (self.code, self.payer, self.charge, self.allowed, self.start):
            add_row.addWidget(widget)
        add_row.addWidget(self.add_button)

        self.remove_button = QPushButton("&Remove selected")
        self.remove_button.setAccessibleName("Remove selected fee")
        self.remove_button.clicked.connect(self.remove_selected)
        self.import_button = QPushButton("&Import CSV…")
        self.import_button.setAccessibleName("Import fee schedule CSV")
        self.import_button.clicked.connect(self.import_csv)
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setAccessibleName("Export fee schedule CSV")
        self.export_button.clicked.connect(self.export_csv)
        tools = QHBoxLayout()
        tools.addWidget(self.remove_button)
        tools.addStretch(1)
        tools.addWidget(self.import_button)
        tools.addWidget(self.export_button)

        self.message = QLabel()
        self.message.setAccessibleName("Fee schedule message")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(add_row)
        layout.addLayout(tools)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.link = ChangeLink(self, None, (), self._changed_elsewhere)
        self.reload()

    def listen(self, bus: ChangeBus | None) -> None:
        """Report what is stored here on the window's broadcast; read the fees again when
        another part (or desk) changes them or the payers."""
        self.link = ChangeLink(self, bus, KINDS, self._changed_elsewhere)

    def _changed_elsewhere(self, _changes: Changes) -> None:
        self.reload()

    def reload(self) -> None:
        self.model.set_records(self.clinic.fees.list())
        current = self.payer.currentData()
        self.payer.clear()
        self.payer.addItem(CLINIC_CHARGE, None)
        for payer in self.clinic.payers.list():
            self.payer.addItem(payer.name, payer.id)
        self.payer.setCurrentIndex(max(self.payer.findData(current), 0))

    def show_message(self, text: str, error: bool = True) -> None:
        show_note(self.message, text, "error" if error else "note")

    def _label(self, code: str) -> str:
        procedure = self.clinic.ctx.catalog.get(code)
        return procedure.label if procedure is not None else "(not in the catalog)"

    def _service(self, action, stores: bool = True) -> Any:
        from otdesk.services.errors import ServiceError

        try:
            result = action()
        except ServiceError as error:
            self.show_message(str(error))
            return None
        self.show_message("")
        if stores:
            self.link.report("fee_schedule")
        self.reload()
        return result if result is not None else True

    def _edited(self, row: int, field: str, value: Any) -> None:
        fee = self.model.record(row)
        if fee is not None:
            self._service(lambda: self.clinic.fees.update(fee.id, **{field: value}))

    def add_fee(self) -> bool:
        try:
            charge = parse_money(self.charge.text())
            allowed = parse_money(self.allowed.text())
            start = self.start.typed_date()
        except InputError as problem:
            self.show_message(str(problem))
            return False
        added = self._service(
            lambda: self.clinic.fees.add(
                self.code.text(),
                charge=charge,
                allowed=allowed,
                payer_id=self.payer.currentData(),
                effective_from=start,
            )
        )
        if added:
            for edit in (self.code, self.charge, self.allowed):
                edit.clear()
            self.code.setFocus()
        return bool(added)

    def remove_selected(self) -> None:
        index = self.table.currentIndex()
        fee = self.model.record(index.row()) if index.isValid() else None
        if fee is None:
            return
        answer = QMessageBox.question(self, "Remove fee", f"Remove the {fee.code} fee row?")
        if answer == QMessageBox.StandardButton.Yes:
            self._service(lambda: self.clinic.fees.remove(fee.id))

    def import_csv(self, path: Path | None = None) -> bool:
        path = path or choose_open_file(self)
        if path is None:
            return False
        report = self._service(lambda: self.clinic.fees.import_csv(path))
        if report:
            self.show_message(
                f"Imported {path.name}: {report.added} added, {report.updated} updated.",
                error=False,
            )
        return bool(report)

    def export_csv(self, path: Path | None = None) -> bool:
        path = path or choose_save_file(self)
        if path is None:
            return False
        count = self._service(lambda: self.clinic.fees.export_csv(path), stores=False)
        if count is not None:
            self.show_message(f"Exported {count} fee rows to {path}.", error=False)
        return count is not None


def ask(parent: QWidget | None, clinic: Any, changes: Any = None) -> None:
    """The dialog, reporting on and refreshing from `changes` (the window's ChangeBus)."""
    dialog = FeeScheduleDialog(clinic, parent)
    dialog.listen(changes)
    run_modal(dialog)
