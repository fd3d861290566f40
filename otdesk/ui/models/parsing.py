"""What a person types into a cell, read into a value or refused with one sentence. Pure
functions (no Qt) so every message is tested directly."""

from __future__ import annotations

import re
from datetime import date, time

from otdesk.core.dates import date_problem
from otdesk.core.visit import DX_LETTERS, MAX_MODIFIERS, MAX_POINTERS

MAX_MINUTES = 24 * 60
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
# Every date field shows, takes and explains dates in this one format.
DATE_FORMAT = "MM/DD/YYYY"
DATE_STRFTIME = "%m/%d/%Y"
_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_TIME = re.compile(r"(\d{1,2})(?::?(\d{2}))?\s*([AaPp])?\.?[Mm]?\.?")
TIME_FORMAT = "9:30 AM"


class InputError(ValueError):
    """The text cannot be used; str() says why, in words for the person who typed it."""


def parse_minutes(text: str) -> int:
    cleaned = text.strip().lower().removesuffix("min").removesuffix("m").strip()
    if not cleaned:
        return 0
    if not cleaned.isdigit():
        raise InputError(f"Minutes must be a whole number, like 23 (not {text.strip()!r}).")
    minutes = int(cleaned)
    if minutes > MAX_MINUTES:
        raise InputError(f"{minutes} minutes is more than a day.")
    return minutes


def parse_date(text: str) -> date | None:
    """MM/DD/YYYY (also M/D/YYYY, with - or . between) into a date; None when blank.
    A date that does not exist is refused, saying why ("February 2026 has 28 days")."""
    cleaned = text.strip()
    if not cleaned:
        return None
    match = _DATE.fullmatch(cleaned)
    if not match:
        raise InputError(f"{cleaned} is not a date: type it as {DATE_FORMAT}, e.g. 03/02/2026.")
    month, day, year = (int(part) for part in match.groups())
    problem = date_problem(year, month, day)
    if problem:
        raise InputError(f"{cleaned} is not a date: {problem} (type {DATE_FORMAT}).")
    return date(year, month, day)


def format_date(day: date | None) -> str:
    return day.strftime(DATE_STRFTIME) if day else ""


def parse_time(text: str) -> time | None:
    """A time of day ("9:30", "930", "2:15 pm", "14:15"); None when blank. Without AM or
    PM, 1 to 6 o'clock is afternoon: clinics see patients by day."""
    cleaned = text.strip()
    if not cleaned:
        return None
    match = _TIME.fullmatch(cleaned)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        half = (match.group(3) or "").upper()
        if half:
            hour = hour % 12 + (12 if half == "P" else 0) if 1 <= hour <= 12 else 99
        elif 1 <= hour <= 6:
            hour += 12
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise InputError(f"{cleaned} is not a time: type it like {TIME_FORMAT} or 14:30.")


def format_time(at: time | None) -> str:
    """ "9:30 AM" (blank for no time)."""
    if at is None:
        return ""
    return f"{at.hour % 12 or 12}:{at.minute:02d} {'AM' if at.hour < 12 else 'PM'}"


def parse_units(text: str) -> int | None:
    """None (blank) means "computed"; a whole number is an override."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if not cleaned.isdigit():
        raise InputError(f"Units must be a whole number, like 2 (not {cleaned!r}).")
    units = int(cleaned)
    if units > 96:
        raise InputError(f"{units} units is more than a day of 15-minute units.")
    return units


def parse_modifiers(text: str) -> tuple[str, ...]:
    parts = [p for p in re.split(r"[\s,;]+", text.strip().upper()) if p]
    for part in parts:
        if not _MODIFIER.fullmatch(part):
            raise InputError(f"{part!r} is not a modifier: a modifier is 2 letters or digits.")
    if len(parts) != len(set(parts)):
        raise InputError("A modifier is listed twice.")
    if len(parts) > MAX_MODIFIERS:
        raise InputError(f"A line takes at most {MAX_MODIFIERS} modifiers.")
    return tuple(parts)


def parse_pointers(text: str, diagnosis_count: int | None = None) -> tuple[str, ...]:
    """Letters A-L ("AB", "A, B", "a b"); with diagnosis_count, each must point at one."""
    letters = [c for c in text.upper() if not c.isspace() and c not in ",;"]
    for letter in letters:
        if letter not in DX_LETTERS:
            raise InputError(
                f"{letter!r} is not a diagnosis pointer: use the letters A to L of the "
                "diagnosis list."
            )
    if len(letters) != len(set(letters)):
        raise InputError("A diagnosis pointer is listed twice.")
    if len(letters) > MAX_POINTERS:
        raise InputError(f"A line points at {MAX_POINTERS} diagnoses at most.")
    if diagnosis_count is not None:
        for letter in letters:
            if DX_LETTERS.index(letter) >= diagnosis_count:
                if diagnosis_count == 0:
                    raise InputError("Add a diagnosis first: the visit has none yet.")
                last = DX_LETTERS[diagnosis_count - 1]
                raise InputError(f"There is no diagnosis {letter}: the list goes from A to {last}.")
    return tuple(letters)
