"""The fee schedule, and its CSV import and export."""

from datetime import date

import pytest

from otdesk.core.money import Money
from otdesk.services import ImportRejectedError, ValidationError


def test_quotes_use_the_payers_allowed_and_the_clinics_charge(clinic, setup):
    quote = clinic.fees.quote("97110", setup.medicare, date(2026, 3, 2))
    assert quote.charge == Money("60.00") and quote.allowed == Money("31.12")
    quote = clinic.fees.quote("97110", setup.commercial, date(2026, 3, 2))
    assert quote.charge == Money("60.00") and quote.allowed is None
    assert clinic.fees.quote("97999", None, date(2026, 3, 2)).charge is None


def test_fees_change_on_their_effective_dates(clinic, setup):
    [own] = [f for f in clinic.fees.list(payer_id=None) if f.code == "97110"]
    clinic.fees.update(own.id, effective_to="2026-12-31")
    clinic.fees.add("97110", charge="64.00", effective_from="2027-01-01")
    assert clinic.fees.quote("97110", None, date(2026, 12, 31)).charge == Money("60.00")
    assert clinic.fees.quote("97110", None, date(2027, 1, 1)).charge == Money("64.00")
    with pytest.raises(ValidationError, match="already has a fee") as caught:
        clinic.fees.add("97110", charge="70.00", effective_from="2026-06-01")
    assert caught.value.field == "effective_from"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"charge": "abc"}, "charge"),
        ({"charge": "-5"}, "charge"),
        ({"code": "971"}, "code"),
        ({"charge": None}, "charge"),
        ({"effective_from": "2026-13-01"}, "effective_from"),
        ({"effective_from": "2026-05-01", "effective_to": "2026-04-01"}, "effective_to"),
    ],
)
def test_bad_fees_are_refused(clinic, setup, changes, field):
    [own] = [f for f in clinic.fees.list(payer_id=None) if f.code == "97110"]
    with pytest.raises(ValidationError) as caught:
        clinic.fees.update(own.id, **changes)
    assert caught.value.field == field
    assert [f for f in clinic.fees.list(payer_id=None) if f.code == "97110"] == [own]


def test_csv_import_accepts_excel_utf8_with_a_bom(clinic, setup, tmp_path):
    path = tmp_path / "fees.csv"
    path.write_bytes(
        "\ufeffCode,Payer,Charge,Allowed,Effective From,Effective To\r\n"
        "97112,,$62.00,,,\r\n"
        "97112,Medicare Part B,,32.10,,\r\n"
        "97110,MCR01,,31.50,,\r\n"  # by payer ID: updates the stored row
        ",,,,,\r\n".encode()
    )
    report = clinic.fees.import_csv(path)
    assert (report.added, report.updated) == (2, 1)
    quote = clinic.fees.quote("97112", setup.medicare, date(2026, 3, 2))
    assert quote == type(quote)(Money("62.00"), Money("32.10"))
    assert clinic.fees.quote("97110", setup.medicare, date(2026, 3, 2)).allowed == Money("31.50")


@pytest.mark.parametrize(
    ("rows", "row", "needle"),
    [
        ("97112,,62.00\n97113,,lots\n", 3, "not an amount of money"),
        ("97112,,62.00\n9711,,50\n", 3, "not a procedure code"),
        ("97112,Acme Insurance,62.00\n", 2, "no payer"),
        ("97112,,62.00\n97112,,63.00\n", 3, "replaces"),
    ],
)
def test_a_bad_row_rejects_the_whole_file(clinic, setup, tmp_path, rows, row, needle):
    path = tmp_path / "fees.csv"
    path.write_text("code,payer,charge\n" + rows, encoding="utf-8")
    before = clinic.fees.list()
    if needle == "replaces":
        # the same code, payer and start twice in one file: the second replaces the first
        report = clinic.fees.import_csv(path)
        assert (report.added, report.updated) == (1, 1)
        return
    with pytest.raises(ImportRejectedError) as caught:
        clinic.fees.import_csv(path)
    assert caught.value.row == row
    assert f"row {row}" in str(caught.value) and needle in str(caught.value)
    assert "Nothing was imported" in str(caught.value)
    assert clinic.fees.list() == before


def test_files_that_are_not_fee_csv_are_refused(clinic, setup, tmp_path):
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("code,charge\n97110,60\n# Zoë\n".encode("latin-1"))
    with pytest.raises(ImportRejectedError, match="not UTF-8"):
        clinic.fees.import_csv(latin1)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("code,price\n97110,60\n")
    with pytest.raises(ImportRejectedError, match="Unknown column 'price'"):
        clinic.fees.import_csv(wrong)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ImportRejectedError, match="empty"):
        clinic.fees.import_csv(empty)


def test_export_then_import_round_trips(clinic, setup, tmp_path):
    path = tmp_path / "out.csv"
    count = clinic.fees.export_csv(path)
    assert count == len(clinic.fees.list())
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel sees UTF-8
    report = clinic.fees.import_csv(path)
    assert (report.added, report.updated) == (0, count)


def test_a_fee_change_reprices_the_drafts_the_day_list_shows(clinic, setup, tmp_path):
    def listed(visit_id):
        return next(v for v in clinic.visits.day(date(2026, 3, 2)) if v.id == visit_id)

    draft = clinic.visits.create(setup.patient, provider_id=setup.ot)
    clinic.visits.add_line(draft.id, "97033", minutes=15, modifiers="GO")
    done = clinic.visits.create(setup.patient, provider_id=setup.ot)
    done = clinic.visits.add_diagnosis(done.id, "M62.81")
    clinic.visits.add_line(done.id, "97033", minutes=15, modifiers="GO", dx_pointers="A")
    clinic.visits.finalize(done.id, override_reason="no fee yet, billed later")
    before = listed(draft.id)
    assert before.total == Money(0)
    warnings = before.warning_count  # fee-missing among them

    fee = clinic.fees.add("97033", charge="41.00")
    assert listed(draft.id).total == Money("41.00")
    assert listed(draft.id).warning_count == warnings - 1
    assert listed(done.id).total == Money(0)  # a finalized visit never changes

    clinic.fees.update(fee.id, charge="43.50")
    assert listed(draft.id).total == Money("43.50")
    clinic.fees.remove(fee.id)
    assert listed(draft.id).total == Money(0)
    assert listed(draft.id).warning_count == warnings

    fees_csv = tmp_path / "fees.csv"
    fees_csv.write_text("code,charge\n97033,39.00\n", encoding="utf-8")
    clinic.fees.import_csv(fees_csv)
    assert listed(draft.id).total == Money("39.00")
    assert clinic.visits.get(draft.id).total == Money("39.00")
