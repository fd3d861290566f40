"""Where otdesk finds its shipped files and keeps the user's data.

Shipped reference data (data/) and resources (resources/) are found the same way from a
source checkout, an installed wheel (otdesk/_data, otdesk/_resources) and a PyInstaller
bundle (sys._MEIPASS/data, sys._MEIPASS/resources).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "otdesk"
DATA_DIR_ENV = "OTDESK_DATA_DIR"
DB_FILENAME = "otdesk.db"

_PACKAGE_DIR = Path(__file__).resolve().parent


class MissingResourceError(FileNotFoundError):
    """A file the app ships with is not where it should be (a broken install or bundle)."""


def _shipped_dir(kind: str) -> Path:
    # kind is "data" or "resources"
    candidates = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / kind)
    candidates.append(_PACKAGE_DIR / f"_{kind}")  # installed wheel
    candidates.append(_PACKAGE_DIR.parent / kind)  # source checkout / editable install
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise MissingResourceError(
        f"otdesk's {kind} folder is missing; looked in: " + ", ".join(map(str, candidates))
    )


def data_file(name: str) -> Path:
    """Path of a shipped reference data file, e.g. data_file("procedures.csv")."""
    path = _shipped_dir("data") / name
    if not path.is_file():
        raise MissingResourceError(f"otdesk's data file {name!r} is missing (expected {path})")
    return path


def resource_file(name: str) -> Path:
    """Path of a shipped resource (icon, font, style), e.g. resource_file("fonts/x.ttf")."""
    path = _shipped_dir("resources") / name
    if not path.is_file():
        raise MissingResourceError(f"otdesk's resource {name!r} is missing (expected {path})")
    return path


def user_data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the clinic database: --data-dir, else $OTDESK_DATA_DIR, else the
    platform's per-user data folder. Created owner-only (0700) on POSIX."""
    if override:
        path = Path(override)
    elif os.environ.get(DATA_DIR_ENV):
        path = Path(os.environ[DATA_DIR_ENV])
    else:
        path = default_data_dir()
    return _private_dir(path.expanduser())


def found_database(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The clinic database's file when there is one (--data-dir, else $OTDESK_DATA_DIR, else
    the user data folder), without creating any folder; None when there is none yet."""
    if data_dir:
        folder = Path(data_dir)
    elif os.environ.get(DATA_DIR_ENV):
        folder = Path(os.environ[DATA_DIR_ENV])
    else:
        folder = default_data_dir()
    path = folder.expanduser() / DB_FILENAME
    return path if path.is_file() else None


def database_path(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The clinic database file: otdesk.db in the data folder (--data-dir, else
    $OTDESK_DATA_DIR, else the platform's user data folder)."""
    return user_data_dir(data_dir) / DB_FILENAME


def default_data_dir() -> Path:
    """The platform's per-user data folder (what otdesk uses without --data-dir or
    $OTDESK_DATA_DIR); not created."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)).expanduser()


def program_command() -> str:
    """How to run the otdesk command here: `otdesk` from an installed package; the bundle's
    own program when frozen (otdesk-cli.exe beside the window on Windows, which has a
    console; the program inside otdesk.app on macOS)."""
    if not getattr(sys, "frozen", False):
        return APP_NAME
    program = Path(sys.executable)
    if os.name == "nt":
        program = program.with_name(f"{APP_NAME}-cli.exe")
    return str(program)


def cli_command(*args: str, data_dir: str | os.PathLike[str] | None = None) -> str:
    """The exact command line that runs `otdesk ARGS` on the clinic in `data_dir`, to put in
    a message: with --data-dir unless it is the default folder, paths quoted as this
    system's shell needs them."""
    words = [program_command(), *args]
    if data_dir is not None and not _same_folder(Path(data_dir), default_data_dir()):
        words += ["--data-dir", str(data_dir)]
    if os.name == "nt":
        import subprocess

        return subprocess.list2cmdline(words)
    import shlex

    return shlex.join(words)


def _same_folder(first: Path, second: Path) -> bool:
    try:
        return first.expanduser().resolve() == second.expanduser().resolve()
    except OSError:
        return False


def user_cache_dir() -> Path:
    """Rebuildable files (the ICD-10-CM search index). Owner-only on POSIX."""
    import platformdirs

    return _private_dir(Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)))


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        path.chmod(0o700)
    return path
