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


def default_data_dir() -> Path:
    """The platform's per-user data folder for otdesk (not created here)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def database_path(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The clinic database file: otdesk.db in the data folder (--data-dir, else
    $OTDESK_DATA_DIR, else the platform's user data folder)."""
    return user_data_dir(data_dir) / DB_FILENAME


def user_cache_dir() -> Path:
    """Rebuildable files (the ICD-10-CM search index). Owner-only on POSIX."""
    import platformdirs

    return _private_dir(Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)))


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        path.chmod(0o700)
    return path
