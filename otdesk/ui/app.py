"""Starting the window: the Qt application, the log file and the handler for unexpected
errors, opening the clinic database through the services, the first-run welcome, and the
diagnosis index loaded in the background.

`otdesk` with no subcommand calls run(); the command line imports this module only then,
so the other commands never load Qt.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import logging.handlers
import os
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from otdesk import logs
from otdesk.paths import resource_file, user_data_dir
from otdesk.ui.clinic_folder import CLINIC_SETTINGS_FILE, clinic_settings, icd_loader

__all__ = ["CLINIC_SETTINGS_FILE", "build_window", "clinic_settings", "icd_loader", "run"]

log = logging.getLogger("otdesk")

APP_NAME = "otdesk"
ORGANIZATION = "otdesk"
DEMO_FOLDER = "demo"
ICD_DELAY_MS = 300


def log_dir() -> Path:
    import platformdirs

    path = Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def setup_logging(folder: Path | None = None) -> Path:
    """Log to otdesk.log in the user log folder (owner-only, rotated; never patient data)."""
    return logs.setup_logging(folder or log_dir())


def install_excepthook(parent: Callable[[], QWidget | None], log_path: Path | None) -> None:
    """An unexpected error shows a short message and is logged; the app keeps running."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        log.error("unexpected error: %s", logs.describe_crash(kind, tb))
        from otdesk.ui import health_check

        if health_check.handled(parent(), error):
            return  # damage, a full disk: said in its own words
        where = f"\n\nDetails for support are in {log_path}." if log_path else ""
        QMessageBox.warning(
            parent(),
            "Something went wrong",
            "otdesk hit an unexpected problem and did not finish that step. What was saved "
            f"before is safe.{where}",
        )

    sys.excepthook = hook


def create_app(argv: list[str] | None = None) -> QApplication:
    from otdesk.ui import style

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    style.apply(app)
    return app


class SystemClock:
    """The computer's clock as both a services Clock and a widget callable."""

    def now(self) -> datetime:
        return datetime.now().astimezone()

    def __call__(self) -> datetime:
        return self.now()


@contextlib.contextmanager
def start_up_objects() -> Iterator[None]:
    """No garbage collection while start-up imports modules and builds what lives as long as
    the app (SQLAlchemy, the services, the window); then those objects are frozen out of later
    collections. The collections start-up triggered rescanned everything built so far and
    freed next to nothing, a noticeable part of the start (benchmarks/startup.py); frozen,
    the start-up objects also stay out of the full collections that would otherwise pause
    typing later."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def open_clinic(data_dir: str | Path | None, clock: Any) -> Any:
    with start_up_objects():
        from otdesk.services.clinic import Clinic

        return Clinic.open(data_dir, clock=clock)


def open_demo(folder: Path, clock: Any) -> Any:
    """The demo clinic in its own folder (encrypted, made through the services the first
    time), signed in as its administrator demo / demo."""
    with start_up_objects():
        from otdesk.paths import database_path
        from otdesk.services import signin
        from otdesk.services.accounts import DEMO_NAME, DEMO_PASSWORD
        from otdesk.services.clinic_files import clinic_state
        from otdesk.services.demo import install_demo

        if clinic_state(database_path(folder)) != "encrypted":
            install_demo(folder, clock=clock, encrypted=True)
        return signin.sign_in(folder, DEMO_NAME, DEMO_PASSWORD, clock=clock)


def build_window(
    clinic: Any,
    clock: Any,
    settings: QSettings,
    loader: Callable[..., Any] | None = icd_loader,
    title_note: str = "",
    first_screen: Any = None,
    clinic_folder: Path | None = None,
) -> Any:
    """The main window over an open clinic, or (clinic None) over its first screen until
    MainWindow.load_clinic() has opened it. `clinic_folder` holds what the window keeps for
    that clinic (by default the open clinic's folder; the computer-wide `settings` when
    neither is known)."""
    with start_up_objects():
        from otdesk.core.catalog import default_catalog
        from otdesk.ui import style
        from otdesk.ui.main_window import MainWindow

        folder = clinic_folder or (Path(clinic.db.path).parent if clinic is not None else None)
        window = MainWindow(
            clinic,
            default_catalog(),
            clock,
            settings,
            title_note=title_note,
            first_screen=first_screen,
            clinic_settings=clinic_settings(folder) if folder is not None else None,
        )
        add_management_actions(window)
        from otdesk.ui import health_menu

        health_menu.install(window)  # the quick check after start, Backups…, Check
        window.load_favourites()
        style.apply_sheet(QApplication.instance())
    if loader is not None:
        # after the window is up (and, on the first screen, after the services have opened):
        # the index opens on another thread, but it still takes turns with the others
        def start_icd() -> None:
            QTimer.singleShot(ICD_DELAY_MS, window, lambda: window.start_icd(loader))

        if clinic is None:
            window.clinic_opened.connect(start_icd)
        else:
            start_icd()
    return window


def show_first_screen(
    data_dir: str | Path | None,
    clock: Any,
    settings: QSettings,
    loader: Callable[..., Any] | None = icd_loader,
) -> Any:
    """Show the window on the clinic's first screen (the day list, the code search) before the
    services have loaded, then open them on a worker thread: SQLAlchemy alone takes
    longer to import than a bare Qt window takes to appear (benchmarks/startup.py).
    Returns the window, or None when the database must be opened by the services first
    (a new one, one that needs a migration or has no practice yet, or a damaged or
    locked file)."""
    with start_up_objects():
        from otdesk.services.first_screen import FirstScreen

        first = FirstScreen.open(data_dir)
    if first is None:
        return None
    window = build_window(
        None, clock, settings, loader, first_screen=first, clinic_folder=user_data_dir(data_dir)
    )
    window.show()
    # the first paint happens before the services' thread competes for the interpreter
    QApplication.processEvents()
    window.load_clinic(lambda: open_clinic(data_dir, clock))
    return window


def add_management_actions(window: Any) -> None:
    """The Clinic menu: one entry per management dialog that exists."""
    from otdesk.ui import management

    for text, opener in management.ENTRIES:
        window.add_clinic_action(text, lambda _=False, o=opener: o(window))


def display_problem(environ: Any = None, platform: str | None = None) -> str | None:
    """Why the window cannot open on this screen, in one sentence, or None: on Linux
    without a display Qt would abort with its own message instead."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "there is no display to open the window on (DISPLAY is not set); start otdesk from "
        "the desktop, or use the commands that need none (otdesk --help lists them)."
    )


def run(data_dir: str | None = None, server: str | None = None) -> int:
    """Open the main window on the clinic database (or on the clinic server at `server`,
    postgresql://...); returns the exit code."""
    problem = display_problem()
    if problem:
        print(f"otdesk: {problem}", file=sys.stderr)
        return 1
    log_path: Path | None
    try:
        log_path = setup_logging()
    except OSError:
        log_path = None
    app = create_app()
    app.setWindowIcon(QIcon(str(resource_file("icons/otdesk.png"))))
    from otdesk import single_instance

    # One window per clinic folder: a second copy would show stale visits, and a restore
    # or demo reset in one would pull the data from under the other. On a clinic server the
    # folder is this desk's own, so the lock is per desk: other desks open their windows.
    from otdesk.ui import start_failure
    from otdesk.ui.errors import outcome_of

    instance, error = outcome_of(lambda: single_instance.acquire(user_data_dir(data_dir)))
    if isinstance(error, single_instance.AlreadyOpenError):
        QMessageBox.information(None, "otdesk is already open", str(error))
        return 1
    if error is not None:  # a full disk, a folder not ours: said, never a silent exit
        return start_failure.report(error, log_path)
    try:
        code, error = outcome_of(lambda: _run_window(app, data_dir, log_path, server))
        if error is not None:  # failed before any window or dialog could say so
            return start_failure.report(error, log_path)
        return int(code)
    finally:
        instance.release()


def _run_window(
    app: QApplication, data_dir: str | None, log_path: Path | None, server: str | None = None
) -> int:
    from otdesk.services.errors import StorageError  # the errors Clinic.open documents
    from otdesk.ui.start_flow import StartFlow

    clock = SystemClock()
    settings = QSettings()

    def open_window(clinic: Any, note: str, **options: Any) -> Any:
        # the diagnosis index the sign-in screen's warm-up opened while the person typed
        return build_window(
            clinic, clock, settings, loader=flow.icd_loader, title_note=note, **options
        )

    flow = StartFlow(data_dir, clock, settings, open_window, server=server)
    install_excepthook(lambda: flow.window or flow.sign_in_window, log_path)
    try:
        if not flow.begin():
            return 0
    except StorageError as error:
        from otdesk.ui import start_failure

        return start_failure.report(error, log_path, "otdesk cannot open the clinic database")
    try:
        return app.exec()
    finally:
        flow.finish()


def first_run(clinic: Any, data_dir: str | None, clock: Any) -> tuple[Any, str]:
    """Welcome: set up the practice, or open the demo clinic in its own folder."""
    from otdesk.ui import setup_dialog, welcome_dialog
    from otdesk.ui.welcome_dialog import WelcomeChoice

    while True:
        choice = welcome_dialog.ask(None)
        if choice is None:
            clinic.close()
            return None, ""
        if choice is WelcomeChoice.SET_UP:
            if setup_dialog.ask(None, clinic):
                return clinic, ""
            continue
        demo_dir = Path(clinic.db.path).parent / DEMO_FOLDER
        demo = open_demo(demo_dir, clock)
        clinic.close()
        return demo, " (demo clinic)"
