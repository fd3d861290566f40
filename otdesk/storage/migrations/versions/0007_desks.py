"""Several desks on one clinic: visits.edit_version (the counter each change of a draft
adds one to, so a change made on an older version is refused), and who started a line's
timer and at which desk (line_timers.started_by, line_timers.desk).

The finalized-record triggers of 0005 compare every visits column: they are dropped and
made again with the new column in their list (SQLite and PostgreSQL alike).

Revision ID: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from otdesk.storage import dialect

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The visits table's columns at this revision (0005's list and edit_version).
VISIT_COLUMNS = (
    "id", "chain_id", "version", "amends_id", "is_current", "patient_id", "provider_id",
    "payer_id", "policy_id", "plan_of_care_id", "date_of_service", "place_of_service",
    "discipline", "total_treatment_minutes", "status", "total_charge_cents", "total_units",
    "error_count", "warning_count", "override_reason", "void_reason", "amend_reason",
    "created_at", "created_by", "updated_at", "updated_by", "finalized_at", "finalized_by",
    "print_snapshot", "total_time_auto", "appointment_time", "edit_version",
)  # fmt: skip
PREVIOUS_VISIT_COLUMNS = VISIT_COLUMNS[:-1]


def upgrade() -> None:
    name = op.get_bind().dialect.name
    for statement in dialect.drop_kept_records_ddl(name):
        op.execute(statement)
    op.add_column(
        "visits", sa.Column("edit_version", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column(
        "line_timers",
        sa.Column("started_by", sa.String(length=100), server_default="", nullable=False),
    )
    op.add_column(
        "line_timers", sa.Column("desk", sa.String(length=64), server_default="", nullable=False)
    )
    for statement in dialect.kept_records_ddl(name, VISIT_COLUMNS):
        op.execute(statement)


def downgrade() -> None:
    name = op.get_bind().dialect.name
    for statement in dialect.drop_kept_records_ddl(name):
        op.execute(statement)
    # Plain DROP COLUMN (SQLite 3.35 and later, PostgreSQL), as in 0005.
    op.execute("ALTER TABLE line_timers DROP COLUMN desk")
    op.execute("ALTER TABLE line_timers DROP COLUMN started_by")
    op.execute("ALTER TABLE visits DROP COLUMN edit_version")
    for statement in dialect.kept_records_ddl(name, PREVIOUS_VISIT_COLUMNS):
        op.execute(statement)
