"""Claims: claim settings, each payer's claim filing indicator, control numbers that are
never reused, the 837P files written and the visit versions each holds (with the payer's
claim number for replacements and voids), and per-printer CMS-1500 calibration.

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from otdesk.storage.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payers", sa.Column("claim_filing_indicator", sa.String(length=2), nullable=True))
    op.create_table(
        "claim_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submitter_name", sa.String(length=60), server_default="", nullable=False),
        sa.Column("submitter_id", sa.String(length=15), server_default="", nullable=False),
        sa.Column("submitter_qualifier", sa.String(length=2), server_default="ZZ", nullable=False),
        sa.Column("contact_name", sa.String(length=60), server_default="", nullable=False),
        sa.Column("contact_phone", sa.String(length=20), server_default="", nullable=False),
        sa.Column("contact_email", sa.String(length=80), server_default="", nullable=False),
        sa.Column("receiver_name", sa.String(length=60), server_default="", nullable=False),
        sa.Column("receiver_id", sa.String(length=15), server_default="", nullable=False),
        sa.Column("receiver_qualifier", sa.String(length=2), server_default="ZZ", nullable=False),
        sa.Column("usage", sa.String(length=1), server_default="T", nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_claim_settings_single_row")),
        sa.CheckConstraint("usage IN ('T', 'P')", name=op.f("ck_claim_settings_usage")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_settings")),
    )
    op.create_table(
        "claim_counters",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("last_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_claim_counters")),
    )
    op.create_table(
        "claim_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interchange_control", sa.BigInteger(), nullable=False),
        sa.Column("group_control", sa.BigInteger(), nullable=False),
        sa.Column("usage", sa.String(length=1), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("total_charge_cents", sa.BigInteger(), nullable=False),
        sa.Column("resend_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_files")),
        sa.UniqueConstraint("interchange_control", name=op.f("uq_claim_files_interchange_control")),
        sa.UniqueConstraint("group_control", name=op.f("uq_claim_files_group_control")),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_file_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("transaction_control", sa.BigInteger(), nullable=False),
        sa.Column("patient_control_number", sa.String(length=20), nullable=False),
        sa.Column("frequency_code", sa.String(length=1), nullable=False),
        sa.Column("total_charge_cents", sa.BigInteger(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("payer_claim_number", sa.String(length=50), nullable=True),
        sa.CheckConstraint(
            "frequency_code IN ('1', '7', '8')", name=op.f("ck_claims_frequency_code")
        ),
        sa.ForeignKeyConstraint(
            ["claim_file_id"], ["claim_files.id"], name=op.f("fk_claims_claim_file_id_claim_files")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_claims_visit_id_visits")
        ),
        sa.ForeignKeyConstraint(
            ["chain_id"], ["visit_chains.id"], name=op.f("fk_claims_chain_id_visit_chains")
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payers.id"], name=op.f("fk_claims_payer_id_payers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint(
            "claim_file_id", "visit_id", name=op.f("uq_claims_claim_file_id_visit_id")
        ),
    )
    op.create_index(op.f("ix_claims_claim_file_id"), "claims", ["claim_file_id"], unique=False)
    op.create_index(op.f("ix_claims_visit_id"), "claims", ["visit_id"], unique=False)
    op.create_index(op.f("ix_claims_chain_id"), "claims", ["chain_id"], unique=False)
    op.create_table(
        "printer_calibrations",
        sa.Column("printer", sa.String(length=200), nullable=False),
        sa.Column("offset_x", sa.Integer(), server_default="0", nullable=False),
        sa.Column("offset_y", sa.Integer(), server_default="0", nullable=False),
        sa.Column("scale_percent", sa.Integer(), server_default="100", nullable=False),
        sa.CheckConstraint(
            "scale_percent BETWEEN 90 AND 110", name=op.f("ck_printer_calibrations_scale")
        ),
        sa.PrimaryKeyConstraint("printer", name=op.f("pk_printer_calibrations")),
    )


def downgrade() -> None:
    op.drop_table("printer_calibrations")
    op.drop_index(op.f("ix_claims_chain_id"), table_name="claims")
    op.drop_index(op.f("ix_claims_visit_id"), table_name="claims")
    op.drop_index(op.f("ix_claims_claim_file_id"), table_name="claims")
    op.drop_table("claims")
    op.drop_table("claim_files")
    op.drop_table("claim_counters")
    op.drop_table("claim_settings")
    # A plain ALTER TABLE (SQLite 3.35+): batch mode would rebuild payers, which the
    # visits' foreign keys refuse.
    op.execute("ALTER TABLE payers DROP COLUMN claim_filing_indicator")
