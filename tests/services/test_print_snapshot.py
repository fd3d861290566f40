"""A finalized visit's superbill reprints exactly (issue 14, item 11): finalizing keeps what
the superbill prints (patient, address, date of birth, policy, provider, practice); later
changes to those records do not reach it; an amendment takes the current records."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from otdesk.services.superbills import SuperbillService
from otdesk.services.visit_parties import from_snapshot
from otdesk.storage import schema as s
from tests.export.helpers import flat, pdf_text
from tests.helpers.clinics import seed_superbill_demo


@pytest.fixture
def clinic(superbill_clinic):
    return superbill_clinic


def _move_everyone(clinic, demo) -> None:
    clinic.patients.update(
        demo.patient,
        last_name="Brightwater",
        address1="88 New Street",
        date_of_birth="1951-06-10",
    )
    policy = clinic.patients.policies(demo.patient)[0]
    clinic.patients.update_policy(policy.id, member_id="9ZZ9-ZZ9-ZZ99")
    clinic.providers.update(demo.ota, last_name="Renamed")
    practice = clinic.practice.get()
    clinic.practice.save(
        **{**_practice_fields(practice), "address1": "1 Moved Avenue", "phone": "(503) 555-0777"}
    )


def _practice_fields(practice):
    return {
        name: getattr(practice, name)
        for name in (
            "name",
            "address1",
            "address2",
            "city",
            "state",
            "postal_code",
            "phone",
            "tin",
            "group_npi",
            "taxonomy",
        )
    }


def test_a_finalized_visit_reprints_what_it_printed(clinic):
    demo = seed_superbill_demo(clinic)
    service = SuperbillService(clinic.ctx)
    before = flat(pdf_text(service.render(demo.visit)))
    assert "Ng-Ødegård" in before and "4711 SE Hawthorne Blvd" in before
    _move_everyone(clinic, demo)
    again = flat(pdf_text(service.render(demo.visit)))
    assert again == before
    for changed in ("Brightwater", "88 New Street", "9ZZ9-ZZ9-ZZ99", "Renamed", "1 Moved Avenue"):
        assert changed not in again


def test_an_amendment_takes_the_current_records_and_keeps_its_own(clinic):
    demo = seed_superbill_demo(clinic)
    service = SuperbillService(clinic.ctx)
    _move_everyone(clinic, demo)
    amendment = clinic.visits.amend(demo.visit, "address changed")
    draft = flat(pdf_text(service.render(amendment.id)))
    assert "Brightwater" in draft and "88 New Street" in draft and "1 Moved Avenue" in draft
    clinic.visits.finalize(amendment.id)
    clinic.patients.update(demo.patient, last_name="Thirdname")
    final = flat(pdf_text(service.render(amendment.id)))
    assert "Brightwater" in final and "Thirdname" not in final
    # the version it replaced still prints as it did when it was finalized
    old = flat(pdf_text(service.render(demo.visit)))
    assert "Ng-Ødegård" in old and "Brightwater" not in old


def test_the_claim_takes_the_current_records(clinic):
    from otdesk.services.visit_records import gather

    demo = seed_superbill_demo(clinic)
    _move_everyone(clinic, demo)
    with clinic.ctx.db.read() as connection:
        current = gather(clinic.ctx, connection, demo.visit)
        printed = gather(clinic.ctx, connection, demo.visit, as_printed=True)
    assert current.patient.last_name == "Brightwater"
    assert printed.patient.last_name == "Ng-Ødegård"
    assert printed.patient.date_of_birth.isoformat() == "1951-05-09"


def test_the_snapshot_is_kept_with_the_finalized_row_only(clinic):
    demo = seed_superbill_demo(clinic)
    draft = clinic.visits.create(
        demo.other_patient, provider_id=demo.ot, date_of_service="2026-03-03"
    )
    with clinic.ctx.db.read() as connection:
        kept = dict(connection.execute(select(s.visits.c.id, s.visits.c.print_snapshot)).all())
    assert kept[draft.id] is None
    parties = from_snapshot(kept[demo.visit])
    assert parties is not None
    assert parties.patient.first_name == "Zoë" and parties.provider.id == demo.ota


def test_a_visit_finalized_before_snapshots_prints_the_current_records(clinic):
    demo = seed_superbill_demo(clinic)
    service = SuperbillService(clinic.ctx)
    # as a clinic upgraded from before migration 0005 has it: the triggers keep finalized
    # rows, so the column is cleared with them out of the way, as the migration's copy does
    with clinic.ctx.db.write() as connection:
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS visits_kept_update")
        connection.execute(
            update(s.visits).where(s.visits.c.id == demo.visit).values(print_snapshot=None)
        )
    clinic.patients.update(demo.patient, last_name="Brightwater")
    assert "Brightwater" in flat(pdf_text(service.render(demo.visit)))


@pytest.mark.expect_log("otdesk.services.visit_parties", "WARNING")
@pytest.mark.parametrize("text", ["{", '{"version": 99}', '{"version": 1}', "[]"])
def test_an_unreadable_snapshot_falls_back_to_the_current_records(text, caplog):
    assert from_snapshot(text) is None
    assert "Zo" not in caplog.text  # the log names no one
