"""Setting up a clinic server and moving a desk's clinic onto it (issue 16): `otdesk server
init` and `otdesk server move`.

init: the schema through the same Alembic migrations as a clinic file, the first
administrator, and (when asked) the login role the desks use, with only the rights otdesk
needs: it can read and write the clinic's rows, append to the audit log, and nothing else
(no superuser, not the owner, so it cannot drop the protecting triggers or rewrite the
audit log).

move: a whole local clinic into an empty server database, every table with its ids, the
audit chain intact, the sequences set past the copied ids, then verified table by table
(row count and a checksum of the rows); the local file is kept, as a backup and aside."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, text, update

from otdesk.core.accounts import Person
from otdesk.paths import database_path
from otdesk.services import shared_tables
from otdesk.services.audit import records_report
from otdesk.services.clinic import Clinic
from otdesk.services.clock import Clock, SystemClock
from otdesk.services.errors import ServiceError
from otdesk.storage import schema as s
from otdesk.storage.database import Database, open_database
from otdesk.storage.files import fsync_folder
from otdesk.storage.keys import DatabaseKey, key_file_path
from otdesk.storage.server import ServerDatabase, describe, open_server, server_url

# A login role's name: what PostgreSQL accepts unquoted, so it can be written into GRANTs.
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Tables a desk only reads and appends to; the rest it reads and writes.
_APPEND_ONLY = ("audit_log", "payment_removals")
_READ_ONLY = ("alembic_version",)
_BATCH = 500


@dataclass(frozen=True, slots=True)
class ServerInitReport:
    server: str
    administrator: str
    role: str | None  # the login role made for the desks, when asked


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    rows: int
    checksum: str  # SHA-256 of the rows in id order, the same on both sides


@dataclass(frozen=True, slots=True)
class MoveReport:
    server: str
    tables: tuple[TableCopy, ...]
    backup: Path  # the verified backup of the local clinic taken before the move
    kept_aside: Path  # the local clinic file, moved into a folder of its own (_set_aside)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def init_server(
    address: str,
    *,
    desk_dir: Path,
    admin: str,
    password: str,
    display_name: str = "",
    create_role: str | None = None,
    role_password: str | None = None,
    clock: Clock | None = None,
) -> ServerInitReport:
    """Make the clinic in the empty database at `address` (connected as its owner) with its
    first administrator; with `create_role`, also the login role the desks connect as."""
    if create_role is not None:
        _check_role_name(create_role)
        if not role_password:
            raise ServiceError(f"The role {create_role} needs a password for the desks to use.")
    db = open_server(address, desk_dir=desk_dir, create=True)
    with Clinic(db, clock=clock or SystemClock()) as clinic:
        if not db.report.created:
            raise ServiceError(
                f"The database {db.server} holds an otdesk clinic already; nothing was "
                "changed. Connect the desks to it, or give `server init` an empty database."
            )
        account = clinic.accounts.create_first_administrator(admin, display_name or admin, password)
        clinic.ctx.user = account.name
        with db.write() as connection:
            clinic.ctx.audit(connection, "server.init", "clinic", None, after={"server": db.server})
            if create_role is not None:
                assert role_password is not None
                grant_desk_role(connection, create_role, role_password)
    return ServerInitReport(db.server, account.name, create_role)


def grant_desk_role(connection: Connection, role: str, password: str) -> None:
    """The login role the desks use, with the rights otdesk needs and no more."""
    _check_role_name(role)
    exists = connection.execute(
        text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    # The password goes in as a literal the server quotes itself (format %L).
    quoted = connection.execute(text("SELECT quote_literal(:p)"), {"p": password}).scalar_one()
    verb = "ALTER" if exists else "CREATE"
    connection.exec_driver_sql(
        f"{verb} ROLE {role} LOGIN PASSWORD {quoted} "
        "NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION"
    )
    grant_desk_rights(connection, role)


def role_exists(connection: Connection, role: str) -> bool:
    found = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role})
    return found.first() is not None


def grant_desk_rights(connection: Connection, role: str) -> None:
    """The desk role's rights on every clinic table and sequence there is now: run again
    (as the owner) after an upgrade of otdesk made new tables."""
    _check_role_name(role)
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    connection.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
    connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {role}")
    for table in s.metadata.sorted_tables:
        if table.name in _APPEND_ONLY:
            rights = "SELECT, INSERT"
        else:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        connection.exec_driver_sql(f"GRANT {rights} ON {table.name} TO {role}")
    for name in _READ_ONLY:
        connection.exec_driver_sql(f"GRANT SELECT ON {name} TO {role}")
    connection.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")


def move_to_server(
    address: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    desk_dir: Path | None = None,
    key: DatabaseKey | None = None,
    clock: Clock | None = None,
) -> MoveReport:
    """Copy the clinic in `data_dir` (unlocked with `key` when encrypted) into the empty
    database at `address`, verify it, and keep the local file aside. Nothing local changes
    until the copy has verified; a failed copy leaves the server database as it was made
    (empty of rows is not promised: run it again on a new database)."""
    clock = clock or SystemClock()
    path = database_path(data_dir)
    if not path.exists():
        raise ServiceError(f"There is no clinic at {path} to move.")
    url = server_url(address)
    target = open_server(url, desk_dir=desk_dir or path.parent, create=True)
    try:
        if not target.report.created or _has_rows(target):
            raise ServiceError(
                f"The database {describe(url)} is not empty; a clinic is moved only into an "
                "empty database. Nothing was copied."
            )
        with open_database(path, now=clock.now(), daily_backup=False, key=key) as source:
            backup = source.backup(now=clock.now(), reason="before-server-move")
            copies = _copy_all(source, target)
        with target.read() as connection:
            report = records_report(connection)
        if not report.ok:
            raise ServiceError(
                "The copy on the server does not verify ("
                + "; ".join(report.problems()[:3])
                + "). The local clinic was not changed."
            )
        # the clinic's imported rule tables, for every desk (services.shared_tables)
        with target.write() as connection:
            files = shared_tables.SHARED_FILES
            shared_tables.store(connection, path.parent, files, by="server move", at=clock.now())
    finally:
        target.close()
    return MoveReport(describe(url), tuple(copies), backup, _set_aside(path, clock.now()))


def _set_aside(path: Path, now: datetime) -> Path:
    """Move the local clinic file (with its WAL and, when encrypted, its key file) into a
    folder of its own beside it, so no desk opens it by mistake and it still opens as it is
    (`--data-dir` that folder); returns the file's new path."""
    folder = path.parent / f"moved-to-server-{now:%Y%m%d-%H%M%S}"
    folder.mkdir(mode=0o700)
    aside = folder / path.name
    for old in (Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")):
        if old.exists():
            old.rename(folder / old.name)
    key_file = key_file_path(path)
    if key_file.exists():
        key_file.rename(key_file_path(aside))
    fsync_folder(folder)
    fsync_folder(path.parent)
    return aside


def record_move(
    address: str, report: MoveReport, *, person: Person, desk_dir: Path, clock: Clock | None = None
) -> None:
    """The move in the server clinic's audit log, in the name of the administrator who made
    it (the moved audit chain goes on from the local clinic's last entry)."""
    db = open_server(address, desk_dir=desk_dir)
    with Clinic(db, clock=clock or SystemClock()) as clinic:
        clinic.ctx.sign_in_as(person)
        with db.write() as connection:
            clinic.ctx.audit(
                connection,
                "server.move",
                "clinic",
                None,
                after={
                    "server": report.server,
                    "rows": report.rows,
                    "kept": report.kept_aside.name,
                },
            )


def table_checksums(db: Database) -> dict[str, TableCopy]:
    """Row count and checksum of every clinic table (the same on both engines for the
    same rows), for verifying a move."""
    with db.read() as connection:
        return {t.name: _checksum(connection, t) for t in s.metadata.sorted_tables}


def backup_server(
    db: ServerDatabase,
    folder: Path,
    *,
    name: str,
    password: str,
    clock: Clock | None = None,
) -> Path:
    """A portable backup of the whole server clinic in `folder`, in the same encrypted
    one-file format as a desk's backups: restored with `otdesk restore FILE` (and the
    password of `name`, the administrator making it, as it is today) onto a desk, from where
    `otdesk server move` takes it to a server again. The database server's own backups
    (pg_dump, point-in-time recovery) stay the clinic's first line."""
    import shutil
    import tempfile

    from otdesk.storage import keys

    clock = clock or SystemClock()
    # the password must be the administrator's own: it is what will open the backup
    Clinic(db, clock=clock).accounts.authenticate(name, password)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = keys.new_database_key()
    work = Path(tempfile.mkdtemp(prefix=".otdesk-server-backup-", dir=folder))
    try:
        copy = work / "otdesk.db"
        slots = keys.KeySlots.new(key, keys.new_recovery_key()).with_password(key, name, password)
        keys.write_key_file(keys.key_file_path(copy), slots)
        with open_database(copy, now=clock.now(), daily_backup=False, key=key) as local:
            _copy_all(db, local)
            made = local.backup(now=clock.now(), reason="manual")
        target = folder / made.name.replace("otdesk-", "otdesk-server-", 1)
        os.replace(made, target)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _copy_all(source: Database, target: Database) -> list[TableCopy]:
    copies: list[TableCopy] = []
    with source.read() as reading, target.write() as writing:
        _empty_made_rows(writing)
        finished: dict[int, str] = {}
        for table in s.metadata.sorted_tables:
            rows = reading.execute(select(table).order_by(*table.primary_key.columns))
            for batch in _batches(dict(r) for r in rows.mappings()):
                if table is s.visits:
                    # The server keeps a finalized visit's lines from changing, inserts
                    # included: visits arrive as drafts and get their status back last.
                    for row in batch:
                        if row["status"] != "draft":
                            finished[row["id"]] = row["status"]
                    batch = [{**row, "status": "draft"} for row in batch]
                writing.execute(insert(table), batch)
        for visit_id, status in finished.items():
            writing.execute(update(s.visits).where(s.visits.c.id == visit_id).values(status=status))
        if writing.dialect.name == "postgresql":
            _set_sequences(writing)
        for table in s.metadata.sorted_tables:
            here, there = _checksum(reading, table), _checksum(writing, table)
            if here != there:
                raise ServiceError(
                    f"The table {table.name} did not copy exactly ({here.rows} rows here, "
                    f"{there.rows} on the server); nothing was kept on the server."
                )
            copies.append(there)
    return copies


def _set_sequences(connection: Connection) -> None:
    for table in s.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (
                column.autoincrement == "auto" and len(table.primary_key.columns) == 1
            ):
                sequence = connection.execute(
                    text("SELECT pg_get_serial_sequence(:t, :c)"),
                    {"t": table.name, "c": column.name},
                ).scalar()
                if sequence:
                    connection.execute(
                        text(
                            f"SELECT setval(:seq, COALESCE((SELECT MAX({column.name}) "
                            f"FROM {table.name}), 1), "
                            f"(SELECT MAX({column.name}) FROM {table.name}) IS NOT NULL)"
                        ),
                        {"seq": sequence},
                    )


def _empty_made_rows(connection: Connection) -> None:
    """A new clinic file has rows of its own (the migrations' defaults); the copy brings
    the source's instead."""
    if connection.dialect.name == "sqlite":
        for table in reversed(s.metadata.sorted_tables):
            if table.name not in _APPEND_ONLY:
                connection.execute(table.delete())


def _has_rows(db: Database) -> bool:
    with db.read() as connection:
        return any(
            connection.execute(select(func.count()).select_from(t)).scalar()
            for t in s.metadata.sorted_tables
        )


def _checksum(connection: Connection, table: Table) -> TableCopy:
    digest = hashlib.sha256()
    count = 0
    names = [c.name for c in table.columns]
    rows = connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()
    for row in rows:
        count += 1
        digest.update(_row_bytes(row, names))
    return TableCopy(table.name, count, digest.hexdigest())


def _row_bytes(row: Mapping[Any, Any], names: list[str]) -> bytes:
    return ("\x1f".join(_plain(row[name]) for name in names) + "\x1e").encode()


def _plain(value: Any) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def _batches(rows: Iterable[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _check_role_name(role: str) -> None:
    if not _ROLE_NAME.match(role):
        raise ServiceError(
            f"The role name {role!r} is not usable: lower-case letters, digits and _ only, "
            "starting with a letter."
        )
