"""What the window shows first (the practice's name, the day list, the favourite codes),
read without SQLAlchemy or the services, so the window appears while they load.

SQLAlchemy alone takes longer to import than a bare Qt window takes to start (figures in
benchmarks/startup.py); the services open on a worker thread meanwhile and take over when
ready (otdesk.ui.app.show_first_screen, MainWindow.load_clinic). Only a database this
version can use as it is qualifies: a new, older (migration due), foreign, locked or damaged
one is opened by the services first, as before, and they say what is wrong.
"""

from __future__ import annotations

import os
from datetime import date
from typing import TYPE_CHECKING

from otdesk.paths import database_path
from otdesk.services.favourites import SETTINGS_KEY, codes_in, parse_settings
from otdesk.services.summaries import VisitSummary, summary_from_row
from otdesk.storage.plain_reads import PlainReader

if TYPE_CHECKING:  # keys imports nothing heavy, but the first screen needs only its type
    from otdesk.storage.keys import DatabaseKey


class FirstScreen:
    """The first screen's reads of one clinic database; build with FirstScreen.open()."""

    def __init__(self, reader: PlainReader) -> None:
        self._reader = reader
        self.practice_name = reader.practice_name

    @classmethod
    def open(
        cls, data_dir: str | os.PathLike[str] | None = None, *, key: DatabaseKey | None = None
    ) -> FirstScreen | None:
        """The first screen of the clinic database in `data_dir` (encrypted with `key`, the
        key unwrapped at sign-in; None for a plain clinic); None when the services must
        open it first (see the module's note) or no practice is set up yet (the welcome
        shows)."""
        reader = PlainReader.open(database_path(data_dir), key)
        return cls(reader) if reader is not None else None

    def day(self, on: date) -> list[VisitSummary]:
        """The visits of a date, as VisitService.day gives them."""
        return [summary_from_row(row) for row in self._reader.day_rows(on)]

    def favourite_codes(self) -> tuple[str, ...]:
        return codes_in(parse_settings(self._reader.setting(SETTINGS_KEY)))
