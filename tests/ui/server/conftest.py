"""The window on a clinic on a real PostgreSQL server (issue 16), and a second desk on the
same server: a services Clinic opened on the same URL, as another desk's otdesk would.
Only the operating system's keyring is stood in for (MemoryKeyring)."""

from __future__ import annotations

import keyring
import keyring.backend
import keyring.errors
import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy.engine import make_url

from otdesk.services.server_setup import init_server
from otdesk.services.server_signin import sign_in_server
from otdesk.ui import app as ui_app
from otdesk.ui.start_flow import StartFlow
from tests.helpers import postgres
from tests.helpers.clinics import seed_front_desk as seed_clinic
from tests.ui.signed_in import ADMIN, ADMIN_PASSWORD, PAT, PAT_PASSWORD, forget_style_sheet


class MemoryKeyring(keyring.backend.KeyringBackend):
    """The keyring of a computer, in memory."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.kept.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    kept = MemoryKeyring()
    keyring.set_keyring(kept)
    yield kept
    keyring.set_keyring(previous)


def plain(url: str) -> str:
    """postgresql://... as a person writes it (the tests' URLs name the psycopg driver)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class ServerClinic:
    """A clinic made on the server by `server init` (Ada the administrator, Pat at the
    front desk), seeded by a second desk, with a draft visit today."""

    def __init__(self, url: str, tmp_path, clock) -> None:
        self.url = plain(url)
        self.parts = make_url(url)
        self.clock = clock
        self.tmp_path = tmp_path
        init_server(self.url, desk_dir=tmp_path / "init", admin=ADMIN, password=ADMIN_PASSWORD)
        self.other = self.desk("two", ADMIN, ADMIN_PASSWORD)
        self.seeded = seed_clinic(self.other)
        self.other.accounts.add(PAT, "Pat Lee", "front-desk", PAT_PASSWORD)
        visit = self.other.visits.create(self.seeded["ana"].id, provider_id=self.seeded["ot"].id)
        self.visit = self.other.visits.add_line(visit.id, "97110", minutes=20)

    def desk(self, name: str, user: str, password: str):
        """Another desk's otdesk, signed in (its own folder, its own connections)."""
        return sign_in_server(
            self.url, user, password, desk_dir=self.tmp_path / name, clock=self.clock
        )

    def address_without_password(self) -> str:
        return plain(self.parts.set(password=None).render_as_string(hide_password=False))

    def close(self) -> None:
        self.other.close()


@pytest.fixture
def server_clinic(tmp_path, clock):
    with postgres.fresh_database() as url:
        made = ServerClinic(url, tmp_path, clock)
        try:
            yield made
        finally:
            made.close()


@pytest.fixture
def server_start(qtbot, clock, settings, tmp_path):
    """StartFlow(server=...) over this desk's folder, opening the real main window."""
    flows = []
    before = set(QApplication.topLevelWidgets())

    def make(server=None, **options):
        def open_window(clinic, note, **kw):
            return ui_app.build_window(clinic, clock, settings, loader=None, title_note=note, **kw)

        options.setdefault("warm", None)
        flow = StartFlow(tmp_path / "desk", clock, settings, open_window, server=server, **options)
        flows.append(flow)
        return flow

    yield make
    for flow in flows:
        if flow.window is not None:
            flow.window.close()
        if flow.sign_in_window is not None:
            flow.sign_in_window.close()
        flow.finish()
    # closed is not gone: the windows this test made (a switch at the lock makes another)
    # are deleted, so that no later test finds one among the top-level widgets
    for widget in set(QApplication.topLevelWidgets()) - before:
        if not widget.isVisible():
            widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    forget_style_sheet()
