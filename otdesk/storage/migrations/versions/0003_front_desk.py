"""The front-desk flow (issue 12): the appointment time and an automatic total treatment
time on visits, the automatic-default markers on charge lines, the clinic's own codes, and
what the superbill prints when known (the insured's date of birth, the onset date and the
prior-authorization number of a plan of care).

Existing visits get their appointment time from when they were started (local time of this
computer), the time the day list showed until now; their lines keep their modifiers and
pointers as set by hand.

Revision ID: 0003
"""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch rebuild of policies would trip the visits' foreign keys.
    for table, column in (
        ("visits", sa.Column("total_time_auto", sa.Boolean(), server_default="0", nullable=False)),
        ("visits", sa.Column("appointment_time", sa.Time(), nullable=True)),
        ("charge_lines", sa.Column("auto_modifiers", sa.String(length=16), nullable=True)),
        (
            "charge_lines",
            sa.Column("auto_pointers", sa.Boolean(), server_default="0", nullable=False),
        ),
        ("policies", sa.Column("subscriber_date_of_birth", sa.Date(), nullable=True)),
        ("plans_of_care", sa.Column("onset_date", sa.Date(), nullable=True)),
        (
            "plans_of_care",
            sa.Column(
                "prior_authorization", sa.String(length=50), server_default="", nullable=False
            ),
        ),
    ):
        op.add_column(table, column)
    op.create_table(
        "clinic_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("disciplines", sa.String(length=20), server_default="", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "kind IN ('timed', 'untimed', 'item')", name=op.f("ck_clinic_codes_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_clinic_codes_code")),
    )
    _backfill_appointment_times()


def _backfill_appointment_times() -> None:
    visits = sa.table(
        "visits", sa.column("id"), sa.column("chain_id"), sa.column("appointment_time", sa.Time())
    )
    chains = sa.table("visit_chains", sa.column("id"), sa.column("created_at", sa.DateTime()))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(visits.c.id, chains.c.created_at).join(chains, chains.c.id == visits.c.chain_id)
    ).all()
    for visit_id, created_at in rows:
        if created_at is None:
            continue
        local = created_at.replace(tzinfo=UTC).astimezone()
        bind.execute(
            sa.update(visits)
            .where(visits.c.id == visit_id)
            .values(appointment_time=local.time().replace(second=0, microsecond=0, tzinfo=None))
        )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), for the same reason.
    op.drop_table("clinic_codes")
    for table, column in (
        ("plans_of_care", "prior_authorization"),
        ("plans_of_care", "onset_date"),
        ("policies", "subscriber_date_of_birth"),
        ("charge_lines", "auto_pointers"),
        ("charge_lines", "auto_modifiers"),
        ("visits", "appointment_time"),
        ("visits", "total_time_auto"),
    ):
        op.drop_column(table, column)
