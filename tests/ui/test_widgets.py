"""The widgets on their own, driven with keys and clicks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from otdesk.core.catalog import default_catalog
from otdesk.core.money import Money
from otdesk.core.visit import Finding, Severity
from otdesk.services.visit_detail import TimerState
from otdesk.ui.code_picker import CodePicker, short_label
from otdesk.ui.findings_panel import FindingsPanel
from otdesk.ui.lines_table import LinesTable
from otdesk.ui.models.charge_lines import COL_MINUTES, ChargeLinesModel
from otdesk.ui.models.findings import FindingsModel
from otdesk.ui.models.records import LineRow, ShownTimer
from otdesk.ui.timer_panel import TimerPanel, format_elapsed
from otdesk.ui.totals_panel import TotalsPanel
from otdesk.ui.units_panel import UnitsPanel
from tests.ui.helpers import show, type_into_cell


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def picker(qtbot):
    widget = CodePicker(default_catalog())
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.mark.parametrize(
    ("typed", "first"), [("ther ex", "97110"), ("TA", "97530"), ("ionto", "97033")]
)
def test_code_picker_enter_adds_the_first_result(qtbot, picker, typed, first):
    qtbot.keyClicks(picker.search, typed)
    assert picker.model.rowCount() > 0
    with qtbot.waitSignal(picker.code_chosen) as chosen:
        qtbot.keyClick(picker.search, Qt.Key_Return)
    assert chosen.args == [first]
    assert picker.search.text() == ""


def test_code_picker_arrow_down_then_enter_picks_the_second(qtbot, picker):
    qtbot.keyClicks(picker.search, "eval")
    second = picker.model.record(1).code
    qtbot.keyClick(picker.search, Qt.Key_Down)
    with qtbot.waitSignal(picker.code_chosen) as chosen:
        qtbot.keyClick(picker.search, Qt.Key_Enter)
    assert chosen.args == [second]


def test_code_picker_click_on_result_and_favourite(qtbot, picker):
    qtbot.keyClicks(picker.search, "manual")
    rect = picker.results.visualRect(picker.model.index(0, 1))
    with qtbot.waitSignal(picker.code_chosen) as chosen:
        qtbot.mouseClick(picker.results.viewport(), Qt.LeftButton, pos=rect.center())
    assert chosen.args == ["97140"]
    with qtbot.waitSignal(picker.code_chosen) as chosen:
        qtbot.mouseClick(picker.favourite_buttons["97530"], Qt.LeftButton)
    assert chosen.args == ["97530"]


def test_code_picker_new_favourites_replace_the_old_buttons_at_once(qtbot, picker):
    old = dict(picker.favourite_buttons)
    assert "97033" in old
    picker.set_favourites([("Treatment", ("97110", "97530"))])
    assert list(picker.favourite_buttons) == ["97110", "97530"]
    # no old button may still be drawn over the new rows while its deletion is pending
    assert not any(button.isVisible() for button in old.values())
    qtbot.waitUntil(lambda: all(b.isVisible() for b in picker.favourite_buttons.values()))


def test_code_picker_unknown_text_says_so(qtbot, picker):
    qtbot.keyClicks(picker.search, "zzzz")
    assert picker.stack.currentWidget() is picker.no_match.parentWidget()
    assert "zzzz" in picker.no_match.text()
    with qtbot.assertNotEmitted(picker.code_chosen):
        qtbot.keyClick(picker.search, Qt.Key_Return)


def test_code_picker_recent_codes(qtbot, picker):
    picker.note_used("97110")
    picker.note_used("97140")
    picker.note_used("97110")
    picker.note_used("NOPE1")
    assert picker.recent() == ["97110", "97140"]


def test_short_label():
    assert short_label("Therapeutic exercise (strength)") == "Therapeutic exercise"
    assert len(short_label("x" * 40)) == 22


def test_lines_table_shows_refusal_and_deletes(qtbot):
    model = ChargeLinesModel([LineRow(1, "97110", "Therapeutic exercise", 33, 2)])
    table = show(qtbot, LinesTable(model))
    type_into_cell(qtbot, table.view, model.index(0, COL_MINUTES), "3x")
    assert table.message.isVisible()
    assert "Line 1 (97110), Minutes" in table.message.text()
    assert "whole number" in table.message.text()
    table.select_row(0)
    with qtbot.waitSignal(table.remove_requested) as removed:
        qtbot.keyClick(table.view, Qt.Key_Delete)
    assert removed.args == [0]


def test_lines_table_typing_minutes_announces_edit(qtbot):
    model = ChargeLinesModel([LineRow(1, "97110", "Therapeutic exercise", 0, 0)])
    table = show(qtbot, LinesTable(model))
    with qtbot.waitSignal(model.edited) as edited:
        type_into_cell(qtbot, table.view, model.index(0, COL_MINUTES), "33")
    assert edited.args == [0, "minutes", 33]


def test_timer_panel_counts_with_the_clock_and_announces_minutes(qtbot):
    clock = FakeClock()
    panel = TimerPanel(clock)
    qtbot.addWidget(panel)
    assert not panel.stop.isEnabled()
    panel.set_can_start(True)
    assert panel.start.isEnabled()
    running = TimerState(7, True, 120, clock.now, accumulated_seconds=120)
    panel.show_state(ShownTimer(running, row=0, label="97110 Therapeutic exercise"))
    assert panel.time.text() == "02:00"
    assert "Timing line 1" in panel.caption.text()
    clock.advance(seconds=59)
    with qtbot.waitSignal(panel.minute_passed) as passed:
        clock.advance(seconds=1)
        panel.tick()
    assert passed.args == [7, 3]
    assert panel.time.text() == "03:00"
    with qtbot.waitSignal(panel.pause_requested):
        qtbot.mouseClick(panel.pause, Qt.LeftButton)
    paused = TimerState(7, False, 180, None, accumulated_seconds=180)
    panel.show_state(ShownTimer(paused, row=0, label="97110 Therapeutic exercise"))
    assert panel.pause.text().startswith("Resume")
    clock.advance(minutes=10)
    panel.tick()
    assert panel.time.text() == "03:00"
    with qtbot.waitSignal(panel.resume_requested):
        qtbot.mouseClick(panel.pause, Qt.LeftButton)


def test_format_elapsed():
    assert format_elapsed(0) == "00:00"
    assert format_elapsed(65) == "01:05"
    assert format_elapsed(3725) == "1:02:05"


def test_findings_panel_one_line_each_with_fixes_and_details(qtbot):
    from datetime import date

    from otdesk.core.tables import RuleTables
    from otdesk.services.finding_words import describe

    panel = FindingsPanel(FindingsModel())
    qtbot.addWidget(panel)
    assert panel.summary.text() == "No problems found."
    deleted = Finding(
        "deleted-code",
        Severity.ERROR,
        "Line 1 (97003): 97003 was deleted on 2017-01-01; use 97165, 97166 or 97167.",
        (0,),
    )
    near = Finding("kx-approaching", Severity.INFO, "Near the KX threshold.")
    views = describe([near, deleted], ["97003"], date(2026, 3, 2), RuleTables.shipped())
    panel.show_findings(views)
    panel.resize(420, 300)
    panel.show()
    assert panel.summary.text() == "1 error, 1 note"
    first = panel.rows[0]  # errors first
    assert first.summary.text() == "97003: deleted code, use 97165 or 97166 or 97167"
    assert [b.text() for b in panel.fix_buttons] == [
        "Change to 97165",
        "Change to 97166",
        "Change to 97167",
    ]
    with qtbot.waitSignal(panel.fix_requested) as fix:
        qtbot.mouseClick(panel.fix_buttons[1], Qt.LeftButton)
    assert fix.args == [{"replace_code": "97166", "lines": [0]}, "Change line 1 (97003) to 97166"]
    # the whole message on a click, one line otherwise
    assert not first.details.isVisible()
    qtbot.mouseClick(first.toggle, Qt.LeftButton)
    assert first.details.isVisible() and "deleted on 2017-01-01" in first.details.text()
    # the same findings again (every change to the visit) keep their rows and buttons
    button = panel.fix_buttons[0]
    panel.show_findings(views)
    assert panel.fix_buttons[0] is button
    panel.show_findings(views[:1])
    assert panel.summary.text() == "1 note" and panel.fix_buttons == []


def test_units_and_totals_panels(qtbot):
    units = UnitsPanel()
    qtbot.addWidget(units)
    units.show_units(40, 3, "CMS total-time rule: 40 timed minutes -> 3 units.")
    assert units.total.text() == "40 timed minutes · 3 units billed"
    totals = TotalsPanel()
    qtbot.addWidget(totals)
    totals.show_totals(Money("150.00"), Money("20"))
    assert totals.balance.text() == "$130.00"


def test_search_result_tables_read_as_lists(qtbot):
    from PySide6.QtWidgets import QAbstractItemView, QTableView

    from otdesk.ui.search_results import list_of_rows

    shaded, plain = QTableView(), QTableView()
    qtbot.addWidget(shaded)
    qtbot.addWidget(plain)
    list_of_rows(shaded)
    list_of_rows(plain, alternating=False)
    for view in (shaded, plain):
        assert view.selectionBehavior() == QAbstractItemView.SelectionBehavior.SelectRows
        assert view.selectionMode() == QAbstractItemView.SelectionMode.SingleSelection
        assert view.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
        assert view.verticalHeader().isHidden()
        assert not view.showGrid()
        assert not view.wordWrap()
        assert not view.tabKeyNavigation()  # Tab leaves the list
    assert shaded.alternatingRowColors()
    assert not plain.alternatingRowColors()


def test_a_date_field_picks_from_its_calendar(qtbot):
    from datetime import date

    from PySide6.QtCore import QDate

    from otdesk.ui.date_field import DateField

    field = DateField("Date of service")
    qtbot.addWidget(field)
    field.set_date(date(2026, 3, 2))
    changed = []
    field.date_changed.connect(changed.append)
    menu = field.calendar_button.menu()
    menu.aboutToShow.emit()  # the calendar is made when first opened
    field._calendar.clicked.emit(QDate(2026, 3, 9))
    assert changed == [date(2026, 3, 9)] and field.edit.text() == "03/09/2026"
    field.edit.setText("13/01/2026")
    field.edit.editingFinished.emit()
    assert field.date() == date(2026, 3, 9) and field.edit.text() == "03/09/2026"
