from datetime import UTC, datetime

import pytest

from otdesk.storage import open_database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "clinic" / "otdesk.db"


@pytest.fixture
def opened(db_path):
    """A new, migrated database; closed after the test."""
    db_path.parent.mkdir(mode=0o700)
    database = open_database(db_path, now=NOW)
    yield database
    database.close()
