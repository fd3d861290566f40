"""The rule tables a clinic imported (NCCI PTP, MUE, KX thresholds, deleted codes), shared by
the desks of a clinic server.

The rules engine reads these tables from files in a folder (otdesk.core.tables; the PTP
table is an SQLite file of millions of edits, queried by a visit's codes). On one desk that
folder is the clinic's own. On a clinic server each desk has its own folder, so an import
made at one desk would change the checks of that desk only, and two desks would disagree
about the same visit. So on a server an import is also written into the clinic database
(table reference_files, compressed), and every desk brings its folder's copy up to date from
there: when it opens the clinic, at most once a minute while it works (one small query of
names and checksums; the files move only when they changed), and when another desk's change
notice names them. The database is the truth; the desk's files are a copy of it.

A clinic file (one desk) keeps its imports as files only, as before: they do not grow every
backup. A desk restored from a server's backup finds the tables in it and takes them too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from otdesk.core.accounts import Permission
from otdesk.core.ncci import MUE_FILE_NAME, PTP_FILE_NAME
from otdesk.core.tables import DELETED_FILE_NAME, KX_FILE_NAME
from otdesk.logs import describe_error
from otdesk.services.context import ServiceContext
from otdesk.storage import schema as s
from otdesk.storage.errors import StorageError
from otdesk.storage.files import write_private_atomic

log = logging.getLogger(__name__)

SHARED_FILES = (PTP_FILE_NAME, MUE_FILE_NAME, KX_FILE_NAME, DELETED_FILE_NAME)
ENTITY = "reference_file"  # the audit entity, and what other desks' notices name
# What this desk's folder holds of the server's tables: name -> checksum, size, mtime.
MANIFEST_NAME = "shared-tables.json"
CHECK_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class SyncReport:
    taken: tuple[str, ...]  # the files brought from the clinic database into the folder
    unchanged: int


def is_shared(ctx: ServiceContext) -> bool:
    """Whether this clinic shares its rule tables through the database (a clinic server)."""
    return ctx.db.engine.dialect.name == "postgresql"


def publish(ctx: ServiceContext, names: tuple[str, ...] | list[str]) -> list[str]:
    """After an import into this desk's folder: on a clinic server, write the files `names`
    into the clinic database for the other desks (audited; their notices say so). Returns
    the names written; nothing on a clinic file."""
    if not is_shared(ctx):
        return []
    ctx.require(Permission.IMPORTS)
    folder = _folder(ctx)
    with ctx.db.write() as connection:
        written = store(connection, folder, names, by=ctx.user, at=ctx.now())
        for name, digest, size in written:
            ctx.audit(
                connection,
                "rules.share",
                ENTITY,
                None,
                after={"file": name, "sha256": digest, "size": size},
            )
    return [name for name, _digest, _size in written]


def store(
    connection: Connection, folder: Path, names: Any, *, by: str, at: datetime
) -> list[tuple[str, str, int]]:
    """Write the rule-table files `names` found in `folder` into the clinic database on
    `connection` (each replacing the one stored before), and note them in the folder's
    manifest as current; returns (name, checksum, size) of each written."""
    manifest = _read_manifest(folder)
    written = []
    for name in names:
        path = folder / name
        if name not in SHARED_FILES or not path.is_file():
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        connection.execute(delete(s.reference_files).where(s.reference_files.c.name == name))
        connection.execute(
            insert(s.reference_files).values(
                name=name,
                content=zlib.compress(data, 6),
                sha256=digest,
                size=len(data),
                imported_at=at,
                imported_by=by,
            )
        )
        manifest[name] = _stamp(path, digest)
        written.append((name, digest, len(data)))
    if written:
        _write_manifest(folder, manifest)
    return written


def sync(ctx: ServiceContext) -> SyncReport:
    """Bring this desk's copies of the shared rule tables up to date from the clinic
    database: only files whose checksum differs move; each is checked against its checksum
    and replaced whole (a desk never reads half a table). Raises StorageError when the
    database cannot be read (the desk then keeps the copies it has)."""
    folder = _folder(ctx)
    manifest = _read_manifest(folder)
    table = s.reference_files
    taken: list[str] = []
    with ctx.db.read() as connection:
        found = connection.execute(select(table.c.name, table.c.sha256)).all()
        stale = [
            name
            for name, digest in found
            if name in SHARED_FILES and not _is_current(folder, name, manifest.get(name), digest)
        ]
        for name in stale:
            data = _content(connection, name)
            if data is None:
                continue
            path = folder / name
            write_private_atomic(path, data)
            manifest[name] = _stamp(path, hashlib.sha256(data).hexdigest())
            taken.append(name)
    if taken:
        _write_manifest(folder, manifest)
        log.info("rule tables taken from the clinic database: %s", ", ".join(taken))
    return SyncReport(tuple(taken), len(found) - len(taken))


class EveryMinute:
    """ServiceContext.refresh_tables of a server desk: sync_quietly at most once a minute
    (the rules read the tables at every save; the check is one small query)."""

    def __init__(self, ctx: ServiceContext, every: float = CHECK_EVERY_SECONDS) -> None:
        self._ctx = ctx
        self._every = every
        self._last: float | None = None

    def __call__(self, *, now: bool = False) -> None:
        moment = time.monotonic()
        if now or self._last is None or moment - self._last >= self._every:
            self._last = moment
            sync_quietly(self._ctx)


def sync_quietly(ctx: ServiceContext) -> SyncReport | None:
    """sync(), for the moments the desk was not asked to (opening, the minute's check): a
    server that cannot be read now leaves the copies this desk has, said in the log."""
    try:
        return sync(ctx)
    except (StorageError, OSError) as error:
        log.warning(
            "rule tables not brought up to date from the clinic database: %s",
            describe_error(error),
        )
        return None


def _content(connection: Connection, name: str) -> bytes | None:
    row = connection.execute(
        select(s.reference_files.c.content, s.reference_files.c.sha256).where(
            s.reference_files.c.name == name
        )
    ).first()
    if row is None:
        return None
    try:
        data = zlib.decompress(bytes(row.content))
    except zlib.error:
        data = b""
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise StorageError(
            f"The clinic database's copy of the rule table {name} does not match its checksum; "
            "this desk keeps the copy it has. Import the table again at any desk."
        )
    return data


def _folder(ctx: ServiceContext) -> Path:
    folder = Path(ctx.tables_dir or ctx.db.path.parent)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _stamp(path: Path, digest: str) -> dict[str, Any]:
    stat = path.stat()
    return {"sha256": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _is_current(folder: Path, name: str, stamp: Any, digest: str) -> bool:
    """Whether the folder's file `name` is the one with checksum `digest`, judged by what
    the manifest recorded when it was written (size and time unchanged since): hashing a
    PTP table of a few hundred megabytes at every check would cost seconds."""
    if not isinstance(stamp, dict) or stamp.get("sha256") != digest:
        return False
    try:
        stat = (folder / name).stat()
    except OSError:
        return False
    return stat.st_size == stamp.get("size") and stat.st_mtime_ns == stamp.get("mtime_ns")


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    write_private_atomic(
        folder / MANIFEST_NAME, json.dumps(manifest, indent=1, sort_keys=True).encode()
    )
