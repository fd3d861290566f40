"""Patients, policies, plans of care, search, CSV import and export."""

from datetime import date

import pytest

from otdesk.services import ImportRejectedError, ServiceError, ValidationError


def test_create_gives_an_account_number_and_keeps_accents(clinic):
    first = clinic.patients.create(
        last_name="Ng-Ødegård", first_name="Zoë", date_of_birth="04/03/1950", state="wa"
    )
    second = clinic.patients.create(
        last_name="Demo", first_name="Avery", date_of_birth="1990-01-01"
    )
    assert first.account_number == "000001" and second.account_number == "000002"
    assert first.date_of_birth == date(1950, 4, 3) and first.state == "WA"
    assert first.display_name == "Ng-Ødegård, Zoë"
    own = clinic.patients.create(
        last_name="Demo", first_name="Jordan", date_of_birth="2001-05-05", account_number="A-77"
    )
    assert own.account_number == "A-77"
    with pytest.raises(ValidationError) as caught:
        clinic.patients.create(
            last_name="Demo", first_name="Kim", date_of_birth="2001-05-05", account_number="a-77"
        )
    assert caught.value.field == "account_number"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"date_of_birth": "2023-02-30"}, "date_of_birth"),
        ({"date_of_birth": "yesterday"}, "date_of_birth"),
        ({"date_of_birth": ""}, "date_of_birth"),
        ({"last_name": "  "}, "last_name"),
        ({"sex": "Q"}, "sex"),
        ({"postal_code": "ABCDE"}, "postal_code"),
        ({"favourite_color": "blue"}, "favourite_color"),
    ],
)
def test_bad_patient_details_are_refused_naming_the_field(clinic, setup, fields, field):
    before = clinic.patients.get(setup.patient)
    with pytest.raises(ValidationError) as caught:
        clinic.patients.update(setup.patient, **fields)
    assert caught.value.field == field
    assert clinic.patients.get(setup.patient) == before


def test_search_by_name_date_of_birth_account_and_member_id(clinic, setup):
    clinic.patients.create(last_name="Manuel", first_name="Nuria", date_of_birth="1970-02-02")
    patient = clinic.patients.get(setup.patient)

    def found(text):
        return [(m.patient.id, m.matched_on) for m in clinic.patients.search(text)]

    assert found("jose nu") == [(patient.id, "name")]
    assert found("NÚÑEZ") == [(patient.id, "name")]
    assert found("nunez, jose") == [(patient.id, "name")]
    assert [m.patient.last_name for m in clinic.patients.search("nu")] == ["Manuel", "Núñez"]
    assert found("1948-07-14") == [(patient.id, "date_of_birth")]
    assert found("07/14/1948") == [(patient.id, "date_of_birth")]
    assert found(patient.account_number) == [(patient.id, "account_number")]
    assert found("1eg4te5mk73") == [(patient.id, "member_id")]
    assert found("nobody") == []
    assert found("   ") == []
    assert found("100%_") == []


def test_policies_and_plans_of_care(clinic, setup):
    [policy] = clinic.patients.policies(setup.patient)
    assert policy.payer_name == "Medicare Part B" and policy.priority == 1
    second = clinic.patients.add_policy(
        setup.patient,
        payer_id=setup.commercial,
        member_id="EVG-555",
        priority=2,
        relationship="spouse",
        subscriber_name="Ana Núñez",
    )
    assert [p.id for p in clinic.patients.policies(setup.patient)] == [policy.id, second.id]
    with pytest.raises(ValidationError) as caught:
        clinic.patients.add_policy(setup.patient, payer_id=setup.commercial, member_id="")
    assert caught.value.field == "member_id"
    with pytest.raises(ValidationError) as caught:
        clinic.patients.update_policy(second.id, relationship="cousin")
    assert caught.value.field == "relationship"
    ended = clinic.patients.update_policy(second.id, effective_to="2026-06-30")
    assert not ended.covers(date(2026, 7, 1)) and ended.covers(date(2026, 6, 30))
    clinic.patients.remove_policy(second.id)
    # a policy a visit uses stays (end it instead)
    clinic.visits.create(setup.patient, provider_id=setup.ot)
    with pytest.raises(ServiceError, match="used by 1 visit"):
        clinic.patients.remove_policy(policy.id)

    [plan] = clinic.patients.plans_of_care(setup.patient)
    assert plan.discipline == "OT" and plan.referring_name == "Dr. Rowan Demo"
    with pytest.raises(ValidationError) as caught:
        clinic.patients.update_plan_of_care(plan.id, certified_through="2026-01-01")
    assert caught.value.field == "certified_through"
    with pytest.raises(ValidationError) as caught:
        clinic.patients.update_plan_of_care(plan.id, referring_npi="1234567890")
    assert caught.value.field == "referring_npi"
    assert clinic.patients.record_progress_report(plan.id).last_progress_report == date(2026, 3, 2)


def test_csv_import_adds_updates_and_sets_the_primary_policy(clinic, setup, tmp_path):
    existing = clinic.patients.get(setup.patient)
    path = tmp_path / "patients.csv"
    path.write_bytes(
        (
            "\ufeffaccount_number,last_name,first_name,date_of_birth,sex,phone,payer,member_id\n"
            f"{existing.account_number},Núñez,José,1948-07-14,M,503-555-0199,,\n"
            ",Ng-Ødegård,Zoë,1950-04-03,F,,Evergreen Health,EVG-1001\n"
            "P-9,Demo,Riley,2012-12-12,X,,Self-pay,SELF\n"
        ).encode()
    )
    report = clinic.patients.import_csv(path)
    assert (report.added, report.updated) == (2, 1)
    assert clinic.patients.get(setup.patient).phone == "503-555-0199"
    [zoe] = clinic.patients.search("zoe")
    [policy] = clinic.patients.policies(zoe.patient.id)
    assert policy.payer_name == "Evergreen Health" and policy.member_id == "EVG-1001"


def test_csv_payer_names_win_over_another_payers_payer_id(clinic, setup, tmp_path):
    # A payer whose payer ID happens to be another payer's name: people type names.
    clinic.payers.create(name="Harbor Plan", kind="commercial", payer_code="Evergreen Health")
    path = tmp_path / "patients.csv"
    path.write_text(
        "last_name,first_name,date_of_birth,payer,member_id\n"
        "Demo,Named,1990-01-01,evergreen health,EVG-2\n"
        "Demo,Coded,1990-01-01,MCR01,MCR-3\n",
        encoding="utf-8",
    )
    clinic.patients.import_csv(path)
    [named] = clinic.patients.search("demo named")
    [coded] = clinic.patients.search("demo coded")
    assert clinic.patients.policies(named.patient.id)[0].payer_name == "Evergreen Health"
    assert clinic.patients.policies(coded.patient.id)[0].payer_name == "Medicare Part B"


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        (",Demo,Riley,2012-02-30,,,", "not a date"),
        (",,Riley,2012-01-30,,,", "Last name is required"),
        (",Demo,Riley,2012-01-30,,Acme,X1", "no payer"),
        (",Demo,Riley,2012-01-30,,Self-pay,", "Member id is required"),
    ],
)
def test_a_bad_patient_row_rejects_the_whole_file(clinic, setup, tmp_path, line, needle):
    path = tmp_path / "patients.csv"
    path.write_text(
        "account_number,last_name,first_name,date_of_birth,phone,payer,member_id\n"
        ",Good,Row,1990-01-01,,,\n" + line + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejectedError) as caught:
        clinic.patients.import_csv(path)
    assert caught.value.row == 3 and needle in str(caught.value)
    assert clinic.patients.search("good row") == []  # row 2 was not kept either


def test_a_repeated_account_in_one_file_is_refused(clinic, setup, tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text(
        "account_number,last_name,first_name,date_of_birth\n"
        "Z1,Demo,A,1990-01-01\nZ1,Demo,B,1990-01-01\n"
    )
    with pytest.raises(ImportRejectedError, match="also on row 2"):
        clinic.patients.import_csv(path)


def test_export_then_import_round_trips(clinic, setup, tmp_path):
    path = tmp_path / "patients.csv"
    assert clinic.patients.export_csv(path) == 1
    text = path.read_text(encoding="utf-8-sig")
    assert "Núñez" in text and "1EG4-TE5-MK73" in text
    report = clinic.patients.import_csv(path)
    assert (report.added, report.updated) == (0, 1)
    assert len(clinic.patients.policies(setup.patient)) == 1
