"""Checks of an SQLite database file as a file: a backup before it counts, a candidate
before it may replace the clinic. Like dialect.py this module speaks SQLite itself (the
file format, its pragmas and sqlite_master), which is why the layering test allows it; the
server engine has its own backups (issue: the clinic server) and never reads these files.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from otdesk.storage import dialect
from otdesk.storage.dialect import RawKey
from otdesk.storage.errors import BackupError, disk_full_error
from otdesk.storage.migrations import HEAD_REVISION, KNOWN_REVISIONS

_REVISION_FORM = re.compile(r"[0-9]{4}", re.ASCII)


@dataclass(frozen=True, slots=True)
class ColumnShape:
    name: str
    type: str
    not_null: bool
    primary_key: int


@dataclass(frozen=True, slots=True)
class SchemaShape:
    """What a schema revision's migrations make: tables with their columns, and triggers."""

    tables: dict[str, tuple[ColumnShape, ...]]
    triggers: frozenset[str]


def examine_copy(source: Path, copy: Path, *, key: RawKey | None = None) -> str:
    """Every check of a candidate short of migrating it; returns its schema revision.
    `copy` is a private copy of `source` (it may be written: SQLite may recover a journal);
    with `key` it is the SQLCipher file of an encrypted backup, examined opened with it."""
    size = copy.stat().st_size
    if size == 0:
        raise BackupError(f"{source} is empty (0 bytes); it is not an otdesk backup.", path=source)
    with copy.open("rb") as handle:
        header = handle.read(len(dialect.SQLITE_HEADER))
    if (header == dialect.SQLITE_HEADER) != (key is None):
        raise BackupError(
            f"{source} is not an otdesk backup (it is not an SQLite database file).",
            path=source,
        )
    connection = dialect.connect(copy, key=key)
    try:
        connection.text_factory = bytes  # read raw first: text that does not decode is named
        _check_integrity(source, connection)
        (app_id,) = connection.execute("PRAGMA application_id").fetchone()
        if app_id != dialect.APPLICATION_ID:
            raise BackupError(
                f"{source} is not an otdesk backup (it is another program's database).",
                path=source,
            )
        revision = _revision(source, connection)
        _compare_schema(source, read_shape(connection), expected_shape(revision))
        connection.text_factory = str
        _check_text(source, connection)
        problems = connection.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            table = problems[0][0]
            raise BackupError(
                f"{source} is damaged: {len(problems)} row(s) of {table} point at rows that "
                "are missing; choose another backup.",
                path=source,
            )
    except dialect.DATABASE_ERRORS as error:
        if dialect.is_full_error(error):
            raise disk_full_error(copy.parent) from error
        if key is not None and dialect.is_not_a_database_error(error):
            raise BackupError(
                f"{source} does not open with the key its passwords unlock: its first page "
                "is damaged; choose another backup.",
                path=source,
            ) from error
        raise BackupError(
            f"{source} cannot be read as an otdesk backup ({error}); choose another backup.",
            path=source,
        ) from error
    finally:
        connection.close()
    return revision


def _check_integrity(source: Path, connection: dialect.DriverConnection) -> None:
    rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    rows = [r.decode("utf-8", "replace") if isinstance(r, bytes) else str(r) for r in rows]
    if rows != ["ok"]:
        raise BackupError(
            f"{source} is damaged (SQLite's integrity check says: {'; '.join(rows[:3])}); "
            "choose another backup.",
            path=source,
        )


def _revision(source: Path, connection: dialect.DriverConnection) -> str:
    tables = {
        _text(row[0])
        for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if "alembic_version" not in tables:
        raise BackupError(
            f"{source} has no schema version (its alembic_version table is missing); it is "
            "not a whole otdesk backup.",
            path=source,
        )
    rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    if len(rows) != 1:
        raise BackupError(
            f"{source} has {len(rows)} schema versions instead of one; it is not a sound "
            "otdesk backup.",
            path=source,
        )
    raw = rows[0][0]
    try:
        revision = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    except UnicodeDecodeError:
        revision = None
    if revision is None or not _REVISION_FORM.fullmatch(revision):
        raise BackupError(
            f"{source} has an unreadable schema version; it is not a sound otdesk backup.",
            path=source,
        )
    if revision not in KNOWN_REVISIONS:
        if revision > HEAD_REVISION:
            raise BackupError(
                f"{source} was written by a newer version of otdesk (schema {revision}; this "
                f"one knows up to {HEAD_REVISION}); install that version to restore it.",
                path=source,
            )
        raise BackupError(
            f"{source} has schema {revision}, which no version of otdesk wrote.", path=source
        )
    return revision


def read_shape(connection: dialect.DriverConnection) -> SchemaShape:
    """The tables, columns and triggers of the database on a driver connection."""
    tables: dict[str, tuple[ColumnShape, ...]] = {}
    names = [
        _text(row[0])
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for name in names:
        quoted = name.replace('"', '""')
        tables[name] = tuple(
            ColumnShape(_text(row[1]), _text(row[2]).upper(), bool(row[3]), int(row[5]))
            for row in connection.execute(f'PRAGMA table_info("{quoted}")')
        )
    triggers = frozenset(
        _text(row[0])
        for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    )
    return SchemaShape(tables, triggers)


@functools.lru_cache(maxsize=8)
def expected_shape(revision: str) -> SchemaShape:
    """The schema that revision's migrations make in an empty database (built once per
    process in a temporary file)."""
    from otdesk.storage.migrations import upgrade

    with tempfile.TemporaryDirectory(prefix="otdesk-shape-") as folder:
        path = Path(folder) / "reference.db"
        engine = dialect.create_file_engine(path)
        dialect.configure_engine(engine, wal=False)
        try:
            with engine.connect() as connection:
                upgrade(connection, revision)
                connection.commit()
        finally:
            engine.dispose()
        raw = sqlite3.connect(path)
        try:
            return read_shape(raw)
        finally:
            raw.close()


def _compare_schema(source: Path, found: SchemaShape, expected: SchemaShape) -> None:
    problems: list[str] = []
    for table, columns in expected.tables.items():
        have = found.tables.get(table)
        if have is None:
            problems.append(f"the table {table} is missing")
            continue
        if have != columns:
            missing = [c.name for c in columns if c.name not in {h.name for h in have}]
            extra = [h.name for h in have if h.name not in {c.name for c in columns}]
            detail = []
            if missing:
                detail.append("no column " + ", ".join(missing))
            if extra:
                detail.append("an unknown column " + ", ".join(extra))
            if not detail:
                detail.append("columns of another type")
            problems.append(f"the table {table} has {' and '.join(detail)}")
    unknown = sorted(set(found.tables) - set(expected.tables))
    if unknown:
        problems.append("tables otdesk does not make: " + ", ".join(unknown))
    missing_triggers = sorted(expected.triggers - found.triggers)
    if missing_triggers:
        problems.append("the protecting triggers " + ", ".join(missing_triggers) + " are missing")
    if problems:
        raise BackupError(
            f"{source} does not have the tables of an otdesk backup ({'; '.join(problems[:3])}); "
            "it may have been edited by another program. Choose another backup.",
            path=source,
        )


def _check_text(source: Path, connection: dialect.DriverConnection) -> None:
    """Read every row as text: a value that is not valid UTF-8 would fail later, mid-work."""
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for table in tables:
        quoted = table.replace('"', '""')
        try:
            for _ in connection.execute(f'SELECT * FROM "{quoted}"'):
                pass
        except dialect.OPERATIONAL_ERRORS as error:
            if "decode" not in str(error).lower():
                raise
            raise BackupError(
                f"{source} holds text in the table {table} that is not readable (not UTF-8); "
                "choose another backup.",
                path=source,
            ) from error


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
