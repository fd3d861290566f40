"""What a person types into a cell, read into a value or refused with one sentence. Pure
functions (no Qt) so every message is tested directly."""

from __future__ import annotations

import re

from otdesk.core.visit import DX_LETTERS, MAX_MODIFIERS, MAX_POINTERS

MAX_MINUTES = 24 * 60
_MODIFIER = re.compile(r"[0-9A-Z]{2}")


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
