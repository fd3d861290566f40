"""Checking what a person typed before it is stored. Each function returns the clean value
or raises ValidationError naming the field, in words and as `field`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from otdesk.core.dates import date_problem
from otdesk.core.money import Money, MoneyError
from otdesk.core.npi import npi_problem
from otdesk.core.numbers import NotAWholeNumberError, whole_number
from otdesk.core.visit import DX_LETTERS, MAX_DIAGNOSES, MAX_MODIFIERS, MAX_POINTERS
from otdesk.services.errors import ValidationError

_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MODIFIER = re.compile(r"[A-Z0-9]{2}")
_DX = re.compile(r"[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?")
_STATE = re.compile(r"[A-Z]{2}")
_ZIP = re.compile(r"\d{5}(-?\d{4})?")
_TIN = re.compile(r"\d{2}-?\d{7}")
_TAXONOMY = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")


def label(field: str) -> str:
    """ "date_of_birth" -> "Date of birth"."""
    return field.replace("_", " ").capitalize()


def text(value: Any, field: str, *, max_len: int = 200, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(field, f"{label(field)} must be text.")
    cleaned = " ".join(value.split())
    if required and not cleaned:
        raise ValidationError(field, f"{label(field)} is required.")
    if len(cleaned) > max_len:
        raise ValidationError(
            field, f"{label(field)} is too long ({len(cleaned)} characters; at most {max_len})."
        )
    return cleaned


def date_value(value: Any, field: str) -> date:
    """A date, from a date or text as YYYY-MM-DD or MM/DD/YYYY."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, f"{label(field)} is required (YYYY-MM-DD).")
    raw = value.strip()
    match = _US_DATE.fullmatch(raw) or _ISO_DATE.fullmatch(raw)
    why = "write YYYY-MM-DD, e.g. 2026-03-02"
    if match:
        if match.re is _US_DATE:
            month, day, year = (int(part) for part in match.groups())
        else:
            year, month, day = (int(part) for part in match.groups())
        problem = date_problem(year, month, day)
        if problem is None:
            return date(year, month, day)
        why = f"{problem}"
    raise ValidationError(field, f"{label(field)}: {raw!r} is not a date ({why}).")


_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?\s*([AaPp][Mm])?")


def optional_time(value: Any, field: str) -> time | None:
    """A time of day, from a time or text as HH:MM (24-hour) or H:MM AM/PM; None if blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    raw = value.strip() if isinstance(value, str) else repr(value)
    match = _TIME.fullmatch(raw) if isinstance(value, str) else None
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        half = (match.group(3) or "").upper()
        if half and 1 <= hour <= 12:
            hour = hour % 12 + (12 if half == "PM" else 0)
        elif half:
            hour = 99
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ValidationError(
        field, f"{label(field)}: {raw!r} is not a time of day (write HH:MM, e.g. 09:30 or 2:15 PM)."
    )


def optional_date(value: Any, field: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return date_value(value, field)


def money_value(value: Any, field: str, *, allow_zero: bool = True) -> Money:
    """An amount of money, from Money, Decimal, int or text ("$1,234.50")."""
    try:
        if isinstance(value, Money):
            amount = value
        elif isinstance(value, str):
            if not value.strip():
                raise MoneyError(value)
            amount = Money.parse(value)
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            amount = Money(value)
        else:
            raise MoneyError(value)
    except MoneyError as error:
        raise ValidationError(field, f"{label(field)}: {error}.") from None
    negative = isinstance(value, str) and value.strip().startswith(("-", "("))
    if amount.amount < 0 or negative or (not allow_zero and not amount):
        least = "more than 0" if not allow_zero else "0 or more"
        shown = value.strip() if negative else amount
        raise ValidationError(field, f"{label(field)} must be {least}, not {shown}.")
    if amount.amount >= Decimal("10000000"):
        raise ValidationError(field, f"{label(field)} of {amount} is not a plausible amount.")
    return amount


def optional_money(value: Any, field: str) -> Money | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return money_value(value, field)


def int_value(value: Any, field: str, *, low: int = 0, high: int = 24 * 60) -> int:
    if isinstance(value, str):
        try:
            value = whole_number(value)
        except NotAWholeNumberError:
            raise ValidationError(
                field,
                f"{label(field)} must be a whole number written with the digits 0-9, "
                f"not {value!r}.",
            ) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"{label(field)} must be a whole number, not {value!r}.")
    if not low <= value <= high:
        raise ValidationError(
            field, f"{label(field)} must be between {low} and {high}, not {value}."
        )
    return value


def optional_int(value: Any, field: str, *, low: int = 0, high: int = 24 * 60) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return int_value(value, field, low=low, high=high)


def choice(value: Any, field: str, choices: Iterable[str]) -> str:
    options = tuple(choices)
    if isinstance(value, str) and value.strip() in options:
        return value.strip()
    raise ValidationError(
        field, f"{label(field)} must be one of {', '.join(options)}, not {value!r}."
    )


def npi(value: Any, field: str, *, required: bool = False) -> str:
    cleaned = text(value, field, max_len=20)
    if not cleaned:
        if required:
            raise ValidationError(field, f"{label(field)} is required.")
        return ""
    problem = npi_problem(cleaned)
    if problem:
        raise ValidationError(field, f"{label(field)}: {problem}.")
    return cleaned


def state(value: Any, field: str) -> str:
    cleaned = text(value, field, max_len=2).upper()
    if cleaned and not _STATE.fullmatch(cleaned):
        raise ValidationError(field, f"{label(field)} must be a 2-letter state code, e.g. OR.")
    return cleaned


def postal_code(value: Any, field: str) -> str:
    cleaned = text(value, field, max_len=10)
    if cleaned and not _ZIP.fullmatch(cleaned):
        raise ValidationError(field, f"{label(field)} must be a ZIP code (5 or 9 digits).")
    return cleaned


def address(values: Mapping[str, Any]) -> dict[str, str]:
    """The postal address and phone number, as patients and the practice both keep them."""
    return {
        "address1": text(values.get("address1"), "address1"),
        "address2": text(values.get("address2"), "address2"),
        "city": text(values.get("city"), "city", max_len=100),
        "state": state(values.get("state"), "state"),
        "postal_code": postal_code(values.get("postal_code"), "postal_code"),
        "phone": text(values.get("phone"), "phone", max_len=30),
    }


def tin(value: Any, field: str) -> str:
    cleaned = text(value, field, max_len=10)
    if cleaned and not _TIN.fullmatch(cleaned):
        raise ValidationError(field, f"{label(field)} must be 9 digits (e.g. 12-3456789).")
    return cleaned


def taxonomy(value: Any, field: str) -> str:
    cleaned = text(value, field, max_len=10).upper()
    if cleaned and not _TAXONOMY.fullmatch(cleaned):
        raise ValidationError(
            field, f"{label(field)} must be a 10-character taxonomy code, e.g. 225X00000X."
        )
    return cleaned


def modifiers(values: Any, field: str = "modifiers") -> tuple[str, ...]:
    items = _items(values)
    cleaned = []
    for item in items:
        code = item.strip().upper()
        if not _MODIFIER.fullmatch(code):
            raise ValidationError(field, f"Modifiers: {item!r} is not a modifier (2 characters).")
        if code in cleaned:
            raise ValidationError(field, f"Modifiers: {code} is listed twice.")
        cleaned.append(code)
    if len(cleaned) > MAX_MODIFIERS:
        raise ValidationError(
            field, f"Modifiers: a line takes at most {MAX_MODIFIERS}, not {len(cleaned)}."
        )
    return tuple(cleaned)


def pointers(values: Any, diagnosis_count: int, field: str = "dx_pointers") -> tuple[str, ...]:
    """Diagnosis pointers (letters A-L) that must each point at an existing diagnosis."""
    cleaned = []
    for item in _items(values, letters=True):
        letter = item.strip().upper()
        if len(letter) != 1 or letter not in DX_LETTERS:
            raise ValidationError(field, f"Diagnosis pointers: {item!r} is not a letter A-L.")
        if DX_LETTERS.index(letter) >= diagnosis_count:
            have = f"A-{DX_LETTERS[diagnosis_count - 1]}" if diagnosis_count else "no diagnoses yet"
            raise ValidationError(
                field,
                f"Diagnosis pointers: {letter} points to a diagnosis the visit does not have "
                f"({have}).",
            )
        if letter in cleaned:
            raise ValidationError(field, f"Diagnosis pointers: {letter} is listed twice.")
        cleaned.append(letter)
    if len(cleaned) > MAX_POINTERS:
        raise ValidationError(
            field, f"Diagnosis pointers: a line takes at most {MAX_POINTERS}, not {len(cleaned)}."
        )
    return tuple(cleaned)


def dx_code(value: Any, field: str = "diagnoses") -> str:
    """An ICD-10-CM code in its written form (with the dot): "m6281" -> "M62.81"."""
    raw = text(value, field, max_len=10).upper().replace(" ", "")
    if not _DX.fullmatch(raw):
        raise ValidationError(
            field, f"Diagnoses: {raw or value!r} is not an ICD-10-CM code (e.g. M62.81)."
        )
    bare = raw.replace(".", "")
    return bare[:3] + ("." + bare[3:] if len(bare) > 3 else "")


def max_diagnoses(count: int, field: str = "diagnoses") -> None:
    if count > MAX_DIAGNOSES:
        raise ValidationError(
            field, f"Diagnoses: a visit takes at most {MAX_DIAGNOSES} (A-L), not {count}."
        )


def name_key(*parts: str) -> str:
    """Case- and accent-free text for search: "Zoë Ng-Ødegård" -> "zoe ng-odegard"."""
    joined = " ".join(part for part in parts if part)
    return fold(joined)


_EXTRA_FOLDS = str.maketrans({"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "ß": "ss"})


def fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.translate(_EXTRA_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def _items(values: Any, *, letters: bool = False) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        parts = re.split(r"[\s,;]+", values.strip())
        if letters and len(parts) == 1 and parts[0].isalpha() and len(parts[0]) > 1:
            return list(parts[0])  # "AB" -> A, B
        return [part for part in parts if part]
    return [str(value) for value in values]
