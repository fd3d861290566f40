"""Clinic > People (administrators): the accounts, adding one, changing a role, disabling
and enabling, resetting a forgotten password, and the minutes before the screen locks
itself. File > Change my password is here too (anyone). Every change goes through
services.accounts; a refusal (the last administrator, a password on the common list) is the
service's sentence, shown in the dialog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from otdesk.core.accounts import LOCK_MINUTES_RANGE, ROLE_TITLES, Role, password_problem
from otdesk.ui.changes import ChangeBus, ChangeLink, Changes
from otdesk.ui.modal import run_modal

COLUMNS = ("Name", "Display name", "Role", "Status")


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


def _message_label(name: str) -> QLabel:
    label = QLabel()
    label.setProperty("role", "error")
    label.setWordWrap(True)
    label.setAccessibleName(name)
    # room for two lines from the start: a dialog does not grow for a wrapped label
    label.setMinimumHeight(label.fontMetrics().lineSpacing() * 2 + 4)
    return label


def _common() -> frozenset[str]:
    from otdesk.services.accounts import common_passwords

    return common_passwords()


class PasswordFields:
    """A new password typed twice, with the rule it breaks said as it is typed; its rows
    go into the dialog's form (add_rows), lined up with the other fields."""

    def __init__(self) -> None:
        self.account_name = ""
        self.first = _password_field("New password")
        self.second = _password_field("New password again")
        self.hint = QLabel(
            "At least 8 characters; a short sentence works well. No rules about digits or "
            "symbols, but not a common password."
        )
        self.hint.setWordWrap(True)
        self.hint.setAccessibleName("Password rule")
        self.first.textChanged.connect(self._typed)

    def add_rows(self, form: QFormLayout, label: str = "&New password") -> None:
        form.addRow(label, self.first)
        form.addRow("Type it a&gain", self.second)
        form.addRow("", self.hint)

    def _typed(self, text: str) -> None:
        problem = password_problem(text, name=self.account_name, common=_common()) if text else None
        self.hint.setProperty("role", "error" if problem else "")
        self.hint.setText(problem or "A good password.")
        self.hint.style().unpolish(self.hint)
        self.hint.style().polish(self.hint)

    def problem(self) -> tuple[str, QLineEdit] | None:
        """What is wrong before the service is asked (the two differ, none typed)."""
        if not self.first.text():
            return "Password: type one.", self.first
        if self.first.text() != self.second.text():
            self.second.clear()
            return "The two passwords are not the same; type the second again.", self.second
        return None

    def text(self) -> str:
        return self.first.text()


class _RefusedError(Exception):
    def __init__(self, text: str, field: QWidget) -> None:
        super().__init__(text)
        self.text = text
        self.field = field


class _Form(QDialog):
    """A small dialog that saves through `save()` and shows a refusal under its fields."""

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.form = QFormLayout()
        self.message = _message_label(f"{title} message")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addLayout(self.form)

    def finish_layout(self) -> None:
        self.layout_.addWidget(self.message)
        self.layout_.addWidget(self.buttons)

    def save(self) -> None:
        raise NotImplementedError

    def refuse(self, text: str, field: QWidget | None = None) -> None:
        self.message.setText(text)
        if field is not None:
            field.setFocus()

    def field_for(self, name: str) -> QWidget | None:
        """The field a service's refusal of `name` points to."""
        return None

    def accept(self) -> None:
        from otdesk.services.errors import ServiceError

        try:
            self.save()
        except _RefusedError as refused:
            self.refuse(refused.text, refused.field)
            return
        except ServiceError as error:
            self.refuse(str(error), self.field_for(getattr(error, "field", "")))
            return
        super().accept()


class AddPersonDialog(_Form):
    def __init__(self, clinic: Any, parent: QWidget | None = None) -> None:
        super().__init__("Add a person", parent)
        self.clinic = clinic
        self.name = QLineEdit()
        self.name.setAccessibleName("Sign-in name")
        self.name.setPlaceholderText("e.g. pat.lee (letters, digits, dots, hyphens)")
        self.display_name = QLineEdit()
        self.display_name.setAccessibleName("Display name")
        self.display_name.setPlaceholderText("e.g. Pat Lee")
        self.role = QComboBox()
        self.role.setAccessibleName("Role")
        for role in Role:
            self.role.addItem(ROLE_TITLES[role], str(role))
        self.role.setCurrentIndex(list(Role).index(Role.FRONT_DESK))
        self.provider = QComboBox()
        self.provider.setAccessibleName("Provider")
        self.provider.addItem("(none)", None)
        for provider in clinic.providers.list():
            self.provider.addItem(provider.display_name, provider.id)
        self.passwords = PasswordFields()
        self.name.textChanged.connect(lambda text: setattr(self.passwords, "account_name", text))
        self.form.addRow("Sign-in &name", self.name)
        self.form.addRow("&Display name", self.display_name)
        self.form.addRow("&Role", self.role)
        self.form.addRow("Pro&vider (therapists)", self.provider)
        self.passwords.add_rows(self.form, "&Password")
        self.finish_layout()
        self.name.setFocus()

    def field_for(self, name: str) -> QWidget | None:
        fields = {"name": self.name, "display_name": self.display_name}
        fields |= {"provider_id": self.provider, "password": self.passwords.first}
        return fields.get(name)

    def save(self) -> None:
        problem = self.passwords.problem()
        if problem:
            raise _RefusedError(*problem)
        self.clinic.accounts.add(
            self.name.text(),
            self.display_name.text(),
            self.role.currentData(),
            self.passwords.text(),
            provider_id=self.provider.currentData(),
        )


class SetPasswordDialog(_Form):
    """A new password for `name` (an administrator's reset, or enabling a disabled
    account), or, with `own`, the signed-in person's change of their own."""

    def __init__(
        self,
        clinic: Any,
        name: str,
        *,
        own: bool = False,
        enable: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        title = (
            "Change my password"
            if own
            else (f"Enable {name}" if enable else f"Reset the password of {name}")
        )
        super().__init__(title, parent)
        self.clinic = clinic
        self.account = name
        self.own = own
        self.enable = enable
        self.current = _password_field("Current password")
        if own:
            self.form.addRow("&Current password", self.current)
        self.passwords = PasswordFields()
        self.passwords.account_name = name
        self.passwords.add_rows(self.form)
        if not own:
            note = QLabel(
                "Tell the person their new password in person; they can change it at "
                "File > Change my password."
            )
            note.setWordWrap(True)
            self.layout_.addWidget(note)
        self.finish_layout()
        (self.current if own else self.passwords.first).setFocus()

    def field_for(self, name: str) -> QWidget | None:
        return {"current": self.current, "password": self.passwords.first}.get(name)

    def save(self) -> None:
        problem = self.passwords.problem()
        if problem:
            raise _RefusedError(*problem)
        accounts = self.clinic.accounts
        if self.own:
            accounts.change_own_password(self.current.text(), self.passwords.text())
        elif self.enable:
            accounts.enable(self.account, self.passwords.text())
        else:
            accounts.reset_password(self.account, self.passwords.text())


class PeopleDialog(QDialog):
    def __init__(self, clinic: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.on_lock_minutes: Callable[[int], None] | None = None
        self.setWindowTitle("People")
        self.setMinimumSize(760, 460)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("People")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.add_button = QPushButton("&Add a person…")
        self.role_button = QPushButton("Change &role…")
        self.disable_button = QPushButton("&Disable…")
        self.reset_button = QPushButton("Reset &password…")
        self.add_button.clicked.connect(self.add_person)
        self.role_button.clicked.connect(self.change_role)
        self.disable_button.clicked.connect(self.disable_or_enable)
        self.reset_button.clicked.connect(self.reset_password)
        side = QVBoxLayout()
        for button in (self.add_button, self.role_button, self.disable_button, self.reset_button):
            side.addWidget(button)
        side.addStretch(1)

        self.lock_minutes = QSpinBox()
        self.lock_minutes.setRange(*LOCK_MINUTES_RANGE)
        self.lock_minutes.setSuffix(" min")
        self.lock_minutes.setAccessibleName("Lock after")
        self.lock_minutes.setValue(clinic.accounts.lock_minutes())
        self.lock_save = QPushButton("Sa&ve")
        self.lock_save.setAccessibleName("Save the lock minutes")
        self.lock_save.clicked.connect(self.save_lock_minutes)
        lock_row = QHBoxLayout()
        lock_label = QLabel("&Lock the screen after no input for")
        lock_label.setBuddy(self.lock_minutes)
        lock_row.addWidget(lock_label)
        lock_row.addWidget(self.lock_minutes)
        lock_row.addWidget(self.lock_save)
        lock_row.addStretch(1)

        self.message = _message_label("People message")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        columns = QHBoxLayout()
        columns.addWidget(self.table, 1)
        columns.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(lock_row)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.link = ChangeLink(self, None, (), self._changed_elsewhere)
        self._lock_shown = self.lock_minutes.value()
        self.refresh()
        self.table.setFocus()

    def listen(self, bus: ChangeBus | None) -> None:
        """Report every change to the accounts on the window's broadcast; read the people
        again when another part (or desk) changes them."""
        self.link = ChangeLink(self, bus, ("account",), self._changed_elsewhere)

    def _changed_elsewhere(self, _changes: Changes) -> None:
        chosen = self.selected()
        self.refresh(chosen.name if chosen is not None else None)
        if self.lock_minutes.value() == self._lock_shown:  # not being changed here
            self._lock_shown = self.clinic.accounts.lock_minutes()
            self.lock_minutes.setValue(self._lock_shown)

    def _stored(self, account_name: str | None = None) -> None:
        """After a change to the accounts: the list read again, the change reported."""
        self.link.report("account")
        self.refresh(account_name)

    def refresh(self, select: str | None = None) -> None:
        self.accounts = self.clinic.accounts.list()
        self.table.setRowCount(len(self.accounts))
        for row, account in enumerate(self.accounts):
            cells = (
                account.name,
                account.display_name,
                account.role.label,
                "Disabled" if account.disabled else "Can sign in",
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        names = [a.name for a in self.accounts]
        if select in names:
            self.table.selectRow(names.index(select))
        elif names:
            self.table.selectRow(0)
        self._selection_changed()

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.accounts[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        account = self.selected()
        for button in (self.role_button, self.disable_button, self.reset_button):
            button.setEnabled(account is not None)
        if account is not None:
            self.disable_button.setText("&Enable…" if account.disabled else "&Disable…")
            self.reset_button.setEnabled(not account.disabled)

    def say(self, text: str, error: bool = False) -> None:
        self.message.setProperty("role", "error" if error else "note")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)

    def add_person(self) -> None:
        dialog = AddPersonDialog(self.clinic, self)
        if run_modal(dialog):
            name = dialog.name.text().strip().casefold()
            self._stored(name)
            self.say(f"{name} added; they can sign in now.")

    def change_role(self) -> None:
        from otdesk.services.errors import ServiceError

        account = self.selected()
        if account is None:
            return
        titles = [ROLE_TITLES[r] for r in Role]
        title, ok = QInputDialog.getItem(
            self,
            "Change role",
            f"Role of {account.display_name}:",
            titles,
            titles.index(account.role.label),
            False,
        )
        if not ok:
            return
        try:
            self.clinic.accounts.update(account.name, role=list(Role)[titles.index(title)])
        except ServiceError as error:
            self.say(str(error), error=True)
            return
        self._stored(account.name)
        self.say(f"{account.display_name} is now {title}.")

    def disable_or_enable(self) -> None:
        from otdesk.services.errors import ServiceError

        account = self.selected()
        if account is None:
            return
        if account.disabled:
            if run_modal(SetPasswordDialog(self.clinic, account.name, enable=True, parent=self)):
                self._stored(account.name)
                self.say(f"{account.name} can sign in again, with the new password.")
            return
        try:
            self.clinic.accounts.disable(account.name)
        except ServiceError as error:
            self.say(str(error), error=True)
            return
        self._stored(account.name)
        self.say(
            f"{account.name} is disabled: they cannot sign in, and their password opens nothing."
        )

    def reset_password(self) -> None:
        account = self.selected()
        if account is None or account.disabled:
            return
        if run_modal(SetPasswordDialog(self.clinic, account.name, parent=self)):
            self.link.report("account")
            self.say(f"The password of {account.name} is reset.")

    def save_lock_minutes(self) -> None:
        from otdesk.services.errors import ServiceError

        try:
            minutes = self.clinic.accounts.set_lock_minutes(self.lock_minutes.value())
        except ServiceError as error:
            self.say(str(error), error=True)
            return
        self._lock_shown = minutes
        self.link.report("account")  # the lock minutes are kept with the accounts
        if self.on_lock_minutes is not None:
            self.on_lock_minutes(minutes)
        unit = "minute" if minutes == 1 else "minutes"
        self.say(f"The screen locks itself after {minutes} {unit} without input.")


def show(
    parent: QWidget | None,
    clinic: Any,
    on_lock_minutes: Callable[[int], None],
    changes: ChangeBus | None = None,
) -> None:
    """Clinic > People, reporting on and refreshing from `changes` (the window's bus)."""
    dialog = PeopleDialog(clinic, parent)
    dialog.on_lock_minutes = on_lock_minutes
    dialog.listen(changes)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    run_modal(dialog)


def change_own_password(parent: QWidget | None, clinic: Any) -> bool:
    person = clinic.person
    if person is None:
        return False
    return run_modal(SetPasswordDialog(clinic, person.name, own=True, parent=parent))
