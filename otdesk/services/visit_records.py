"""Everything a document about one visit version draws on, read in one transaction: the
visit (with its lines, findings and amounts), the practice, the provider and an assistant's
supervisor, the patient, the policy billed, the plan of care and the payer. The superbill
and the claim both start from these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from otdesk.services import findings as fx
from otdesk.services.context import ServiceContext
from otdesk.services.patients import Patient, PatientService, Policy
from otdesk.services.setup import (
    Payer,
    PayerService,
    Practice,
    PracticeService,
    Provider,
    ProviderService,
)
from otdesk.services.visits import VisitDetail, VisitService


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


def gather(ctx: ServiceContext, connection: Connection, visit_id: int) -> VisitRecords:
    """The records of one visit version, from the caller's transaction (one snapshot)."""
    detail = VisitService(ctx).get(visit_id, connection)
    providers = ProviderService(ctx)
    patients = PatientService(ctx)
    provider = providers.get(detail.provider_id, connection)
    supervisor = (
        providers.get(provider.supervisor_id, connection)
        if provider.is_assistant and provider.supervisor_id is not None
        else None
    )
    policy = None
    if detail.policy_id is not None:
        policy = next(
            (
                p
                for p in patients.policies(detail.patient_id, connection)
                if p.id == detail.policy_id
            ),
            None,
        )
    plan = fx.plan_for(
        connection,
        detail.patient_id,
        detail.discipline,
        detail.date_of_service,
        detail.plan_of_care_id,
    )
    payer = PayerService(ctx).get(detail.payer_id, connection) if detail.payer_id else None
    return VisitRecords(
        detail=detail,
        practice=PracticeService(ctx).get(connection),
        provider=provider,
        supervisor=supervisor,
        patient=patients.get(detail.patient_id, connection),
        policy=policy,
        plan=plan,
        payer=payer,
    )
