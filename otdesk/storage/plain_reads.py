"""The reads of the window's first screen as plain SQL through the sqlite3 driver: the
practice's name, one setting, and the day list. They let the window show the day before
SQLAlchemy (slow to import: benchmarks/startup.py) and the services have loaded; everything
else goes through the services. The SQL is portable; how the file is opened is in
dialect.py.

The day list must match VisitService.day exactly (tests compare the two on the same
file), and is read only from a database already at this version's schema revision. An
encrypted clinic is read the same way through sqlcipher3 (a drop-in for sqlite3) given its
database key.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from otdesk.storage import dialect
from otdesk.storage.dialect import RawKey
from otdesk.storage.migrations import HEAD_REVISION

# How long a first-screen read waits for another program's write lock before giving up
# (the window then waits for the services instead).
WAIT_MS = 250
_READ_ERRORS: tuple[type[Exception], ...] = (OSError, *dialect.DRIVER_ERRORS)

PRACTICE_NAME_SQL = "SELECT name FROM practice WHERE id = 1"
SETTING_SQL = "SELECT value FROM meta WHERE key = :key"
ANY_ACCOUNT_SQL = "SELECT 1 FROM accounts LIMIT 1"
# The columns summary_from_row (otdesk.services.summaries) reads; the same query as
# otdesk.services.visits._summaries for one date.
DAY_LIST_SQL = """
SELECT v.id, v.chain_id, v.version, v.status, v.date_of_service, v.patient_id,
       v.provider_id, v.total_charge_cents, v.total_units, v.error_count, v.warning_count,
       p.last_name, p.first_name, p.account_number,
       pr.first_name AS provider_first, pr.last_name AS provider_last, pr.credentials,
       py.name AS payer_name,
       (SELECT coalesce(sum(pay.amount_cents), 0) FROM payments AS pay
         WHERE pay.chain_id = v.chain_id AND NOT EXISTS
           (SELECT 1 FROM payment_removals AS r WHERE r.payment_id = pay.id)) AS paid_cents,
       c.created_at AS started_at, v.appointment_time
FROM visits AS v
JOIN visit_chains AS c ON c.id = v.chain_id
JOIN patients AS p ON p.id = v.patient_id
JOIN providers AS pr ON pr.id = v.provider_id
LEFT OUTER JOIN payers AS py ON py.id = v.payer_id
WHERE v.date_of_service = :day AND v.is_current = 1
ORDER BY v.date_of_service, v.appointment_time IS NULL, v.appointment_time, p.last_name,
         p.first_name, v.id
"""


class PlainReader:
    """First-screen reads of one database file. Build with PlainReader.open()."""

    def __init__(self, path: Path, practice_name: str, key: RawKey | None = None) -> None:
        self.path = path
        self.practice_name = practice_name
        self._key = key

    @classmethod
    def open(cls, path: Path, key: RawKey | None = None) -> PlainReader | None:
        """A reader when `path` is an otdesk database at this version's schema with a
        practice set up (its name read in the same look), encrypted with `key` or plain
        when it is None; None for a missing, new, older or newer, foreign, locked or
        damaged file, one the key does not open (or that needs one), or one with no
        practice yet (the services open those, and say what is wrong or show the
        welcome)."""
        if not path.is_file():
            return None
        try:
            if dialect.is_plain_file(path) != (key is None):
                return None
            with dialect.read_only(path, busy_timeout_ms=WAIT_MS, key=key) as connection:
                if dialect.marked_revision(connection) != HEAD_REVISION:
                    return None
                row = connection.execute(PRACTICE_NAME_SQL).fetchone()
        except _READ_ERRORS:
            return None
        return cls(path, row[0], key) if row else None

    def _connection(self) -> Any:
        return dialect.read_only(self.path, busy_timeout_ms=WAIT_MS, key=self._key)

    def setting(self, key: str) -> str | None:
        with self._connection() as connection:
            row = connection.execute(SETTING_SQL, {"key": key}).fetchone()
        return row[0] if row else None

    def has_accounts(self) -> bool:
        """Whether anyone has an account (then someone must sign in to see the clinic);
        True when that cannot be read, so that nothing shows by mistake."""
        try:
            with self._connection() as connection:
                return connection.execute(ANY_ACCOUNT_SQL).fetchone() is not None
        except _READ_ERRORS:
            return True

    def day_rows(self, day: date) -> list[dict[str, Any]]:
        """The day list's rows, with the date and time columns as Python values (what
        SQLAlchemy's Date and UTCDateTime columns give)."""
        with self._connection() as connection:
            rows = connection.execute(DAY_LIST_SQL, {"day": day.isoformat()}).fetchall()
        found = []
        for row in rows:
            values = dict(row)
            values["date_of_service"] = date.fromisoformat(values["date_of_service"])
            started = values["started_at"]
            values["started_at"] = (
                datetime.fromisoformat(started).replace(tzinfo=UTC) if started else None
            )
            at = values["appointment_time"]
            values["appointment_time"] = time.fromisoformat(at) if at else None
            found.append(values)
        return found
