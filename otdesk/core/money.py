"""Money on Decimal: exact cents, one rounding mode, never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

# Claims and fee schedules round half a cent up; every rounding in otdesk uses this.
ROUNDING = ROUND_HALF_UP
CENT = Decimal("0.01")
# Amounts read from text (typed, imported, from JSON) are bounded before any arithmetic:
# plain digits with an optional point (no exponent, NaN or Infinity), at most 4 decimals
# (fee schedules carry up to 4), and no more than this (a claim line's charge field holds
# far more, but no outpatient therapy amount comes near it).
MAX_AMOUNT = Decimal("9999999.99")
MAX_DECIMALS = 4
_AMOUNT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
# Wide enough that quantizing any finite Decimal otdesk adds up never overflows.
_WIDE = Context(prec=60, rounding=ROUNDING)


class MoneyError(ValueError):
    """A value that is not an amount of money."""


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An amount in US dollars, held to the cent."""

    amount: Decimal

    def __init__(self, value: str | int | Decimal | Money = 0) -> None:
        object.__setattr__(self, "amount", _to_decimal(value))

    @classmethod
    def parse(cls, text: str) -> Money:
        """Read what a person types: "$1,234.5", "1234.50", "(12.00)" for a negative."""
        cleaned = text.strip().replace(",", "").replace("$", "").replace(" ", "")
        if cleaned.startswith("(") and cleaned.endswith(")"):
            cleaned = "-" + cleaned[1:-1]
        return cls(cleaned)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.amount + other.amount)

    def __radd__(self, other: object) -> Money:
        if other == 0:  # lets sum() start from its default 0
            return self
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.amount - other.amount)

    def __neg__(self) -> Money:
        return Money(-self.amount)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, float) or not isinstance(factor, int | Decimal):
            return NotImplemented
        return Money(self.amount * factor)

    __rmul__ = __mul__

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        sign = "-" if self.amount < 0 else ""
        return f"{sign}${abs(self.amount):,.2f}"

    def __repr__(self) -> str:
        return f"Money('{self.amount}')"

    def to_json(self) -> str:
        """Plain decimal text, e.g. "1234.50"."""
        return f"{self.amount:.2f}"


def _to_decimal(value: object) -> Decimal:
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, bool | float):
        raise TypeError("Money takes str, int or Decimal, never a float (floats lose cents)")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
        if abs(number) > MAX_AMOUNT:  # an int is typed or read from a file, never summed
            raise MoneyError(f"{value} is more than the largest amount otdesk takes")
    elif isinstance(value, str):
        number = _from_text(value)
    else:
        raise TypeError(f"Money takes str, int or Decimal, not {type(value).__name__}")
    if not number.is_finite():
        raise MoneyError(f"{value!r} is not an amount of money")
    if number.is_zero():
        return Decimal("0.00")  # never "-0.00"
    try:
        return number.quantize(CENT, context=_WIDE)
    except InvalidOperation:
        raise MoneyError(f"{value!r} is too large an amount of money") from None


def _from_text(value: str) -> Decimal:
    text = value.strip()
    if not _AMOUNT_TEXT.fullmatch(text):
        raise MoneyError(
            f"{value!r} is not an amount of money (write it with digits and a point, like 125.50)"
        )
    number = Decimal(text)
    exponent = number.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and "." in text else 0
    if decimals > MAX_DECIMALS:
        raise MoneyError(f"{value!r} has more than {MAX_DECIMALS} decimal places")
    if abs(number) > MAX_AMOUNT:
        raise MoneyError(f"{value!r} is more than the largest amount otdesk takes ($9,999,999.99)")
    return number
