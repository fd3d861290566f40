"""Keystrokes of a reference visit, driven through the real main window with QTest.

Run: python benchmarks/keystrokes.py [--flow NAME] [--show]   (every flow by default)

The reference visit: find the patient (a Medicare patient with an OT plan of care), add
three timed services with their minutes (ther ex 15, ther act 15, ADL training 10), one
diagnosis (M62.81), finalize, with no findings left (errors, warnings or notes) when the
visit is finalized. Every key press counts as one keystroke (a chord such as Ctrl+N is
one); typed text counts one per character. Keys go to the widget that has the focus, as a
person's would, so a flow that loses the focus or types into the wrong place fails.

Flows:
- "before": the keys the window needed before issue 12, measured on commit 0e6e12f (the
  code before issue 12), where it took BEFORE_COUNT = 64 keys: Ctrl+N (the window opened
  with the cursor on a button), the patient, the services and minutes, the diagnosis, then
  Ctrl+L into the lines, GO typed into each line's modifiers and A into each line's
  diagnosis pointer (arrow keys between the cells), then Ctrl+Enter. Run on today's code
  it still works (typing GO over an automatic GO changes nothing).
- "after": the same visit typed the same way on today's code: the window waits in Find
  patient (at start and after every finalize), GO and pointer A come by themselves, Enter
  in the minutes goes back to the code search, Ctrl+D after the diagnosis search.
- "after-keys": the same, the way a keyboard user enters the usual codes: the favourite
  buttons' Alt+digit (Alt+5 97110, Alt+8 97530, Alt+9 97535 with the shipped favourites)
  and Ctrl+D straight from the last line's minutes.

The script prints each flow's count, the count before, and the ratio (the issue's aim: at
most 60% of before).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Measured with --flow before on commit 0e6e12f (the code before issue 12).
BEFORE_COUNT = 64
PATIENT = "rivera"
SERVICES = (("ther ex", "15"), ("ta", "15"), ("adl", "10"))
DIAGNOSIS = "m62.81"


def make_clinic(folder: Path, clock):
    """A clinic where the reference visit can end with no findings: a valid NPI, a fee
    schedule for the three codes, an OT plan of care for the patient."""
    from otdesk.services.clinic import Clinic

    clinic = Clinic.open(folder, clock=clock)
    clinic.practice.save(name="Harbor Hand & OT")
    clinic.providers.create(
        last_name="Kim", first_name="Dana", credentials="OTR/L", role="OT", npi="1234567893"
    )
    medicare = clinic.payers.create(name="Medicare Part B", kind="medicare")
    for code, charge, allowed in (
        ("97110", "45.00", "29.50"),
        ("97530", "48.00", "32.10"),
        ("97535", "46.00", "31.20"),
    ):
        clinic.fees.add(code, charge=charge, effective_from="2020-01-01")
        clinic.fees.add(code, payer_id=medicare.id, allowed=allowed, effective_from="2020-01-01")
    today = clock.now().date()
    for last, first, born, member in (
        ("Rivera", "Ana", "1950-04-12", "1EG4TE5MK72"),
        ("Olsen", "Bo", "1958-09-30", "2FH5UF6NL83"),
        ("Nguyen", "Mai", "1961-01-05", "3GJ6VG7PM94"),
    ):
        patient = clinic.patients.create(last_name=last, first_name=first, date_of_birth=born)
        clinic.patients.add_policy(patient.id, payer_id=medicare.id, member_id=member)
        clinic.patients.add_plan_of_care(
            patient.id,
            discipline="OT",
            start_date=today - timedelta(days=7),
            last_progress_report=today - timedelta(days=7),
        )
    return clinic


class Keys:
    """Key presses sent to the focused widget, counted."""

    def __init__(self, app) -> None:
        self.app = app
        self.count = 0

    def focus(self):
        from PySide6.QtWidgets import QApplication

        widget = QApplication.focusWidget()
        if widget is None:
            raise SystemExit(f"no widget has the focus after {self.count} keys")
        return widget

    def press(self, key, modifier=None) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.keyClick(self.focus(), key, modifier or Qt.KeyboardModifier.NoModifier)
        self.count += 1
        self.settle()

    def type(self, text: str) -> None:
        from PySide6.QtTest import QTest

        for char in text:
            QTest.keyClicks(self.focus(), char)
            self.count += 1
            self.settle()

    def enter(self) -> None:
        from PySide6.QtCore import Qt

        self.press(Qt.Key.Key_Return)

    def settle(self) -> None:
        for _ in range(3):
            self.app.processEvents()


def flow_common(keys: Keys, new_visit_key: bool = True) -> None:
    from PySide6.QtCore import Qt

    if new_visit_key:
        keys.press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    keys.type(PATIENT)
    keys.enter()
    for query, minutes in SERVICES:
        keys.type(query)
        keys.enter()
        keys.type(minutes)
        keys.enter()
    keys.press(Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    keys.type(DIAGNOSIS)
    keys.enter()


def flow_before(keys: Keys, window) -> None:
    """GO and pointer A typed into each line's cells (the lines start on the last one)."""
    from PySide6.QtCore import Qt

    from otdesk.ui.models.charge_lines import COL_DX, COL_MINUTES, COL_MODIFIERS

    flow_common(keys)
    keys.press(Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    view = window.editor.lines.view
    last = window.editor.lines_model.rowCount() - 1
    if (view.currentIndex().row(), view.currentIndex().column()) != (last, COL_MINUTES):
        raise SystemExit("Ctrl+L did not land on the last line's minutes")
    for _ in range(COL_MODIFIERS - COL_MINUTES):
        keys.press(Qt.Key.Key_Right)
    for row in range(last, -1, -1):
        keys.type("GO")
        keys.enter()
        if row:
            keys.press(Qt.Key.Key_Up)
    keys.press(Qt.Key.Key_Right)
    assert view.currentIndex().column() == COL_DX
    for row in range(last + 1):
        keys.type("A")
        keys.enter()
        if row < last:
            keys.press(Qt.Key.Key_Down)


def flow_after(keys: Keys, window) -> None:
    _expect_find_patient(window)
    flow_common(keys, new_visit_key=False)


# the shipped favourites' keys for the three services (Alt+1 ... Alt+9 in button order)
FAVOURITE_KEYS = (("97110", "15"), ("97530", "15"), ("97535", "10"))


def flow_after_keys(keys: Keys, window) -> None:
    from PySide6.QtCore import Qt

    _expect_find_patient(window)
    keys.type(PATIENT)
    keys.enter()
    order = list(window.editor.picker.favourite_codes())
    for number, (code, minutes) in enumerate(FAVOURITE_KEYS):
        digit = order.index(code) + 1
        keys.press(Qt.Key.Key_0 + digit, Qt.KeyboardModifier.AltModifier)
        keys.type(minutes)
        if number < len(FAVOURITE_KEYS) - 1:
            keys.enter()
    keys.press(Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # saves the minutes too
    keys.type(DIAGNOSIS)
    keys.enter()


def _expect_find_patient(window) -> None:
    from PySide6.QtWidgets import QApplication

    if QApplication.focusWidget() is not window.day.search:
        raise SystemExit("the window did not open with the cursor in Find patient")


FLOWS = {"before": flow_before, "after": flow_after, "after-keys": flow_after_keys}


def run_flow(name: str, show: bool) -> int:
    """The keystrokes of one flow on a fresh clinic and window; exits when the visit is not
    finalized with no findings left."""
    from PySide6.QtCore import QSettings, Qt

    from otdesk.core import icd
    from otdesk.core.catalog import default_catalog
    from otdesk.services.clock import FixedClock
    from otdesk.ui import app as ui_app
    from otdesk.ui.main_window import MainWindow

    application = ui_app.create_app()

    class Clock(FixedClock):
        def __call__(self) -> datetime:
            return self.now()

    clock = Clock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as folder:
        clinic = make_clinic(Path(folder) / "data", clock)
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(clinic, default_catalog(), clock, settings)
        window._icd_ready(icd.open_index())
        window.resize(1366, 768)
        window.show()
        window.activateWindow()
        keys = Keys(application)
        keys.settle()
        FLOWS[name](keys, window)
        visit = window.controller.visit
        if visit is None:
            raise SystemExit(f"{name}: no visit is open at the end of the flow")
        left = [f"{f.severity}: {f.message}" for f in visit.findings]
        if not left:  # (with errors left, Ctrl+Enter would ask for a reason)
            keys.press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        finalized = clinic.visits.get(visit.id)
        if show:
            for line in finalized.lines:
                print(" ", line.code, line.minutes, line.units, line.modifiers, line.dx_pointers)
        window.close()
        clinic.close()
    if left:
        raise SystemExit(f"{name}: findings were left before finalizing:\n" + "\n".join(left))
    if finalized.status != "finalized":
        raise SystemExit(f"{name}: the visit was not finalized (it is {finalized.status})")
    return keys.count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flow", choices=sorted(FLOWS), help="one flow (default: all)")
    parser.add_argument("--show", action="store_true", help="print each visit's lines")
    args = parser.parse_args()
    print(f"before issue 12 (commit 0e6e12f, flow 'before'): {BEFORE_COUNT} keystrokes")
    for name in [args.flow] if args.flow else list(FLOWS):
        count = run_flow(name, args.show)
        print(
            f"flow {name!r:13} on this code: {count:3} keystrokes, "
            f"{count / BEFORE_COUNT:.0%} of before (aim: at most 60%)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
