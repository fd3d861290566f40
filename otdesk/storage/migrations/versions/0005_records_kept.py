"""Records that cannot be rewritten: triggers that refuse to change a finalized visit, its
lines, diagnoses and payments (a payment's removal is recorded instead, in
payment_removals); the audit log becomes a hash chain (prev_hash, entry_hash, computed here
for the entries already written); visits keep what their superbill prints
(print_snapshot).

Revision ID: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from otdesk.storage import audit_chain, dialect
from otdesk.storage.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The visits table's columns at this revision (the trigger compares each one; a later
# migration that adds a column to visits recreates the trigger with its own list).
VISIT_COLUMNS = (
    "id", "chain_id", "version", "amends_id", "is_current", "patient_id", "provider_id",
    "payer_id", "policy_id", "plan_of_care_id", "date_of_service", "place_of_service",
    "discipline", "total_treatment_minutes", "status", "total_charge_cents", "total_units",
    "error_count", "warning_count", "override_reason", "void_reason", "amend_reason",
    "created_at", "created_by", "updated_at", "updated_by", "finalized_at", "finalized_by",
    "print_snapshot", "total_time_auto", "appointment_time",
)  # fmt: skip


def upgrade() -> None:
    bind = op.get_bind()
    name = bind.dialect.name
    op.create_table(
        "payment_removals",
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=False),
        sa.Column("removed_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_removals_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_payment_removals")),
    )
    op.add_column("visits", sa.Column("print_snapshot", sa.Text(), nullable=True))

    for statement in dialect.drop_append_only_ddl(name, "audit_log"):
        op.execute(statement)
    op.add_column(
        "audit_log",
        sa.Column("prev_hash", sa.String(length=64), server_default="", nullable=False),
    )
    op.add_column(
        "audit_log",
        sa.Column("entry_hash", sa.String(length=64), server_default="", nullable=False),
    )
    _chain_existing_entries(bind)
    for statement in dialect.append_only_ddl(name, "audit_log"):
        op.execute(statement)
    for statement in dialect.kept_records_ddl(name, VISIT_COLUMNS):
        op.execute(statement)


def _chain_existing_entries(bind: sa.Connection) -> None:
    log = sa.table(
        "audit_log",
        *(sa.column(c) for c in audit_chain.CONTENT_COLUMNS if c != "at"),
        sa.column("at", UTCDateTime()),
        sa.column("prev_hash"),
        sa.column("entry_hash"),
    )
    prev = audit_chain.GENESIS
    rows = bind.execute(sa.select(log).order_by(log.c.id)).mappings().all()
    for row in rows:
        own = audit_chain.entry_hash(dict(row), prev)
        bind.execute(
            sa.update(log).where(log.c.id == row["id"]).values(prev_hash=prev, entry_hash=own)
        )
        prev = own


def downgrade() -> None:
    bind = op.get_bind()
    name = bind.dialect.name
    for statement in dialect.drop_kept_records_ddl(name):
        op.execute(statement)
    for statement in dialect.drop_append_only_ddl(name, "audit_log"):
        op.execute(statement)
    # Plain DROP COLUMN (SQLite 3.35 and later, PostgreSQL): a batch rebuild of visits
    # would drop a table others refer to.
    op.execute("ALTER TABLE audit_log DROP COLUMN entry_hash")
    op.execute("ALTER TABLE audit_log DROP COLUMN prev_hash")
    for statement in dialect.append_only_ddl(name, "audit_log"):
        op.execute(statement)
    op.execute("ALTER TABLE visits DROP COLUMN print_snapshot")
    op.drop_table("payment_removals")
