"""What the window remembers between runs, as typed settings with their defaults.

Two stores, kept apart: what belongs to this computer (the window's size and place, its
splitters, the name last signed in with), in Qt's per-user settings; and what belongs to one
clinic (the day shown, the last provider chosen, the practice's name for the next sign-in's
title), in `window.ini` beside that clinic's database (ui.clinic_folder), owner-only like
it (another clinic, or the demo, has its own). Every key is named here once; the rest of
the window reads and writes attributes. A value that is missing or not what was written (an
edited file, an older otdesk) reads as its default.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from otdesk.ui.clinic_folder import clinic_settings


def _bytes(store: QSettings, key: str) -> QByteArray | None:
    value = store.value(key)
    return QByteArray(value) if isinstance(value, QByteArray | bytes) else None


def _text(store: QSettings, key: str) -> str:
    value = store.value(key)
    return value if isinstance(value, str) else ""


class ComputerSettings:
    """This computer's: the window's geometry and splitters, the last sign-in name, the
    clinic server it connects to."""

    GEOMETRY = "window/geometry"
    MAIN_SPLITTER = "window/main_splitter"
    EDITOR_SPLITTER = "window/editor_splitter"
    LAST_SIGN_IN = "signin/last_name"
    # the clinic server this desk connects to (issue 16): its address without a password
    # (the password is in the operating system's keyring); "" for this computer's clinic
    SERVER_ADDRESS = "server/address"

    def __init__(self, store: QSettings) -> None:
        self.store = store

    @property
    def geometry(self) -> QByteArray | None:
        return _bytes(self.store, self.GEOMETRY)

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self.store.setValue(self.GEOMETRY, value)

    @property
    def main_splitter(self) -> QByteArray | None:
        return _bytes(self.store, self.MAIN_SPLITTER)

    @main_splitter.setter
    def main_splitter(self, value: QByteArray) -> None:
        self.store.setValue(self.MAIN_SPLITTER, value)

    @property
    def editor_splitter(self) -> QByteArray | None:
        return _bytes(self.store, self.EDITOR_SPLITTER)

    @editor_splitter.setter
    def editor_splitter(self, value: QByteArray) -> None:
        self.store.setValue(self.EDITOR_SPLITTER, value)

    @property
    def last_sign_in_name(self) -> str:
        """The name typed at the last sign-in on this computer; "" at first."""
        return _text(self.store, self.LAST_SIGN_IN)

    @last_sign_in_name.setter
    def last_sign_in_name(self, value: str) -> None:
        self.store.setValue(self.LAST_SIGN_IN, value)

    @property
    def server_address(self) -> str:
        """The remembered clinic server's postgresql:// address; "" for the local clinic."""
        return _text(self.store, self.SERVER_ADDRESS)

    @server_address.setter
    def server_address(self, value: str) -> None:
        if value:
            self.store.setValue(self.SERVER_ADDRESS, value)
        else:
            self.store.remove(self.SERVER_ADDRESS)

    def sync(self) -> None:
        self.store.sync()


class ClinicSettings:
    """One clinic's: the day shown (back on the same calendar day only), the last
    provider chosen, the practice's name for the sign-in screen's title."""

    LAST_PROVIDER = "visit/last_provider"
    DAY_SHOWN = "day/last"
    DAY_SAVED_ON = "day/saved_on"
    PRACTICE_NAME = "practice/name"

    def __init__(self, store: QSettings) -> None:
        self.store = store

    @classmethod
    def of_folder(cls, folder: Path) -> ClinicSettings:
        return cls(clinic_settings(folder))

    @property
    def last_provider(self) -> int | None:
        value = self.store.value(self.LAST_PROVIDER)
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    @last_provider.setter
    def last_provider(self, provider_id: int) -> None:
        self.store.setValue(self.LAST_PROVIDER, provider_id)

    def day_to_show(self, today: date) -> date | None:
        """The day shown at the last close, if that was today; else None (a new day opens
        on today, the front desk's usual start)."""
        if _text(self.store, self.DAY_SAVED_ON) != today.isoformat():
            return None
        try:
            return date.fromisoformat(_text(self.store, self.DAY_SHOWN))
        except ValueError:
            return None

    def remember_day(self, shown: date, today: date) -> None:
        self.store.setValue(self.DAY_SHOWN, shown.isoformat())
        self.store.setValue(self.DAY_SAVED_ON, today.isoformat())

    @property
    def practice_name(self) -> str:
        """The practice's name as last seen; "" when none was kept."""
        return _text(self.store, self.PRACTICE_NAME)

    @practice_name.setter
    def practice_name(self, name: str) -> None:
        self.store.setValue(self.PRACTICE_NAME, name)

    def sync(self) -> None:
        """Write to disk; the file is owner-only, as the clinic's data beside it."""
        self.store.sync()
        kept = Path(self.store.fileName())
        if os.name == "posix" and kept.is_file():
            kept.chmod(0o600)
