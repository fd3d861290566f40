"""Reading the audit log (writing is ServiceContext.audit, inside each action's transaction)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from otdesk.services import permissions
from otdesk.services.context import ServiceContext
from otdesk.storage import audit_chain, dialect
from otdesk.storage import schema as s
from otdesk.storage.audit_chain import ChainReport
from otdesk.storage.database import Database


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    user: str
    action: str
    entity: str
    entity_id: int | None
    before: Any
    after: Any
    reason: str | None


class AuditService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def entries(
        self,
        entity: str | None = None,
        entity_ids: list[int] | None = None,
        *,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """Entries oldest first, optionally for one kind of entity and some of its ids."""
        query = select(s.audit_log).order_by(s.audit_log.c.id).limit(limit)
        if entity is not None:
            query = query.where(s.audit_log.c.entity == entity)
        if entity_ids is not None:
            query = query.where(s.audit_log.c.entity_id.in_(entity_ids))
        with self.ctx.db.read() as connection:
            return [_entry(row) for row in connection.execute(query)]

    def visit_history(self, visit_id: int) -> list[AuditEntry]:
        """Everything that happened to a visit, all its versions and its payments, oldest
        first."""
        v = s.visits
        with self.ctx.db.read() as connection:
            chain_id = connection.execute(select(v.c.chain_id).where(v.c.id == visit_id)).scalar()
            if chain_id is None:
                return []
            version_ids = list(
                connection.execute(select(v.c.id).where(v.c.chain_id == chain_id)).scalars()
            )
            log = s.audit_log
            query = (
                select(log)
                .where(
                    or_(
                        and_(log.c.entity == "visit", log.c.entity_id.in_(version_ids)),
                        and_(log.c.entity == "visit_chain", log.c.entity_id == chain_id),
                    )
                )
                .order_by(log.c.id)
            )
            return [_entry(row) for row in connection.execute(query)]


@dataclass(frozen=True, slots=True)
class RecordsReport:
    """Whether the records are as otdesk wrote them: the audit chain fits, and the triggers
    that keep finalized records from being rewritten are all there."""

    chain: ChainReport
    missing_triggers: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.missing_triggers

    def problems(self) -> list[str]:
        found = [self.chain.problem] if self.chain.problem else []
        if self.missing_triggers:
            found.append(
                "the triggers that keep finalized records are missing: "
                + ", ".join(self.missing_triggers)
            )
        return found


def check_records(db: Database) -> RecordsReport:
    """Walk the whole audit chain and look for the protecting triggers (read-only)."""
    with db.read() as connection:
        return records_report(connection)


def records_report(connection: Connection) -> RecordsReport:
    log = s.audit_log
    rows = connection.execute(select(log).order_by(log.c.id)).mappings()
    chain = audit_chain.verify(dict(row) for row in rows)
    expected = dialect.protecting_triggers(connection.dialect.name)
    missing = tuple(sorted(expected - dialect.trigger_names(connection)))
    return RecordsReport(chain, missing)


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        user=row.user,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        before=json.loads(row.before_json) if row.before_json else None,
        after=json.loads(row.after_json) if row.after_json else None,
        reason=row.reason,
    )


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(AuditService)
