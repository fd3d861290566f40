"""Damage found while the window is open (the quick check after start, or a damaged page a
service call meets), Clinic > Backups… and Clinic > Check the database, a full disk in the
middle of work, and a start that fails before any window. Real files throughout."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import QEvent, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from otdesk.services.clinic import Clinic
from otdesk.ui import health_menu
from otdesk.ui.backups_dialog import BackupsDialog
from otdesk.ui.damaged_dialog import DamagedDialog

from ..helpers.files import fingerprint
from .helpers import run_check
from .modals import Modals, app_look_restored, press  # noqa: F401 (the fixture)
from .test_damaged_start import _rename_column, scribble_table


def seeded_folder(clinic, clock, seeded):
    """A visit with two lines, a backup of it made today, the database closed."""
    visit = clinic.visits.create(seeded["ana"].id, provider_id=seeded["ot"].id)
    clinic.visits.add_line(visit.id, "97110", minutes=30)
    clinic.visits.add_line(visit.id, "97530", minutes=15)
    backup = clinic.db.backup(now=clock.now(), reason="manual")
    clinic.close()
    return backup.parent.parent, backup, visit.id


@pytest.fixture
def open_window(qtbot, clock, settings):
    """open_window(folder, quick_check=True): the window as otdesk builds it over the clinic
    in `folder` (same day as its backup: the open itself checks only the first pages)."""
    from otdesk.core.catalog import default_catalog
    from otdesk.ui import app as ui_app
    from otdesk.ui.main_window import MainWindow

    made = []

    def build(folder, quick_check=True):
        clinic = Clinic.open(folder, clock=clock)
        if quick_check:
            window = ui_app.build_window(clinic, clock, settings, loader=None)
        else:
            window = MainWindow(clinic, default_catalog(), clock, settings)
            health_menu.connect(window)
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        return window

    yield build
    for window in made:
        window.close()
        worker = getattr(window, "quick_check_worker", None)
        if worker is not None:
            worker.wait(20000)
        window.close_clinic()


def without_sidecars(found):
    return {name: digest for name, digest in found.items() if not name.endswith(("-wal", "-shm"))}


def leave_read_only(dialog):
    if not isinstance(dialog, DamagedDialog) or not dialog.listed():
        return False
    dialog.leave_button.click()
    return True


def test_damage_found_by_the_quick_check_blocks_saving(qtbot, clinic, clock, open_window, seeded):
    folder, _backup, visit_id = seeded_folder(clinic, clock, seeded)
    db = folder / "otdesk.db"
    scribble_table(db, "audit_log")  # the visits still read; the whole-file check sees it
    modals = Modals(leave_read_only)
    try:
        window = open_window(folder)
        qtbot.waitUntil(lambda: window.damage is not None, timeout=20000)
        qtbot.waitUntil(lambda: modals.done, timeout=20000)
    finally:
        modals.stop()
    assert "is damaged" in window.damage_banner.text.text()
    assert window.damage_banner.isVisible()
    before = fingerprint(folder)

    window.controller.open(visit_id)  # reading works: the visit shows, read-only
    editor = window.editor
    assert [line.code for line in window.controller.visit.lines] == ["97110", "97530"]
    assert not window.controller.editable
    assert not editor.picker.isEnabled() and not editor.finalize_button.isVisible()
    flags = editor.lines_model.flags(editor.lines_model.index(0, 1))
    assert not flags & Qt.ItemFlag.ItemIsEditable
    assert window.controller.add_line("97140") is False
    assert "Saving is blocked" in editor.message.text()
    # a write by any other path (a Clinic dialog) is refused by the database too
    with pytest.raises(Exception, match="is damaged"):
        window.clinic.payers.create(name="Another plan", kind="commercial")
    assert (folder / "otdesk.db-wal").stat().st_size == 0  # nothing was written
    window.clinic.db.engine.dispose()
    assert without_sidecars(fingerprint(folder)) == without_sidecars(before)


def test_damage_met_during_work_takes_the_restore_path(
    qtbot, clinic, clock, open_window, monkeypatch, seeded
):
    from otdesk.ui import app as ui_app

    folder, backup, visit_id = seeded_folder(clinic, clock, seeded)
    scribble_table(folder / "otdesk.db", "charge_lines")
    unexpected = []
    monkeypatch.setattr(
        "sys.excepthook", lambda *info: unexpected.append(info)
    )  # "Something went wrong" would come from here
    window = open_window(folder, quick_check=False)
    ui_app.install_excepthook(lambda: window, None)

    def restore(dialog):
        if not isinstance(dialog, DamagedDialog) or not dialog.listed():
            return False
        assert dialog.table.item(0, 4).text() == "Verified: restores"
        dialog.restore_button.click()
        return True

    modals = Modals(restore, press("Restore"), press("OK"))
    try:
        window.controller.open(visit_id)  # reading the lines meets the damaged page
        qtbot.waitUntil(lambda: window.damage is not None, timeout=20000)
        assert "is damaged" in window.editor.message.text()
        assert "Something went wrong" not in window.editor.message.text()
        qtbot.waitUntil(lambda: modals.done, timeout=30000)
    finally:
        modals.stop()
    assert unexpected == []
    assert "kept aside" in modals.texts[0] and backup.name in modals.texts[0]
    # the window has the restored clinic open; saving works again
    assert window.damage is None and not window.damage_banner.isVisible()
    assert window.controller.blocked is None
    window.controller.open(visit_id)
    assert [line.code for line in window.controller.visit.lines] == ["97110", "97530"]
    assert window.controller.add_line("97140") is True
    kept = [p for p in folder.iterdir() if p.name.startswith("otdesk.db.unusable-")]
    assert len(kept) == 1  # the damaged file, set aside


# --- Clinic > Backups… ------------------------------------------------------------------------


def open_backups(qtbot, window):
    dialog = BackupsDialog(window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.busy_now(), timeout=20000)
    return dialog


def rows(dialog):
    return [
        [dialog.table.item(row, column).text() for column in range(5)]
        for row in range(dialog.table.rowCount())
    ]


def test_backups_lists_makes_verifies_and_shows_the_folder(
    qtbot, clinic, clock, open_window, monkeypatch, seeded
):
    folder, backup, _visit_id = seeded_folder(clinic, clock, seeded)
    window = open_window(folder, quick_check=False)
    assert window.backups_action.text() == "&Backups…"
    assert window.backups_action in window.clinic_menu.actions()
    dialog = open_backups(qtbot, window)
    ((taken, made, size, visits, state),) = rows(dialog)
    assert (taken, made, visits, state) == (
        "03/02/2026 14:00",
        "Back up now",
        "1",
        "Verified: restores",
    )
    assert size.endswith(" KB")
    assert dialog.status.text() == "The backup verified: it can be restored."

    clock.advance(minutes=5)
    dialog.backup_button.click()
    # the backup is made on a worker thread: the dialog says so and stays responsive
    assert dialog.busy_now() and not dialog.backup_button.isEnabled()
    assert dialog.status.text() == "Backing up the clinic…"
    qtbot.waitUntil(lambda: not dialog.busy_now(), timeout=20000)
    assert [r[0] for r in rows(dialog)] == ["03/02/2026 14:05", "03/02/2026 14:00"]
    assert dialog.made.name.endswith("-manual.db") and dialog.made.exists()
    assert dialog.table.chosen().backup.path == dialog.made  # the new one is selected
    assert dialog.status.text().startswith(f"Backed up to {dialog.made.name}.")

    scribble_table(backup, "patients")  # the older one is damaged since
    dialog.table.selectRow(1)
    dialog.verify_button.click()
    qtbot.waitUntil(lambda: not dialog.busy_now(), timeout=20000)
    state = rows(dialog)[1][4]
    assert state.startswith("Cannot be restored: it ") and "malformed" in state
    assert not dialog.restore_button.isEnabled()
    dialog.verify_all_button.click()
    qtbot.waitUntil(lambda: not dialog.busy_now(), timeout=20000)
    assert "1 of 2 backups cannot be restored" in dialog.status.text()

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    dialog.folder_button.click()
    assert opened == [QUrl.fromLocalFile(str(folder / "backups"))]


def test_restore_from_backups_reopens_the_clinic(qtbot, clinic, clock, open_window, seeded):
    folder, backup, visit_id = seeded_folder(clinic, clock, seeded)
    window = open_window(folder, quick_check=False)
    window.controller.open(visit_id)
    window.controller.add_line("97140")  # after the backup: the restore takes it away
    old_clinic = window.clinic
    dialog = open_backups(qtbot, window)
    modals = Modals(press("Restore"))
    try:
        dialog.restore_button.click()
        qtbot.waitUntil(lambda: not dialog.busy_now(), timeout=20000)
    finally:
        modals.stop()
    (confirm,) = modals.texts
    assert confirm.startswith("Restore this backup?: Restore the clinic from the backup")
    assert backup.name in confirm and "03/02/2026 14:00" in confirm and "1 visits" in confirm
    assert "kept aside" in confirm
    assert dialog.status.text().startswith(f"Restored the clinic from {backup.name}.")
    assert "All 2 backups verified" in dialog.status.text()
    assert window.clinic is not old_clinic and window.clinic is not None
    window.controller.open(visit_id)
    assert [line.code for line in window.controller.visit.lines] == ["97110", "97530"]
    assert dialog.restored.safety_copy.name.endswith("-before-restore.db")
    assert [r[1] for r in rows(dialog)] == ["Before a restore", "Back up now"]


def test_a_bad_backup_is_refused_in_the_backups_window_and_nothing_changes(
    qtbot, clinic, clock, open_window, seeded
):
    folder, backup, visit_id = seeded_folder(clinic, clock, seeded)
    _rename_column(backup)
    window = open_window(folder, quick_check=False)
    dialog = open_backups(qtbot, window)
    kept = fingerprint(folder / "backups")
    modals = Modals(press("Restore"), press("OK"))
    try:
        dialog.restore_button.click()
    finally:
        modals.stop()
    refusal = modals.texts[1]
    assert refusal.startswith("The backup was not restored:") and str(backup) in refusal
    assert fingerprint(folder / "backups") == kept
    assert [p.name for p in folder.iterdir() if p.name.startswith("otdesk.db.")] == []
    # the same clinic is open again, as it was
    window.controller.open(visit_id)
    assert [line.code for line in window.controller.visit.lines] == ["97110", "97530"]
    assert window.controller.add_line("97140") is True


# --- Clinic > Check the database -------------------------------------------------------------


def test_check_the_database_says_what_it_found(qtbot, clinic, clock, open_window, seeded):
    folder, _backup, _visit_id = seeded_folder(clinic, clock, seeded)
    window = open_window(folder, quick_check=False)
    assert window.check_action in window.clinic_menu.actions()
    dialog = run_check(qtbot, window)
    assert "No problem found" in dialog.heading.text()
    words = dialog.words.text()
    assert "full integrity check found no damage" in words
    assert "entries all fit their chain" in words
    assert "are in place" in words
    assert not dialog.restore_button.isVisible()

    # plain SQL from outside otdesk: a trigger dropped, an audit entry changed
    with sqlite3.connect(folder / "otdesk.db") as other:
        triggers = [
            r[0] for r in other.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ]
        for name in triggers:
            other.execute(f'DROP TRIGGER "{name}"')
        other.execute("UPDATE audit_log SET user = 'someone else' WHERE id = 3")
    other.close()
    dialog = run_check(qtbot, window)
    assert "The check found a problem" in dialog.heading.text()
    words = dialog.words.text()
    assert "does not fit from entry 3" in words
    assert "are missing: " in words and triggers[0] in words
    assert dialog.restore_button.isVisible()
    assert window.damage is None  # the file itself is whole: saving goes on


def test_check_the_database_on_a_damaged_file_blocks_saving(
    qtbot, clinic, clock, open_window, seeded
):
    folder, _backup, _visit_id = seeded_folder(clinic, clock, seeded)
    scribble_table(folder / "otdesk.db", "audit_log")
    window = open_window(folder, quick_check=False)
    dialog = run_check(qtbot, window)
    assert "The file is damaged" in dialog.words.text()
    assert dialog.restore_button.isVisible()
    assert window.damage is not None and window.controller.blocked is not None


# --- a full disk in the middle of work ---------------------------------------------------------


def test_a_full_disk_during_work_is_named_and_work_resumes(qtbot, tmp_path, clock, settings):
    from otdesk.core.catalog import default_catalog
    from otdesk.ui.main_window import MainWindow
    from tests.helpers.clinics import seed_front_desk

    from ..helpers.disks import small_disk

    with small_disk(tmp_path / "disk", "8m") as disk:
        clinic = Clinic.open(disk.root / "data", clock=clock, daily_backup=False)
        seeded = seed_front_desk(clinic)
        visit = clinic.visits.create(seeded["ana"].id, provider_id=seeded["ot"].id)
        window = MainWindow(clinic, default_catalog(), clock, settings)
        health_menu.connect(window)
        qtbot.addWidget(window)
        try:
            window.controller.open(visit.id)
            stored = len(window.controller.visit.lines)
            disk.fill()
            for _ in range(400):  # until the write-ahead log needs a page the disk lacks
                if not window.controller.add_line("97110"):
                    break
                stored += 1
            message = window.editor.message.text() or window.editor.lines.message.text()
            assert message.startswith("The disk is full where otdesk writes (")
            assert str(disk.root / "data") in message and "nothing was saved" in message
            assert window.damage is None  # a full disk is not damage
            assert len(clinic.visits.get(visit.id).lines) == stored
            disk.free()
            assert window.controller.add_line("97530") is True
            assert len(clinic.visits.get(visit.id).lines) == stored + 1
        finally:
            window.close()
            clinic.close()
            window.deleteLater()
            QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


# --- a start that fails before any window ------------------------------------------------------


@pytest.fixture
def start_env(tmp_path, monkeypatch):
    """run()'s log and computer-wide settings in the test's folder, not the user's."""
    from PySide6.QtCore import QSettings

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    return tmp_path


def start_and_read_the_box(data_dir):
    from otdesk.ui import app as ui_app

    modals = Modals(press("OK"))
    try:
        code = ui_app.run(str(data_dir))
    finally:
        modals.stop()
    return code, modals.texts


@pytest.mark.expect_log("otdesk", "ERROR")
def test_a_start_on_a_full_disk_shows_a_message_box_and_writes_stderr(qtbot, start_env, capfd):
    from ..helpers.disks import small_disk

    with small_disk(start_env / "disk", "1m") as disk:
        disk.fill()
        code, texts = start_and_read_the_box(disk.root / "clinic")
    assert code == 1
    (text,) = texts
    assert text.startswith("otdesk could not start: The disk is full where otdesk writes (")
    assert str(disk.root / "clinic") in text and "otdesk did not open" in text
    err = capfd.readouterr().err
    assert "otdesk: The disk is full where otdesk writes (" in err


@pytest.mark.expect_log("otdesk", "ERROR")
def test_a_data_folder_that_cannot_be_used_is_said_at_start(qtbot, start_env, capfd):
    taken = start_env / "not-a-folder"
    taken.write_text("a file where the data folder should be\n")
    code, texts = start_and_read_the_box(taken)
    assert code == 1
    (text,) = texts
    assert text.startswith(f"otdesk could not start: otdesk cannot use {taken}: File exists.")
    assert f"otdesk: otdesk cannot use {taken}: File exists." in capfd.readouterr().err
    assert taken.read_text() == "a file where the data folder should be\n"


@pytest.mark.expect_log("otdesk", "ERROR")
def test_a_full_disk_that_escapes_a_step_is_named_not_something_went_wrong(qtbot, tmp_path):
    import errno
    import sys

    from otdesk.ui import app as ui_app

    previous = sys.excepthook
    ui_app.install_excepthook(lambda: None, tmp_path / "otdesk.log")
    modals = Modals(press("OK"))
    try:
        full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "bill.pdf"))
        sys.excepthook(OSError, full, None)
    finally:
        modals.stop()
        sys.excepthook = previous
    (text,) = modals.texts
    assert text.startswith(
        f"otdesk could not finish that step: The disk is full where otdesk "
        f"writes ({tmp_path}); nothing was saved."
    )
    assert "Something went wrong" not in text
