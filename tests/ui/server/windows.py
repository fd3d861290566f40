"""The window on the test server's clinic, signed in through its real sign-in screen, with
its listening thread (ui/server_link) running, as the tests here start from."""

from __future__ import annotations

from tests.ui.signed_in import ADMIN, ADMIN_PASSWORD
from tests.ui.test_sign_in import _sign_in


def signed_in_on_server(qtbot, flow, name=ADMIN, password=ADMIN_PASSWORD):
    assert flow.begin()
    qtbot.waitExposed(flow.sign_in_window)
    _sign_in(qtbot, flow, name, password)
    qtbot.waitUntil(lambda: flow.window is not None, timeout=30000)
    window = flow.window
    qtbot.waitUntil(lambda: window.server_link.thread.isRunning(), timeout=5000)
    return window
