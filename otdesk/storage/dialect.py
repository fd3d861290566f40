"""Everything that differs between database engines, in one place.

The services speak portable SQLAlchemy Core; this module holds the SQLite specifics (file
pragmas, how transactions begin, the file-format marker, integrity checks, lock and
corruption errors, the online backup API, append-only triggers) so a PostgreSQL build only
has to fill in the other branch of each function here.

Two drivers open SQLite files: the standard library's sqlite3 for plain files, and
sqlcipher3 (SQLCipher 4, a drop-in for sqlite3) for encrypted ones. An encrypted file is
opened with its database key as a raw key (PRAGMA key = "x'...'"), so opening costs no
SQLCipher key derivation; the key is the first statement on every connection. Every
classifier below knows both drivers' exceptions.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import sqlcipher3

if TYPE_CHECKING:  # imported where used: read_only() must work before SQLAlchemy loads
    from sqlalchemy import Connection, Engine
    from sqlalchemy.engine import URL


class RawKey(Protocol):
    """A database key (otdesk.storage.keys.DatabaseKey): 32 bytes, as hex, and the HMAC
    algorithm of the file it encrypts."""

    @property
    def hex(self) -> str: ...

    @property
    def hmac_algorithm(self) -> str: ...


# Written into the SQLite file header (PRAGMA application_id) so a file can be told to be an
# otdesk database before reading any table: "otds" in ASCII.
APPLICATION_ID = 0x6F746473
# PostgreSQL advisory lock key held while appending to the audit chain ("otda").
AUDIT_TAIL_LOCK = 0x6F746461
BUSY_TIMEOUT_MS = 5000
# Pages a backup with progress copies per step (4 MB of 4 KB pages).
BACKUP_STEP_PAGES = 1024
# Execution option that makes a transaction take the write lock at BEGIN (BEGIN IMMEDIATE):
# a writer then waits for the lock up front instead of failing half-way through.
WRITE_OPTION = "otdesk_write"

# sqlite3 result codes (primary codes: the low byte of the extended code)
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_NOTADB = 26
SQLITE_HEADER = b"SQLite format 3\x00"
# The drivers' own errors, for the few places that use them below SQLAlchemy.
DRIVER_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, sqlcipher3.Error)
OPERATIONAL_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.OperationalError,
    sqlcipher3.OperationalError,
)
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError, sqlcipher3.DatabaseError)
# A driver connection of either driver.
DriverConnection = Any


def key_statement(key: RawKey) -> str:
    """The statement that gives SQLCipher the raw database key (no key derivation)."""
    return f"PRAGMA key = \"x'{key.hex}'\""


def cipher_statements(key: RawKey, schema: str = "main") -> list[str]:
    """The page settings of the file `key` encrypts, given after its key and before the
    first read (otdesk.storage.keys: CIPHER_PROFILES)."""
    algorithm = key.hmac_algorithm
    return [
        f"PRAGMA {schema}.cipher_hmac_algorithm = {algorithm}",
        f"PRAGMA {schema}.cipher_kdf_algorithm = PBKDF2_{algorithm}",
    ]


def _set_key(connection: DriverConnection, key: RawKey) -> None:
    connection.execute(key_statement(key))
    for statement in cipher_statements(key):
        connection.execute(statement)


def connect(
    path: Path,
    *,
    key: RawKey | None = None,
    read_only: bool = False,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> DriverConnection:
    """A driver connection to the file at `path`: sqlite3 for a plain file, sqlcipher3 with
    the key set for an encrypted one. `read_only` never writes (nor recovers) the file."""
    target: str | Path = path
    if read_only:
        target = path.resolve().as_uri() + "?mode=ro"
    timeout = busy_timeout_ms / 1000
    if key is None:
        return sqlite3.connect(target, uri=read_only, timeout=timeout)
    connection = sqlcipher3.connect(str(target), uri=read_only, timeout=timeout)
    try:
        _quiet(connection)
        _set_key(connection, key)
    except BaseException:
        connection.close()
        raise
    return connection


def _quiet(connection: DriverConnection) -> None:
    # SQLCipher logs a failed page check to stderr; otdesk reports it as an error instead.
    connection.execute("PRAGMA cipher_log_level = NONE")


def is_plain_file(path: Path) -> bool:
    """True when the file starts with the plain SQLite header (an encrypted file starts
    with its random salt)."""
    with Path(path).open("rb") as handle:
        return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def sqlite_url(path: Path, *, read_only: bool = False, key: RawKey | None = None) -> URL:
    """The engine URL of a database file; `read_only` opens it so that no connection can
    write (a reader of a WAL database needs no lock, so it works beside a writer). With
    `key`, SQLAlchemy's pysqlcipher dialect over sqlcipher3 (its "password" is the raw key
    form, which the dialect sets first on every connection; URLs hide it when shown)."""
    from sqlalchemy.engine import URL

    driver = "sqlite+pysqlite" if key is None else "sqlite+pysqlcipher"
    password = None if key is None else f"x'{key.hex}'"
    if read_only:
        return URL.create(
            driver,
            password=password,
            database=path.resolve().as_uri() + "?mode=ro",
            query={"uri": "true"},
        )
    return URL.create(driver, password=password, database=str(path))


def create_file_engine(path: Path, *, read_only: bool = False, key: RawKey | None = None) -> Engine:
    """An engine on the database file (plain, or encrypted with `key`). Both drivers get
    the same pool (pysqlcipher's default would keep one connection per thread)."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    url = sqlite_url(path, read_only=read_only, key=key)
    if key is None:
        return create_engine(url)
    engine = create_engine(url, poolclass=QueuePool)

    @event.listens_for(engine, "connect", insert=True)
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        _quiet(dbapi_connection)

    # after the dialect's own listener has given the key (the URL's "password"), before
    # configure_engine's pragmas read the file
    @event.listens_for(engine, "connect")
    def _on_keyed(dbapi_connection: Any, _record: Any) -> None:
        for statement in cipher_statements(key):
            dbapi_connection.execute(statement)

    return engine


def configure_engine(
    engine: Engine,
    *,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    wal: bool = True,
    durable: bool = True,
) -> dict[str, int]:
    """Per-connection settings: WAL, foreign keys, synchronous=FULL, a busy timeout, and
    transactions that really begin at BEGIN (so DDL and migrations are atomic too).
    Returns the settings; changing "busy_timeout_ms" applies to connections made later."""
    # "wal" stays off while a file is being identified: switching a foreign file to WAL
    # would change it.
    from sqlalchemy import event

    settings = {"busy_timeout_ms": busy_timeout_ms, "wal": int(wal)}
    if engine.dialect.name != "sqlite":
        return settings

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own implicit BEGIN skips DDL; turn it off and emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(settings['busy_timeout_ms'])}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if settings["wal"]:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return settings


def enable_wal(connection: Connection) -> None:
    """Switch the file to write-ahead logging (persistent; call outside a transaction)."""
    if connection.dialect.name == "sqlite":
        _driver(connection).execute("PRAGMA journal_mode = WAL")


def vacuum(connection: Connection) -> None:
    """Rewrite the file without free pages (outside a transaction)."""
    if connection.dialect.name == "sqlite":
        _driver(connection).execute("VACUUM")


def set_busy_timeout(connection: Connection, milliseconds: int) -> None:
    if connection.dialect.name == "sqlite":
        _driver(connection).execute(f"PRAGMA busy_timeout = {int(milliseconds)}")


def limit_lock_wait(connection: Connection, milliseconds: int) -> None:
    """Inside a transaction: wait at most this long for a lock (PostgreSQL's lock_timeout,
    for this transaction only); SQLite's wait is the connection's busy timeout."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(milliseconds)}")


def probe_write_lock(connection: Connection) -> None:
    """Take and release the write lock; raises the driver's "locked" error when another
    process holds it longer than the connection's busy timeout. Call outside a transaction."""
    if connection.dialect.name != "sqlite":
        return
    raw = _driver(connection)
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("ROLLBACK")


def file_marker(connection: Connection) -> tuple[bool, list[str]]:
    """(whether the file carries otdesk's marker, the names of its tables)."""
    if connection.dialect.name != "sqlite":
        names = list(connection.dialect.get_table_names(connection))
        return "alembic_version" in names, names
    raw = _driver(connection)
    (app_id,) = raw.execute("PRAGMA application_id").fetchone()
    tables = [
        row[0]
        for row in raw.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    ]
    return app_id == APPLICATION_ID, tables


def mark_file(connection: Connection) -> None:
    """Stamp the file as an otdesk database (inside the first migration's transaction)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")


def integrity_problems(connection: Connection, *, quick: bool = True) -> list[str]:
    """SQLite's own check of the file: [] when healthy, else its complaints."""
    if connection.dialect.name != "sqlite":
        return []
    pragma = "quick_check" if quick else "integrity_check"
    rows = [row[0] for row in _driver(connection).execute(f"PRAGMA {pragma}")]
    return [] if rows == ["ok"] else rows


def is_locked_error(error: BaseException) -> bool:
    original = getattr(error, "orig", error)
    if not isinstance(original, OPERATIONAL_ERRORS):
        return False
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "locked" in str(original)


def is_corrupt_error(error: BaseException) -> bool:
    original = getattr(error, "orig", error)
    if not isinstance(original, DATABASE_ERRORS) or is_locked_error(original):
        return False
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(original)
    return "malformed" in text or "not a database" in text


def is_full_error(error: BaseException) -> bool:
    """SQLite's "database or disk is full" (the disk, the quota or the file's page limit)."""
    original = getattr(error, "orig", error)
    if not isinstance(original, OPERATIONAL_ERRORS):
        return False
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == _SQLITE_FULL
    return "disk is full" in str(original)


def is_not_a_database_error(error: BaseException) -> bool:
    """SQLite's "file is not a database". On an encrypted connection it is what a wrong key
    gives (the first page does not decrypt), and also a damaged first page: the caller,
    which knows whether the key belongs to the file, tells the two apart."""
    original = getattr(error, "orig", error)
    if not isinstance(original, DATABASE_ERRORS):
        return False
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == _SQLITE_NOTADB
    return "not a database" in str(original)


def use_rollback_journal(connection: Connection) -> None:
    """Leave the file self-contained (no WAL beside it), as a backup or a restore candidate
    must be before it is moved; call outside a transaction."""
    if connection.dialect.name == "sqlite":
        _driver(connection).execute("PRAGMA journal_mode = DELETE")


def backup_file(
    source: Path,
    target: Path,
    *,
    key: RawKey | None = None,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Copy a live database with SQLite's online backup API (consistent even while another
    connection writes). `target` must not be in use. An encrypted source is copied page by
    page into a target encrypted with the same key: nothing is decrypted on disk.
    `progress(pages copied, pages in all)` is called as the copy goes (it then runs in
    steps of BACKUP_STEP_PAGES; a write by another program between two steps starts it
    again, so only a person waiting for it asks for progress)."""
    src = connect(source, key=key, busy_timeout_ms=busy_timeout_ms)
    try:
        dst = connect(target, key=key)
        try:
            if progress is None:
                src.backup(dst)
            else:
                src.backup(
                    dst,
                    pages=BACKUP_STEP_PAGES,
                    progress=lambda _status, left, total: progress(total - left, total),
                    sleep=0,
                )
            # A backup is a single self-contained file: no WAL beside it.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def export_file(
    source: Path,
    target: Path,
    *,
    key: RawKey,
    source_key: RawKey | None = None,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> None:
    """Write the whole database at `source` (plain, or encrypted with `source_key`) into the
    new file `target`, encrypted with `key` (SQLCipher's sqlcipher_export: every table,
    index, trigger and row), with otdesk's marker and the user version copied. The copy is
    made page by page inside SQLCipher: nothing is decrypted on disk."""
    connection = sqlcipher3.connect(str(source), timeout=busy_timeout_ms / 1000)
    try:
        _quiet(connection)
        if source_key is not None:
            _set_key(connection, source_key)
        connection.isolation_level = None
        connection.execute("ATTACH DATABASE ? AS target KEY ?", (str(target), f"x'{key.hex}'"))
        try:
            for statement in cipher_statements(key, "target"):
                connection.execute(statement)
            connection.execute("SELECT sqlcipher_export('target')")
            (app_id,) = connection.execute("PRAGMA main.application_id").fetchone()
            (user_version,) = connection.execute("PRAGMA main.user_version").fetchone()
            connection.execute(f"PRAGMA target.application_id = {int(app_id)}")
            connection.execute(f"PRAGMA target.user_version = {int(user_version)}")
        finally:
            connection.execute("DETACH DATABASE target")
    finally:
        connection.close()


def row_counts(path: Path, *, key: RawKey | None = None) -> dict[str, int]:
    """The number of rows in each table of the database file (to compare two copies)."""
    connection = connect(path, key=key, read_only=True)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        counts = {}
        for name in names:
            quoted = name.replace('"', '""')
            (counts[name],) = connection.execute(f'SELECT count(*) FROM "{quoted}"').fetchone()
        return counts
    finally:
        connection.close()


def checkpoint_to_rollback_journal(path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    """Fold a plain database's WAL into the file and switch it to a rollback journal, so
    the file alone holds everything (its -wal and -shm files are gone after)."""
    connection = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (mode,) = connection.execute("PRAGMA journal_mode = DELETE").fetchone()
        if str(mode).lower() != "delete":
            raise sqlite3.OperationalError("database is locked")
    finally:
        connection.close()


def check_file(
    path: Path, *, busy_timeout_ms: int = 1500, key: RawKey | None = None
) -> tuple[bool, list[str], list[str], str | None]:
    """Open a database file read-only (with its key when encrypted) and return (has
    otdesk's marker, integrity problems, table names, schema revision), for `otdesk check`
    and for judging a backup before restoring it. Raises one of DRIVER_ERRORS when the
    file is not a database (or the key does not open it: is_not_a_database_error)."""
    connection = connect(path, key=key, read_only=True, busy_timeout_ms=busy_timeout_ms)
    try:
        (app_id,) = connection.execute("PRAGMA application_id").fetchone()
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        revision = None
        if "alembic_version" in tables:
            found = connection.execute(stored_revision_sql()).fetchone()
            revision = found[0] if found else None
    finally:
        connection.close()
    return app_id == APPLICATION_ID, ([] if problems == ["ok"] else problems), tables, revision


@contextlib.contextmanager
def read_only(
    path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, key: RawKey | None = None
) -> Iterator[DriverConnection]:
    """A read-only connection through the driver itself (sqlcipher3 with `key` for an
    encrypted file), for the reads the window shows before SQLAlchemy has loaded; rows read
    by column name. Never writes the database; raises one of DRIVER_ERRORS for a missing,
    locked or unreadable file, or a key that does not open it."""
    connection = connect(path, key=key, read_only=True, busy_timeout_ms=busy_timeout_ms)
    connection.row_factory = sqlite3.Row if key is None else sqlcipher3.Row
    try:
        yield connection
    finally:
        connection.close()


def marked_revision(connection: DriverConnection) -> str | None:
    """The schema revision of an otdesk database on a driver connection (None for a file
    that is not marked as otdesk's)."""
    (app_id,) = connection.execute("PRAGMA application_id").fetchone()
    if app_id != APPLICATION_ID:
        return None
    found = connection.execute(stored_revision_sql()).fetchone()
    return found[0] if found else None


def stored_revision_sql() -> str:
    return "SELECT version_num FROM alembic_version"


def append_only_ddl(dialect_name: str, table: str) -> Sequence[str]:
    """Statements that make `table` refuse UPDATE and DELETE (the audit log)."""
    if dialect_name == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        ]
    if dialect_name == "postgresql":
        return [
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{table} is append-only'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
        ]
    return []


# A finalized (or void, or amended) visit may change only in these ways: its status goes from
# finalized to void or amended, a void gets its reason, and which version is current moves.
_VISIT_MAY_CHANGE = ("status", "void_reason", "is_current", "updated_at", "updated_by")
_KEPT_MESSAGE = "a finalized visit is kept as it was: amend or void it instead"
# Tables whose rows belong to one visit version and are kept once it is no longer a draft.
VISIT_CHILD_TABLES = ("charge_lines", "visit_diagnoses")
KEPT_RECORD_TRIGGERS = {
    "sqlite": (
        "visits_kept_update",
        "visits_kept_delete",
        *(
            f"{t}_kept_{op}"
            for t in VISIT_CHILD_TABLES
            for op in ("insert", "update", "delete", "move")
        ),
        "payments_kept_update",
        "payments_kept_delete",
        "payment_removals_kept_update",
        "payment_removals_kept_delete",
    ),
    "postgresql": (
        "visits_kept",
        *(f"{t}_kept" for t in VISIT_CHILD_TABLES),
        "payments_kept",
        "payment_removals_kept",
    ),
}


def kept_records_ddl(dialect_name: str, visit_columns: Sequence[str]) -> Sequence[str]:
    """Triggers that make the database itself refuse to rewrite a finalized visit, its lines
    and diagnoses, and the payments of a visit that was ever finalized (UPDATE and DELETE;
    lines and diagnoses also INSERT). `visit_columns` are the visits table's columns as the
    calling migration knows them: every one outside the few that may change is compared."""
    fixed = [c for c in visit_columns if c not in _VISIT_MAY_CHANGE]
    if dialect_name == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in fixed)
        abort = f"BEGIN SELECT RAISE(ABORT, '{_KEPT_MESSAGE}'); END"
        statements = [
            "CREATE TRIGGER visits_kept_update BEFORE UPDATE ON visits "
            f"WHEN OLD.status <> 'draft' AND ({changed} "
            "OR NOT (NEW.status = OLD.status "
            "OR (OLD.status = 'finalized' AND NEW.status IN ('void', 'amended'))) "
            "OR (NEW.void_reason IS NOT OLD.void_reason "
            "AND NOT (OLD.status = 'finalized' AND NEW.status = 'void'))) " + abort,
            "CREATE TRIGGER visits_kept_delete BEFORE DELETE ON visits "
            "WHEN OLD.status <> 'draft' " + abort,
        ]
        for table in VISIT_CHILD_TABLES:
            for op, row in (("insert", "NEW"), ("update", "OLD"), ("delete", "OLD")):
                statements.append(
                    f"CREATE TRIGGER {table}_kept_{op} BEFORE {op.upper()} ON {table} "
                    f"WHEN (SELECT status FROM visits WHERE id = {row}.visit_id) <> 'draft' "
                    + abort
                )
            statements.append(
                f"CREATE TRIGGER {table}_kept_move BEFORE UPDATE OF visit_id ON {table} "
                f"WHEN (SELECT status FROM visits WHERE id = NEW.visit_id) <> 'draft' " + abort
            )
        payment_kept = (
            "WHEN EXISTS (SELECT 1 FROM visits WHERE chain_id = {chain} AND status <> 'draft') "
            "BEGIN SELECT RAISE(ABORT, 'a payment of a finalized visit is kept: record its "
            "removal instead'); END"
        )
        statements += [
            "CREATE TRIGGER payments_kept_update BEFORE UPDATE ON payments "
            "BEGIN SELECT RAISE(ABORT, 'payments are kept as recorded'); END",
            "CREATE TRIGGER payments_kept_delete BEFORE DELETE ON payments "
            + payment_kept.format(chain="OLD.chain_id"),
            "CREATE TRIGGER payment_removals_kept_update BEFORE UPDATE ON payment_removals "
            "BEGIN SELECT RAISE(ABORT, 'payment removals are kept as recorded'); END",
            "CREATE TRIGGER payment_removals_kept_delete BEFORE DELETE ON payment_removals "
            + payment_kept.format(
                chain="(SELECT chain_id FROM payments WHERE id = OLD.payment_id)"
            ),
        ]
        return statements
    if dialect_name == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in fixed)
        raise_kept = f"RAISE EXCEPTION '{_KEPT_MESSAGE}'"
        statements = [
            "CREATE FUNCTION visits_kept() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF OLD.status <> 'draft' THEN "
            f"IF TG_OP = 'DELETE' THEN {raise_kept}; END IF; "
            f"IF {changed} OR NOT (NEW.status = OLD.status "
            "OR (OLD.status = 'finalized' AND NEW.status IN ('void', 'amended'))) "
            "OR (NEW.void_reason IS DISTINCT FROM OLD.void_reason "
            "AND NOT (OLD.status = 'finalized' AND NEW.status = 'void')) "
            f"THEN {raise_kept}; END IF; END IF; "
            "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER visits_kept BEFORE UPDATE OR DELETE ON visits "
            "FOR EACH ROW EXECUTE FUNCTION visits_kept()",
        ]
        for table in VISIT_CHILD_TABLES:
            statements += [
                f"CREATE FUNCTION {table}_kept() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF TG_OP <> 'INSERT' AND (SELECT status FROM visits WHERE id = OLD.visit_id) "
                f"<> 'draft' THEN {raise_kept}; END IF; "
                "IF TG_OP <> 'DELETE' AND (SELECT status FROM visits WHERE id = NEW.visit_id) "
                f"<> 'draft' THEN {raise_kept}; END IF; "
                "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$",
                f"CREATE TRIGGER {table}_kept BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_kept()",
            ]
        for table, chain in (
            ("payments", "OLD.chain_id"),
            ("payment_removals", "(SELECT chain_id FROM payments WHERE id = OLD.payment_id)"),
        ):
            statements += [
                f"CREATE FUNCTION {table}_kept() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION '{table} are kept as recorded'; "
                "END IF; IF EXISTS (SELECT 1 FROM visits WHERE chain_id = "
                f"{chain} AND status <> 'draft') THEN RAISE EXCEPTION "
                f"'{table} of a finalized visit are kept'; END IF; RETURN OLD; END $$",
                f"CREATE TRIGGER {table}_kept BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_kept()",
            ]
        return statements
    return []


def drop_kept_records_ddl(dialect_name: str) -> Sequence[str]:
    if dialect_name == "sqlite":
        return [f"DROP TRIGGER {name}" for name in KEPT_RECORD_TRIGGERS["sqlite"]]
    if dialect_name == "postgresql":
        tables = ["visits", *VISIT_CHILD_TABLES, "payments", "payment_removals"]
        return [
            statement
            for table in tables
            for statement in (
                f"DROP TRIGGER {table}_kept ON {table}",
                f"DROP FUNCTION {table}_kept()",
            )
        ]
    return []


def trigger_names(connection: Connection) -> set[str]:
    """The names of the triggers in the database (to check the protecting ones exist)."""
    if connection.dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    return {row[0] for row in connection.exec_driver_sql(query)}


def protecting_triggers(dialect_name: str) -> set[str]:
    """Every trigger otdesk's schema relies on to keep records from being rewritten."""
    kept = set(KEPT_RECORD_TRIGGERS.get(dialect_name, ()))
    if dialect_name == "sqlite":
        kept |= {"audit_log_no_update", "audit_log_no_delete"}
    elif dialect_name == "postgresql":
        kept |= {"audit_log_append_only"}
    return kept


def lock_audit_tail(connection: Connection) -> None:
    """Serialise appends to the audit chain: each entry hashes the one before it. SQLite's
    write transactions are already one at a time (BEGIN IMMEDIATE). The other desks' notice
    of this transaction (notice_at_commit), when there is one, goes in the same statement:
    one round trip fewer while every desk's writes wait for this lock."""
    if connection.dialect.name == "postgresql":
        # A transaction-scoped advisory lock, not LOCK TABLE: the desks' login role may only
        # read and append to the audit log, and LOCK TABLE in this mode needs UPDATE rights.
        _select_with_notice(connection, f"pg_advisory_xact_lock({AUDIT_TAIL_LOCK})")


def _select_with_notice(connection: Connection, *calls: str) -> None:
    """SELECT `calls`, with this transaction's notice to the other desks (pg_notify) when
    one waits to be sent; nothing when there is neither."""
    from sqlalchemy import text

    notice = write_state(connection).pop(_NOTICE, None)
    params = {}
    if notice is not None:
        calls += ("pg_notify(:channel, :payload)",)
        params = {"channel": CHANGES_CHANNEL, "payload": notice}
    if calls:
        connection.execute(text(f"SELECT {', '.join(calls)}"), params)


# What lasts as long as one write transaction (storage.database.Database.write starts and
# ends it): connection.info belongs to the pooled connection and outlives the transaction,
# so what a failed one left there must not reach the next.
_WRITE_STATE = "otdesk_write_state"
_BEFORE_COMMIT = "before_commit"
_NOTICE = "notice"
_CHANGES = "changes"


def begin_write_state(connection: Connection) -> None:
    connection.info[_WRITE_STATE] = {}


def end_write_state(connection: Connection) -> None:
    connection.info.pop(_WRITE_STATE, None)


def write_state(connection: Connection) -> dict[str, Any]:
    """A dict for the current write transaction's own bookkeeping (see above)."""
    return connection.info.setdefault(_WRITE_STATE, {})


def before_commit(connection: Connection, step: Callable[[Connection], None]) -> None:
    """Run `step(connection)` once at the end of this write transaction, before its audit
    entries are appended and it commits (a write the services put off, to make it in one
    statement with a later one when there is one)."""
    steps = write_state(connection).setdefault(_BEFORE_COMMIT, [])
    if step not in steps:
        steps.append(step)


def run_before_commit(connection: Connection) -> None:
    for step in write_state(connection).pop(_BEFORE_COMMIT, []):
        step(connection)


def notice_at_commit(connection: Connection, payload: str) -> None:
    """Tell the other desks of a clinic server `payload` when this transaction commits
    (NOTIFY: delivered at commit, dropped at rollback); sent with the audit tail's lock
    (lock_audit_tail), or by send_notice() when the transaction appends no entry."""
    write_state(connection)[_NOTICE] = payload


def send_notice(connection: Connection) -> None:
    """The notice of notice_at_commit(), when no audit entry took it along."""
    _select_with_notice(connection)


def lock_row_for_write(connection: Connection, table: Any, row_id: int) -> None:
    """Inside a write transaction on PostgreSQL, lock one row (SELECT ... FOR UPDATE) before
    reading it to decide a change: two desks finalizing the same visit then go one after
    the other, and the second sees the first's result. SQLite's write transactions are
    one at a time already (BEGIN IMMEDIATE)."""
    if locks_rows(connection):
        from sqlalchemy import select

        connection.execute(select(table.c.id).where(table.c.id == row_id).with_for_update())


def locks_rows(connection: Connection) -> bool:
    """Whether reads that decide a change must lock their rows on `connection` (a write
    transaction on PostgreSQL; see lock_row_for_write). A read can then lock as it reads:
    SELECT ... FOR UPDATE, one statement instead of two."""
    return connection.dialect.name == "postgresql" and bool(
        connection.get_execution_options().get(WRITE_OPTION)
    )


# The channel a clinic server's desks hear each other's changes on (LISTEN/NOTIFY).
CHANGES_CHANNEL = "otdesk_changes"


def note_change(connection: Connection, entity: str, entity_id: int | None) -> None:
    """Remember, for the end of this write transaction, what it changed: on a clinic
    server the other desks are told at commit (storage.server)."""
    if connection.dialect.name == "postgresql":
        write_state(connection).setdefault(_CHANGES, set()).add((entity, entity_id))


def take_changes(connection: Connection) -> set[tuple[str, int | None]]:
    """What note_change() gathered on this connection, forgotten once taken."""
    return write_state(connection).pop(_CHANGES, set())


def drop_append_only_ddl(dialect_name: str, table: str) -> Sequence[str]:
    if dialect_name == "sqlite":
        return [f"DROP TRIGGER {table}_no_update", f"DROP TRIGGER {table}_no_delete"]
    if dialect_name == "postgresql":
        return [
            f"DROP TRIGGER {table}_append_only ON {table}",
            f"DROP FUNCTION {table}_append_only()",
        ]
    return []


def _driver(connection: Connection) -> Any:
    # The DB-API connection under SQLAlchemy's, for pragmas that must run outside SQLAlchemy's
    # transaction bookkeeping.
    return connection.connection.driver_connection
