"""Indexes the day list reads from alone: the visits of a date with every column the list
shows, and a chain's payments with their amounts. The list then reads a few index pages for
a day's visits instead of one table page per visit, and the paid total without the payments
rows; on an encrypted clinic every page read is also a page decrypted (benchmarks/storage.py).

They replace the narrower indexes they begin with (visits (date_of_service, is_current),
payments (chain_id)), which now serve nothing the wider ones do not.

Revision ID: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DAY_LIST_COLUMNS = [
    "date_of_service", "is_current", "appointment_time", "id", "chain_id", "version",
    "status", "patient_id", "provider_id", "payer_id", "total_charge_cents", "total_units",
    "error_count", "warning_count",
]  # fmt: skip


def upgrade() -> None:
    op.create_index("ix_visits_day_list", "visits", DAY_LIST_COLUMNS)
    op.drop_index("ix_visits_date_of_service_is_current", table_name="visits")
    op.create_index("ix_payments_chain_amount", "payments", ["chain_id", "id", "amount_cents"])
    op.drop_index("ix_payments_chain_id", table_name="payments")


def downgrade() -> None:
    op.create_index("ix_payments_chain_id", "payments", ["chain_id"])
    op.drop_index("ix_payments_chain_amount", table_name="payments")
    op.create_index(
        "ix_visits_date_of_service_is_current", "visits", ["date_of_service", "is_current"]
    )
    op.drop_index("ix_visits_day_list", table_name="visits")
