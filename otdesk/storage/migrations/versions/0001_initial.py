"""The first schema: practice, providers, payers, fee schedule, patients, policies, plans of
care, visits (versioned) with lines, diagnoses, payments and timers, superbills, and the
append-only audit log.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from otdesk.storage import dialect

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    dialect.mark_file(bind)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("before_json", sa.Text(), nullable=True),
        sa.Column("after_json", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(
        op.f("ix_audit_log_entity_entity_id"), "audit_log", ["entity", "entity_id"], unique=False
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_number", sa.String(length=20), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("middle_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), server_default="U", nullable=False),
        sa.Column("address1", sa.String(length=200), server_default="", nullable=False),
        sa.Column("address2", sa.String(length=200), server_default="", nullable=False),
        sa.Column("city", sa.String(length=100), server_default="", nullable=False),
        sa.Column("state", sa.String(length=2), server_default="", nullable=False),
        sa.Column("postal_code", sa.String(length=10), server_default="", nullable=False),
        sa.Column("phone", sa.String(length=30), server_default="", nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("sex IN ('F', 'M', 'X', 'U')", name=op.f("ck_patients_sex")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("account_number", name=op.f("uq_patients_account_number")),
    )
    op.create_index(op.f("ix_patients_name_key"), "patients", ["name_key"], unique=False)
    op.create_table(
        "payers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("payer_code", sa.String(length=40), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("unit_rule", sa.String(length=10), nullable=False),
        sa.Column("therapy_modifiers_required", sa.Boolean(), nullable=True),
        sa.Column("ncci_applies", sa.Boolean(), nullable=True),
        sa.Column("kx_tracked", sa.Boolean(), nullable=True),
        sa.Column("telehealth_modifier", sa.String(length=2), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "kind IN ('medicare', 'medicaid', 'commercial', 'workers-comp', 'self-pay')",
            name=op.f("ck_payers_kind"),
        ),
        sa.CheckConstraint("unit_rule IN ('cms', 'per-code')", name=op.f("ck_payers_unit_rule")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payers")),
        sa.UniqueConstraint("name", name=op.f("uq_payers_name")),
    )
    op.create_table(
        "practice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address1", sa.String(length=200), server_default="", nullable=False),
        sa.Column("address2", sa.String(length=200), server_default="", nullable=False),
        sa.Column("city", sa.String(length=100), server_default="", nullable=False),
        sa.Column("state", sa.String(length=2), server_default="", nullable=False),
        sa.Column("postal_code", sa.String(length=10), server_default="", nullable=False),
        sa.Column("phone", sa.String(length=30), server_default="", nullable=False),
        sa.Column("tin", sa.String(length=10), server_default="", nullable=False),
        sa.Column("group_npi", sa.String(length=10), server_default="", nullable=False),
        sa.Column("taxonomy", sa.String(length=10), server_default="", nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_practice_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice")),
    )
    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("credentials", sa.String(length=40), server_default="", nullable=False),
        sa.Column("role", sa.String(length=4), nullable=False),
        sa.Column("npi", sa.String(length=10), server_default="", nullable=False),
        sa.Column("license_number", sa.String(length=40), server_default="", nullable=False),
        sa.Column("license_state", sa.String(length=2), server_default="", nullable=False),
        sa.Column("taxonomy", sa.String(length=10), server_default="", nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "role IN ('OT', 'OTA', 'PT', 'PTA', 'SLP', 'SLPA')", name=op.f("ck_providers_role")
        ),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["providers.id"], name=op.f("fk_providers_supervisor_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
    )
    op.create_table(
        "visit_chains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_chains")),
    )
    op.create_table(
        "fee_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=True),
        sa.Column("charge_cents", sa.BigInteger(), nullable=True),
        sa.Column("allowed_cents", sa.BigInteger(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payers.id"], name=op.f("fk_fee_schedule_payer_id_payers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_schedule")),
    )
    op.create_index(
        op.f("ix_fee_schedule_code_payer_id"), "fee_schedule", ["code", "payer_id"], unique=False
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=100), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("kind IN ('copay', 'payment')", name=op.f("ck_payments_kind")),
        sa.CheckConstraint(
            "method IN ('cash', 'check', 'card', 'other')", name=op.f("ck_payments_method")
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payments_amount")),
        sa.ForeignKeyConstraint(
            ["chain_id"], ["visit_chains.id"], name=op.f("fk_payments_chain_id_visit_chains")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    op.create_index(op.f("ix_payments_chain_id"), "payments", ["chain_id"], unique=False)
    op.create_table(
        "plans_of_care",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("discipline", sa.String(length=3), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("certified_through", sa.Date(), nullable=True),
        sa.Column("last_progress_report", sa.Date(), nullable=True),
        sa.Column("referring_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("referring_npi", sa.String(length=10), server_default="", nullable=False),
        sa.CheckConstraint(
            "discipline IN ('OT', 'PT', 'SLP')", name=op.f("ck_plans_of_care_discipline")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_plans_of_care_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans_of_care")),
    )
    op.create_index(
        op.f("ix_plans_of_care_patient_id"), "plans_of_care", ["patient_id"], unique=False
    )
    op.create_table(
        "policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("member_key", sa.String(length=40), nullable=False),
        sa.Column("group_number", sa.String(length=40), server_default="", nullable=False),
        sa.Column("subscriber_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("relationship", sa.String(length=10), server_default="self", nullable=False),
        sa.Column("priority", sa.Integer(), server_default="1", nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "relationship IN ('self', 'spouse', 'child', 'other')",
            name=op.f("ck_policies_relationship"),
        ),
        sa.CheckConstraint("priority IN (1, 2, 3)", name=op.f("ck_policies_priority")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_policies_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payers.id"], name=op.f("fk_policies_payer_id_payers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policies")),
    )
    op.create_index(op.f("ix_policies_member_key"), "policies", ["member_key"], unique=False)
    op.create_index(op.f("ix_policies_patient_id"), "policies", ["patient_id"], unique=False)
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("amends_id", sa.Integer(), nullable=True),
        sa.Column("is_current", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.Integer(), nullable=True),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("plan_of_care_id", sa.Integer(), nullable=True),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("place_of_service", sa.String(length=2), server_default="11", nullable=False),
        sa.Column("discipline", sa.String(length=3), server_default="OT", nullable=False),
        sa.Column("total_treatment_minutes", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="draft", nullable=False),
        sa.Column("total_charge_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total_units", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("warning_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("amend_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("finalized_at", sa.DateTime(), nullable=True),
        sa.Column("finalized_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint("discipline IN ('OT', 'PT', 'SLP')", name=op.f("ck_visits_discipline")),
        sa.CheckConstraint(
            "status IN ('draft', 'finalized', 'void', 'amended')", name=op.f("ck_visits_status")
        ),
        sa.ForeignKeyConstraint(
            ["amends_id"], ["visits.id"], name=op.f("fk_visits_amends_id_visits")
        ),
        sa.ForeignKeyConstraint(
            ["chain_id"], ["visit_chains.id"], name=op.f("fk_visits_chain_id_visit_chains")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_visits_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payers.id"], name=op.f("fk_visits_payer_id_payers")
        ),
        sa.ForeignKeyConstraint(
            ["plan_of_care_id"],
            ["plans_of_care.id"],
            name=op.f("fk_visits_plan_of_care_id_plans_of_care"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_visits_policy_id_policies")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_visits_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("chain_id", "version", name=op.f("uq_visits_chain_id_version")),
    )
    op.create_index(op.f("ix_visits_chain_id"), "visits", ["chain_id"], unique=False)
    op.create_index(
        op.f("ix_visits_date_of_service_is_current"),
        "visits",
        ["date_of_service", "is_current"],
        unique=False,
    )
    op.create_index(
        op.f("ix_visits_patient_id_date_of_service"),
        "visits",
        ["patient_id", "date_of_service"],
        unique=False,
    )
    op.create_table(
        "charge_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("description", sa.String(length=200), server_default="", nullable=False),
        sa.Column("minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("assistant_minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("units", sa.Integer(), server_default="0", nullable=False),
        sa.Column("units_override", sa.Integer(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("modifiers", sa.String(length=16), server_default="", nullable=False),
        sa.Column("dx_pointers", sa.String(length=8), server_default="", nullable=False),
        sa.Column("fee_cents", sa.BigInteger(), nullable=True),
        sa.Column("fee_entered", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("charge_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("allowed_cents", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "assistant_minutes <= minutes", name=op.f("ck_charge_lines_assistant_minutes")
        ),
        sa.CheckConstraint(
            "minutes >= 0 AND assistant_minutes >= 0", name=op.f("ck_charge_lines_minutes")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_charge_lines_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge_lines")),
        sa.UniqueConstraint("visit_id", "position", name=op.f("uq_charge_lines_visit_id_position")),
    )
    op.create_table(
        "superbills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), server_default="", nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_superbills_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_superbills")),
    )
    op.create_index(op.f("ix_superbills_visit_id"), "superbills", ["visit_id"], unique=False)
    op.create_table(
        "visit_diagnoses",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.CheckConstraint(
            "position >= 0 AND position < 12", name=op.f("ck_visit_diagnoses_position")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_visit_diagnoses_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("visit_id", "position", name=op.f("pk_visit_diagnoses")),
        sa.UniqueConstraint("visit_id", "code", name=op.f("uq_visit_diagnoses_visit_id_code")),
    )
    op.create_table(
        "line_timers",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("accumulated_seconds", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["charge_lines.id"],
            name=op.f("fk_line_timers_line_id_charge_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_line_timers_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_line_timers")),
    )
    op.create_index(op.f("ix_line_timers_visit_id"), "line_timers", ["visit_id"], unique=False)

    for statement in dialect.append_only_ddl(bind.dialect.name, "audit_log"):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in dialect.drop_append_only_ddl(bind.dialect.name, "audit_log"):
        op.execute(statement)
    for table in (
        "audit_log",
        "superbills",
        "line_timers",
        "payments",
        "visit_diagnoses",
        "charge_lines",
        "visits",
        "visit_chains",
        "plans_of_care",
        "policies",
        "patients",
        "fee_schedule",
        "payers",
        "providers",
        "practice",
        "meta",
    ):
        op.drop_table(table)
