"""Everything a document about one visit version draws on, read in one transaction: the
visit (with its lines, findings and amounts), the practice, the provider and an assistant's
supervisor, the patient, the policy billed, the plan of care and the payer. The superbill
and the claim both start from these."""

from __future__ import annotations

from collections.abc import Callable
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
from otdesk.services.visit_detail import VisitDetail
from otdesk.services.visits import VisitService


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
) -> VisitRecords:
    """The records of one visit version, from the caller's transaction (one snapshot).
    `memo` keeps the practice, providers, payers, patients and policies read for earlier
    visits of the same transaction (a claim file of 500 visits reads each once)."""
    known: dict[tuple[str, int], Any] = memo if memo is not None else {}

    def once(kind: str, key: int, read: Callable[[], Any]) -> Any:
        if (kind, key) not in known:
            known[kind, key] = read()
        return known[kind, key]

    detail = VisitService(ctx).get(visit_id, connection)
    providers = ProviderService(ctx)
    patients = PatientService(ctx)
    provider = once(
        "provider", detail.provider_id, lambda: providers.get(detail.provider_id, connection)
    )
    supervisor_id = provider.supervisor_id
    supervisor = (
        once("provider", supervisor_id, lambda: providers.get(supervisor_id, connection))
        if provider.is_assistant and supervisor_id is not None
        else None
    )
    policy = None
    if detail.policy_id is not None:
        listed = once(
            "policies", detail.patient_id, lambda: patients.policies(detail.patient_id, connection)
        )
        policy = next((p for p in listed if p.id == detail.policy_id), None)
    plan = fx.plan_for(
        connection,
        detail.patient_id,
        detail.discipline,
        detail.date_of_service,
        detail.plan_of_care_id,
    )
    payer_id = detail.payer_id
    payer = (
        once("payer", payer_id, lambda: PayerService(ctx).get(payer_id, connection))
        if payer_id
        else None
    )
    return VisitRecords(
        detail=detail,
        practice=once("practice", 1, lambda: PracticeService(ctx).get(connection)),
        provider=provider,
        supervisor=supervisor,
        patient=once(
            "patient", detail.patient_id, lambda: patients.get(detail.patient_id, connection)
        ),
        policy=policy,
        plan=plan,
        payer=payer,
    )
