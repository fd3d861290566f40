"""The people and organizations a visit's documents name (the practice, the provider and an
assistant's supervisor, the patient, the policy billed, its payer), read from storage or from
the snapshot kept when the visit was finalized.

Why a snapshot: a finalized visit's superbill must reprint exactly what it printed, even after
the patient moves or the practice changes its address (issue 14). Finalizing stores these
records as JSON in `visits.print_snapshot`; an amendment is a new version, so it reads the
current records and keeps its own snapshot when it is finalized."""

from __future__ import annotations

import dataclasses
import json
import logging
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

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

log = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1


@dataclass(frozen=True, slots=True)
class VisitParties:
    practice: Practice | None
    provider: Provider
    supervisor: Provider | None  # an assistant's supervising therapist
    patient: Patient
    policy: Policy | None
    payer: Payer | None


def read_parties(
    ctx: ServiceContext,
    connection: Connection,
    *,
    patient_id: int,
    provider_id: int,
    policy_id: int | None,
    payer_id: int | None,
    memo: dict[tuple[str, int], Any] | None = None,
) -> VisitParties:
    """The current records a visit names, from the caller's transaction. `memo` keeps the
    records read for earlier visits of the same transaction (a claim file of 500 visits
    reads each once)."""
    known: dict[tuple[str, int], Any] = memo if memo is not None else {}

    def once(kind: str, key: int, read: Callable[[], Any]) -> Any:
        if (kind, key) not in known:
            known[kind, key] = read()
        return known[kind, key]

    providers = ProviderService(ctx)
    patients = PatientService(ctx)
    provider = once("provider", provider_id, lambda: providers.get(provider_id, connection))
    supervisor_id = provider.supervisor_id
    supervisor = (
        once("provider", supervisor_id, lambda: providers.get(supervisor_id, connection))
        if provider.is_assistant and supervisor_id is not None
        else None
    )
    policy = None
    if policy_id is not None:
        listed = once("policies", patient_id, lambda: patients.policies(patient_id, connection))
        policy = next((p for p in listed if p.id == policy_id), None)
    payer = (
        once("payer", payer_id, lambda: PayerService(ctx).get(payer_id, connection))
        if payer_id
        else None
    )
    return VisitParties(
        practice=once("practice", 1, lambda: PracticeService(ctx).get(connection)),
        provider=provider,
        supervisor=supervisor,
        patient=once("patient", patient_id, lambda: patients.get(patient_id, connection)),
        policy=policy,
        payer=payer,
    )


def snapshot_text(parties: VisitParties) -> str:
    """The JSON kept with a finalized visit (dates as ISO text)."""
    body: dict[str, Any] = {"version": SNAPSHOT_VERSION}
    for part in dataclasses.fields(VisitParties):
        record = getattr(parties, part.name)
        body[part.name] = None if record is None else _plain(record)
    return json.dumps(body, sort_keys=True)


def from_snapshot(text: str | None) -> VisitParties | None:
    """The records a snapshot holds; None when there is none (a visit finalized before
    snapshots were kept) or it cannot be read (then the current records are used, and the
    log says so without naming anyone)."""
    if not text:
        return None
    try:
        body = json.loads(text)
        if body.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"snapshot version {body.get('version')!r}")
        kinds = typing.get_type_hints(VisitParties)
        values = {
            part.name: _record(_record_type(kinds[part.name]), body[part.name])
            for part in dataclasses.fields(VisitParties)
        }
        return VisitParties(**values)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        log.warning(
            "print snapshot not readable (%s); using the current records", type(error).__name__
        )
        return None


def _plain(record: Any) -> dict[str, Any]:
    return {
        f.name: (value.isoformat() if isinstance(value, date) else value)
        for f in dataclasses.fields(record)
        for value in [getattr(record, f.name)]
    }


def _record_type(hint: Any) -> type:
    """Provider from `Provider | None`."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return typing.cast(type, hint)


def _record(kind: type, values: dict[str, Any] | None) -> Any:
    if values is None:
        return None
    hints = typing.get_type_hints(kind)
    fields = {}
    for f in dataclasses.fields(kind):
        if f.name not in values:
            continue  # a field added since: its default applies
        value = values[f.name]
        if value is not None and date in _members(hints[f.name]):
            value = date.fromisoformat(value)
        fields[f.name] = value
    return kind(**fields)


def _members(hint: Any) -> tuple[Any, ...]:
    args = typing.get_args(hint)
    return args if args else (hint,)
