"""The sign-in screen: shown before the services load, signed in with the keyboard, a
wrong password said under the field that keeps the focus, the pause after five failures,
the recovery key as the way in, and the demo clinic's account on the screen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from otdesk.ui import app as ui_app
from otdesk.ui import clinic_folder
from otdesk.ui.sign_in_screen import RecoveryDialog
from otdesk.ui.start_flow import DEMO_NOTE, StartFlow, looks_encrypted

from .signed_in import ADMIN, ADMIN_PASSWORD, PAT, PAT_PASSWORD, forget_style_sheet, make_clinic


class Folder(type(Path())):  # type: ignore[misc]
    """The clinic's folder, with its recovery key and today's visit."""


@pytest.fixture
def folder(tmp_path, clock):
    path = Folder(tmp_path / "clinic")
    _clinic, recovery, _seeded, visit = make_clinic(path, clock)
    path.recovery = recovery
    path.visit = visit
    return path


@pytest.fixture
def start(qtbot, clock, settings):
    """StartFlow over a folder, opening the real main window (no diagnosis index)."""
    flows = []

    def make(folder, **options):
        def open_window(clinic, note, **kw):
            return ui_app.build_window(clinic, clock, settings, loader=None, title_note=note, **kw)

        options.setdefault("warm", None)
        flow = StartFlow(folder, clock, settings, open_window, **options)
        flows.append(flow)
        return flow

    yield make
    for flow in flows:
        if flow.window is not None:
            flow.window.close()
        if flow.sign_in_window is not None:
            flow.sign_in_window.close()
        flow.finish()
    forget_style_sheet()


def _sign_in(qtbot, flow, name, password):
    screen = flow.sign_in_window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is screen, timeout=2000)
    panel = screen.panel
    panel.name.clear()
    qtbot.keyClicks(panel.name, name)
    qtbot.keyClick(panel.name, Qt.Key_Return)
    assert QApplication.focusWidget() is panel.password
    qtbot.keyClicks(panel.password, password)
    qtbot.keyClick(panel.password, Qt.Key_Return)
    return panel


def test_the_sign_in_screen_shows_before_the_services_and_they_load_meanwhile(folder, tmp_path):
    code = f"""
import sys
from PySide6.QtCore import QSettings
from otdesk.ui import app as ui_app
from otdesk.ui.start_flow import StartFlow, warm_up
application = ui_app.create_app()
settings = QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat)
flow = StartFlow({str(folder)!r}, ui_app.SystemClock(), settings, lambda c, n: None, warm=None)
assert flow.begin()
application.processEvents()
assert flow.sign_in_window.isVisible()
heavy = ("sqlalchemy", "sqlcipher3", "argon2", "otdesk.services.clinic", "otdesk.core.icd",
         "otdesk.ui.main_window")
print("before", [m for m in heavy if m in sys.modules])
warm_up()
print("after", [m for m in heavy if m not in sys.modules])
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "before []" in done.stdout and "after []" in done.stdout


def _mnemonic(text: str) -> str | None:
    """The letter after a single '&' in a menu entry's text ('&&' is a plain '&')."""
    plain = text.replace("&&", "")
    at = plain.find("&")
    return plain[at + 1].lower() if at >= 0 and at + 1 < len(plain) else None


def test_name_password_and_enter_sign_in_and_the_day_list_shows(qtbot, folder, start, settings):
    assert looks_encrypted(folder / "otdesk.db")
    flow = start(folder, warm=lambda: None)
    assert flow.begin()
    qtbot.waitExposed(flow.sign_in_window)
    flow.warmed.wait(10)
    _sign_in(qtbot, flow, "ADA ", ADMIN_PASSWORD)  # the name as typed: case and spaces
    qtbot.waitUntil(lambda: flow.window is not None, timeout=30000)
    window = flow.window
    assert window.isVisible() and flow.sign_in_window is None
    assert flow.clinic.person.name == ADMIN
    assert [v.id for v in window.day.visits_model.records()] == [folder.visit.id]
    assert window.session.who.text() == "Signed in: Ada Admin (Administrator)"
    assert settings.value("signin/last_name") == ADMIN
    actions = [entry.action for entry in flow.clinic.audit.entries(limit=10_000)]
    assert actions[-1] == "signin"
    # every menu of the whole window, as signed in, reaches each entry by its own letter
    for menu_action in window.menuBar().actions():
        letters = [_mnemonic(a.text()) for a in menu_action.menu().actions() if a.text()]
        given = [letter for letter in letters if letter]
        texts = [a.text() for a in menu_action.menu().actions() if a.text()]
        assert len(given) == len(set(given)), (menu_action.text(), texts)
    # the next start: the practice's name on the screen, the last name typed in
    flow.window.session.sign_out()
    screen = flow.sign_in_window
    assert screen.windowTitle() == "Sign in — Harbor Hand & OT"
    assert screen.panel.name.text() == ADMIN
    assert flow.window is None and flow.clinic is None


def test_a_wrong_password_is_said_and_the_field_keeps_the_focus(qtbot, folder, start):
    flow = start(folder)
    flow.begin()
    qtbot.waitExposed(flow.sign_in_window)
    panel = _sign_in(qtbot, flow, PAT, "not my password")
    qtbot.waitUntil(lambda: panel.message.text() != "Signing in…", timeout=20000)
    assert panel.message.text() == "The name or the password is not right."
    assert panel.password.text() == "" and QApplication.focusWidget() is panel.password
    assert flow.window is None
    for _ in range(4):
        qtbot.keyClicks(panel.password, "still wrong")
        qtbot.keyClick(panel.password, Qt.Key_Return)
        qtbot.waitUntil(lambda: panel.message.text() != "Signing in…", timeout=20000)
    # the fifth failure in a row: the wait is said at once
    assert panel.message.text().endswith("try again in 2 seconds.")
    qtbot.keyClicks(panel.password, PAT_PASSWORD)
    qtbot.keyClick(panel.password, Qt.Key_Return)
    assert "try again in" in panel.message.text() and flow.window is None  # not tried
    panel._tick()
    panel._tick()
    assert panel.message.text() == "You can try again now."


def test_the_pause_the_service_enforces_is_shown_as_a_countdown(qtbot, folder, start, clock):
    flow = start(folder)
    flow.begin()
    panel = flow.sign_in_window.panel
    from otdesk.services import signin
    from otdesk.services.accounts import SignInError

    for _ in range(6):  # five, then one more after the two seconds: four seconds now
        with pytest.raises(SignInError):
            signin.sign_in(folder, PAT, "wrong", clock=clock)
        clock.advance(seconds=2)
    panel._wait_left = 0
    _sign_in(qtbot, flow, PAT, PAT_PASSWORD)
    qtbot.waitUntil(lambda: "try again" in panel.message.text(), timeout=20000)
    assert panel.message.text() == "Too many failed tries in a row: try again in 2 seconds."


def test_the_recovery_key_signs_in_and_sets_a_new_password(qtbot, folder, clock):
    from otdesk.services import signin

    def attempt(key, name, password):
        return signin.recover(folder, key, name, password, clock=clock, daily_backup=False)

    dialog = RecoveryDialog(attempt, "ada")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.key, "AAAAA-BBBBB")
    dialog.password.setText("a brand new password")
    dialog.again.setText("a brand new password")
    dialog.accept()
    assert "40 letters and digits" in dialog.message.text()
    dialog.key.setText(str(folder.recovery).lower().replace("-", " "))
    dialog.again.setText("not the same")
    dialog.accept()
    assert "not the same" in dialog.message.text() and dialog.result_value is None
    dialog.again.setText("a brand new password")
    dialog.accept()
    clinic = dialog.result_value
    assert clinic is not None and clinic.person.name == ADMIN
    clinic.close()
    signin.sign_in(folder, ADMIN, "a brand new password", clock=clock).close()
    with pytest.raises(signin.SignInError):
        signin.sign_in(folder, ADMIN, ADMIN_PASSWORD, clock=clock)


def test_a_front_desk_name_is_told_to_ask_an_administrator(qtbot, folder, clock):
    from otdesk.services import signin

    def attempt(key, name, password):
        return signin.recover(folder, key, name, password, clock=clock, daily_backup=False)

    dialog = RecoveryDialog(attempt, PAT)
    qtbot.addWidget(dialog)
    dialog.key.setText(str(folder.recovery))
    dialog.password.setText("a brand new password")
    dialog.again.setText("a brand new password")
    dialog.accept()
    assert "is not an administrator" in dialog.message.text()
    assert dialog.result_value is None


def test_the_demo_clinic_says_its_account(qtbot, folder, start, tmp_path):
    flow = start(folder)
    screen = flow.show_sign_in(folder, demo=True)
    assert screen.panel.note.text() == DEMO_NOTE and "demo" in DEMO_NOTE
    assert screen.panel.name.text() == "demo"  # not the last name signed in


def test_the_window_gets_the_diagnosis_index_the_warm_up_opened(folder, start, monkeypatch):
    opened = object()
    flow = start(folder, warm=lambda: opened)
    flow.show_sign_in(folder)
    assert flow.warmed.wait(10)
    assert flow.icd_loader(lambda done, total: None) is opened

    built = object()
    monkeypatch.setattr(clinic_folder, "icd_loader", lambda progress: built)
    later = start(folder, warm=lambda: None)  # not built yet: the window builds it
    later.show_sign_in(folder)
    assert later.icd_loader(lambda done, total: None) is built


def test_a_damaged_encrypted_clinic_found_at_sign_in_gets_the_damaged_screen(qtbot, folder, start):
    """The sign-in opens the file and finds it damaged: not a sentence on the sign-in
    screen with no way on, but the damaged screen with the backups; leaving it quits."""
    from otdesk.ui.damaged_dialog import DamagedDialog

    from .modals import Modals

    database = folder / "otdesk.db"
    size = database.stat().st_size
    with database.open("r+b") as handle:
        handle.truncate(size // 2)
    damaged_bytes = database.read_bytes()
    flow = start(folder)
    seen = {}

    def leave(widget):
        if not isinstance(widget, DamagedDialog):
            return False
        seen["title"] = widget.windowTitle()
        widget.leave_button.click()
        return True

    modals = Modals(leave)
    assert flow.begin()
    _sign_in(qtbot, flow, ADMIN, ADMIN_PASSWORD)
    qtbot.waitUntil(lambda: modals.done, timeout=10000)
    modals.stop()
    assert "title" in seen
    assert flow.window is None and flow.sign_in_window is None
    assert database.read_bytes() == damaged_bytes  # untouched until a restore is chosen


def test_the_welcomes_demo_is_an_encrypted_clinic_signed_in_as_demo(
    qtbot, tmp_path, start, monkeypatch
):
    from otdesk.ui import welcome_dialog
    from otdesk.ui.welcome_dialog import WelcomeChoice

    monkeypatch.setattr(welcome_dialog, "ask", lambda parent=None: WelcomeChoice.DEMO)
    folder = tmp_path / "new clinic"
    flow = start(folder)
    assert flow.begin()
    demo = folder / "demo" / "otdesk.db"
    assert looks_encrypted(demo)  # not a plain clinic asking to be encrypted at once
    screen = flow.sign_in_window
    assert screen is not None and screen.panel.note.text() == DEMO_NOTE
    assert screen.panel.name.text() == "demo"
    qtbot.waitExposed(screen)
    _sign_in(qtbot, flow, "demo", "demo")
    qtbot.waitUntil(lambda: flow.window is not None, timeout=30000)
    assert flow.window.windowTitle().endswith("(demo clinic)")
    assert flow.window.day.visits_model.records()
