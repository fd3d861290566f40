"""What the window shows first (the practice's name, the day list, the favourite codes),
read without SQLAlchemy or the services, so the window appears while they load.

SQLAlchemy alone takes longer to import than a bare Qt window takes to start (figures in
benchmarks/startup.py); the services open on a worker thread meanwhile and take over when
ready (otdesk.ui.app.show_first_screen, MainWindow.load_clinic). Only a database this
version can use as it is qualifies: a new, older (migration due), foreign, locked or damaged
one is opened by the services first, as before, and they say what is wrong.

A clinic with accounts shows its day to the person signed in only, and as the services show
it to them (services.permissions): a therapist sees their own visits. Before anyone has
signed in it shows nothing at all (open() gives None): the window's start signs in first
(ui.start_flow). A clinic without accounts (one from before accounts; the window upgrades it
before showing anything) has no one to sign in and shows its whole day, as the services
do with no one signed in.
"""

from __future__ import annotations

import os
from datetime import date
from typing import TYPE_CHECKING

from otdesk.core.accounts import Permission, Person
from otdesk.paths import database_path
from otdesk.services.favourites import SETTINGS_KEY, codes_in, parse_settings
from otdesk.services.summaries import VisitSummary, summary_from_row
from otdesk.storage.plain_reads import PlainReader

if TYPE_CHECKING:  # keys imports nothing heavy, but the first screen needs only its type
    from otdesk.storage.keys import DatabaseKey


class FirstScreen:
    """The first screen's reads of one clinic database; build with FirstScreen.open()."""

    def __init__(self, reader: PlainReader, person: Person | None = None) -> None:
        self._reader = reader
        self.practice_name = reader.practice_name
        self.person = person
        # a therapist's day is their own visits (the provider their account names)
        limited = person is not None and not person.may(Permission.EVERY_VISIT)
        self._own_provider = person.provider_id if person is not None and limited else None
        self._limited = limited

    @classmethod
    def open(
        cls,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        key: DatabaseKey | None = None,
        person: Person | None = None,
    ) -> FirstScreen | None:
        """The first screen of the clinic database in `data_dir` (encrypted with `key`, the
        key unwrapped at sign-in; None for a plain clinic) for `person`, who has signed in;
        None when the services must open it first (see the module's note), no practice is
        set up yet (the welcome shows), or the clinic has accounts and no one has signed
        in."""
        reader = PlainReader.open(database_path(data_dir), key)
        if reader is None:
            return None
        if person is None and reader.has_accounts():
            return None
        return cls(reader, person)

    def day(self, on: date) -> list[VisitSummary]:
        """The visits of a date, as VisitService.day gives them to the person signed in."""
        rows = self._reader.day_rows(on)
        if self._limited:
            rows = [row for row in rows if row["provider_id"] == self._own_provider]
        return [summary_from_row(row) for row in rows]

    def favourite_codes(self) -> tuple[str, ...]:
        return codes_in(parse_settings(self._reader.setting(SETTINGS_KEY)))
