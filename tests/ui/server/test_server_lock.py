"""The lock screen of a window on a clinic server (issue 16), on a real PostgreSQL server:
wrong passwords are paced and kept in that server's own sign-in record under the desk
folder (not beside the desk folder's stand-in file, where a local clinic in the same
folder keeps its own), the failures reach the server's audit log, the right password
unlocks, and Switch user and a password change work on a clinic without a key file."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from otdesk.core.accounts import FREE_TRIES
from otdesk.services.audit import AuditService
from otdesk.storage import signin_record
from otdesk.ui.people_dialog import SetPasswordDialog
from otdesk.ui.sign_in_screen import wait_sentence
from tests.ui.modals import Modals, app_look_restored  # noqa: F401 (the fixture)
from tests.ui.signed_in import ADMIN, ADMIN_PASSWORD, PAT, PAT_PASSWORD, switch_at_lock

from .windows import signed_in_on_server


def _type_password(qtbot, window, password):
    screen = window.session.lock.screen
    qtbot.waitUntil(lambda: QApplication.activeWindow() is screen, timeout=2000)
    qtbot.keyClicks(screen.panel.password, password)
    qtbot.keyClick(screen.panel.password, Qt.Key_Return)


def _server_actions(server_clinic):
    """The server's audit log, read at the other desk (not as anyone signed in)."""
    other = server_clinic.other
    audit = AuditService(dataclasses.replace(other.ctx, person=None))
    return [(e.action, e.user, e.after) for e in audit.entries(limit=10_000)]


def test_wrong_passwords_at_the_lock_are_paced_in_the_servers_record_and_audited(
    qtbot, server_clinic, server_start, clock
):
    window = signed_in_on_server(qtbot, server_start(server_clinic.url))
    db = window.clinic.db
    place = db.pending_place
    assert place != db.path and "servers" in place.parts
    window.session.lock.lock()
    screen = window.session.lock.screen
    for _ in range(FREE_TRIES):
        _type_password(qtbot, window, "not it")
    shown = screen.panel.message.text()
    assert shown == "The name or the password is not right. " + wait_sentence(2)
    assert window.session.lock.is_locked
    # kept in this server's record under the desk folder; nothing beside the stand-in
    # file (where a local clinic in this folder keeps its own)
    assert signin_record.load(place).of(ADMIN).in_a_row == FREE_TRIES
    assert not signin_record.record_path(db.path).exists()
    # each failure is on the server's audit log already (the lock's own entry is written
    # with the failures kept for it)
    failed = [a for a in _server_actions(server_clinic) if a[0] == "unlock.failed"]
    assert [(user, after["name"]) for _a, user, after in failed] == [(ADMIN, ADMIN)] * FREE_TRIES
    kept = [a for a in _server_actions(server_clinic) if a[0] == signin_record.FAILED_SIGN_IN]
    assert len(kept) == FREE_TRIES
    assert signin_record.pending(place) == []

    # the panel counts down; the pace itself is the services' (the desk's clock has not
    # moved): the right password before the two seconds are up is still refused
    qtbot.waitUntil(lambda: screen.panel.message.text() == "You can try again now.", timeout=5000)
    _type_password(qtbot, window, ADMIN_PASSWORD)
    assert window.session.lock.is_locked
    assert "try again in 2 seconds" in screen.panel.message.text()
    clock.advance(seconds=2)
    qtbot.waitUntil(lambda: screen.panel.message.text() == "You can try again now.", timeout=5000)
    _type_password(qtbot, window, ADMIN_PASSWORD)
    assert not window.session.lock.is_locked
    assert window.splitter.isVisible()
    assert signin_record.load(place).of(ADMIN).in_a_row == 0
    assert _server_actions(server_clinic)[-1][:2] == ("session.unlock", ADMIN)


def test_switch_user_and_a_password_change_on_a_server_clinic(qtbot, server_clinic, server_start):
    window = signed_in_on_server(qtbot, server_start(server_clinic.url))
    clinic = window.clinic
    assert clinic.db.key is None  # no key file on a server: no key slot to write
    window.session.lock.lock()
    screen = window.session.lock.screen
    switch_at_lock(qtbot, screen, PAT, PAT_PASSWORD)
    assert not window.session.lock.is_locked
    assert clinic.person.name == PAT
    assert _server_actions(server_clinic)[-1][:2] == ("session.switch", PAT)
    # File > Change my password: the hash on the server changes, no key slot is written
    new = "a new long password for pat"

    def change(dialog):
        if not isinstance(dialog, SetPasswordDialog):
            return False
        dialog.current.setText(PAT_PASSWORD)
        dialog.passwords.first.setText(new)
        dialog.passwords.second.setText(new)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        return True

    modals = Modals(change)
    try:
        window.session.password_action.trigger()
    finally:
        modals.stop()
    assert modals.done
    assert window.statusBar().currentMessage() == "Your password is changed."
    assert _server_actions(server_clinic)[-1][:2] == ("account.password_change", PAT)
    # the other desk signs in with the new password
    pat_elsewhere = server_clinic.desk("three", PAT, new)
    try:
        assert pat_elsewhere.person.name == PAT
    finally:
        pat_elsewhere.close()
    assert not list((clinic.db.path.parent).glob("*.key*"))
