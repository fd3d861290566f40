"""No patient names, dates of birth or member IDs in log output (the audit table inside the
database may hold them; log files must not)."""

import logging

from otdesk.services import Clinic


def test_a_whole_workday_logs_no_patient_data(clinic, setup, clock, caplog, sqlite_only):
    caplog.set_level(logging.DEBUG)
    patient = clinic.patients.get(setup.patient)
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)
    visit = clinic.visits.add_diagnosis(visit.id, "M62.81")
    visit = clinic.visits.add_line(visit.id, "97110", minutes=30, modifiers="GO", dx_pointers="A")
    clinic.visits.record_payment(visit.id, "20")
    done = clinic.visits.finalize(visit.id)
    clinic.visits.amend(done.id, "test")
    clinic.db.backup(now=clock.now())
    path = clinic.db.path
    clinic.close()
    with Clinic.open(path.parent, clock=clock):
        pass
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in ("Núñez", "José", "1948", "1EG4", patient.account_number):
        assert secret not in logged
