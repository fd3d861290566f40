"""Money on Decimal: exact cents, one rounding mode, never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Claims and fee schedules round half a cent up; every rounding in otdesk uses this.
ROUNDING = ROUND_HALF_UP
CENT = Decimal("0.01")


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
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise MoneyError(f"{value!r} is not an amount of money") from None
    else:
        raise TypeError(f"Money takes str, int or Decimal, not {type(value).__name__}")
    if not number.is_finite():
        raise MoneyError(f"{value!r} is not an amount of money")
    return number.quantize(CENT, rounding=ROUNDING)
