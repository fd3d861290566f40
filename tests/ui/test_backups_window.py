"""Clinic > Backups…: Back up now with the copy's real percentage, and Restore from a file
elsewhere (a good file restores; a damaged one is refused with its sentence and the clinic
file stays byte-for-byte as it was). Real files, real widgets."""

from __future__ import annotations

import shutil

from otdesk.storage import dialect

from ..helpers.files import fingerprint
from . import test_damage_in_window
from .modals import Modals, app_look_restored, press  # noqa: F401 (the fixture)
from .test_damage_in_window import open_backups, seeded_folder
from .test_damaged_start import scribble_table

open_window = test_damage_in_window.open_window  # the fixture, shared


def _grow(clinic, count=40):
    """Enough visits that the file has many pages for the copy to count."""
    seeded = clinic.seeded
    for _ in range(count):
        visit = clinic.visits.create(seeded["ana"].id, provider_id=seeded["ot"].id)
        clinic.visits.add_line(visit.id, "97110", minutes=30)


def test_back_up_now_shows_the_copy_as_a_percentage_then_the_check(
    qtbot, clinic, clock, open_window, monkeypatch
):
    _grow(clinic)
    folder, _backup, _ = seeded_folder(clinic, clock)
    pages = (folder / "otdesk.db").stat().st_size // 4096
    monkeypatch.setattr(dialect, "BACKUP_STEP_PAGES", 8)  # many steps of a small file
    window = open_window(folder, quick_check=False)
    dialog = open_backups(qtbot, window)
    seen = []

    def saw(stage, done, total):  # after the dialog's own slot (connected first)
        seen.append((stage, done, total, dialog.busy.maximum(), dialog.busy.value()))
        seen[-1] += (dialog.status.text(),)

    dialog._stages.moved.connect(saw)
    clock.advance(minutes=5)
    dialog.backup_button.click()
    qtbot.waitUntil(lambda: not dialog.busy_now(), timeout=20000)
    copying = [s for s in seen if s[0] == "copying"]
    assert len(copying) >= pages // 8 > 2
    totals = {s[2] for s in copying}
    assert len(totals) == 1 and totals.pop() >= pages
    done = [s[1] for s in copying]
    assert done == sorted(done) and done[-1] == copying[-1][2]  # up to every page
    assert all(s[3] == 100 for s in copying)  # a percentage bar, not a busy one
    assert [s[4] for s in copying][-1] == 100 and copying[0][4] < 100
    assert copying[0][5].startswith("Backing up: copying the clinic: ") and "% (" in copying[0][5]
    # then the check, which counts nothing: said by name, over a busy bar
    checking = [s for s in seen if s[0] == "checking"]
    assert checking and checking[0][3] == 0 and "integrity check" in checking[0][5]
    assert [s[0] for s in seen] == ["copying"] * len(copying) + ["checking"]
    assert dialog.made.exists() and dialog.status.text().startswith("Backed up to ")


def test_restore_from_a_file_elsewhere_restores_it(qtbot, clinic, clock, open_window, tmp_path):
    folder, backup, visit_id = seeded_folder(clinic, clock)
    elsewhere = tmp_path / "usb" / "copy-of-monday.db"
    elsewhere.parent.mkdir()
    shutil.copy2(backup, elsewhere)
    window = open_window(folder, quick_check=False)
    window.controller.open(visit_id)
    window.controller.add_line("97140")  # after the copy: the restore takes it away
    dialog = open_backups(qtbot, window)
    assert dialog.elsewhere_button.text() == "Restore from a file &elsewhere…"
    modals = Modals(press("Restore"))
    try:
        dialog.restore_elsewhere(elsewhere)  # what the file dialog would have given
        qtbot.waitUntil(lambda: dialog.restored is not None, timeout=20000)
        qtbot.waitUntil(lambda: not dialog.busy_now(), timeout=20000)
    finally:
        modals.stop()
    (confirm,) = modals.texts
    assert "copy-of-monday.db" in confirm and "1 visits" in confirm
    assert dialog.restored.restored_from == elsewhere
    assert dialog.status.text().startswith("Restored the clinic from copy-of-monday.db.")
    window.controller.open(visit_id)
    assert [line.code for line in window.controller.visit.lines] == ["97110", "97530"]
    assert elsewhere.exists()  # the file picked is left where it was


def test_a_damaged_file_elsewhere_is_refused_and_the_clinic_file_is_unchanged(
    qtbot, clinic, clock, open_window, tmp_path
):
    folder, backup, visit_id = seeded_folder(clinic, clock)
    damaged = tmp_path / "damaged.db"
    shutil.copy2(backup, damaged)
    scribble_table(damaged, "patients")  # a real file with a damaged page
    window = open_window(folder, quick_check=False)
    old_clinic = window.clinic
    dialog = open_backups(qtbot, window)
    database = (folder / "otdesk.db").read_bytes()
    kept = fingerprint(folder / "backups")
    modals = Modals(press("OK"))
    try:
        dialog.restore_elsewhere(damaged)
        qtbot.waitUntil(lambda: not dialog.busy_now(), timeout=20000)
        qtbot.waitUntil(lambda: len(modals.texts) == 1, timeout=20000)
    finally:
        modals.stop()
    refusal = modals.texts[0].strip()
    assert refusal.startswith(f"The backup was not restored: {damaged} cannot be restored: it ")
    assert "malformed" in refusal and refusal.endswith("Nothing was changed.")
    assert dialog.status.text() == refusal.split(": ", 1)[1]
    assert dialog.restored is None and window.clinic is old_clinic
    assert (folder / "otdesk.db").read_bytes() == database  # byte for byte
    assert fingerprint(folder / "backups") == kept
    assert [p.name for p in folder.iterdir() if p.name.startswith("otdesk.db.")] == []
    window.controller.open(visit_id)
    assert [line.code for line in window.controller.visit.lines] == ["97110", "97530"]
