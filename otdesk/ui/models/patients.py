"""Patients found by the day view's search (records: the services' PatientMatch)."""

from __future__ import annotations

from typing import Any

from otdesk.ui.models.base import RecordTableModel

COL_NAME = 0
COL_BORN = 1
COL_ACCOUNT = 2

_HOW = {
    "name": "name",
    "date_of_birth": "date of birth",
    "account_number": "account",
    "member_id": "member ID",
}


def typed_name(text: str) -> tuple[str, str] | None:
    """(first, last) from what was typed into Find patient, for a new patient: "Rivera, Ana"
    and "Ana Rivera" both give ("Ana", "Rivera"); one word is the last name. None when
    the text is a date, a number or an account rather than a name."""
    cleaned = " ".join(text.replace(",", " , ").split())
    if not cleaned or any(char.isdigit() for char in cleaned):
        return None
    if "," in cleaned:
        last, _, first = cleaned.partition(",")
        return (" ".join(first.replace(",", " ").split()), last.strip())
    words = cleaned.split()
    if len(words) == 1:
        return ("", words[0])
    return (" ".join(words[:-1]), words[-1])


class PatientResultsModel(RecordTableModel):
    HEADERS = ("Patient", "Born", "Account")

    def display(self, record: Any, column: int) -> str:
        patient = record.patient
        if column == COL_NAME:
            return patient.display_name + ("" if patient.active else " (inactive)")
        if column == COL_BORN:
            return patient.date_of_birth.strftime("%m/%d/%Y")
        if column == COL_ACCOUNT:
            return patient.account_number
        return ""

    def sort_value(self, record: Any, column: int) -> Any:
        if column == COL_BORN:
            return record.patient.date_of_birth.isoformat()
        return self.display(record, column).lower()

    def tooltip(self, record: Any, column: int) -> str | None:
        how = _HOW.get(record.matched_on, record.matched_on)
        return f"Found by {how}. Enter opens the patient's visit on the day shown."
