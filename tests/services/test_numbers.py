"""Numbers a person or a file can type are bounded before any arithmetic: amounts with an
exponent, NaN, Infinity, a minus sign, too many decimals or over the cap, and minutes in
any other digits than 0-9, get one clear sentence at every door (the services, the fee CSV
import, the visit JSON, the command line) and change nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from otdesk import cli
from otdesk.core.money import MAX_AMOUNT, Money, MoneyError
from otdesk.core.visit_json import VisitInputError, visit_from_json
from otdesk.services import ImportRejectedError, ValidationError

BAD_AMOUNTS = ["1e30", "NaN", "Infinity", "-Infinity", "-0", "1e-30", "10000000", "12.345678",
               "1,2,3e4", "0x10", "١٢٣", "--5"]  # fmt: skip
BAD_MINUTES = ["²", "٣٣", "--5", "-5", "5.5", "1e2", "", " "]


@pytest.mark.parametrize("text", ["1e30", "NaN", "Infinity", "1e-30", "10000000", "12.345678",
                                  "0x10", "١٢٣"])  # fmt: skip
def test_money_refuses_what_is_not_plain_digits_within_the_cap(text):
    with pytest.raises(MoneyError):
        Money.parse(text)


def test_money_keeps_plain_amounts_and_never_a_negative_zero():
    assert Money.parse("$1,234.5") == Money("1234.50")
    assert Money.parse("31.1234") == Money("31.12")
    assert Money("-0").to_json() == "0.00" and str(Money("-0.00")) == "$0.00"
    assert Money.parse(str(MAX_AMOUNT)).amount == MAX_AMOUNT
    # sums are not capped: only what is read from text or a file
    assert sum([Money(Decimal("9999999.99"))] * 3, Money(0)).amount == Decimal("29999999.97")


@pytest.mark.parametrize("text", BAD_AMOUNTS)
def test_a_payment_of_a_bad_amount_is_refused_naming_the_field(clinic, setup, text):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)
    with pytest.raises(ValidationError) as caught:
        clinic.visits.record_payment(visit.id, text)
    assert caught.value.field == "amount" and "Amount" in str(caught.value)
    assert clinic.visits.get(visit.id).payments == ()


@pytest.mark.parametrize("text", BAD_AMOUNTS)
def test_a_fee_of_a_bad_amount_is_refused(clinic, setup, text):
    before = clinic.fees.list()
    with pytest.raises(ValidationError) as caught:
        clinic.fees.add("97112", charge=text)
    assert caught.value.field == "charge"
    assert clinic.fees.list() == before


@pytest.mark.parametrize("text", BAD_AMOUNTS)
def test_a_fee_csv_with_a_bad_amount_is_rejected_whole(clinic, setup, tmp_path, text):
    path = tmp_path / "fees.csv"
    path.write_text(f'code,charge\n97112,62.00\n97113,"{text}"\n', encoding="utf-8")
    before = clinic.fees.list()
    with pytest.raises(ImportRejectedError) as caught:
        clinic.fees.import_csv(path)
    assert caught.value.row == 3 and "Nothing was imported" in str(caught.value)
    assert clinic.fees.list() == before


@pytest.mark.parametrize("text", BAD_MINUTES)
def test_minutes_in_other_digits_are_refused(clinic, setup, text):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot)
    visit = clinic.visits.add_line(visit.id, "97110", minutes=20)
    with pytest.raises(ValidationError) as caught:
        clinic.visits.update_line(visit.lines[0].id, minutes=text)
    assert caught.value.field == "minutes"
    assert clinic.visits.get(visit.id).lines[0].minutes == 20


@pytest.mark.parametrize("value", ["1e30", "NaN", "Infinity", "1e-30", "10000000", 10**30])
def test_a_visit_json_with_a_bad_amount_names_where(value):
    data = json.loads(json.dumps(
        {"date_of_service": "2026-03-02", "payer": {"kind": "medicare"}, "discipline": "OT",
         "lines": [{"code": "97110", "minutes": 30, "allowed": value}]}
    ))  # fmt: skip
    with pytest.raises(VisitInputError) as caught:
        visit_from_json(data)
    assert "lines[0].allowed" in str(caught.value)


@pytest.mark.parametrize("minutes", BAD_MINUTES)
def test_units_on_the_command_line_refuses_other_digits(capsys, minutes):
    code = cli.main(["units", f"97110={minutes}"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_BAD_INPUT and "minutes" in err and "Traceback" not in err
