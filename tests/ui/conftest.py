"""Qt warnings fail the test that caused them; every UI test gets a fresh QApplication
state from pytest-qt."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QtMsgType, qInstallMessageHandler

_FAILING = (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
# Messages the platform plugin prints that say nothing about otdesk.
_HARMLESS = ("This plugin does not support propagateSizeHints",)


@pytest.fixture(autouse=True)
def qt_warnings_fail():
    messages: list[str] = []

    def handler(kind, context, message):
        if kind in _FAILING and not any(h in message for h in _HARMLESS):
            messages.append(f"{kind.name}: {message}")

    previous = qInstallMessageHandler(handler)
    yield messages
    qInstallMessageHandler(previous)
    if messages:
        pytest.fail("Qt warned:\n" + "\n".join(messages))


# --- a real clinic database in tmp_path, through the services -----------------------------

CLINIC_START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


class TickingClock:
    """The services' FixedClock as a plain callable too (widgets take a callable)."""

    def __init__(self, start: datetime = CLINIC_START) -> None:
        from otdesk.services.clock import FixedClock

        self.fixed = FixedClock(start)

    def now(self) -> datetime:
        return self.fixed.now()

    def __call__(self) -> datetime:
        return self.fixed.now()

    def advance(self, **delta: float) -> None:
        self.fixed.advance(**delta)


@pytest.fixture
def clock():
    return TickingClock()


def seed_clinic(clinic) -> dict:
    """A practice, an OT, Medicare and a commercial payer, one patient with a policy each."""
    clinic.practice.save(name="Harbor Hand & OT")
    ot = clinic.providers.create(
        last_name="Kim", first_name="Dana", credentials="OTR/L", role="OT", npi="1234567893"
    )
    medicare = clinic.payers.create(name="Medicare Part B", kind="medicare")
    commercial = clinic.payers.create(name="Acme Health", kind="commercial")
    ana = clinic.patients.create(
        last_name="Rivera", first_name="Ana", date_of_birth="1950-04-12", sex="F"
    )
    clinic.patients.add_policy(ana.id, payer_id=medicare.id, member_id="1EG4TE5MK72")
    bo = clinic.patients.create(
        last_name="Olsen", first_name="Bo", date_of_birth="1988-09-30", sex="M"
    )
    clinic.patients.add_policy(bo.id, payer_id=commercial.id, member_id="ACM123")
    return {"ot": ot, "medicare": medicare, "commercial": commercial, "ana": ana, "bo": bo}


@pytest.fixture
def clinic(tmp_path, clock):
    from otdesk.services.clinic import Clinic

    opened = Clinic.open(tmp_path / "data", clock=clock.fixed)
    opened.seeded = seed_clinic(opened)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def icd_index(tmp_path_factory):
    """The real ICD-10-CM index, built once for the test session in a temporary cache."""
    from otdesk.core import icd

    folder = tmp_path_factory.mktemp("icd")
    return icd.open_index(folder / icd.index_file_name("test"))


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, clinic, clock, settings, icd_index):
    from otdesk.core.catalog import default_catalog
    from otdesk.ui.main_window import MainWindow

    win = MainWindow(clinic, default_catalog(), clock, settings)
    win._icd_ready(icd_index)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    return win
