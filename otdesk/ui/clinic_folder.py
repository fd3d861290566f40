"""What the window keeps for one clinic folder, and the diagnosis index it opens: shared by
the start (ui.start_flow) and the window (ui.app), which imports the start, so it lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

# What the window remembers for one clinic (the day shown, the last provider), in its folder.
CLINIC_SETTINGS_FILE = "window.ini"


def clinic_settings(folder: Path) -> QSettings:
    """The window's settings that belong to the clinic in `folder`, kept beside its
    database (another clinic, or the demo, has its own)."""
    return QSettings(str(Path(folder) / CLINIC_SETTINGS_FILE), QSettings.Format.IniFormat)


def icd_loader(progress: Callable[[int, int], None]) -> Any:
    """Open the diagnosis index, building it on first use (in a worker thread)."""
    from otdesk.core import icd

    return icd.open_index(progress=progress)
