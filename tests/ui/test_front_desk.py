"""The front-desk flow of issue 12, through the real window: dates that do not exist and
dates in the future, undo and redo, the keyboard loop, defaults shown as automatic,
clinic codes from the code search, the checks and lines fitting 1366x768, Add patient,
and what the window keeps per clinic."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from otdesk.core.catalog import default_catalog
from otdesk.ui.clinic_folder import CLINIC_SETTINGS_FILE
from otdesk.ui.main_window import MainWindow
from otdesk.ui.models.charge_lines import COL_DX, COL_MODIFIERS


def key(qtbot, k, modifier=Qt.NoModifier):
    qtbot.keyClick(QApplication.focusWidget(), k, modifier)
    QApplication.processEvents()


def typed(qtbot, text):
    """One key at a time to whatever has the focus then, as a person types."""
    for char in text:
        qtbot.keyClicks(QApplication.focusWidget(), char)
        QApplication.processEvents()


def enter(qtbot):
    key(qtbot, Qt.Key_Return)


def start_visit(qtbot, window, name="rivera"):
    key(qtbot, Qt.Key_N, Qt.ControlModifier)
    typed(qtbot, name)
    enter(qtbot)
    assert QApplication.focusWidget() is window.editor.picker.search


def add(qtbot, query, minutes=None):
    typed(qtbot, query)
    enter(qtbot)
    if minutes is not None:
        typed(qtbot, minutes)
        enter(qtbot)


def rules(window):
    return {f.rule for f in window.controller.visit.findings}


# --- 1. dates -----------------------------------------------------------------------------


def test_a_date_that_does_not_exist_is_refused_and_the_visit_keeps_its_date(qtbot, window, clinic):
    start_visit(qtbot, window)
    header = window.editor.header
    header.date.edit.setFocus()
    header.date.edit.selectAll()
    typed(qtbot, "02/30/2026")
    enter(qtbot)
    visit = clinic.visits.get(window.controller.visit.id)
    assert visit.date_of_service == date(2026, 3, 2)  # not moved to December, not saved
    assert header.date.edit.text() == "03/02/2026"
    assert header.message.isVisible()
    assert header.message.text() == (
        "Date of service: 02/30/2026 is not a date: February 2026 has 28 days (type "
        "MM/DD/YYYY). The date stays 03/02/2026."
    )
    assert header.date.edit.placeholderText() == "MM/DD/YYYY"


def test_a_future_date_of_service_asks_once_and_warns(qtbot, window, clinic):
    start_visit(qtbot, window)
    asked = []
    answers = [False, True]

    def confirm(_parent, day, today):
        asked.append((day, today))
        return answers.pop(0)

    window.editor.confirm_future = confirm
    header = window.editor.header
    for _ in range(2):
        header.date.edit.setText("03/09/2026")
        header.date.edit.editingFinished.emit()
        QApplication.processEvents()
    # asked each time it is changed; No kept the date, Yes moved it
    assert asked == [(date(2026, 3, 9), date(2026, 3, 2))] * 2
    visit = clinic.visits.get(window.controller.visit.id)
    assert visit.date_of_service == date(2026, 3, 9)
    assert "future-date-of-service" in rules(window)
    row = next(r for r in window.editor.findings.rows if "future" in r.summary.text())
    assert row.summary.text() == "Date of service in the future"


def test_a_new_visit_on_a_future_day_asks_first(qtbot, window, clinic):
    window.day.set_date(date(2026, 3, 4))
    answers = []
    window.editor.confirm_future = lambda *_args: answers.append(1) or False
    key(qtbot, Qt.Key_N, Qt.ControlModifier)
    typed(qtbot, "olsen")
    enter(qtbot)
    assert answers == [1] and window.controller.visit is None
    assert clinic.visits.day("2026-03-04") == []


# --- 2. undo and redo ------------------------------------------------------------------------


def test_undo_and_redo_every_kind_of_change(qtbot, window, clinic):
    editor = window.editor
    start_visit(qtbot, window)
    add(qtbot, "ther ex", "20")
    visit_id = window.controller.visit.id
    stored = lambda: clinic.visits.get(visit_id)  # noqa: E731
    assert [ln.code for ln in stored().lines] == ["97110"]
    # Ctrl+Z in the empty code search: the minutes, then the line itself go
    assert QApplication.focusWidget() is editor.picker.search
    key(qtbot, Qt.Key_Z, Qt.ControlModifier)
    assert stored().lines[0].minutes == 0
    key(qtbot, Qt.Key_Z, Qt.ControlModifier)
    assert stored().lines == ()
    key(qtbot, Qt.Key_Z, Qt.ShiftModifier | Qt.ControlModifier)
    key(qtbot, Qt.Key_Z, Qt.ShiftModifier | Qt.ControlModifier)
    assert [(ln.code, ln.minutes) for ln in stored().lines] == [("97110", 20)]
    # the Edit menu names what it undoes
    assert window.undo_action.text() == "&Undo Change the minutes of line 1 (97110)"
    # a diagnosis, a header change and a fix, each undone alone
    key(qtbot, Qt.Key_D, Qt.ControlModifier)
    typed(qtbot, "M62.81")
    enter(qtbot)
    assert stored().diagnoses == ("M62.81",)
    window.editor.header.pos.setCurrentIndex(window.editor.header.pos.findData("12"))
    window.editor.header.pos.activated.emit(window.editor.header.pos.currentIndex())
    assert stored().place_of_service == "12"
    window.undo_action.trigger()
    assert stored().place_of_service == "11" and stored().diagnoses == ("M62.81",)
    window.undo_action.trigger()
    assert stored().diagnoses == () and stored().lines[0].dx_pointers == ()
    window.redo_action.trigger()
    assert stored().diagnoses == ("M62.81",) and stored().lines[0].dx_pointers == ("A",)
    # a fix: 97140 with 97110 is no pair, but a second 97110 line is a duplicate to merge
    editor.focus_code_search()
    add(qtbot, "97110", "10")
    row = next(r for r in editor.findings.rows if r.buttons)
    qtbot.mouseClick(row.buttons[0], Qt.LeftButton)
    fixed = stored()
    window.undo_action.trigger()
    assert len(stored().lines) == 2 and stored().lines != fixed.lines
    window.redo_action.trigger()
    assert [(ln.code, ln.minutes) for ln in stored().lines] == [
        (ln.code, ln.minutes) for ln in fixed.lines
    ]
    # finalizing ends the history: nothing to undo on a finalized visit
    window.editor.finalize()
    assert not window.undo_action.isEnabled()


def test_opening_another_visit_starts_a_new_history(qtbot, window, clinic, seeded):
    start_visit(qtbot, window)
    add(qtbot, "ther ex", "20")
    assert window.undo_action.isEnabled()
    other = clinic.visits.create(seeded["bo"].id, provider_id=seeded["ot"].id)
    window.refresh_day()
    window.controller.open(other.id)
    assert not window.undo_action.isEnabled()


# --- 5. defaults ---------------------------------------------------------------------------


def test_defaults_are_shown_as_automatic_and_a_wrong_change_still_warns(qtbot, window, clinic):
    editor = window.editor
    start_visit(qtbot, window)
    add(qtbot, "ther ex", "15")
    add(qtbot, "ta", "15")
    header = editor.header
    assert header.total_time.text() == "30" and header.total_time.property("role") == "auto"
    assert "automatic" in header.timed_note.text()
    key(qtbot, Qt.Key_D, Qt.ControlModifier)
    typed(qtbot, "m62.81")
    enter(qtbot)
    model = editor.lines_model
    for row in range(2):
        assert model.data(model.index(row, COL_DX)) == "A"
        assert model.data(model.index(row, COL_DX), Qt.FontRole).italic()
    assert not window.controller.visit.errors
    # someone changes a default to something wrong: the check fires, the style goes
    view = editor.lines.view
    view.setFocus()
    view.setCurrentIndex(model.index(0, COL_MODIFIERS))
    typed(qtbot, "GP")
    enter(qtbot)
    assert "therapy-modifier-mismatch" in rules(window)
    assert model.data(model.index(0, COL_MODIFIERS), Qt.FontRole) is None
    # a typed total is the person's own; clearing it adds up the lines again
    header.total_time.setText("25")
    header.total_time.editingFinished.emit()
    assert "timed-over-total" in rules(window)
    assert header.total_time.property("role") is None
    header.total_time.setText("")
    header.total_time.editingFinished.emit()
    assert header.total_time.text() == "30" and "timed-over-total" not in rules(window)


# --- 6. the keyboard loop ------------------------------------------------------------------


def test_the_keyboard_loop_never_breaks(qtbot, window, clinic):
    editor = window.editor
    start_visit(qtbot, window)
    search = editor.picker.search
    # Enter with nothing typed in the minutes: back to the code search
    add(qtbot, "ther ex")
    assert QApplication.focusWidget() is not search
    enter(qtbot)
    assert QApplication.focusWidget() is search
    # an untimed code skips its minutes: the cursor never leaves the search
    add(qtbot, "97165")
    assert QApplication.focusWidget() is search
    assert [ln.code for ln in window.controller.visit.lines] == ["97110", "97165"]
    # Escape in the minutes, too
    add(qtbot, "ta")
    key(qtbot, Qt.Key_Escape)
    assert QApplication.focusWidget() is search
    # typing over the last line's code adds a search, never changes the line
    editor.lines.view.setFocus()
    editor.lines.select_row(2, 0)
    typed(qtbot, "97535")
    assert QApplication.focusWidget() is search and search.text() == "97535"
    assert [ln.code for ln in window.controller.visit.lines] == ["97110", "97165", "97530"]
    search.clear()
    # Ctrl+D straight from the minutes keeps the minutes and goes to the diagnoses
    add(qtbot, "adl")
    typed(qtbot, "12")
    key(qtbot, Qt.Key_D, Qt.ControlModifier)
    assert QApplication.focusWidget() is editor.diagnoses.search
    assert window.controller.visit.lines[-1].minutes == 12
    # finalizing: the cursor waits in Find patient for the next patient
    typed(qtbot, "m62.81")
    enter(qtbot)
    window.controller.finalize("test")  # (errors left: the reason dialog is not the point)
    editor.finalized.emit(window.controller.visit.id)
    assert QApplication.focusWidget() is window.day.search


def test_finalize_saves_minutes_still_being_typed(qtbot, window, clinic, monkeypatch):
    from otdesk.ui import reason_dialog

    monkeypatch.setattr(reason_dialog, "ask", lambda *a, **k: reason_dialog.ReasonResult("x y z"))
    start_visit(qtbot, window)
    add(qtbot, "ther ex")
    typed(qtbot, "23")  # no Enter
    key(qtbot, Qt.Key_Return, Qt.ControlModifier)
    visit = clinic.visits.get(window.controller.visit.id)
    assert visit.status == "finalized" and visit.lines[0].minutes == 23


# --- 7. clinic codes ------------------------------------------------------------------------


def test_a_code_outside_the_catalog_is_added_as_a_clinic_code_and_billed(
    qtbot, window, clinic, monkeypatch
):
    from otdesk.ui import clinic_codes_dialog

    def fill_in(parent, the_clinic, code, discipline=None):
        dialog = clinic_codes_dialog.ClinicCodeDialog(the_clinic, code, discipline, parent=parent)
        assert dialog.windowTitle() == f"Add clinic code {code}"
        dialog.label.setText("Remote monitoring set-up")
        dialog.kind_buttons["timed"].setChecked(True)
        dialog.fee.setText("85.00")
        dialog.accept()
        return dialog.saved

    monkeypatch.setattr(clinic_codes_dialog, "ask_new", fill_in)
    editor = window.editor
    start_visit(qtbot, window)
    typed(qtbot, "98975")
    picker = editor.picker
    assert picker.add_code.isVisible()
    assert picker.add_code.text() == "Add 98975 as a clinic code…"
    enter(qtbot)  # Enter when nothing else matches
    line = window.controller.visit.lines[0]
    assert (line.code, line.label, line.timed, str(line.fee)) == (
        "98975",
        "Remote monitoring set-up",
        True,
        "$85.00",
    )
    # the cursor waits in its minutes, as for any timed code; it is searched like the rest
    typed(qtbot, "30")
    enter(qtbot)
    assert window.controller.visit.lines[0].units == 2
    typed(qtbot, "remote monit")
    assert picker.model.record(0).code == "98975"


def test_the_clinic_code_dialog_refuses_bad_input_beside_the_field(qtbot, clinic):
    from otdesk.ui.clinic_codes_dialog import ClinicCodeDialog
    from tests.ui.helpers import show

    dialog = show(qtbot, ClinicCodeDialog(clinic, "L3999", "OT"))
    dialog.fee.setText("lots")
    dialog.accept()
    assert "not an amount" in dialog.form.messages["fee"].text()
    dialog.fee.setText("")
    dialog.accept()
    assert dialog.form.messages["label"].text() == "Label is required."
    dialog.label.setText("Wrist splint, ready-made")
    dialog.kind_buttons["item"].setChecked(True)
    dialog.discipline.setCurrentIndex(dialog.discipline.findData(""))
    dialog.accept()
    saved = clinic.codes.get("L3999")
    assert (saved.kind, saved.disciplines) == ("item", ())


# --- 8. the checks and the lines fit the screen ---------------------------------------------


def test_three_findings_with_their_fixes_and_six_lines_fit_1366x768(qtbot, window, clinic, seeded):
    visit = clinic.visits.create(seeded["ana"].id, provider_id=seeded["ot"].id)
    for code, minutes in (("97140", 15), ("97530", 15), ("97003", 45), ("97014", 0)):
        clinic.visits.add_line(visit.id, code, minutes=minutes, modifiers=["GO"])
    window.resize(1366, 768)
    window.refresh_day()
    window.controller.open(visit.id)
    for _ in range(5):
        QApplication.processEvents()
    panel = window.editor.findings
    assert len(panel.rows) >= 3
    viewport = panel.scroll.viewport()
    for row in panel.rows[:3]:
        bottom = row.mapTo(viewport, row.rect().bottomLeft()).y()
        assert bottom <= viewport.height(), "a finding needs scrolling"
        assert not row.summary.is_elided(), row.summary.text()
        for button in row.buttons:
            assert button.isVisible()
            right = button.mapTo(viewport, button.rect().topRight()).x()
            assert right <= viewport.width()
    view = window.editor.lines.view
    assert view.viewport().height() // view.rowHeight(0) >= 6


# --- smaller things ---------------------------------------------------------------------------


def test_find_patient_offers_add_patient_with_the_typed_name(qtbot, window, clinic, monkeypatch):
    from otdesk.ui import patients_dialog

    opened = []

    def add_new(parent, the_clinic, first, last, changes=None):
        dialog = patients_dialog.PatientsDialog(the_clinic, parent)
        dialog.listen(changes)
        dialog.start_new(first, last)
        opened.append((dialog.details.text("first_name"), dialog.details.text("last_name")))
        # the cursor waits in the first empty field (the dialog is not shown here)
        assert dialog.focusWidget() is dialog.details.fields["date_of_birth"].edit
        dialog.details.fields["date_of_birth"].edit.setText("07/04/1961")
        assert dialog.save()
        return dialog.created_id

    monkeypatch.setattr(patients_dialog, "ask_new", add_new)
    key(qtbot, Qt.Key_N, Qt.ControlModifier)
    typed(qtbot, "Mai Nguyen")
    day = window.day
    assert day.add_patient.isVisible() and day.add_patient.text() == "Add patient “Mai Nguyen”…"
    enter(qtbot)  # no one found: Enter adds them
    assert opened == [("Mai", "Nguyen")]
    visit = window.controller.visit
    assert visit is not None and visit.patient_name == "Nguyen, Mai"


def test_the_appointment_time_is_edited_in_the_header_and_shown_in_the_day_list(
    qtbot, window, clinic
):
    start_visit(qtbot, window)
    header = window.editor.header
    header.time.setText("9:40")
    header.time.editingFinished.emit()
    assert clinic.visits.get(window.controller.visit.id).appointment_time.hour == 9
    model = window.day.visits_model
    assert model.data(model.index(0, 0)) == "9:40 AM"
    header.time.setText("25:99")
    header.time.editingFinished.emit()
    assert header.time.text() == "9:40 AM" and "not a time" in header.message.text()


def test_clinic_settings_live_in_the_clinics_folder(
    qtbot, clinic, clock, settings, tmp_path, seeded
):
    from otdesk.ui import app as ui_app

    window = ui_app.build_window(clinic, clock, settings, loader=None)
    qtbot.addWidget(window)
    window._patient_chosen(seeded["ana"].id)
    window.save_settings()
    kept = QSettings(str(clinic.db.path.parent / CLINIC_SETTINGS_FILE), QSettings.IniFormat)
    assert int(kept.value("visit/last_provider")) == seeded["ot"].id
    assert settings.value("visit/last_provider") is None  # not in the computer-wide file
    assert (clinic.db.path.parent / CLINIC_SETTINGS_FILE).stat().st_mode & 0o077 == 0


def test_a_saved_place_off_every_screen_is_not_restored(qtbot, clinic, clock, settings):
    from PySide6.QtCore import QRect

    from otdesk.ui.main_window import fits_a_screen

    screen = QApplication.primaryScreen().availableGeometry()
    assert fits_a_screen(QRect(screen.x() + 10, screen.y() + 10, 800, 600))
    assert not fits_a_screen(QRect(screen.right() + 500, screen.y(), 800, 600))
    assert not fits_a_screen(QRect(screen.x(), screen.y(), screen.width() * 2, 600))
    first = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(first)
    first.move(screen.right() + 2000, screen.bottom() + 2000)  # a screen that is gone
    first.save_settings()
    again = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(again)
    assert fits_a_screen(again.frameGeometry())


def test_no_display_is_one_sentence_and_exit_1():
    from otdesk.ui.app import display_problem

    problem = display_problem({}, "linux")
    assert problem is not None and problem.count(".") == 1 and "DISPLAY" in problem
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "win32") is None


def test_first_run_set_up_asks_for_what_the_superbill_needs(qtbot, tmp_path, clock):
    from otdesk.services.clinic import Clinic
    from otdesk.ui.setup_dialog import SetupDialog
    from tests.ui.helpers import show

    with Clinic.open(tmp_path / "new", clock=clock) as empty:
        dialog = show(qtbot, SetupDialog(empty))
        fields = dialog.practice.fields
        for name in ("address1", "city", "state", "postal_code", "phone", "tin", "group_npi"):
            assert name in fields
        for name, text in (
            ("name", "Harbor Hand & OT"),
            ("address1", "12 Main St"),
            ("city", "Portland"),
            ("state", "OR"),
            ("postal_code", "97202"),
            ("phone", "503-555-0100"),
            ("tin", "12-3456789"),
            ("group_npi", "1234567893"),
            ("taxonomy", "225X00000X"),
        ):
            fields[name].setText(text)
        for name, text in (("first_name", "Dana"), ("last_name", "Kim"), ("npi", "1234567893")):
            dialog.provider.fields[name].setText(text)
        # nothing squashed: every field at least as wide as what it is for
        assert all(widget.width() >= 60 for widget in fields.values())
        dialog.accept()
        practice = empty.practice.get()
        assert (practice.tin, practice.taxonomy, practice.city) == (
            "12-3456789",
            "225X00000X",
            "Portland",
        )


def test_the_first_nine_favourites_answer_to_alt_and_their_digit(qtbot, window, clinic):
    editor = window.editor
    start_visit(qtbot, window)
    picker = editor.picker
    order = picker.favourite_codes()
    fifth = order[4]
    assert picker.favourite_buttons[fifth].text().startswith("5  ")
    key(qtbot, Qt.Key_5, Qt.AltModifier)  # at once: the minutes typed next are its own
    typed(qtbot, "15")
    enter(qtbot)
    assert [(ln.code, ln.minutes) for ln in window.controller.visit.lines] == [(fifth, 15)]
    assert QApplication.focusWidget() is picker.search
    # a tenth favourite has no key; a finalized visit takes none
    window.controller.finalize("test")
    key(qtbot, Qt.Key_6, Qt.AltModifier)
    assert len(clinic.visits.get(window.controller.visit.id).lines) == 1


def test_the_undo_and_redo_keys_are_each_bound_once(window):
    """A key bound twice to one action is ambiguous to Qt, and then does nothing (Redo's
    Ctrl+Shift+Z is also the system's own Redo key on Linux)."""
    for action in (window.undo_action, window.redo_action):
        keys = [keys.toString() for keys in action.shortcuts()]
        assert len(keys) == len(set(keys)) and keys
    assert "Ctrl+Shift+Z" in [k.toString() for k in window.redo_action.shortcuts()]


def test_clinic_codes_dialog_lists_adds_and_removes(qtbot, clinic, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from otdesk.ui import clinic_codes_dialog
    from tests.ui.helpers import show

    def fill_in(parent, the_clinic, code, discipline=None):
        dialog = clinic_codes_dialog.ClinicCodeDialog(the_clinic, code, discipline, parent=parent)
        dialog.label.setText("Remote monitoring set-up")
        dialog.accept()
        return dialog.saved

    monkeypatch.setattr(clinic_codes_dialog, "ask_new", fill_in)
    dialog = show(qtbot, clinic_codes_dialog.ClinicCodesDialog(clinic))
    dialog.code_box.setText("925")
    dialog.add()
    assert "not a procedure code" in dialog.new_code.messages["code"].text()
    dialog.code_box.setText("98975")
    dialog.add()
    assert (
        dialog.table.rowCount() == 1
        and dialog.table.item(0, 1).text() == "Remote monitoring set-up"
    )
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    dialog.table.selectRow(0)
    dialog.remove()
    assert dialog.table.rowCount() == 0 and dialog.changed and clinic.codes.list() == []
