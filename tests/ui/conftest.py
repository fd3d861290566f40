"""Qt warnings fail the test that caused them; every UI test gets a fresh QApplication
state from pytest-qt; the clinic is built as every test clinic is (helpers/clinics.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QtMsgType, qInstallMessageHandler

from tests.helpers.clinics import open_clinic, seed_front_desk

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


# --- a real clinic database in tmp_path, as every test's (tests/helpers/clinics.py) -------


@pytest.fixture
def front_desk(tmp_path, clock):
    """The clinic seeded for the front desk (seed_front_desk) and what was seeded."""
    opened = open_clinic(tmp_path / "data", clock)
    seeded = seed_front_desk(opened)
    yield opened, seeded
    opened.close()


@pytest.fixture
def clinic(front_desk):
    return front_desk[0]


@pytest.fixture
def seeded(front_desk) -> dict:
    """What the clinic was seeded with: "ot", "medicare", "commercial", "ana", "bo"."""
    return front_desk[1]


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, clinic, clock, settings, icd_index):
    from otdesk.core.catalog import default_catalog
    from otdesk.ui.main_window import MainWindow

    win = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(win)
    # the index arrives as it does in the app: from the window's worker
    win.start_icd(lambda _progress: icd_index)
    qtbot.waitUntil(lambda: win.icd_worker().done, timeout=10000)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    return win
