from decimal import Decimal

import pytest

from otdesk.core.money import ROUNDING, Money, MoneyError
from otdesk.core.npi import check_digit, is_valid_npi, npi_problem


def test_money_from_str_and_int():
    assert Money("1234.5").amount == Decimal("1234.50")
    assert Money(12).amount == Decimal("12.00")
    assert Money(Decimal("0.005")).amount == Decimal("0.01")  # half a cent rounds up


def test_money_refuses_float():
    with pytest.raises(TypeError, match="float"):
        Money(12.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(Money("1") * 1.5)  # type: ignore[operator]


@pytest.mark.parametrize("text", ["abc", "", "NaN", "inf", "1.2.3"])
def test_money_refuses_text_that_is_not_money(text):
    with pytest.raises(MoneyError):
        Money(text)


def test_money_formatting_and_arithmetic():
    assert str(Money("1234.5")) == "$1,234.50"
    assert str(Money("-5")) == "-$5.00"
    assert str(Money("0")) == "$0.00"
    assert Money("10.10") + Money("0.05") == Money("10.15")
    assert Money("10") - Money("2.5") == Money("7.50")
    assert Money("33.34") * 3 == Money("100.02")
    assert sum([Money("1.10"), Money("2.20")]) == Money("3.30")
    assert Money.parse(" $1,234.5 ") == Money("1234.50")
    assert Money.parse("(12)") == Money("-12")
    assert Money("7").to_json() == "7.00"
    assert ROUNDING == "ROUND_HALF_UP"


def test_npi_check_digit():
    assert is_valid_npi("1234567893")
    assert not is_valid_npi("1234567890")
    assert check_digit("123456789") == 3
    assert "check digit" in npi_problem("1234567890")
    assert "10" in npi_problem("12345")
    assert "digits only" in npi_problem("12345678AB")
    assert npi_problem("") == "NPI is empty"
