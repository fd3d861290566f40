"""National Provider Identifier check (10 digits, Luhn over "80840" + the first 9)."""

from __future__ import annotations

# The NPI standard prefixes the 9-digit base with the card issuer id 80840 for the Luhn sum.
_PREFIX = "80840"


def npi_problem(value: str) -> str | None:
    """None for a valid NPI, otherwise one sentence saying what is wrong."""
    text = value.strip()
    if not text:
        return "NPI is empty"
    if not text.isdigit() or not text.isascii():
        return f"NPI {text!r} must be digits only"
    if len(text) != 10:
        return f"NPI {text} has {len(text)} digits; an NPI has 10"
    expected = check_digit(text[:9])
    if int(text[9]) != expected:
        return f"NPI {text} has a wrong check digit (the last digit should be {expected})"
    return None


def is_valid_npi(value: str) -> bool:
    return npi_problem(value) is None


def check_digit(base9: str) -> int:
    """The Luhn check digit for a 9-digit NPI base."""
    digits = _PREFIX + base9
    total = 0
    # Double every second digit from the right of the payload (the check digit is appended).
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10
