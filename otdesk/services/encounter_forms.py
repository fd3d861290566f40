"""The paper encounter form of one patient and date: the clinic's favourite codes with
check boxes, minutes and units left blank for the session.

A form carries the patient's name, date of birth and insurance, so each one printed or
written to a file is recorded in the audit log (`encounter_form.print`, as a superbill's
issue is recorded): the patient, the date of service, how it left otdesk and the SHA-256
of the PDF. Showing it in the preview records nothing."""

from __future__ import annotations

import hashlib
import os
from datetime import date

from otdesk.export import render_encounter_form
from otdesk.export.model import (
    EncounterFormData,
    FormCode,
)
from otdesk.services import validate as v
from otdesk.services.superbill_issue import (
    SuperbillIssuing,
    SuperbillRefusedError,
    insurance_block,
    patient_block,
    practice_block,
    provider_block,
)
from otdesk.services.superbill_settings import LOGO_KEY, stored_image

# the audit log's action for a form printed or saved, and the ways it leaves otdesk
FORM_PRINTED = "encounter_form.print"
FORM_OUTPUTS = ("print", "file")


def encounter_form_file_name(account_number: str, day: date) -> str:
    """The file of an encounter form: date and account number, never the patient's name."""
    account = "".join(ch for ch in account_number if ch.isalnum() or ch == "-")
    return f"encounter-form_{day.isoformat()}_{account or 'no-account'}.pdf"


class EncounterForms(SuperbillIssuing):
    """The encounter form (with the superbill's patient, insurance and practice boxes)."""

    def encounter_form(
        self,
        patient_id: int,
        day: date | str | None = None,
        *,
        provider_id: int | None = None,
        place_of_service: str = "11",
        paper: str | None = None,
    ) -> bytes:
        """The paper form for one patient and date: the favourite codes with check boxes,
        minutes and units left blank for the session."""
        when = v.date_value(day, "date") if day is not None else self.ctx.today()
        settings = self.settings()
        with self.ctx.db.read() as connection:
            practice = self.practice.get(connection)
            if practice is None:
                raise SuperbillRefusedError(
                    "The practice is not set up yet (Clinic > Practice): the form needs its name."
                )
            patient = self.patients.get(patient_id, connection)
            policies = self.patients.policies(patient_id, connection)
            found = self.providers.get(provider_id, connection) if provider_id is not None else None
            supervisor = (
                self.providers.get(found.supervisor_id, connection)
                if found is not None and found.is_assistant and found.supervisor_id is not None
                else None
            )
            logo = stored_image(connection, LOGO_KEY)
        policy = next((p for p in policies if p.priority == 1 and p.covers(when)), None)
        insurance = (
            insurance_block(policy.payer_name, policy, patient) if policy is not None else None
        )
        provider = provider_block(found, supervisor, None) if found is not None else None
        catalog = self.ctx.catalog
        codes = []
        for code in settings.favourite_codes:
            procedure = catalog.get(code)
            codes.append(
                FormCode(
                    code,
                    procedure.label if procedure is not None else "",
                    bool(procedure is not None and procedure.is_timed),
                )
            )
        form = EncounterFormData(
            practice=practice_block(practice, logo),
            patient=patient_block(patient),
            date_of_service=when,
            codes=tuple(codes),
            insurance=insurance,
            provider=provider,
            place_of_service=place_of_service,
            place_of_service_name=self._place_name(place_of_service),
        )
        return render_encounter_form(form, paper or settings.paper)

    def record_encounter_form(
        self,
        patient_id: int,
        day: date | str | None,
        pdf: bytes,
        *,
        how: str,
        file_name: str | None = None,
    ) -> None:
        """The encounter form `pdf` of this patient and date was printed (`how` "print")
        or written to a file (`how` "file", `file_name` its path): one audit entry."""
        if how not in FORM_OUTPUTS:
            raise ValueError(f"not a way a form leaves otdesk: {how}")
        when = v.date_value(day, "date") if day is not None else self.ctx.today()
        after = {
            "date": when,
            "how": how,
            "sha256": hashlib.sha256(pdf).hexdigest(),
        }
        if file_name:
            after["file"] = os.path.basename(file_name)
        with self.ctx.db.write() as connection:
            self.ctx.audit(connection, FORM_PRINTED, "patient", patient_id, after=after)
