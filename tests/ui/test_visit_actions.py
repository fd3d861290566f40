"""Visit actions in the window: units set by hand, diagnoses, payments, amend and void."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from otdesk.core.money import Money
from otdesk.ui import payment_dialog, reason_dialog
from otdesk.ui.models.charge_lines import COL_UNITS, OVERRIDE_MARK
from tests.ui.helpers import type_into_cell


def open_draft(window, clinic, seeded, patient="ana", lines=(("97110", 33),)):
    visit = clinic.visits.create(seeded[patient].id, provider_id=seeded["ot"].id)
    for code, minutes in lines:
        visit = clinic.visits.add_line(visit.id, code, minutes=minutes)
    window.refresh_day()
    window.controller.open(visit.id)
    QApplication.processEvents()
    return visit


def test_units_by_hand_need_a_reason(qtbot, window, clinic, monkeypatch, seeded):
    visit = open_draft(window, clinic, seeded)
    model = window.editor.lines_model
    monkeypatch.setattr(reason_dialog, "ask", lambda *a, **k: None)
    type_into_cell(qtbot, window.editor.lines.view, model.index(0, COL_UNITS), "3")
    assert clinic.visits.get(visit.id).lines[0].units_override is None
    assert "needs a reason" in window.editor.message.text()

    monkeypatch.setattr(
        reason_dialog, "ask", lambda *a, **k: reason_dialog.ReasonResult("Payer contract")
    )
    type_into_cell(qtbot, window.editor.lines.view, model.index(0, COL_UNITS), "3")
    line = clinic.visits.get(visit.id).lines[0]
    assert (line.units, line.units_override, line.override_reason) == (3, 3, "Payer contract")
    assert model.data(model.index(0, COL_UNITS)) == "3" + OVERRIDE_MARK
    # clearing the cell goes back to the computed units
    type_into_cell(qtbot, window.editor.lines.view, model.index(0, COL_UNITS), " ")
    assert clinic.visits.get(visit.id).lines[0].units_override is None


def test_a_category_in_the_drop_down_opens_its_billable_codes(qtbot, window, clinic, seeded):
    visit = open_draft(window, clinic, seeded)
    panel = window.editor.diagnoses
    panel.search.setFocus()
    qtbot.keyClicks(panel.search, "M62.8")
    rows = [panel.results_model.record(r) for r in range(panel.results_model.rowCount())]
    # under the box, billable codes first, the categories after them, all marked
    assert panel.dropdown.is_open()
    assert 8 <= len(rows) <= 30 and rows[0].code == "M62.81"
    billable = [r.billable for r in rows]
    assert billable == sorted(billable, reverse=True) and not billable[-1]
    model = panel.results_model
    assert model.data(model.index(0, 2)) == "billable"
    assert model.data(model.index(len(rows) - 1, 2)) == "category ›"
    # Enter on the category opens its codes instead of adding it
    for _ in range([r.code for r in rows].index("M62.8")):
        qtbot.keyClick(panel.search, Qt.Key_Down)
    qtbot.keyClick(panel.search, Qt.Key_Return)
    assert clinic.visits.get(visit.id).diagnoses == ()
    assert "M62.8 Other specified disorders of muscle is a category" in (
        panel.dropdown.caption.text()
    )
    codes = [model.record(r).code for r in range(model.rowCount())]
    assert "M62.81" in codes and all(model.record(r).billable for r in range(len(codes)))
    # Escape goes back to what was typed; Enter then picks the first billable code
    qtbot.keyClick(panel.search, Qt.Key_Escape)
    assert model.record(0).code == "M62.81" and not panel.dropdown.caption.isVisible()
    qtbot.keyClick(panel.search, Qt.Key_Return)
    assert clinic.visits.get(visit.id).diagnoses == ("M62.81",)
    assert not panel.dropdown.is_open()


def test_a_stored_category_offers_billable_codes(qtbot, window, clinic, seeded):
    visit = open_draft(window, clinic, seeded)
    clinic.visits.add_diagnosis(visit.id, "M62.8")
    window.controller.reload()
    panel = window.editor.diagnoses
    assert panel.warning.isVisible() and "not a billable code" in panel.warning.text()
    offered = list(panel.suggestion_buttons)
    assert "M62.81" in [b.text() for b in offered]
    # showing the same visit again (every change does) keeps the very same buttons
    window.controller.reload()
    assert all(a is b for a, b in zip(panel.suggestion_buttons, offered, strict=True))
    choice = next(b for b in panel.suggestion_buttons if b.text() == "M62.81")
    qtbot.mouseClick(choice, Qt.LeftButton)
    assert clinic.visits.get(visit.id).diagnoses == ("M62.81",)
    assert not panel.warning.isVisible()


def test_diagnoses_reorder_with_the_keyboard_and_pointers_follow(qtbot, window, clinic, seeded):
    visit = open_draft(window, clinic, seeded)
    clinic.visits.add_diagnosis(visit.id, "M62.81")
    clinic.visits.add_diagnosis(visit.id, "R26.89")
    clinic.visits.update_line(visit.lines[0].id, dx_pointers=["B"])
    window.controller.reload()
    panel = window.editor.diagnoses
    panel.list.setFocus()
    panel.list.setCurrentIndex(panel.model.index(0, 1))
    qtbot.keyClick(panel.list, Qt.Key_Down, Qt.AltModifier)
    stored = clinic.visits.get(visit.id)
    assert stored.diagnoses == ("R26.89", "M62.81")
    assert stored.lines[0].dx_pointers == ("A",)  # still R26.89
    assert panel.current_row() == 1
    qtbot.keyClick(panel.list, Qt.Key_Delete)
    assert clinic.visits.get(visit.id).diagnoses == ("R26.89",)


def test_payment_updates_totals(qtbot, window, clinic, monkeypatch, seeded):
    clinic.fees.add("97110", charge="45.00", effective_from="2020-01-01")
    visit = open_draft(window, clinic, seeded)
    totals = window.editor.totals
    assert totals.charges.text() == "$90.00"
    answer = payment_dialog.PaymentResult("copay", Money("20"), "card", date(2026, 3, 2), "")
    monkeypatch.setattr(payment_dialog, "ask", lambda *a, **k: answer)
    qtbot.mouseClick(totals.record_payment, Qt.LeftButton)
    assert clinic.visits.get(visit.id).paid == Money("20")
    assert totals.payments.text() == "$20.00"
    assert totals.balance.text() == "$70.00"


def test_amend_then_void(qtbot, window, clinic, monkeypatch, seeded):
    visit = open_draft(window, clinic, seeded, patient="bo")
    clinic.visits.add_diagnosis(visit.id, "M62.81")
    clinic.visits.update_line(visit.lines[0].id, dx_pointers=["A"])
    window.controller.reload()
    window.editor.finalize()
    assert window.controller.visit.status == "finalized"
    monkeypatch.setattr(
        reason_dialog, "ask", lambda *a, **k: reason_dialog.ReasonResult("Wrong minutes")
    )
    qtbot.mouseClick(window.editor.amend_button, Qt.LeftButton)
    amended = window.controller.visit
    assert amended.status == "draft" and amended.version == 2 and amended.editable
    assert window.day.visits_model.record(0).version == 2
    window.editor.finalize()
    assert window.controller.visit.status == "finalized"
    qtbot.mouseClick(window.editor.void_button, Qt.LeftButton)
    assert clinic.visits.get(amended.id).status == "void"
    assert window.day.visits_model.record(0).status == "void"
    assert not window.editor.void_button.isVisible()


def test_day_arrows_move_the_day_list(qtbot, window, clinic, seeded):
    open_draft(window, clinic, seeded)
    assert window.day.visits_model.rowCount() == 1
    qtbot.mouseClick(window.day.next, Qt.LeftButton)
    assert window.day.current_date() == date(2026, 3, 3)
    assert window.day.visits_model.rowCount() == 0
    assert window.controller.visit is None  # the open visit belongs to another day
    qtbot.keyClick(window, Qt.Key_PageUp, Qt.ControlModifier)
    assert window.day.current_date() == date(2026, 3, 2)
    assert window.day.visits_model.rowCount() == 1


def test_settings_remember_the_day_and_the_splitters(qtbot, window, clinic, clock, settings):
    from otdesk.core.catalog import default_catalog
    from otdesk.ui.main_window import MainWindow

    window.day.set_date(date(2026, 2, 27))
    window.splitter.setSizes([400, window.splitter.width() - 400])
    state = window.splitter.saveState()
    window.close()
    assert settings.value("window/main_splitter") == state
    assert settings.value("window/geometry")
    again = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(again)
    assert again.day.current_date() == date(2026, 2, 27)
    # on another calendar day the window opens on today
    clock.advance(days=1)
    window2 = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(window2)
    assert window2.day.current_date() == date(2026, 3, 3)
