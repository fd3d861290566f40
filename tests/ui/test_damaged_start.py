"""A clinic database that cannot be used as it is, at start: the damaged screen names the
damage and the file, leaves the file untouched, lists the backups and restores the one
chosen with the same checks as `otdesk restore`. Real damaged files throughout."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from PySide6.QtCore import QEvent, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from otdesk.paths import cli_command
from otdesk.services.clinic import Clinic
from otdesk.ui.damaged_dialog import DamagedDialog, open_or_restore

from ..helpers.files import fingerprint
from .modals import Modals, app_look_restored, describe, press  # noqa: F401 (the fixture)


def clinic_with_backup(clinic, clock, seeded):
    """The seeded clinic with two visits (one with two lines), a backup made of it, and
    the database closed. Returns (folder, backup path, the id of the visit with lines)."""
    visit = clinic.visits.create(seeded["ana"].id, provider_id=seeded["ot"].id)
    clinic.visits.add_line(visit.id, "97110", minutes=30)
    clinic.visits.add_line(visit.id, "97530", minutes=15)
    clinic.visits.create(seeded["bo"].id, provider_id=seeded["ot"].id)
    backup = clinic.db.backup(now=clock.now(), reason="manual")
    clinic.close()
    # otdesk starts again the next morning: the first open of the day checks the whole file
    clock.advance(days=1)
    return backup.parent.parent, backup, visit.id


def table_pages(db, name):
    with sqlite3.connect(db) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)
        ).fetchone()[0]
    connection.close()
    return page_size, root


def scribble_table(db, name="charge_lines"):
    """Garbage over the first page of one table: the header and the schema stay intact, so
    the file opens, and a read of that table (or a quick_check) finds the damage."""
    page_size, root = table_pages(db, name)
    with db.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * page_size)


def make_empty(db):
    db.write_bytes(b"")


def make_headerless(db):
    with db.open("r+b") as handle:
        handle.write(b"\x00" * 100)


def make_truncated(db):
    size = db.stat().st_size
    with db.open("r+b") as handle:
        handle.truncate(size // 2)


DAMAGE = {
    "empty": (make_empty, "is empty (0 bytes)"),
    "header-less": (make_headerless, "is not an otdesk database"),
    "garbage pages": (scribble_table, "is damaged"),
    "truncated": (make_truncated, "is damaged"),
}


def opener(folder, clock):
    return lambda: Clinic.open(folder, clock=clock)


def wait_listed(handler):
    def wrapped(widget):
        if isinstance(widget, DamagedDialog) and not widget.listed():
            return False
        return handler(widget)

    return wrapped


def answer(*handlers):
    return Modals(*handlers)


def run(modals, call):
    try:
        return call()
    finally:
        modals.stop()


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_file_is_named_untouched_and_never_made_new(qtbot, clinic, clock, kind, seeded):
    folder, backup, _visit = clinic_with_backup(clinic, clock, seeded)
    damage, words = DAMAGE[kind]
    db = folder / "otdesk.db"
    damage(db)
    before = fingerprint(folder)
    shown = {}

    def look(dialog):
        assert isinstance(dialog, DamagedDialog)
        shown["title"] = dialog.windowTitle()
        shown["message"] = dialog.message.text()
        shown["file"] = dialog.file.text()
        shown["rows"] = [
            [dialog.table.item(row, column).text() for column in range(5)]
            for row in range(dialog.table.rowCount())
        ]
        shown["command"] = dialog.command.text()
        shown["restore enabled"] = dialog.restore_button.isEnabled()
        shown["bytes untouched"] = fingerprint(folder) == before
        dialog.leave_button.click()

    modals = answer(wait_listed(look))
    assert run(modals, lambda: open_or_restore(opener(folder, clock), folder)) is None
    assert words in shown["message"] and str(db) in shown["message"]
    assert str(db) in shown["file"]
    assert "will not make a new one" in shown["message"]
    # the backup: its date as the window shows dates, its size, its visits, verified
    ((taken, made, size, visits, state),) = shown["rows"]
    assert (taken, made, visits, state) == (
        "03/02/2026 14:00",
        "Back up now",
        "2",
        "Verified: restores",
    )
    assert size.endswith(" KB")
    assert shown["command"] == cli_command("restore", "--latest", data_dir=folder)
    assert shown["restore enabled"]
    assert shown["bytes untouched"] and fingerprint(folder) == before  # quitting changes nothing
    assert backup.exists()


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_restoring_from_the_damaged_screen_opens_the_clinic(qtbot, clinic, clock, kind, seeded):
    folder, backup, with_lines = clinic_with_backup(clinic, clock, seeded)
    db = folder / "otdesk.db"
    DAMAGE[kind][0](db)
    damaged = db.read_bytes()

    def restore(dialog):
        assert fingerprint(folder)["otdesk.db"]  # still there, as it was
        assert db.read_bytes() == damaged
        dialog.restore_button.click()

    modals = answer(wait_listed(restore), press("Restore"), press("OK"))
    opened = run(modals, lambda: open_or_restore(opener(folder, clock), folder))
    try:
        assert opened is not None
        confirm, done = modals.texts
        assert backup.name in confirm and "kept aside" in confirm
        assert "Restored the clinic from " + backup.name in done
        day = opened.visits.day(clock.now().date() - timedelta(days=1))
        assert len(day) == 2
        assert [line.code for line in opened.visits.get(with_lines).lines] == [
            "97110",
            "97530",
        ]
        kept = [p for p in folder.iterdir() if p.name.startswith("otdesk.db.unusable-")]
        if kind == "empty":
            assert kept == []  # an empty file holds nothing to keep
        else:
            assert [p.read_bytes() for p in kept] == [damaged]  # set aside, never deleted
    finally:
        if opened is not None:
            opened.close()


def _rename_column(path):
    """A backup that passes SQLite's integrity check but whose schema is not otdesk's."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute(
            "UPDATE sqlite_master SET sql = replace(sql, 'last_name VARCHAR', 'surname VARCHAR') "
            "WHERE name = 'patients'"
        )
        connection.execute("PRAGMA writable_schema = OFF")
    connection.close()


def test_a_bad_backup_is_refused_with_its_sentence_and_nothing_changes(
    qtbot, clinic, clock, seeded
):
    folder, backup, _visit = clinic_with_backup(clinic, clock, seeded)
    _rename_column(backup)
    db = folder / "otdesk.db"
    scribble_table(db)
    before = fingerprint(folder)

    def restore(dialog):
        dialog.restore_button.click()

    def leave(dialog):
        assert isinstance(dialog, DamagedDialog)
        dialog.leave_button.click()

    modals = answer(wait_listed(restore), press("Restore"), press("OK"), leave)
    assert run(modals, lambda: open_or_restore(opener(folder, clock), folder)) is None
    refusal = modals.texts[1]
    assert refusal.startswith("The backup was not restored:")
    assert str(backup) in refusal and "Choose another backup" in refusal
    assert "no column last_name" in refusal
    assert fingerprint(folder) == before  # the damaged file, the backup: all as they were


def test_a_damaged_file_without_backups_offers_no_restore(qtbot, clinic, clock, seeded):
    folder, backup, _visit = clinic_with_backup(clinic, clock, seeded)
    backup.unlink()
    make_headerless(folder / "otdesk.db")
    shown = {}

    def look(dialog):
        shown["status"] = dialog.status.text()
        shown["enabled"] = dialog.restore_button.isEnabled()
        dialog.leave_button.click()

    modals = answer(wait_listed(look))
    assert run(modals, lambda: open_or_restore(opener(folder, clock), folder)) is None
    assert "No backup was found in " + str(folder / "backups") in shown["status"]
    assert shown["enabled"] is False


def test_the_window_start_takes_the_damaged_screen_not_a_new_clinic(
    qtbot, clinic, clock, tmp_path, monkeypatch, seeded
):
    """otdesk's own start (app._run_window) on an emptied clinic: the damaged screen, then
    (the restored clinic being a plain one) its encryption, then the window on it."""
    from otdesk.ui import app as ui_app

    folder, backup, _visit = clinic_with_backup(clinic, clock, seeded)
    make_empty(folder / "otdesk.db")
    monkeypatch.setattr(ui_app, "SystemClock", lambda: clock)
    # the computer-wide settings in the test's folder, not the user's
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    started = []

    def quit_window():
        # the window this start shows (an earlier test's may linger, closed, not deleted)
        window = next(
            (
                w
                for w in QApplication.topLevelWidgets()
                if type(w).__name__ == "MainWindow" and w.isVisible() and w.clinic is not None
            ),
            None,
        )
        if window is None:
            return
        started.append(window)
        window.close()

    def restore(dialog):
        dialog.restore_button.click()

    poll = QTimer()
    poll.timeout.connect(quit_window)
    poll.start(50)
    # the start runs the app's own event loop: a step that never comes fails the test with
    # what was on the screen, rather than leaving the loop (and the suite) running
    stuck = []

    def give_up():
        stuck.extend(describe(w) for w in QApplication.topLevelWidgets() if w.isVisible())
        QApplication.instance().exit(3)

    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(give_up)
    deadline.start(120_000)

    def first_administrator(widget):
        from otdesk.ui.account_setup import FirstAdministratorDialog

        if not isinstance(widget, FirstAdministratorDialog):
            return False
        widget.name.setText("dana")
        widget.passwords.first.setText("kim family clinic")
        widget.passwords.second.setText("kim family clinic")
        widget.accept()
        return True

    def keep_sheet(widget):
        from otdesk.ui.account_setup import RecoverySheetDialog

        if not isinstance(widget, RecoverySheetDialog):
            return False
        widget.kept.setChecked(True)
        widget.accept()
        return True

    # the restored clinic is a plain one from before accounts: its one-time encryption
    # with the first administrator and the recovery sheet come next
    modals = answer(
        wait_listed(restore), press("Restore"), press("OK"), first_administrator, keep_sheet
    )
    try:
        code = run(modals, lambda: ui_app._run_window(QApplication.instance(), folder, None))
    finally:
        poll.stop()
        deadline.stop()
    assert not stuck, f"the start did not reach the window; on the screen: {stuck}"
    assert code == 0
    (window,) = started
    assert window.windowTitle().startswith("Harbor Hand & OT")
    window.deleteLater()  # its timers (the index, the quick check) go with it
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    from otdesk.services import signin

    with signin.sign_in(folder, "dana", "kim family clinic", clock=clock) as reopened:
        assert len(reopened.visits.day(clock.now().date() - timedelta(days=1))) == 2


def test_damage_found_while_the_first_screen_shows_offers_the_restore(
    qtbot, clinic, clock, settings, seeded
):
    """The first screen reads the day without the services; their open (the first of the
    day checks the whole file) finds the damage: the damaged screen over the window, and
    the window goes on with the restored clinic."""
    from otdesk.ui import app as ui_app

    folder, backup, with_lines = clinic_with_backup(clinic, clock, seeded)
    scribble_table(folder / "otdesk.db", "audit_log")
    damaged = (folder / "otdesk.db").read_bytes()

    def restore(dialog):
        if not isinstance(dialog, DamagedDialog) or not dialog.listed():
            return False
        assert (folder / "otdesk.db").read_bytes() == damaged
        dialog.restore_button.click()
        return True

    modals = answer(restore, press("Restore"), press("OK"))
    try:
        window = ui_app.show_first_screen(folder, clock, settings, loader=None)
        qtbot.addWidget(window)
        assert window is not None and window.clinic is None  # the first screen, services opening
        qtbot.waitUntil(lambda: window.clinic is not None, timeout=30000)
    finally:
        modals.stop()
    try:
        assert not window.open_failed
        confirm, done = modals.texts
        assert backup.name in confirm and backup.name in done
        kept = [p for p in folder.iterdir() if p.name.startswith("otdesk.db.unusable-")]
        assert [p.read_bytes() for p in kept] == [damaged]
        window.controller.open(with_lines)
        assert [line.code for line in window.controller.visit.lines] == ["97110", "97530"]
    finally:
        window.close()
        window.close_clinic()


def test_an_encrypted_backup_asks_for_its_password_or_the_recovery_key(qtbot, tmp_path, clock):
    from otdesk.storage.errors import UnusableDatabaseError
    from otdesk.ui import damaged_dialog
    from otdesk.ui.backup_list import LOCKED, UnlockDialog

    from ..helpers.keys import NAME, write_test_keys

    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    made = write_test_keys(folder / "otdesk.db")
    with Clinic.open(folder, clock=clock, key=made.key) as encrypted:
        seeded = seed_encrypted(encrypted)
        backup = encrypted.db.backup(now=clock.now(), reason="manual")
    make_empty(folder / "otdesk.db")
    with pytest.raises(UnusableDatabaseError) as caught:
        Clinic.open(folder, clock=clock)
    shown = {}

    def restore(dialog):
        if not isinstance(dialog, DamagedDialog) or not dialog.listed():
            return False
        shown["state"] = dialog.table.item(0, 4).text()  # its contents need its passwords
        dialog.restore_button.click()
        return True

    def type_into(name="", password="", recovery=""):
        def handler(dialog):
            if not isinstance(dialog, UnlockDialog):
                return False
            shown.setdefault("messages", []).append(dialog.message.text())
            dialog.name.setText(name)
            dialog.password.setText(password)
            dialog.recovery.setText(recovery)
            press("Unlock and restore", UnlockDialog)(dialog)
            return True

        return handler

    modals = answer(
        restore,
        press("Restore"),
        type_into(NAME, "not the password"),
        type_into(recovery=str(made.recovery)),
        press("OK"),
    )
    report = run(modals, lambda: damaged_dialog.ask(None, caught.value, folder, clock=clock))
    assert shown["state"] == LOCKED
    first, second = shown["messages"]
    assert first == "" and "password" in second.lower()  # the wrong password was said
    assert report is not None and report.encrypted_backup and report.key == made.key
    assert report.restored_from == backup
    with Clinic.open(folder, clock=clock, key=report.key, daily_backup=False) as back:
        assert [m.patient.id for m in back.patients.search("Rivera")] == [seeded]


def seed_encrypted(clinic):
    clinic.practice.save(name="Harbor Hand & OT")
    return clinic.patients.create(
        last_name="Rivera", first_name="Ana", date_of_birth="1950-04-12", sex="F"
    ).id
