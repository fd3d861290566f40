"""Conversions between stored values and the core's: integer cents <-> Money, the
comma-joined modifier and pointer columns <-> tuples."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from otdesk.core.money import Money


def to_cents(money: Money) -> int:
    """Money (always whole cents) as an integer number of cents."""
    return int(money.amount * 100)


def from_cents(cents: int | None) -> Money | None:
    if cents is None:
        return None
    return Money(Decimal(cents) / 100)


def money(cents: int | None) -> Money:
    """Like from_cents, with 0 for None."""
    return Money(Decimal(cents or 0) / 100)


def join_codes(codes: tuple[str, ...] | list[str]) -> str:
    return ",".join(codes)


def split_codes(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


def inserted_id(result: Any) -> int:
    """The primary key of the row an INSERT made (SQLite's rowid, PostgreSQL's RETURNING)."""
    key = result.inserted_primary_key
    if key is None or key[0] is None:
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])
