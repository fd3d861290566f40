"""What every service shares: the open database, the clock, the operating-system user, the
procedure catalog, the rule tables, and the audit log writer."""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from otdesk.core.accounts import Permission, Person, refusal
from otdesk.core.money import Money
from otdesk.services.clinic_catalog import load_catalog
from otdesk.services.clock import Clock, SystemClock
from otdesk.services.errors import PermissionDeniedError
from otdesk.storage import audit_chain, dialect, signin_record
from otdesk.storage.database import Database
from otdesk.storage.errors import DatabaseLockedError

if TYPE_CHECKING:
    from otdesk.core.catalog import Catalog


def os_user() -> str:
    """The operating-system user, recorded as "who" in the audit log."""
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): still record something
        return "unknown"


LOCAL_DESK = "this desk"


@dataclass
class ServiceContext:
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    user: str = field(default_factory=os_user)
    # The folder whose NCCI/MUE imports and table overrides the rules use (the data folder).
    tables_dir: Path | None = None
    # Anything with validate(code) -> DxCheck (otdesk.core.icd.IcdIndex); None: format only.
    icd: Any = None
    catalog_override: Catalog | None = None
    tables_override: Any = None
    # Who is signed in (the window and the command line always say). None is the
    # maintenance context of setting up a clinic (the demo's seeding, a server's first
    # set-up, tests of the layers below the roles): it is not refused anything.
    person: Person | None = None
    # Called before the rule tables are read: a server desk brings its copies of the
    # clinic's shared tables up to date (services.shared_tables.EveryMinute); None else.
    refresh_tables: Callable[[], None] | None = None

    def sign_in_as(self, person: Person | None) -> None:
        """From now on, act as `person`: the audit log names them, the roles apply."""
        self.person = person
        if person is not None:
            self.user = person.name

    def require(self, permission: Permission) -> None:
        """Refuse (PermissionDeniedError, naming the role needed) when the signed-in
        person's role does not allow `permission`."""
        if self.person is not None and not self.person.may(permission):
            raise PermissionDeniedError(refusal(self.person, permission))

    # The shipped catalog with the clinic's own codes, read on first use and replaced when
    # they change (otdesk.services.clinic_catalog).
    clinic_catalog: Catalog | None = field(default=None, repr=False, compare=False)

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def desk(self) -> str:
        """Which desk this is, for what belongs to a desk (a running timer): on a clinic
        server the desk's own id (ServerDatabase.desk); a clinic in a local file is opened
        by one desk only, so it is always "this desk"."""
        return str(getattr(self.db, "desk", LOCAL_DESK))

    def today(self) -> date:
        return self.clock.now().date()

    @property
    def catalog(self) -> Catalog:
        """The procedure catalog the services bill from: the shipped one with the clinic's
        own codes."""
        if self.catalog_override is not None:
            return self.catalog_override
        if self.clinic_catalog is None:
            with self.reading() as connection:
                self.clinic_catalog = load_catalog(connection)
        return self.clinic_catalog

    @property
    def tables(self) -> Any:
        """RuleTables for the rules engine: shipped files plus the clinic's imports."""
        if self.tables_override is not None:
            return self.tables_override
        from otdesk.core.tables import RuleTables

        if self.refresh_tables is not None:  # a server desk's copies (services.shared_tables)
            self.refresh_tables()
        return RuleTables.load(self.tables_dir)

    @contextlib.contextmanager
    def reading(self, connection: Connection | None = None) -> Iterator[Connection]:
        """The caller's transaction when it passes one (several reads from one snapshot),
        else a read transaction of its own."""
        if connection is not None:
            yield connection
            return
        with self.db.read() as opened:
            yield opened

    def audit(
        self,
        connection: Connection,
        action: str,
        entity: str,
        entity_id: int | None,
        *,
        before: Any = None,
        after: Any = None,
        reason: str | None = None,
    ) -> None:
        """Append one entry to the audit log, inside the caller's transaction, chained to
        the entry before it (storage.audit_chain)."""
        self._append(connection, self._entry(action, entity, entity_id, before, after, reason))

    def audit_alone(
        self,
        action: str,
        entity: str,
        entity_id: int | None,
        *,
        before: Any = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        """One audit entry that is a write of its own (a sign-in, a sign-out, the record
        of an export). A clinic opened for reading only waits for the write lock only
        briefly (storage.database: a read-only command works beside a program that is
        writing); when the database is locked, the entry is kept beside it with its time
        and written into the chain by the next write of any program
        (storage.signin_record). Never lost: StorageError when it can be neither."""
        entry = self._entry(action, entity, entity_id, before, after, reason)
        try:
            with self.db.write() as connection:
                self._append(connection, entry)
        except DatabaseLockedError:
            kept = {**(after or {}), signin_record.TOKEN_KEY: signin_record.new_token()}
            signin_record.defer(
                self.db.pending_place, dataclasses.replace(entry, after_json=to_json(kept))
            )

    def _entry(
        self,
        action: str,
        entity: str,
        entity_id: int | None,
        before: Any,
        after: Any,
        reason: str | None,
    ) -> signin_record.PendingEntry:
        """An entry of now, in the name of who is signed in, not yet in the chain."""
        return signin_record.PendingEntry(
            self.now(),
            self.user,
            action,
            entity,
            entity_id,
            to_json(before),
            to_json(after),
            reason,
        )

    def _append(self, connection: Connection, entry: signin_record.PendingEntry) -> None:
        dialect.note_change(connection, entry.entity, entry.entity_id)
        audit_chain.add(connection, entry.columns())


def to_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, default=_json_default, ensure_ascii=False)


def _json_default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Money):
        return value.to_json()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")
