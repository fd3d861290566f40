"""The rule tables a clinic imported, kept in the clinic database (reference_files), so
that the desks of a clinic server check visits against the same NCCI, MUE, KX and deleted-
code tables (otdesk.services.shared_tables).

After this upgrade on a server, run `otdesk server grant-role` again so the desk role may
read and write the new table.

Revision ID: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_files",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_reference_files"),
    )


def downgrade() -> None:
    op.drop_table("reference_files")
