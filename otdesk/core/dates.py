"""Why a typed date does not exist, in words ("February 2026 has 28 days"), for the
messages of every date field and of the services; and how a date is shown to people."""

from __future__ import annotations

import calendar
from datetime import date


def shown(day: date) -> str:
    """A date as otdesk shows dates to people (the window, the messages): MM/DD/YYYY.
    Files (CSV, JSON, file names) keep YYYY-MM-DD."""
    return day.strftime("%m/%d/%Y")


def date_problem(year: int, month: int, day: int) -> str | None:
    """None when year-month-day is a real date, else the reason in a few words."""
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if not 1 <= year <= 9999:
        return f"{year} is not a year"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        name = date(year, month, 1).strftime("%B")
        return f"{name} {year} has {days} days"
    return None
