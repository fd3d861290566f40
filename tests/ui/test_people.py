"""Clinic > People and File > Change my password on a real encrypted clinic: adding a
person from the keyboard (the password twice, the rules said as typed and by the service),
disabling and enabling, the last administrator kept, resetting a password, changing a role,
the lock minutes; and the audit log dialog: filters, a date that is not one, Export CSV."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from otdesk.services.accounts import SignInError
from otdesk.ui.audit_dialog import AuditDialog
from otdesk.ui.people_dialog import AddPersonDialog, PeopleDialog, SetPasswordDialog

from .helpers import show, when_modal
from .signed_in import ADMIN, ADMIN_PASSWORD, PAT, PAT_PASSWORD, make_clinic


@pytest.fixture
def front_desk(tmp_path, clock):
    """The encrypted clinic of signed_in.make_clinic, open, and what it was seeded with."""
    made, _recovery, seeded, visit = make_clinic(tmp_path / "clinic", clock, close=False)
    yield made, seeded, visit
    made.close()


@pytest.fixture
def visit(front_desk):
    """Ana Rivera's draft of today (make_clinic)."""
    return front_desk[2]


def _names(dialog):
    return [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]


def test_people_are_listed_and_one_is_added_from_the_keyboard(qtbot, clinic):
    dialog = show(qtbot, PeopleDialog(clinic))
    assert _names(dialog) == [ADMIN, PAT]  # by display name: Ada Admin, Pat Lee
    assert dialog.table.item(1, 2).text() == "Front desk"
    assert dialog.table.item(1, 3).text() == "Can sign in"
    seen = {}

    def fill(add: AddPersonDialog) -> None:
        qtbot.keyClicks(add.name, "Sam.Ortiz")
        qtbot.keyClick(add.name, Qt.Key_Tab)
        qtbot.keyClicks(add.display_name, "Sam Ortiz")
        add.role.setCurrentIndex(add.role.findText("Biller"))
        qtbot.keyClicks(add.passwords.first, "password")
        seen["hint"] = add.passwords.hint.text()
        add.passwords.first.clear()
        qtbot.keyClicks(add.passwords.first, "billing on tuesdays")
        seen["good"] = add.passwords.hint.text()
        qtbot.keyClicks(add.passwords.second, "billing on tuesday")
        add.accept()
        seen["differ"] = add.message.text()
        qtbot.keyClicks(add.passwords.second, "billing on tuesdays")
        qtbot.keyClick(add.passwords.second, Qt.Key_Return)

    when_modal(AddPersonDialog, fill)
    qtbot.mouseClick(dialog.add_button, Qt.LeftButton)
    assert "most common passwords" in seen["hint"]
    assert seen["good"] == "A good password."
    assert seen["differ"] == "The two passwords are not the same; type the second again."
    assert "sam.ortiz" in _names(dialog)
    assert dialog.message.text() == "sam.ortiz added; they can sign in now."
    person = clinic.accounts.authenticate("sam.ortiz", "billing on tuesdays")
    assert (person.display_name, person.role.label) == ("Sam Ortiz", "Biller")


def test_the_service_refuses_a_common_password_and_a_taken_name(qtbot, clinic):
    add = show(qtbot, AddPersonDialog(clinic))
    add.name.setText(PAT)
    add.display_name.setText("Another Pat")
    add.passwords.first.setText("a fine long password")
    add.passwords.second.setText("a fine long password")
    add.accept()
    assert add.message.text() == "Name: pat is taken already."
    add.name.setText("pat2")
    add.passwords.first.setText("iloveyou")
    add.passwords.second.setText("iloveyou")
    add.accept()
    assert add.message.text().startswith("Password: That password is on the list")
    assert add.isVisible()


def test_disable_enable_and_the_last_administrator(qtbot, clinic):
    dialog = show(qtbot, PeopleDialog(clinic))
    dialog.table.selectRow(0)  # Ada, the only administrator
    qtbot.mouseClick(dialog.disable_button, Qt.LeftButton)
    assert dialog.message.text().startswith("ada is the last administrator who can sign in")
    assert not clinic.accounts.get(ADMIN).disabled
    dialog.table.selectRow(1)
    qtbot.mouseClick(dialog.disable_button, Qt.LeftButton)
    assert dialog.table.item(1, 3).text() == "Disabled"
    assert dialog.disable_button.text() == "&Enable…" and not dialog.reset_button.isEnabled()
    with pytest.raises(SignInError):
        clinic.accounts.authenticate(PAT, PAT_PASSWORD)

    def enable(password_dialog: SetPasswordDialog) -> None:
        password_dialog.passwords.first.setText("back at the desk")
        password_dialog.passwords.second.setText("back at the desk")
        password_dialog.accept()

    when_modal(SetPasswordDialog, enable)
    qtbot.mouseClick(dialog.disable_button, Qt.LeftButton)
    assert dialog.table.item(1, 3).text() == "Can sign in"
    assert clinic.accounts.authenticate(PAT, "back at the desk").name == PAT


def test_reset_a_password_and_change_a_role(qtbot, clinic):
    dialog = show(qtbot, PeopleDialog(clinic))
    dialog.table.selectRow(1)

    def reset(password_dialog: SetPasswordDialog) -> None:
        password_dialog.passwords.first.setText("short")
        password_dialog.passwords.second.setText("short")
        password_dialog.accept()
        assert "at least 8 characters" in password_dialog.message.text()
        password_dialog.passwords.first.setText("new desk password")
        password_dialog.passwords.second.setText("new desk password")
        password_dialog.accept()

    when_modal(SetPasswordDialog, reset)
    qtbot.mouseClick(dialog.reset_button, Qt.LeftButton)
    assert dialog.message.text() == "The password of pat is reset."
    assert clinic.accounts.authenticate(PAT, "new desk password").name == PAT

    def choose(box: QInputDialog) -> None:
        box.setTextValue("Biller")
        box.accept()

    when_modal(QInputDialog, choose)
    qtbot.mouseClick(dialog.role_button, Qt.LeftButton)
    assert dialog.table.item(1, 2).text() == "Biller"
    assert clinic.accounts.get(PAT).role.label == "Biller"

    dialog.table.selectRow(0)

    def demote(box: QInputDialog) -> None:
        box.setTextValue("Front desk")
        box.accept()

    when_modal(QInputDialog, demote)
    qtbot.mouseClick(dialog.role_button, Qt.LeftButton)
    assert "last administrator" in dialog.message.text()
    assert clinic.accounts.get(ADMIN).role.label == "Administrator"


def test_the_lock_minutes_are_set_here(qtbot, clinic):
    dialog = show(qtbot, PeopleDialog(clinic))
    told = []
    dialog.on_lock_minutes = told.append
    assert dialog.lock_minutes.value() == 10
    dialog.lock_minutes.setFocus()
    dialog.lock_minutes.selectAll()
    qtbot.keyClicks(dialog.lock_minutes, "3")
    qtbot.mouseClick(dialog.lock_save, Qt.LeftButton)
    assert clinic.accounts.lock_minutes() == 3 and told == [3]
    assert dialog.lock_minutes.minimum() == 1 and dialog.lock_minutes.maximum() == 60


def test_change_my_password(qtbot, clinic):
    dialog = show(qtbot, SetPasswordDialog(clinic, ADMIN, own=True))
    qtbot.keyClicks(dialog.current, "not my password")
    dialog.passwords.first.setText("harbor hands forever")
    dialog.passwords.second.setText("harbor hands forever")
    dialog.accept()
    assert dialog.message.text() == "Current password: that is not your password."
    dialog.current.setText(ADMIN_PASSWORD)
    dialog.accept()
    assert not dialog.isVisible()
    assert clinic.accounts.authenticate(ADMIN, "harbor hands forever").name == ADMIN


def test_the_audit_log_filters_and_exports(qtbot, clinic, tmp_path, clock, seeded, visit):
    from otdesk.core.accounts import Person, Role

    clock.advance(days=1)
    clinic.sign_in_as(Person(PAT, "Pat Lee", Role.FRONT_DESK))
    clinic.patients.update(seeded["bo"].id, phone="5035550101")
    clinic.sign_in_as(Person(ADMIN, "Ada Admin", Role.ADMINISTRATOR))
    chosen = tmp_path / "exported.csv"
    dialog = show(qtbot, AuditDialog(clinic, ask_path=lambda _p, _s: chosen))
    total = dialog.table.rowCount()
    assert total > 5 and dialog.message.text() == f"{total} entries."
    newest = clinic.audit.entries(limit=10_000)[-1]
    assert dialog.table.item(0, 0).text() == newest.at.astimezone().strftime("%m/%d/%Y %H:%M:%S")
    # the action in plain words, its code in the tooltip
    assert newest.action == "patient.update"
    assert dialog.table.item(0, 2).text() == "Patient changed"
    assert dialog.table.item(0, 2).toolTip() == "patient.update"
    assert "." not in "".join(dialog.table.item(r, 2).text() for r in range(total))

    dialog.person.setCurrentIndex(dialog.person.findData(PAT))
    qtbot.mouseClick(dialog.show_button, Qt.LeftButton)
    assert {dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())} == {PAT}

    dialog.person.setCurrentIndex(0)
    qtbot.keyClicks(dialog.start.edit, "02/30/2026")
    qtbot.mouseClick(dialog.show_button, Qt.LeftButton)
    assert (
        dialog.message.text()
        == "From: 02/30/2026 is not a date: February 2026 has 28 days (type MM/DD/YYYY)."
    )
    assert dialog.message.property("role") == "error"
    dialog.start.edit.clear()
    qtbot.keyClicks(dialog.start.edit, "03/03/2026")
    qtbot.mouseClick(dialog.show_button, Qt.LeftButton)
    assert 0 < dialog.table.rowCount() < total

    dialog.start.edit.clear()
    rivera = seeded["ana"].id
    dialog.patient.setCurrentIndex(dialog.patient.findData(rivera))
    qtbot.mouseClick(dialog.show_button, Qt.LeftButton)
    records = {dialog.table.item(r, 3).text() for r in range(dialog.table.rowCount())}
    assert f"patient {rivera}" in records and f"visit {visit.id}" in records
    assert f"patient {seeded['bo'].id}" not in records

    qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    with chosen.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == dialog.table.rowCount()
    # the CSV keeps the code, and has the words too
    shown = [dialog.table.item(r, 2).text() for r in range(dialog.table.rowCount())]
    assert [r["what"] for r in reversed(rows)] == shown  # the CSV is oldest first
    assert all("." in r["action"] and "." not in r["what"] for r in rows)
    assert dialog.message.text() == f"{len(rows)} entries written to {chosen}."
