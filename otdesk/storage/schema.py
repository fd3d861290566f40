"""The clinic database's tables (SQLAlchemy Core).

Money is stored as integer cents (columns ending in _cents): exact, summed exactly by the
database (SQLite's SUM over decimal text would go through floating point), compared and
indexed as numbers, and the same BIGINT on PostgreSQL. Conversion to Money happens only in
otdesk.storage.values.

Timestamps are stored in UTC (see UTCDateTime); dates of service are plain dates.

A visit is a chain of versions: `visit_chains` is the visit as the clinic knows it
(payments belong to it), `visits` holds its versions. An amendment adds a version; the old
one is kept unchanged (status "amended" once the new one is finalized).

This module is the current shape; the migrations in otdesk/storage/migrations build it and
a test checks they agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

from otdesk.core.visit import VisitStatus

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# The values of otdesk.core.visit.VisitStatus (the migrations spell them out: they are history).
VISIT_STATUSES = tuple(status.value for status in VisitStatus)
PAYMENT_KINDS = ("copay", "payment")
PAYMENT_METHODS = ("cash", "check", "card", "other")
RELATIONSHIPS = ("self", "spouse", "child", "other")
SEXES = ("F", "M", "X", "U")
CLINIC_CODE_KINDS = ("timed", "untimed", "item")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as naive UTC; read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _in(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

practice = Table(
    "practice",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("address1", String(200), nullable=False, server_default=""),
    Column("address2", String(200), nullable=False, server_default=""),
    Column("city", String(100), nullable=False, server_default=""),
    Column("state", String(2), nullable=False, server_default=""),
    Column("postal_code", String(10), nullable=False, server_default=""),
    Column("phone", String(30), nullable=False, server_default=""),
    Column("tin", String(10), nullable=False, server_default=""),
    Column("group_npi", String(10), nullable=False, server_default=""),
    Column("taxonomy", String(10), nullable=False, server_default=""),
    # one practice per database
    CheckConstraint("id = 1", name="single_row"),
)

providers = Table(
    "providers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_name", String(100), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("credentials", String(40), nullable=False, server_default=""),
    Column("role", String(4), nullable=False),
    Column("npi", String(10), nullable=False, server_default=""),
    Column("license_number", String(40), nullable=False, server_default=""),
    Column("license_state", String(2), nullable=False, server_default=""),
    Column("taxonomy", String(10), nullable=False, server_default=""),
    Column("supervisor_id", Integer, ForeignKey("providers.id"), nullable=True),
    Column("active", Boolean, nullable=False, server_default="1"),
    _in("role", ("OT", "OTA", "PT", "PTA", "SLP", "SLPA"), "role"),
)

# The people who sign in (issue 15). `name` is the sign-in name, stored casefolded; the
# password is an Argon2id hash (PHC string). A therapist's account names the provider whose
# visits are theirs. Accounts are disabled, never deleted: the audit log names them.
ACCOUNT_ROLES = ("administrator", "biller", "front-desk", "therapist")
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("provider_id", Integer, ForeignKey("providers.id"), nullable=True),
    Column("disabled", Boolean, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("password_changed_at", UTCDateTime, nullable=False),
    _in("role", ACCOUNT_ROLES, "role"),
)

payers = Table(
    "payers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("payer_code", String(40), nullable=False, server_default=""),
    Column("kind", String(20), nullable=False),
    Column("unit_rule", String(10), nullable=False),
    # NULL: the usual for the payer's kind (see otdesk.core.visit.PayerInfo)
    Column("therapy_modifiers_required", Boolean, nullable=True),
    Column("ncci_applies", Boolean, nullable=True),
    Column("kx_tracked", Boolean, nullable=True),
    Column("telehealth_modifier", String(2), nullable=True),
    Column("active", Boolean, nullable=False, server_default="1"),
    # 837P SBR09 (MB Medicare Part B, MC Medicaid, CI commercial...); NULL: the usual for
    # the payer's kind (otdesk.services.claims.FILING_BY_KIND). payer_code is the payer ID.
    Column("claim_filing_indicator", String(2), nullable=True),
    _in("kind", ("medicare", "medicaid", "commercial", "workers-comp", "self-pay"), "kind"),
    _in("unit_rule", ("cms", "per-code"), "unit_rule"),
)

# A row with payer_id NULL is the clinic's own charge for the code; a payer row adds that
# payer's allowed amount (and may set a different charge).
fee_schedule = Table(
    "fee_schedule",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(5), nullable=False),
    Column("payer_id", Integer, ForeignKey("payers.id"), nullable=True),
    Column("charge_cents", BigInteger, nullable=True),
    Column("allowed_cents", BigInteger, nullable=True),
    Column("effective_from", Date, nullable=True),  # NULL: since ever
    Column("effective_to", Date, nullable=True),  # NULL: still in force
    Index(None, "code", "payer_id"),
)

patients = Table(
    "patients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_number", String(20), nullable=False, unique=True),
    Column("last_name", String(100), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("middle_name", String(100), nullable=False, server_default=""),
    Column("date_of_birth", Date, nullable=False),
    Column("sex", String(1), nullable=False, server_default="U"),
    Column("address1", String(200), nullable=False, server_default=""),
    Column("address2", String(200), nullable=False, server_default=""),
    Column("city", String(100), nullable=False, server_default=""),
    Column("state", String(2), nullable=False, server_default=""),
    Column("postal_code", String(10), nullable=False, server_default=""),
    Column("phone", String(30), nullable=False, server_default=""),
    # case- and accent-free "last first middle" for search (same on every engine)
    Column("name_key", String(300), nullable=False, index=True),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    _in("sex", SEXES, "sex"),
)

policies = Table(
    "policies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False, index=True),
    Column("payer_id", Integer, ForeignKey("payers.id"), nullable=False),
    Column("member_id", String(40), nullable=False),
    Column("member_key", String(40), nullable=False, index=True),
    Column("group_number", String(40), nullable=False, server_default=""),
    Column("subscriber_name", String(200), nullable=False, server_default=""),
    Column("subscriber_date_of_birth", Date, nullable=True),  # when not the patient
    Column("relationship", String(10), nullable=False, server_default="self"),
    Column("priority", Integer, nullable=False, server_default="1"),
    Column("effective_from", Date, nullable=True),
    Column("effective_to", Date, nullable=True),
    _in("relationship", RELATIONSHIPS, "relationship"),
    CheckConstraint("priority IN (1, 2, 3)", name="priority"),
)

plans_of_care = Table(
    "plans_of_care",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False, index=True),
    Column("discipline", String(3), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("certified_through", Date, nullable=True),
    Column("last_progress_report", Date, nullable=True),
    Column("referring_name", String(200), nullable=False, server_default=""),
    Column("referring_npi", String(10), nullable=False, server_default=""),
    Column("onset_date", Date, nullable=True),  # of the condition treated
    Column("prior_authorization", String(50), nullable=False, server_default=""),
    _in("discipline", ("OT", "PT", "SLP"), "discipline"),
)

visit_chains = Table(
    "visit_chains",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

visits = Table(
    "visits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chain_id", Integer, ForeignKey("visit_chains.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("amends_id", Integer, ForeignKey("visits.id"), nullable=True),
    # the newest version of its chain (what the day list shows)
    Column("is_current", Boolean, nullable=False, server_default="1"),
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False),
    Column("provider_id", Integer, ForeignKey("providers.id"), nullable=False),
    Column("payer_id", Integer, ForeignKey("payers.id"), nullable=True),
    Column("policy_id", Integer, ForeignKey("policies.id"), nullable=True),
    Column("plan_of_care_id", Integer, ForeignKey("plans_of_care.id"), nullable=True),
    Column("date_of_service", Date, nullable=False),
    Column("place_of_service", String(2), nullable=False, server_default="11"),
    Column("discipline", String(3), nullable=False, server_default="OT"),
    Column("total_treatment_minutes", Integer, nullable=True),
    # True: the total is the sum of the lines' minutes, kept so until someone types one
    Column("total_time_auto", Boolean, nullable=False, server_default="0"),
    # the appointment's local time of day (the day list's time), NULL when not known
    Column("appointment_time", Time, nullable=True),
    Column("status", String(10), nullable=False, server_default=VisitStatus.DRAFT.value),
    # kept up to date by every save so the day list needs no rules run
    Column("total_charge_cents", BigInteger, nullable=False, server_default="0"),
    Column("total_units", Integer, nullable=False, server_default="0"),
    Column("error_count", Integer, nullable=False, server_default="0"),
    Column("warning_count", Integer, nullable=False, server_default="0"),
    Column("override_reason", Text, nullable=True),
    Column("void_reason", Text, nullable=True),
    Column("amend_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("finalized_at", UTCDateTime, nullable=True),
    Column("finalized_by", String(100), nullable=True),
    # What the superbill prints of the patient, policy, provider and practice, as it was at
    # finalizing (JSON), so a finalized visit reprints exactly; NULL for drafts.
    Column("print_snapshot", Text, nullable=True),
    # A counter every change of a draft adds one to: a desk's change made on an older
    # count was made on what another desk has since changed, and is refused (issue 16).
    Column("edit_version", Integer, nullable=False, server_default="1"),
    _in("status", VISIT_STATUSES, "status"),
    _in("discipline", ("OT", "PT", "SLP"), "discipline"),
    UniqueConstraint("chain_id", "version"),
    # the day list reads from this index alone (migration 0008)
    Index(
        "ix_visits_day_list",
        "date_of_service",
        "is_current",
        "appointment_time",
        "id",
        "chain_id",
        "version",
        "status",
        "patient_id",
        "provider_id",
        "payer_id",
        "total_charge_cents",
        "total_units",
        "error_count",
        "warning_count",
    ),
    Index(None, "patient_id", "date_of_service"),
)

charge_lines = Table(
    "charge_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("visit_id", Integer, ForeignKey("visits.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("code", String(5), nullable=False),
    Column("description", String(200), nullable=False, server_default=""),
    Column("minutes", Integer, nullable=False, server_default="0"),
    Column("assistant_minutes", Integer, nullable=False, server_default="0"),
    # units as billed: computed by the units engine unless overridden (with a reason)
    Column("units", Integer, nullable=False, server_default="0"),
    Column("units_override", Integer, nullable=True),
    Column("override_reason", Text, nullable=True),
    Column("modifiers", String(16), nullable=False, server_default=""),  # "GO,59"
    Column("dx_pointers", String(8), nullable=False, server_default=""),  # "AB"
    # The defaults the window applied and nobody has changed since: the modifiers added
    # automatically ("GO,CO"; NULL once the modifiers were set by hand) and whether the
    # pointers are the automatic ones (A while the visit has one diagnosis).
    Column("auto_modifiers", String(16), nullable=True),
    Column("auto_pointers", Boolean, nullable=False, server_default="0"),
    Column("fee_cents", BigInteger, nullable=True),  # per unit; NULL: no fee known
    Column("fee_entered", Boolean, nullable=False, server_default="0"),
    Column("charge_cents", BigInteger, nullable=False, server_default="0"),
    Column("allowed_cents", BigInteger, nullable=True),  # for the line, NULL when unknown
    CheckConstraint("minutes >= 0 AND assistant_minutes >= 0", name="minutes"),
    CheckConstraint("assistant_minutes <= minutes", name="assistant_minutes"),
    UniqueConstraint("visit_id", "position"),
)

visit_diagnoses = Table(
    "visit_diagnoses",
    metadata,
    Column(
        "visit_id",
        Integer,
        ForeignKey("visits.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),  # 0 = A ... 11 = L
    Column("code", String(8), nullable=False),
    UniqueConstraint("visit_id", "code"),
    CheckConstraint("position >= 0 AND position < 12", name="position"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chain_id", Integer, ForeignKey("visit_chains.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("method", String(10), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("reference", String(100), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    _in("kind", PAYMENT_KINDS, "kind"),
    _in("method", PAYMENT_METHODS, "method"),
    CheckConstraint("amount_cents > 0", name="amount"),
    # a chain's paid total read from the index alone (migration 0008)
    Index("ix_payments_chain_amount", "chain_id", "id", "amount_cents"),
)

# A payment recorded by mistake is not deleted once its visit has been finalized: its removal
# is recorded here (who, when, why) and the payment no longer counts.
payment_removals = Table(
    "payment_removals",
    metadata,
    Column("payment_id", Integer, ForeignKey("payments.id"), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("removed_at", UTCDateTime, nullable=False),
    Column("removed_by", String(100), nullable=False),
)

# The activity timer of a charge line, written at every start and pause so a crash loses no
# timed minutes: elapsed = accumulated_seconds + (now - started_at when running).
line_timers = Table(
    "line_timers",
    metadata,
    Column(
        "line_id",
        Integer,
        ForeignKey("charge_lines.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "visit_id",
        Integer,
        ForeignKey("visits.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("started_at", UTCDateTime, nullable=True),  # NULL: paused
    Column("accumulated_seconds", Integer, nullable=False, server_default="0"),
    # who started it and at which desk (a running timer belongs to them; "" when not known)
    Column("started_by", String(100), nullable=False, server_default=""),
    Column("desk", String(64), nullable=False, server_default=""),
)

# Codes a clinic bills that the shipped catalog lacks (a payer-specific code, an L-code),
# with its own plain label; searched and billed like catalog codes.
clinic_codes = Table(
    "clinic_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(5), nullable=False, unique=True),
    Column("label", String(200), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("disciplines", String(20), nullable=False, server_default=""),  # "OT;PT"
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    _in("kind", CLINIC_CODE_KINDS, "kind"),
)

superbills = Table(
    "superbills",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("visit_id", Integer, ForeignKey("visits.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("file_name", String(255), nullable=False, server_default=""),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("issued_by", String(100), nullable=False),
)

# Append-only (triggers refuse UPDATE and DELETE; see dialect.append_only_ddl), and a chain:
# each entry holds the SHA-256 of the entry before it and its own (storage.audit_chain), so
# an entry changed, removed or inserted by other means is found by `otdesk check`.
# The rule tables a clinic imported (the CMS NCCI PTP and MUE files, KX thresholds, deleted
# codes), kept in the clinic database of a clinic server so that every desk checks visits
# against the same ones: each desk keeps a copy in its folder (services.shared_tables).
# `content` is the file as the import wrote it, zlib-compressed; `sha256` is of the file.
reference_files = Table(
    "reference_files",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("imported_by", String(100), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("user", String(100), nullable=False),
    Column("action", String(60), nullable=False),
    Column("entity", String(30), nullable=False),
    Column("entity_id", Integer, nullable=True),
    Column("before_json", Text, nullable=True),
    Column("after_json", Text, nullable=True),
    Column("reason", Text, nullable=True),
    Column("prev_hash", String(64), nullable=False, server_default=""),
    Column("entry_hash", String(64), nullable=False, server_default=""),
    Index(None, "entity", "entity_id"),
)


# --- claims (837P files and CMS-1500 forms) --------------------------------------------------

# One row: who sends the clinic's claim files and to which clearinghouse.
claim_settings = Table(
    "claim_settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submitter_name", String(60), nullable=False, server_default=""),
    Column("submitter_id", String(15), nullable=False, server_default=""),
    Column("submitter_qualifier", String(2), nullable=False, server_default="ZZ"),
    Column("contact_name", String(60), nullable=False, server_default=""),
    Column("contact_phone", String(20), nullable=False, server_default=""),
    Column("contact_email", String(80), nullable=False, server_default=""),
    Column("receiver_name", String(60), nullable=False, server_default=""),
    Column("receiver_id", String(15), nullable=False, server_default=""),
    Column("receiver_qualifier", String(2), nullable=False, server_default="ZZ"),
    Column("usage", String(1), nullable=False, server_default="T"),  # ISA15 T test, P production
    CheckConstraint("id = 1", name="single_row"),
    _in("usage", ("T", "P"), "usage"),
)

# The last interchange (ISA13), group (GS06) and transaction set (ST02) control number
# given out: only ever incremented, in the transaction that records the file using it.
claim_counters = Table(
    "claim_counters",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("last_value", BigInteger, nullable=False),
)

# Every 837P file written; the file itself is kept in the data folder (claims/).
claim_files = Table(
    "claim_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("interchange_control", BigInteger, nullable=False, unique=True),
    Column("group_control", BigInteger, nullable=False, unique=True),
    Column("usage", String(1), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("claim_count", Integer, nullable=False),
    Column("total_charge_cents", BigInteger, nullable=False),
    Column("resend_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
)

# One claim in a file: which visit version it holds and how (1 original, 7 replacement,
# 8 void). payer_claim_number is the payer's own number for it (from the remittance or the
# payer's portal), entered later; a replacement or void sends it in REF*F8.
claims = Table(
    "claims",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("claim_file_id", Integer, ForeignKey("claim_files.id"), nullable=False, index=True),
    Column("visit_id", Integer, ForeignKey("visits.id"), nullable=False, index=True),
    Column("chain_id", Integer, ForeignKey("visit_chains.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("payer_id", Integer, ForeignKey("payers.id"), nullable=False),
    Column("transaction_control", BigInteger, nullable=False),
    Column("patient_control_number", String(20), nullable=False),
    Column("frequency_code", String(1), nullable=False),
    Column("total_charge_cents", BigInteger, nullable=False),
    Column("line_count", Integer, nullable=False),
    Column("override_reason", Text, nullable=True),
    Column("payer_claim_number", String(50), nullable=True),
    _in("frequency_code", ("1", "7", "8"), "frequency_code"),
    UniqueConstraint("claim_file_id", "visit_id"),
)

# Per printer: where data-only CMS-1500 prints land. Offsets in hundredths of an inch
# (positive: right, down); scale in percent about the form's top left corner.
printer_calibrations = Table(
    "printer_calibrations",
    metadata,
    Column("printer", String(200), primary_key=True),
    Column("offset_x", Integer, nullable=False, server_default="0"),
    Column("offset_y", Integer, nullable=False, server_default="0"),
    Column("scale_percent", Integer, nullable=False, server_default="100"),
    CheckConstraint("scale_percent BETWEEN 90 AND 110", name="scale"),
)
