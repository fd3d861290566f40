"""Everything a document about one visit version draws on, read in one transaction: the
visit (with its lines, findings and amounts), the practice, the provider and an assistant's
supervisor, the patient, the policy billed, the plan of care and the payer. The superbill
and the claim both start from these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from otdesk.services import findings as fx
from otdesk.services.context import ServiceContext
from otdesk.services.patients import Patient, Policy
from otdesk.services.setup import Payer, Practice, Provider
from otdesk.services.visit_parties import from_snapshot, read_parties
from otdesk.services.visits import VisitDetail, VisitService
from otdesk.storage import schema as s


@dataclass(frozen=True, slots=True)
class VisitRecords:
    detail: VisitDetail
    practice: Practice | None
    provider: Provider
    supervisor: Provider | None  # an assistant's supervising therapist
    patient: Patient
    policy: Policy | None
    plan: Any  # the plans_of_care row in force, or None
    payer: Payer | None


def gather(
    ctx: ServiceContext,
    connection: Connection,
    visit_id: int,
    memo: dict[tuple[str, int], Any] | None = None,
    *,
    as_printed: bool = False,
) -> VisitRecords:
    """The records of one visit version, from the caller's transaction (one snapshot).
    `memo` keeps the practice, providers, payers, patients and policies read for earlier
    visits of the same transaction (a claim file of 500 visits reads each once).
    `as_printed`: a finalized visit's people and practice as they were when it was finalized
    (the superbill reprints exactly); the claim takes the current ones."""
    detail = VisitService(ctx).get(visit_id, connection)
    parties = (from_snapshot(_kept_snapshot(connection, visit_id)) if as_printed else None) or (
        read_parties(
            ctx,
            connection,
            patient_id=detail.patient_id,
            provider_id=detail.provider_id,
            policy_id=detail.policy_id,
            payer_id=detail.payer_id,
            memo=memo,
        )
    )
    plan = fx.plan_for(
        connection,
        detail.patient_id,
        detail.discipline,
        detail.date_of_service,
        detail.plan_of_care_id,
    )
    return VisitRecords(
        detail=detail,
        practice=parties.practice,
        provider=parties.provider,
        supervisor=parties.supervisor,
        patient=parties.patient,
        policy=parties.policy,
        plan=plan,
        payer=parties.payer,
    )


def _kept_snapshot(connection: Connection, visit_id: int) -> str | None:
    """The snapshot finalizing kept; drafts have none."""
    return connection.execute(
        select(s.visits.c.print_snapshot).where(s.visits.c.id == visit_id)
    ).scalar_one_or_none()
