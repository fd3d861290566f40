"""A clinic ready to bill: the seeded test clinic (tests/services/conftest.py) with what a
claim needs on top (practice address with ZIP+4, patient address, payer IDs, claim
settings), and visits made the way the front desk makes them."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from otdesk.services.claims import ClaimService

CLAIM_SETTINGS = {
    "submitter_name": "Harbor Hands OT",
    "submitter_id": "HHOT01",
    "contact_name": "Avery Demo",
    "contact_phone": "503-555-0100",
    "contact_email": "billing@example.com",
    "receiver_name": "Example Clearinghouse",
    "receiver_id": "EXCLEAR",
}


def make_billable(clinic: Any, setup: Any) -> ClaimService:
    clinic.practice.save(
        address1="100 Example Way",
        address2="Suite 200",
        city="Portland",
        state="OR",
        postal_code="97201-3344",
        phone="503-555-0100",
        taxonomy="225X00000X",
    )
    clinic.patients.update(
        setup.patient, address1="12 Sample Street", city="Portland", state="OR",
        postal_code="97202",
    )  # fmt: skip
    clinic.payers.update(setup.commercial, payer_code="EVG01")
    for code in ("97139", "97039", "97112"):
        clinic.fees.add(code, charge="50.00")
    claims = ClaimService(clinic.ctx)
    claims.save_settings(**CLAIM_SETTINGS)
    return claims


def finalized_visit(
    clinic: Any,
    setup: Any,
    lines: list[dict[str, Any]],
    *,
    diagnoses: tuple[str, ...] = ("M62.81",),
    day: str = "2026-03-02",
    patient: int | None = None,
    provider: int | None = None,
    override: str | None = None,
    **visit: Any,
) -> int:
    created = clinic.visits.create(
        patient or setup.patient,
        provider_id=provider or setup.ot,
        date_of_service=day,
        total_treatment_minutes=sum(line.get("minutes", 0) for line in lines) or None,
        **visit,
    )
    clinic.visits.set_diagnoses(created.id, list(diagnoses))
    for line in lines:
        fields = {"dx_pointers": "A", **line}
        clinic.visits.add_line(created.id, fields.pop("code"), **fields)
    clinic.visits.finalize(created.id, override_reason=override)
    return created.id


DEMO_NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def demo_template(tmp_path_factory: Any, *, encrypted: bool = False) -> Path:
    """The demo clinic of 2026-03-02, made once per module (tests copy it: a fresh demo
    takes a couple of seconds)."""
    from otdesk.services import FixedClock
    from otdesk.services.demo import install_demo

    folder = tmp_path_factory.mktemp("demo") / "data"
    install_demo(folder, clock=FixedClock(DEMO_NOW), encrypted=encrypted)
    shutil.rmtree(folder / "backups", ignore_errors=True)
    return folder
