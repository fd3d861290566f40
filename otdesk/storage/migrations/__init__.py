"""Alembic migrations of the clinic database, run from code (no alembic.ini).

HEAD_REVISION lets a normal start compare the stored revision without importing Alembic;
a test checks it names the newest file in versions/. To change the schema: edit
otdesk/storage/schema.py, add versions/NNNN_what.py (revision = "NNNN", down_revision =
the previous one), then update HEAD_REVISION; the schema test compares the two.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

HEAD_REVISION = "0009"
# Every revision this version of otdesk knows, oldest first; a stored revision outside it
# was written by a newer otdesk.
KNOWN_REVISIONS = ("0001", "0003", "0004", "0005", "0006", "0007", "0008", "0009")
MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(connection: Connection):  # -> alembic.config.Config
    """An Alembic configuration that runs on `connection` (imported only when needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Bring the database on `connection` up to `revision` in one transaction."""
    from alembic import command

    command.upgrade(alembic_config(connection), revision)


def script_head() -> str | None:
    """The newest revision among the migration files (imports Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
