"""Whole numbers as people and files type them: ASCII digits only.

Python's int() also reads other scripts' digits ("٣٣" is 33) and str.isdigit() accepts
superscripts ("²") that int() then refuses; a minutes field must take neither, so every
count otdesk reads from text goes through whole_number().
"""

from __future__ import annotations

import re

_WHOLE = re.compile(r"[0-9]{1,9}", re.ASCII)


class NotAWholeNumberError(ValueError):
    """Text that is not a whole number written with the digits 0-9."""


def whole_number(text: str) -> int:
    """The number written in `text` (surrounding spaces allowed): digits 0-9 only, no sign."""
    cleaned = text.strip()
    if not _WHOLE.fullmatch(cleaned):
        raise NotAWholeNumberError(f"{text!r} is not a whole number (use the digits 0-9, e.g. 23)")
    return int(cleaned)
