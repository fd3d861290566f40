"""The clinic's favourite codes: the buttons of the code picker (grouped by kind of
service) and the codes printed on the encounter form, one list kept by the services."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from otdesk.core.catalog import Catalog
from otdesk.ui.modal import run_modal


class FavouritesDialog(QDialog):
    def __init__(self, service: Any, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.catalog = catalog
        self.setWindowTitle("Favourite codes")
        self.setMinimumSize(520, 460)
        self.list = QListWidget()
        self.list.setAccessibleName("Favourite codes")
        for code in service.settings().favourite_codes:
            self._append(code)
        self.code = QLineEdit()
        self.code.setAccessibleName("Code to add")
        self.code.setPlaceholderText("Code, e.g. 97112")
        self.code.returnPressed.connect(self.add_code)
        self.add_button = QPushButton("&Add")
        self.add_button.setAccessibleName("Add favourite code")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_code)
        self.up = QPushButton("&Up")
        self.up.setAccessibleName("Move favourite up")
        self.up.clicked.connect(lambda: self._move(-1))
        self.down = QPushButton("&Down")
        self.down.setAccessibleName("Move favourite down")
        self.down.clicked.connect(lambda: self._move(1))
        self.remove = QPushButton("&Remove")
        self.remove.setAccessibleName("Remove favourite")
        self.remove.clicked.connect(self._remove)
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setAccessibleName("Favourites message")
        self.message.setWordWrap(True)
        add_row = QHBoxLayout()
        add_row.addWidget(self.code, 1)
        add_row.addWidget(self.add_button)
        side = QVBoxLayout()
        for button in (self.up, self.down, self.remove):
            button.setAutoDefault(False)
            side.addWidget(button)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.list, 1)
        body.addLayout(side)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(add_row)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def codes(self) -> list[str]:
        return [self.list.item(row).text().split()[0] for row in range(self.list.count())]

    def _append(self, code: str) -> None:
        procedure = self.catalog.get(code)
        label = procedure.label if procedure else "(not in the catalog)"
        self.list.addItem(f"{code}  {label}")

    def add_code(self) -> bool:
        code = self.code.text().strip().upper()
        if not code:
            return False
        if code not in self.catalog:
            self.message.setText(f"{code} is not in the procedure catalog.")
            return False
        if code in self.codes():
            self.message.setText(f"{code} is already a favourite.")
            return False
        self._append(code)
        self.code.clear()
        self.message.clear()
        return True

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)

    def accept(self) -> None:
        from otdesk.services.errors import ServiceError

        try:
            self.service.save_settings(favourite_codes=self.codes())
        except ServiceError as error:
            self.message.setText(str(error))
            return
        super().accept()


def ask(parent: QWidget | None, service: Any, catalog: Catalog) -> bool:
    return run_modal(FavouritesDialog(service, catalog, parent))
