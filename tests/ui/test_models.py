"""Every table model passes pytest-qt's model tester and shows what it should."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt

from otdesk.core.catalog import default_catalog
from otdesk.core.money import Money
from otdesk.core.visit import Finding, Severity
from otdesk.services.summaries import VisitSummary
from otdesk.ui.models import charge_lines, code_results, day_visits, diagnoses, findings
from otdesk.ui.models.base import RECORD_ROLE, SORT_ROLE
from otdesk.ui.models.parsing import (
    InputError,
    parse_minutes,
    parse_modifiers,
    parse_pointers,
    parse_units,
)
from otdesk.ui.models.records import DiagnosisRow, LineRow

STARTED = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)

LINES = [
    LineRow(1, "97110", "Therapeutic exercise", 33, 2, charge=Money("90.00")),
    LineRow(2, "97140", "Manual therapy", 7, 3, units_override=3, override_reason="payer says"),
    LineRow(3, "97165", "OT evaluation, low", 45, 1, timed=False, modifiers=("GO",)),
]


def test_code_results_model(qtmodeltester):
    model = code_results.CodeResultsModel(default_catalog().search("ther ex", 10))
    qtmodeltester.check(model)
    assert model.data(model.index(0, code_results.COL_CODE)) == "97110"
    assert model.data(model.index(0, code_results.COL_KIND)) == "15-min"
    assert model.data(model.index(0, 0), RECORD_ROLE).code == "97110"
    model.set_records(default_catalog().search("ionto", 10))
    qtmodeltester.check(model)
    assert model.data(model.index(0, code_results.COL_CODE)) == "97033"


def test_charge_lines_model_shows_override_and_sorts_numbers(qtmodeltester):
    model = charge_lines.ChargeLinesModel(LINES)
    qtmodeltester.check(model)
    assert model.data(model.index(0, charge_lines.COL_CHARGE)) == "$90.00"
    assert model.data(model.index(1, charge_lines.COL_UNITS)) == "3" + charge_lines.OVERRIDE_MARK
    assert model.data(model.index(0, charge_lines.COL_UNITS)) == "2"
    assert "payer says" in model.data(model.index(1, charge_lines.COL_UNITS), Qt.ToolTipRole)
    assert model.data(model.index(0, charge_lines.COL_MINUTES), SORT_ROLE) == 33
    assert model.data(model.index(1, charge_lines.COL_CHARGE)) == ""
    assert model.data(model.index(2, charge_lines.COL_MODIFIERS)) == "GO"
    assert model.data(model.index(0, 0), Qt.BackgroundRole) is None
    model.set_timed_row(1)
    qtmodeltester.check(model)
    assert model.data(model.index(1, 0), Qt.BackgroundRole) is not None
    # the timed row only, in every column
    assert model.data(model.index(0, 0), Qt.BackgroundRole) is None
    assert model.data(model.index(1, charge_lines.COL_CHARGE), Qt.BackgroundRole) == (
        model.data(model.index(1, 0), Qt.BackgroundRole)
    )
    model.set_timed_row(-1)
    assert model.data(model.index(1, 0), Qt.BackgroundRole) is None


def test_charge_lines_model_edits_are_announced_not_applied(qtbot):
    model = charge_lines.ChargeLinesModel(LINES)
    model.set_diagnosis_count(2)
    with qtbot.waitSignal(model.edited) as edited:
        assert model.setData(model.index(0, charge_lines.COL_MINUTES), "38")
    assert edited.args == [0, "minutes", 38]
    assert model.record(0).minutes == 33  # unchanged until the controller saves
    with qtbot.waitSignal(model.edited) as edited:
        model.setData(model.index(0, charge_lines.COL_MODIFIERS), "go, 59")
    assert edited.args == [0, "modifiers", ("GO", "59")]
    with qtbot.waitSignal(model.edited) as edited:
        model.setData(model.index(1, charge_lines.COL_UNITS), "")
    assert edited.args == [1, "units", None]


@pytest.mark.parametrize(
    ("column", "text", "words"),
    [
        (charge_lines.COL_MINUTES, "abc", "whole number"),
        (charge_lines.COL_MINUTES, "2000", "more than a day"),
        (charge_lines.COL_MODIFIERS, "GOO", "not a modifier"),
        (charge_lines.COL_DX, "C", "no diagnosis C"),
        (charge_lines.COL_DX, "Z", "not a diagnosis pointer"),
        (charge_lines.COL_UNITS, "two", "whole number"),
    ],
)
def test_charge_lines_model_refuses_bad_input_with_a_message(qtbot, column, text, words):
    model = charge_lines.ChargeLinesModel(LINES)
    model.set_diagnosis_count(2)
    with (
        qtbot.waitSignal(model.rejected) as rejected,
        qtbot.assertNotEmitted(model.edited),
    ):
        assert not model.setData(model.index(0, column), text)
    assert words in rejected.args[2]


def test_charge_lines_read_only_has_no_editable_cells():
    model = charge_lines.ChargeLinesModel(LINES)
    assert model.flags(model.index(0, charge_lines.COL_MINUTES)) & Qt.ItemIsEditable
    assert not model.flags(model.index(0, charge_lines.COL_LABEL)) & Qt.ItemIsEditable
    model.set_read_only(True)
    assert not model.flags(model.index(0, charge_lines.COL_MINUTES)) & Qt.ItemIsEditable
    assert not model.setData(model.index(0, charge_lines.COL_MINUTES), "5")


def test_day_visits_model(qtmodeltester):
    from datetime import date, time

    from otdesk.ui.models.base import DETAIL_ROLE

    def summary(visit_id, patient, provider, status, total, **rest):
        """A day-list row as the services give it (the fields this test reads given)."""
        fields = {
            "chain_id": visit_id,
            "version": 1,
            "date_of_service": date(2026, 3, 2),
            "patient_id": visit_id,
            "account_number": "",
            "provider_id": 1,
            "payer_name": "",
            "total_units": 0,
            "paid": Money(0),
            "error_count": 0,
            "warning_count": 0,
            **rest,
        }
        return VisitSummary(
            id=visit_id,
            status=status,
            patient_name=patient,
            provider_name=provider,
            total=total,
            **fields,
        )

    visits = [
        summary(
            1,
            "Rivera, Ana",
            "Dana Kim, OTR/L",
            "draft",
            Money("120.00"),
            error_count=1,
            appointment_time=time(9, 30),
        ),
        summary(2, "Olsen, Bo", "Dana Kim, OTR/L", "finalized", Money("80.5"), version=2),
        summary(3, "Park, Cy", "Sam Ito, PT", "void", Money(0), appointment_time=time(14, 5)),
    ]
    model = day_visits.DayVisitsModel(visits)
    qtmodeltester.check(model)
    # the status, and under it what is left to fix; the patient, and under it the provider
    assert model.data(model.index(0, day_visits.COL_STATUS)) == "Draft"
    assert model.data(model.index(0, day_visits.COL_STATUS), DETAIL_ROLE) == "1 to fix"
    assert model.data(model.index(0, day_visits.COL_PATIENT)) == "Rivera, Ana"
    assert model.data(model.index(0, day_visits.COL_PATIENT), DETAIL_ROLE) == "Dana Kim, OTR/L"
    assert model.data(model.index(0, day_visits.COL_PROVIDER)) == "Dana Kim, OTR/L"
    assert model.data(model.index(1, day_visits.COL_TOTAL)) == "$80.50"
    assert model.data(model.index(1, day_visits.COL_TOTAL), SORT_ROLE) == 8050
    assert model.data(model.index(1, day_visits.COL_STATUS)) == "Final v2"
    assert model.row_of(2) == 1 and model.row_of(99) == -1
    # the appointment's time, not when the record was made
    assert model.data(model.index(0, day_visits.COL_TIME)) == "9:30 AM"
    assert model.data(model.index(2, day_visits.COL_TIME)) == "2:05 PM"
    assert model.data(model.index(1, day_visits.COL_TIME)) == ""
    assert model.headerData(day_visits.COL_TIME, Qt.Horizontal) == "Time"


def test_findings_model(qtmodeltester):
    items = [
        Finding("ncci", Severity.ERROR, "97140 with 97530", (0, 1), {"label": "Add XU to 97140"}),
        Finding("kx", Severity.INFO, "KX threshold near"),
    ]
    model = findings.FindingsModel(items)
    qtmodeltester.check(model)
    assert model.data(model.index(0, findings.COL_SEVERITY)) == "Error"
    assert model.data(model.index(0, findings.COL_FIX)) == "Add XU to 97140"
    assert model.data(model.index(1, findings.COL_FIX)) == ""
    assert model.data(model.index(1, findings.COL_SEVERITY), SORT_ROLE) == 2
    assert model.counts()[Severity.ERROR] == 1


def test_diagnoses_model(qtmodeltester):
    rows = [
        DiagnosisRow("A", "M62.81", "Muscle weakness (generalized)", True),
        DiagnosisRow("B", "M62.8", "Other specified disorders of muscle", False),
    ]
    model = diagnoses.DiagnosesModel(rows)
    qtmodeltester.check(model)
    assert model.data(model.index(1, diagnoses.COL_LETTER)) == "B"
    assert "not billable" in model.data(model.index(1, diagnoses.COL_DESCRIPTION))
    assert model.codes() == ["M62.81", "M62.8"]


def test_parsing_messages():
    assert parse_minutes(" 33 ") == 33
    assert parse_minutes("12 min") == 12
    assert parse_minutes("") == 0
    assert parse_units("") is None and parse_units("3") == 3
    assert parse_modifiers("go 59") == ("GO", "59")
    assert parse_pointers("a, b", 2) == ("A", "B")
    with pytest.raises(InputError, match="first"):
        parse_pointers("A", 0)
    with pytest.raises(InputError, match="twice"):
        parse_modifiers("GO GO")
    with pytest.raises(InputError, match="at most 4"):
        parse_modifiers("GO 59 XU KX 95")
