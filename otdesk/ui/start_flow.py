"""From the start to the main window, by what the data folder holds:

- an encrypted clinic: the sign-in screen, shown at once (it needs no database); the
  services, SQLCipher and the diagnosis index load on a thread while the person types;
- a plain clinic from before accounts: the one-time upgrade (the first administrator, the
  data encrypted, the recovery sheet);
- nothing yet: the welcome (set up a practice: the first administrator and the recovery
  sheet, then the practice; or the demo clinic, in its own folder).

After sign-in the main window opens on the day list; File > Sign out closes it and the
clinic and shows the sign-in screen again.

A clinic on a server (issue 16: --database, OTDESK_DATABASE_URL, or the server this
computer remembers from Clinic > Connect to a clinic server...): the sign-in screen signs in
against the server's accounts (services.server_connection), then the day list; the data
folder is this desk's own (its lock, its window settings, one folder per server).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QWidget

from otdesk.paths import database_path, user_data_dir
from otdesk.ui.app_settings import ClinicSettings, ComputerSettings
from otdesk.ui.errors import outcome_of
from otdesk.ui.sign_in_screen import SignInWindow, ask_recovery

DEMO_NOTE = (
    "This is the demo clinic (invented people only): its account is <b>demo</b>, "
    "password <b>demo</b>."
)
DEMO_NAME = "demo"
_SQLITE_HEADER = b"SQLite format 3\x00"


def looks_encrypted(database: Path) -> bool:
    """Whether `database` is an encrypted clinic, read from its first bytes only (no
    SQLCipher import: the sign-in screen shows before it loads). storage.encrypt.
    clinic_state is the full answer; this agrees with it for an encrypted file."""
    try:
        with Path(database).open("rb") as handle:
            head = handle.read(len(_SQLITE_HEADER))
    except OSError:
        return False
    return len(head) == len(_SQLITE_HEADER) and head != _SQLITE_HEADER


def warm_up() -> Any:
    """What signing in and the window need, loaded on a thread while the person types: the
    services and SQLAlchemy, SQLCipher, the window's modules, the catalog, and the diagnosis
    index when it is built already (returned; None when it must be built first, which the
    window does with its progress)."""
    import sqlcipher3  # noqa: F401

    from otdesk.core import icd
    from otdesk.core.catalog import default_catalog
    from otdesk.services import accounts, session_events, signin  # noqa: F401
    from otdesk.ui import main_window, management, session  # noqa: F401

    default_catalog()
    accounts.common_passwords()
    try:
        return icd.open_index(build_if_missing=False)
    except icd.IcdError:  # missing or out of date: built later, with its progress
        return None


def run_on_thread(
    job: Callable[[], Any], done: Callable[[Any, BaseException | None], None]
) -> None:
    """Run `job` on a worker thread and call done(result, error) back on this one (a
    sign-in's Argon2 and the database open take a moment; the screen stays alive)."""
    from otdesk.ui.worker import Worker

    def wrapped(_progress: Any) -> tuple[bool, Any]:
        result, error = outcome_of(job)
        return (True, result) if error is None else (False, error)

    worker = Worker(wrapped)
    _running.add(worker)

    def finished(outcome: tuple[bool, Any]) -> None:
        _running.discard(worker)
        ok, value = outcome
        done(value, None) if ok else done(None, value)

    def failed(message: str) -> None:
        _running.discard(worker)
        done(None, RuntimeError(message))

    worker.finished.connect(finished)
    worker.failed.connect(failed)
    worker.start()


_running: set[Any] = set()


class PendingScreen:
    """What the main window shows while it is built before the clinic is open (during a
    sign-in's password check): the practice's name, no visits yet, the shipped favourites.
    It has a FirstScreen's reads (otdesk.services.first_screen)."""

    def __init__(self, practice_name: str) -> None:
        self.practice_name = practice_name

    def day(self, _on: Any) -> list[Any]:
        return []

    def favourite_codes(self) -> tuple[str, ...]:
        return ()


class StartFlow(QObject):
    """Which screen comes first, and what follows it. `open_window(clinic, note, **kw)`
    builds the main window (ui.app.build_window: `first_screen` and `clinic_folder` when
    clinic is None); `clock` is the services' clock."""

    def __init__(
        self,
        data_dir: str | Path | None,
        clock: Any,
        settings: QSettings,
        open_window: Callable[..., QWidget],
        *,
        warm: Callable[[], Any] | None = warm_up,
        runner: Any = run_on_thread,
        server: str | None = None,
    ) -> None:
        super().__init__()
        self.data_dir = data_dir
        # the clinic server's address given for this run (--database, OTDESK_DATABASE_URL);
        # else the one this computer remembers; None: this computer's clinic
        self.server = server or ComputerSettings(settings).server_address or None
        self.clock = clock
        self.settings = settings
        self._open_window = open_window
        self._warm = warm
        self._runner = runner
        self.sign_in_window: SignInWindow | None = None
        self.window: QWidget | None = None
        self._prepared: Any = None  # the main window built while a password is checked
        self.clinic: Any = None
        self._folder: Path | None = None
        self._demo = False
        self.warmed = threading.Event()
        self.warm_result: Any = None  # the diagnosis index the warm-up opened, if any
        self._warm_started = False

    # --- the first screen -------------------------------------------------------------------

    def begin(self) -> bool:
        """Show the first screen; False when there is nothing to show (cancelled)."""
        if self.server:
            self.show_sign_in(self._server_folder())
            return True
        database = database_path(self.data_dir)
        # an encrypted clinic has its key slots beside it (storage.keys.KEY_FILE_NAME, not
        # imported: this runs before anything heavy loads)
        has_keys = database.with_name("otdesk.keys").exists()
        if has_keys and looks_encrypted(database):
            self.show_sign_in(database.parent)
            return True
        from otdesk.services.clinic_files import clinic_state

        state = clinic_state(database)
        if state == "encrypted" and has_keys:
            self.show_sign_in(database.parent)
            return True
        if state == "missing" and not _has_backups(database.parent):
            return self._welcome(database.parent)
        # a plain clinic, or one that cannot be used as it is (damaged, emptied although
        # backups exist, an encrypted file without its keys): never treated as new; its
        # damage is named and the backups offered (ui.damaged_dialog)
        return self._open_or_restore(database.parent)

    def _open_or_restore(self, folder: Path) -> bool:
        from otdesk.services.clinic_files import clinic_state
        from otdesk.services.errors import EncryptedDatabaseError
        from otdesk.ui.damaged_dialog import open_or_restore

        def opener() -> bool:
            from otdesk.services import Clinic

            with Clinic.open(folder, clock=self.clock, daily_backup=False):
                return True

        try:
            if open_or_restore(opener, folder, self.clock) is None:
                return False
        except EncryptedDatabaseError:
            pass  # an encrypted backup was restored: its people sign in
        if clinic_state(database_path(folder)) == "encrypted":
            self.show_sign_in(folder)
            return True
        return self._upgrade(folder)

    def _damaged_at_sign_in(self, error: Exception) -> None:
        """The encrypted clinic's file turned out damaged when it was opened: its damaged
        screen (the backups, each opened with a password of its day or the recovery key),
        then the sign-in again."""
        from otdesk.ui import damaged_dialog

        folder = self._folder
        assert folder is not None
        self._close_sign_in()
        if damaged_dialog.ask(None, error, folder, clock=self.clock) is None:
            from PySide6.QtWidgets import QApplication

            QApplication.quit()
            return
        self.show_sign_in(folder)

    def _start_warm_up(self) -> None:
        """Once per run (a sign-out's sign-in screen finds it all loaded)."""
        if self._warm_started:
            return
        self._warm_started = True
        if self._warm is None:
            self.warmed.set()
            return
        warm = self._warm

        def run() -> None:
            try:
                # what did not load now loads when first used
                self.warm_result, _error = outcome_of(warm)
            finally:
                self.warmed.set()

        threading.Thread(target=run, name="otdesk-warm-up", daemon=True).start()

    def _server_folder(self) -> Path:
        """This desk's folder for the server (its window settings, its sign-in record)."""
        from otdesk.services.server_connection import desk_folder_of

        assert self.server is not None
        return desk_folder_of(self.server, user_data_dir(self.data_dir))

    def show_sign_in(self, folder: Path, *, demo: bool | None = None) -> SignInWindow:
        if demo is not None:
            self._demo = demo
        self._folder = folder
        note = DEMO_NOTE if self._demo else ""
        name = DEMO_NAME if self._demo else ComputerSettings(self.settings).last_sign_in_name
        if self.server:
            return self._show(*self._server_sign_in(folder), name=name)
        database = database_path(folder)

        def attempt(typed: str, password: str) -> Any:
            from otdesk.services import signin
            from otdesk.services.errors import UnusableDatabaseError

            try:
                return signin.sign_in(folder, typed, password, clock=self.clock)
            except UnusableDatabaseError as error:
                return _Damaged(error)  # the damaged screen follows, on this thread

        def wait_for(typed: str) -> int:
            from otdesk.services.session_events import sign_in_wait

            return sign_in_wait(database, typed, self.clock.now())

        return self._show(attempt, wait_for, _practice_title(folder), note, name=name)

    def _server_sign_in(self, folder: Path) -> tuple[Any, Any, str, str]:
        """What the sign-in screen does for a clinic server: the try against the server's
        accounts (the database password from the keyring), its pacing, its title."""
        from otdesk.services import server_connection

        address = self.server
        assert address is not None
        desk = user_data_dir(self.data_dir)
        place = server_connection.sign_in_wait_for(address, desk)

        def attempt(typed: str, password: str) -> Any:
            return server_connection.sign_in(
                address, typed, password, desk_dir=desk, clock=self.clock
            )

        def wait_for(typed: str) -> int:
            from otdesk.services.session_events import sign_in_wait

            return sign_in_wait(place, typed, self.clock.now())

        where = server_connection.ServerAddress.parse(address).place
        note = f"On the clinic server {where}."
        return attempt, wait_for, _practice_title(folder), note

    def _show(
        self, attempt: Any, wait_for: Any, title: str, note: str, *, name: str
    ) -> SignInWindow:
        def run(job: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
            self._runner(job, done)
            self._prepare_window()

        screen = SignInWindow(
            attempt,
            title=title,
            note=note,
            name=name,
            wait_for=wait_for,
            runner=run,
        )
        if self.server:
            # the recovery key opens a clinic file; a server's administrator resets passwords
            screen.panel.forgot.hide()
            self._add_local_choice(screen)
        # the app's style sheet comes once the main window is built (style.apply_sheet);
        # the screen has its own meanwhile, so its sentences are coloured too
        from otdesk.ui.style import STYLE_SHEET

        screen.setStyleSheet(STYLE_SHEET)
        screen.place(ComputerSettings(self.settings).geometry)
        screen.signed_in.connect(self._signed_in)
        screen.recovery_requested.connect(self._recover)
        self.sign_in_window = screen
        screen.show()
        screen.activateWindow()
        screen.panel.focus()
        self._start_warm_up()
        return screen

    def _recover(self, typed: str) -> None:
        folder = self._folder
        assert folder is not None

        def attempt(key: str, name: str, password: str) -> Any:
            from otdesk.services import signin

            return signin.recover(folder, key, name, password, clock=self.clock)

        clinic = ask_recovery(self.sign_in_window, attempt, typed, runner=self._runner)
        if clinic is not None:
            self._signed_in(clinic)

    def icd_loader(self, progress: Callable[[int, int], None]) -> Any:
        """The window's diagnosis index: the one the warm-up opened, else opened (or built)
        now as always (ui.clinic_folder.icd_loader). Runs on the window's worker thread."""
        self.warmed.wait(120)
        if self.warm_result is not None:
            return self.warm_result
        from otdesk.ui.clinic_folder import icd_loader

        return icd_loader(progress)

    # --- after sign-in ----------------------------------------------------------------------

    def _prepare_window(self) -> None:
        """Build the main window, hidden, while the password is checked on the worker
        thread (Argon2 runs there without the interpreter's lock): sign-in then only has to
        hand it the clinic. Kept for the next try if this one fails."""
        if self._prepared is not None or self.window is not None or self._folder is None:
            return
        self._prepared = self._open_window(
            None,
            self._note(),
            first_screen=PendingScreen(_practice_title(self._folder)),
            clinic_folder=self._folder,
        )

    def _note(self) -> str:
        if self.server:
            from otdesk.services.server_connection import ServerAddress

            return f" (clinic server {ServerAddress.parse(self.server).place})"
        return " (demo clinic)" if self._demo else ""

    def _add_local_choice(self, screen: SignInWindow) -> None:
        """A server that does not answer must not leave the desk stuck: the sign-in screen
        of a server offers this computer's own clinic instead."""
        from PySide6.QtWidgets import QPushButton

        button = QPushButton("Use this computer's clinic instead")
        button.setFlat(True)
        button.setAccessibleName("Use this computer's clinic")
        button.clicked.connect(lambda: self.switch_clinic(None))
        screen.panel.layout().addWidget(button)
        screen.local_button = button  # type: ignore[attr-defined]

    def _signed_in(self, clinic: Any) -> None:
        if isinstance(clinic, _Damaged):
            self._damaged_at_sign_in(clinic.error)
            return
        if clinic.person is not None and not self._demo:
            ComputerSettings(self.settings).last_sign_in_name = clinic.person.name
        self.enter(clinic)

    def enter(self, clinic: Any) -> QWidget | None:
        """The main window over the signed-in `clinic` (its practice set up first if the
        set-up was left before)."""
        practice = clinic.practice.get()
        if practice is None:
            from otdesk.ui import setup_dialog

            if not setup_dialog.ask(None, clinic):
                clinic.close()
                self._close_sign_in()
                return None
            practice = clinic.practice.get()
        from otdesk.ui import server_link, session

        folder = self._folder if self.server and self._folder else Path(clinic.db.path).parent
        kept = ClinicSettings.of_folder(folder)
        if kept.practice_name != practice.name:  # the next sign-in's title
            kept.practice_name = practice.name
        self.clinic = clinic
        window, self._prepared = self._prepared, None
        if window is not None:
            window.attach_clinic(clinic)
            window.setWindowTitle(f"{practice.name} — otdesk{self._note()}")
            window.load_favourites()
        else:
            window = self._open_window(clinic, self._note(), clinic_folder=folder)
        session.install(window, clinic, self.sign_out)
        server_link.install(window, clinic, self.switch_clinic, user_data_dir(self.data_dir))
        self.window = window
        window.show()
        self._close_sign_in()
        return window

    def _close_sign_in(self) -> None:
        screen, self.sign_in_window = self.sign_in_window, None
        if screen is not None:
            screen.close()
            screen.deleteLater()

    def sign_out(self) -> None:
        """Back to the sign-in screen: the window closes (saving what it keeps) and so does
        the clinic, whose key leaves memory with it."""
        window, clinic = self.window, self.clinic
        folder = self._folder or Path(clinic.db.path).parent
        self.show_sign_in(folder)  # first: the app would quit with its last window
        self.window, self.clinic = None, None
        if window is not None:
            window.close()
            close_clinic = getattr(window, "close_clinic", None)
            if close_clinic is not None:
                close_clinic()
            window.deleteLater()
        elif clinic is not None:
            clinic.close()

    def switch_clinic(self, address: str | None) -> None:
        """Clinic > Connect to a clinic server... (`address`, remembered by this computer)
        or back to this computer's clinic (None): the window and the clinic close as at a
        sign-out, and the start begins again there."""
        ComputerSettings(self.settings).server_address = address or ""
        old_window, old_clinic, old_screen = self.window, self.clinic, self.sign_in_window
        self.sign_in_window = None
        self.window, self.clinic, self.server = None, None, address or None
        self._demo, self._folder = False, None
        prepared, self._prepared = self._prepared, None
        shown = self.begin()  # first: the app would quit with its last window
        for widget in (old_screen, prepared, old_window):
            if widget is None:
                continue
            widget.close()
            close_clinic = getattr(widget, "close_clinic", None)
            if widget is old_window and close_clinic is not None:
                close_clinic()
            widget.deleteLater()
        if old_window is None and old_clinic is not None:
            old_clinic.close()
        if not shown and self.window is None and self.sign_in_window is None:
            from PySide6.QtWidgets import QApplication

            QApplication.quit()

    def finish(self) -> None:
        """At the end of the app: the clinic closed."""
        prepared, self._prepared = self._prepared, None
        if prepared is not None:
            prepared.close()
            prepared.deleteLater()
        window = self.window
        link = getattr(window, "server_link", None)
        if link is not None:  # its listening thread ends before the app does
            link.stop()
        if window is not None and hasattr(window, "close_clinic"):
            window.close_clinic()
        elif self.clinic is not None:
            self.clinic.close()
        self.window, self.clinic = None, None

    # --- a clinic from before accounts, and a new one ---------------------------------------

    def _upgrade(self, folder: Path) -> bool:
        from otdesk.services import signin
        from otdesk.ui.account_setup import FirstAdministratorDialog
        from otdesk.ui.modal import run_modal

        self._folder = folder

        def attempt(name: str, display_name: str, password: str, backups: str) -> Any:
            return signin.encrypt_existing(
                folder,
                name,
                password,
                display_name=display_name,
                clock=self.clock,
                plain_backups=backups,
            )

        dialog = FirstAdministratorDialog(attempt, upgrade=True)
        if not run_modal(dialog):
            return False
        clinic, recovery = dialog.result_value
        self._show_sheet(clinic, recovery)
        return self.enter(clinic) is not None

    def _welcome(self, folder: Path) -> bool:
        from otdesk.ui import welcome_dialog
        from otdesk.ui.welcome_dialog import WelcomeChoice

        while True:
            choice = welcome_dialog.ask(None)
            if choice is None:
                return False
            if choice is WelcomeChoice.SET_UP:
                made = self._new_clinic(folder)
                if made is not None:
                    return self.enter(made) is not None
                continue
            return self._open_demo(folder / "demo")

    def _new_clinic(self, folder: Path) -> Any:
        from otdesk.services import signin
        from otdesk.ui.account_setup import FirstAdministratorDialog
        from otdesk.ui.modal import run_modal

        def attempt(name: str, display_name: str, password: str, _backups: str) -> Any:
            return signin.create_clinic(
                folder, name, display_name or name, password, clock=self.clock
            )

        dialog = FirstAdministratorDialog(attempt)
        if not run_modal(dialog):
            return None
        clinic, recovery = dialog.result_value
        self._folder = folder
        self._show_sheet(clinic, recovery)
        return clinic

    def _show_sheet(self, clinic: Any, recovery: Any) -> None:
        from otdesk.ui.account_setup import show_recovery_sheet

        practice = clinic.practice.get()
        name = practice.name if practice is not None else "Your practice"
        show_recovery_sheet(None, str(recovery), name, clinic.ctx.today())

    def _open_demo(self, folder: Path) -> bool:
        """The demo clinic in its own folder, made the first time; then its sign-in (the
        note says its account), or its upgrade if it is a plain one made before accounts."""
        from otdesk.services.clinic_files import clinic_state

        database = database_path(folder)
        if clinic_state(database) == "missing":
            from otdesk.services.demo import install_demo

            install_demo(folder, clock=self.clock, encrypted=True)
        self._demo = True
        if clinic_state(database) == "plain":
            return self._upgrade(folder)
        self.show_sign_in(folder, demo=True)
        return True


class _Damaged:
    """A sign-in that found the clinic's file damaged (handed back from the worker)."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def _has_backups(folder: Path) -> bool:
    backups = folder / "backups"
    try:
        return any(entry.is_file() for entry in backups.iterdir())
    except OSError:
        return False


def _practice_title(folder: Path) -> str:
    """The sign-in screen's title: the data folder's window settings remember the
    practice's name (written by the window), else "otdesk"."""
    return ClinicSettings.of_folder(folder).practice_name or "otdesk"
