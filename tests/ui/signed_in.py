"""An encrypted clinic on real files with its administrator and a front-desk account, and
the main window over it signed in, with the session's parts (File menu, idle lock)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.clinics import (
    ADMIN,
    ADMIN_PASSWORD,
    PAT,
    PAT_PASSWORD,
    encrypted_clinic,
    seed_front_desk,
)

__all__ = ["ADMIN", "ADMIN_PASSWORD", "PAT", "PAT_PASSWORD", "make_clinic", "switch_at_lock"]


def make_clinic(folder: Path, clock, *, close: bool = True):
    """The clinic in `folder` (seeded, a draft visit today for Ana Rivera); returns
    (clinic or None when closed, recovery key, seeded ids, visit)."""
    clinic, recovery = encrypted_clinic(folder, clock)
    seeded = seed_front_desk(clinic)
    visit = clinic.visits.create(seeded["ana"].id, provider_id=seeded["ot"].id)
    visit = clinic.visits.add_line(visit.id, "97110", minutes=20)
    if close:
        clinic.close()
        return None, recovery, seeded, visit
    return clinic, recovery, seeded, visit


class FakeMonotonic:
    """The idle lock's clock: moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def forget_style_sheet() -> None:
    """Take back the app-wide style sheet the real window set (ui.style.apply_sheet): the
    tests after these measure the window without it."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        app.setStyleSheet("")  # type: ignore[attr-defined]


def switch_at_lock(qtbot, screen, name: str, password: str) -> None:
    """At the lock screen `screen`: Switch user, then another person's name and password,
    typed as a person types them (Enter after each)."""
    from PySide6.QtCore import Qt

    qtbot.mouseClick(screen.switch_button, Qt.LeftButton)
    qtbot.keyClicks(screen.panel.name, name)
    qtbot.keyClick(screen.panel.name, Qt.Key_Return)
    qtbot.keyClicks(screen.panel.password, password)
    qtbot.keyClick(screen.panel.password, Qt.Key_Return)
