"""A clinic kept on a PostgreSQL server (issue 16): several desks, one clinic.

The services run on it unchanged: they speak SQLAlchemy Core, and the differences between
the engines live in dialect.py. What differs here from a clinic file:

- the address is a URL (postgresql://user@host:port/database); its password, when it has
  one, never appears in a message or the log (describe() gives host, port and database);
- there is no file to check: the schema revision and otdesk's own tables tell an otdesk
  clinic from an empty database or another program's;
- a server that does not answer, refuses the user or has no such database is a
  ServerUnavailableError / ServerRefusedError, a sentence that names the server;
- writes run at READ COMMITTED with the row and table locks the services take (SQLite's
  single writer gives those for free), and migrations are serialised between desks by an
  advisory lock, so two desks starting a new otdesk at once migrate once;
- the desk keeps its own local folder (`desk_dir`) for what is per desk: the window's
  settings, files written for the person at this desk (claim files, PDFs).

Backups of a server clinic are not made here: the database server's own backups come first
(README, "A clinic server").
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, inspect, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError

from otdesk.storage import dialect
from otdesk.storage.backups import BACKUP_DIRNAME, BackupStore
from otdesk.storage.database import CheckReport, Database, OpenReport

# the errors live in storage.errors (light: the window takes them from services.errors)
from otdesk.storage.errors import (
    DatabaseLockedError,
    EmptyServerError,
    NotAClinicServerError,
    SchemaTooNewError,
    ServerError,
    ServerRefusedError,
    ServerUnavailableError,
    StorageError,
)
from otdesk.storage.migrations import HEAD_REVISION, KNOWN_REVISIONS

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
# pg_advisory_lock key for migrating a clinic database ("otds" as in the SQLite header).
MIGRATION_LOCK = 0x6F746473
# The file name standing in for the clinic file in the desk's folder: services that keep
# per-desk files beside the clinic use its parent (the desk folder).
SERVER_PLACEHOLDER = "clinic-server"
# Tables every otdesk clinic has (a database holding others is not ours to change).
CLINIC_TABLES = frozenset({"alembic_version", "patients", "visits", "charge_lines", "audit_log"})


def desk_id() -> str:
    """Who this desk is to the others: the computer's name, which people read ("started at
    desk FRONT-PC"), and a random part, so two windows on one computer differ too."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "", socket.gethostname())[:40] or "desk"
    return f"{name}:{uuid.uuid4().hex[:16]}"


def is_server_address(text: str | None) -> bool:
    return bool(text) and str(text).split(":", 1)[0].split("+", 1)[0] in (
        "postgresql",
        "postgres",
    )


def server_url(text: str) -> URL:
    """The SQLAlchemy URL (psycopg 3 driver) for a clinic server address. Refuses anything
    that is not a postgresql:// address with a host and a database, saying which part."""
    try:
        url = make_url(text.strip())
    except ArgumentError:
        raise ServerError(
            "The clinic server address is not a database address; write it as "
            "postgresql://USER@HOST:PORT/DATABASE."
        ) from None
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise ServerError(
            f"The clinic server address must start with postgresql:// (it starts with "
            f"{url.drivername}://)."
        )
    if not url.host:
        raise ServerError("The clinic server address names no host (postgresql://USER@HOST/DB).")
    if not url.database:
        raise ServerError(
            "The clinic server address names no database (postgresql://USER@HOST/DATABASE)."
        )
    return url.set(drivername="postgresql+psycopg")


def describe(url: URL) -> str:
    """host:port/database, for messages and the log (never the password)."""
    return f"{url.host}:{url.port or 5432}/{url.database}"


def create_server_engine(url: URL) -> Engine:
    """An engine for the clinic server. pool_pre_ping replaces a connection the server
    dropped (a restart) before it is used, so work goes on once the server is back."""
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=2,
        max_overflow=2,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "application_name": "otdesk",
        },
    )


class ServerDatabase(Database):
    """A clinic on a PostgreSQL server, with the same read()/write() as a clinic file."""

    def __init__(self, url: URL, engine: Engine, desk_dir: Path, report: OpenReport) -> None:
        desk_dir = Path(desk_dir)
        super().__init__(
            desk_dir / SERVER_PLACEHOLDER,
            engine,
            BackupStore(desk_dir / BACKUP_DIRNAME),
            report,
            key=None,
        )
        self.url = url
        # Who this desk is to the other desks: their change notices name it, and a desk
        # ignores its own.
        self.desk = desk_id()
        self._place: Path | None = None

    @property
    def server(self) -> str:
        return describe(self.url)

    @property
    def pending_place(self) -> Path:
        """This server's own place in the desk folder (its failed sign-ins and the audit
        entries kept for it are apart from a local clinic's)."""
        if self._place is None:
            self._place = record_place(self.path.parent, self.url)
        return self._place

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; at its commit the other desks hear what it changed."""
        with super().write() as connection:
            yield connection
            changes = dialect.take_changes(connection)
            if changes:
                dialect.notice_at_commit(connection, _payload(self.desk, changes))

    def listen(self) -> ChangeListener:
        """A listener for the other desks' changes (its own connection; close it)."""
        return ChangeListener(self.url, own_desk=self.desk)

    def translate_errors(self) -> contextlib.AbstractContextManager[None]:
        return translate_server_errors(self.url)

    def backup(self, *, now: datetime, reason: str = "manual", progress: Any = None) -> Path:
        raise ServerError(
            f"The clinic is kept on the server {self.server}: its backups are the server's "
            'own (pg_dump or the server\'s scheduled backups; README, "A clinic server"). '
            "Nothing was written."
        )

    def check(self, *, quick: bool = False) -> CheckReport:
        """The schema revision the server holds (the server checks its own pages)."""
        with self.translate_errors(), self.engine.connect() as connection:
            revision = _revision(connection)
            connection.rollback()
        return CheckReport(self.path, revision, HEAD_REVISION, (), 0)

    def reset(self) -> None:
        raise ServerError(
            f"A clinic on the server {self.server} is not emptied from a desk; nothing was changed."
        )

    def close(self) -> None:
        self.engine.dispose()


# A notice's payload must stay under PostgreSQL's 8000 bytes: past this many changes in
# one transaction, it says "everything" and the desks reload all they show.
_MOST_CHANGES = 200


@dataclass(frozen=True, slots=True)
class Change:
    """Another desk changed this record (entity "visit", "patient", ... and its id), or,
    with entity "*", more than a notice can list: reload everything shown."""

    desk: str
    entity: str
    entity_id: int | None


def _payload(desk: str, changes: set[tuple[str, int | None]]) -> str:
    listed = sorted(changes, key=lambda c: (c[0], c[1] or 0))
    if len(listed) > _MOST_CHANGES:
        listed = [("*", None)]
    return json.dumps({"desk": desk, "changes": listed}, separators=(",", ":"))


class ChangeListener:
    """Hears the changes the other desks commit (LISTEN on its own connection). wait()
    blocks up to `timeout` seconds; a lost server is reconnected at the next wait, and
    ServerUnavailableError says so while it is away. The first wait after a reconnect
    reports a Change of entity "*": what was sent meanwhile was missed."""

    def __init__(self, url: URL, *, own_desk: str) -> None:
        self.url = url
        self.own_desk = own_desk
        self._connection: Any = None
        self._lost = False

    def wait(self, timeout: float) -> list[Change]:
        import psycopg

        try:
            missed = self._lost
            connection = self._connect()
            heard: list[Change] = []
            if missed:
                # notices sent while this desk was not listening are gone: reload all
                self._lost = False
                heard.append(Change("", "*", None))
            for notice in connection.notifies(timeout=timeout, stop_after=1):
                heard.extend(self._changes(notice.payload))
            # the rest of what arrived together, without waiting again
            for notice in connection.notifies(timeout=0.01):
                heard.extend(self._changes(notice.payload))
            return heard
        except psycopg.OperationalError:
            self.close()
            self._lost = True
            raise ServerUnavailableError(
                f"The connection to the clinic server {describe(self.url)} was lost; otdesk "
                "keeps trying."
            ) from None

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    def _connect(self) -> Any:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(
                self.url.set(drivername="postgresql").render_as_string(hide_password=False),
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                application_name="otdesk-listen",
            )
            self._connection.execute(f"LISTEN {dialect.CHANGES_CHANNEL}")
        return self._connection

    def _changes(self, payload: str) -> list[Change]:
        try:
            body = json.loads(payload)
            desk = str(body["desk"])
            listed = [(str(entity), entity_id) for entity, entity_id in body["changes"]]
        except (ValueError, KeyError, TypeError):
            return [Change("", "*", None)]  # unreadable: reload everything, to be safe
        if desk == self.own_desk:
            return []
        return [Change(desk, entity, entity_id) for entity, entity_id in listed]


def open_server(
    address: str | URL,
    *,
    desk_dir: Path,
    create: bool = False,
) -> ServerDatabase:
    """Open the clinic on the server at `address`, migrating an older schema (one desk at
    a time). An empty database is refused unless `create` (server init) is given; a
    database of another program is always refused, and left as it was."""
    url = address if isinstance(address, URL) else server_url(address)
    engine = create_server_engine(url)
    try:
        with translate_server_errors(url), engine.connect() as connection:
            report = _prepare(connection, url, create=create)
    except BaseException:
        engine.dispose()
        raise
    desk_dir = Path(desk_dir)
    desk_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return ServerDatabase(url, engine, desk_dir, report)


# Under the desk folder: one subfolder per server for its sign-in record.
SERVERS_DIRNAME = "servers"


def record_place(desk_dir: Path, url: URL) -> Path:
    """The stand-in 'database path' whose neighbour holds this server's sign-in record and
    kept audit entries on this desk (storage.signin_record keeps its file beside the
    database): one folder per server, made when missing."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", describe(url).replace(":", "_").replace("/", "_"))
    servers = Path(desk_dir) / SERVERS_DIRNAME
    folder = servers / slug
    for made in (Path(desk_dir), servers, folder):
        made.mkdir(exist_ok=True, mode=0o700)
    return folder / SERVER_PLACEHOLDER


def server_tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _prepare(connection: Connection, url: URL, *, create: bool) -> OpenReport:
    from otdesk.storage.migrations import upgrade

    # Two desks starting a newer otdesk at once: the second waits, then finds it migrated.
    connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
    try:
        tables = server_tables(connection)
        revision = _revision(connection) if "alembic_version" in tables else None
        if revision is None:
            if tables:
                raise NotAClinicServerError(
                    f"The database {describe(url)} holds tables that are not an otdesk "
                    f"clinic's ({', '.join(sorted(tables)[:5])}); it has not been changed. "
                    "Give otdesk an empty database of its own."
                )
            if not create:
                raise EmptyServerError(
                    f"The database {describe(url)} is empty: set up the clinic in it first "
                    "with `otdesk server init --database URL --admin NAME`."
                )
        elif not tables.issuperset(CLINIC_TABLES):
            raise NotAClinicServerError(
                f"The database {describe(url)} is missing otdesk's tables "
                f"({', '.join(sorted(CLINIC_TABLES - tables))}); it has not been changed."
            )
        elif revision not in KNOWN_REVISIONS:
            raise SchemaTooNewError(
                f"The clinic on {describe(url)} was set up by a newer version of otdesk "
                f"(schema {revision}); install that version on this desk. Nothing was changed."
            )
        connection.commit()
        if revision != HEAD_REVISION:
            upgrade(connection)
            connection.commit()
            log.info("server schema %s -> %s", revision, HEAD_REVISION)
    finally:
        with contextlib.suppress(DBAPIError):
            connection.rollback()
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
            connection.commit()
    migrated_from = revision if revision not in (None, HEAD_REVISION) else None
    return OpenReport(created=revision is None, migrated_from=migrated_from, backup=None)


def _revision(connection: Connection) -> str | None:
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


@contextlib.contextmanager
def translate_server_errors(url: URL) -> Iterator[None]:
    """The driver's errors as sentences that name the server (never its password)."""
    try:
        yield
    except DBAPIError as error:
        translated = _server_error(url, error)
        if translated is None:
            raise  # a constraint or trigger refusal: the services handle those as on SQLite
        raise translated from None


def _server_error(url: URL, error: DBAPIError) -> StorageError | None:
    import psycopg

    where = describe(url)
    original: Any = error.orig
    state = getattr(original, "sqlstate", None) or ""
    text = str(original).lower()
    if state == "28P01" or "password authentication failed" in text:
        return ServerRefusedError(
            f"The clinic server {where} refused the user {url.username or '(none)'}: the "
            "password is wrong. Nothing was saved."
        )
    if state == "3D000" or ("database" in text and "does not exist" in text):
        return ServerRefusedError(
            f"The clinic server {url.host}:{url.port or 5432} has no database "
            f"{url.database}. Create it, or check the name; nothing was saved."
        )
    if state.startswith("28"):
        return ServerRefusedError(
            f"The clinic server {where} does not let the user {url.username or '(none)'} in "
            f"({state}). Nothing was saved."
        )
    if state == "42501":
        return ServerRefusedError(
            f"The clinic server {where} refused this step: the user "
            f"{url.username or '(none)'} lacks the rights for it. Nothing was saved."
        )
    if state == "55P03":  # lock_not_available: a brief wait (dialect.limit_lock_wait) ran out
        return DatabaseLockedError(Path(where))
    if state in ("40001", "40P01"):
        return ServerError(
            f"Another desk changed the same records at the same moment on {where}; nothing "
            "was saved. Try again."
        )
    if isinstance(original, psycopg.OperationalError) or error.connection_invalidated:
        return ServerUnavailableError(
            f"The connection to the clinic server {where} was lost or it did not answer; "
            "nothing was saved. otdesk reconnects when you try again."
        )
    return None
