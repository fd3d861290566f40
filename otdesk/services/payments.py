"""Payments and copays of a visit. They belong to the visit's chain (every version), not to
one version, so an amendment keeps them; a removed payment stays on file with its reason
(payment_removals) and no longer counts. VisitService.record_payment and remove_payment
call this service; the visit's detail lists the payments (otdesk.services.visit_detail)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from otdesk.core.visit import VisitStatus
from otdesk.services import permissions
from otdesk.services import validate as v
from otdesk.services.context import ServiceContext
from otdesk.services.errors import NotFoundError, VisitNotEditableError
from otdesk.services.visit_detail import (
    NOT_REMOVED,
    VisitDetail,
    detail_now,
    get_row,
    mark_changed,
)
from otdesk.storage import schema as s
from otdesk.storage.values import inserted_id, to_cents


class PaymentService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def record(
        self,
        visit_id: int,
        amount: Any,
        *,
        kind: str = "copay",
        method: str = "cash",
        received_on: date | str | None = None,
        reference: str = "",
        expected_version: int | None = None,
    ) -> VisitDetail:
        """Record a copay or payment for a visit (any status but void). Payments belong to
        the visit, not to one version: an amendment keeps them."""
        values = {
            "kind": v.choice(kind, "kind", s.PAYMENT_KINDS),
            "amount_cents": to_cents(v.money_value(amount, "amount", allow_zero=False)),
            "method": v.choice(method, "method", s.PAYMENT_METHODS),
            "received_on": (
                v.date_value(received_on, "received_on") if received_on else self.ctx.today()
            ),
            "reference": v.text(reference, "reference", max_len=100),
        }
        with self.ctx.db.write() as connection:
            row = get_row(connection, visit_id, expected_version)
            if row.status == VisitStatus.VOID:
                raise VisitNotEditableError(f"Visit {visit_id} is void; it takes no payments.")
            payment_id = inserted_id(
                connection.execute(
                    insert(s.payments).values(
                        chain_id=row.chain_id,
                        created_at=self.ctx.now(),
                        created_by=self.ctx.user,
                        **values,
                    )
                )
            )
            self.ctx.audit(
                connection,
                "payment.add",
                "visit",
                visit_id,
                after={"payment_id": payment_id, **values},
            )
            _mark_draft(self.ctx, connection, row)
            return detail_now(self.ctx, connection, visit_id)

    def remove(
        self, payment_id: int, reason: str, *, expected_version: int | None = None
    ) -> VisitDetail:
        why = v.text(reason, "reason", max_len=500, required=True)
        with self.ctx.db.write() as connection:
            payment = connection.execute(
                select(s.payments).where(s.payments.c.id == payment_id, NOT_REMOVED)
            ).first()
            if payment is None:
                raise NotFoundError("payment", payment_id)
            visit_id = connection.execute(
                select(s.visits.c.id).where(
                    s.visits.c.chain_id == payment.chain_id, s.visits.c.is_current.is_(True)
                )
            ).scalar_one()
            row = get_row(connection, visit_id, expected_version)
            # recorded, not deleted: a finalized visit's payments are kept (the database
            # refuses to delete them)
            connection.execute(
                insert(s.payment_removals).values(
                    payment_id=payment_id,
                    reason=why,
                    removed_at=self.ctx.now(),
                    removed_by=self.ctx.user,
                )
            )
            self.ctx.audit(
                connection,
                "payment.remove",
                "visit",
                visit_id,
                before={
                    "payment_id": payment_id,
                    "kind": payment.kind,
                    "amount_cents": payment.amount_cents,
                    "method": payment.method,
                    "received_on": payment.received_on,
                },
                reason=why,
            )
            _mark_draft(self.ctx, connection, row)
            return detail_now(self.ctx, connection, visit_id)


def _mark_draft(ctx: ServiceContext, connection: Connection, row: Any) -> None:
    # a draft's payments change the draft (its balance): one version on; a finalized
    # visit's row is kept as it was, its payments beside it
    if row.status == VisitStatus.DRAFT:
        mark_changed(ctx, connection, row.id)


def count(connection: Connection, chain_id: int) -> int:
    """How many payments of a visit's chain count (the removed ones do not)."""
    return int(
        connection.execute(
            select(func.count())
            .select_from(s.payments)
            .where(s.payments.c.chain_id == chain_id, NOT_REMOVED)
        ).scalar()
        or 0
    )


def delete_removed(connection: Connection, chain_id: int) -> None:
    """Delete the payments of a chain whose draft is thrown away before it was ever
    finalized: only removed ones are left by then (count() refused the others)."""
    chain_payments = select(s.payments.c.id).where(s.payments.c.chain_id == chain_id)
    connection.execute(
        delete(s.payment_removals).where(s.payment_removals.c.payment_id.in_(chain_payments))
    )
    connection.execute(delete(s.payments).where(s.payments.c.chain_id == chain_id))


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(PaymentService)
