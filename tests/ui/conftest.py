"""Qt warnings fail the test that caused them; every UI test gets a fresh QApplication
state from pytest-qt."""

from __future__ import annotations

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
