"""Screenshots to look at (is everything readable, is anything clipped or squashed?):

- main-1366x768.png, main-1920x1080.png: the window with a visit with findings open
  (three or more, each with its fix buttons);
- dx-dropdown-1366x768.png: the diagnosis drop-down open on "M62.8";
- clinic-code-dialog.png: "Add 98975 as a clinic code…";
- first-run-setup.png: the first-run set-up of a new practice;
- day-list-1366x768.png: the day list of the demo clinic.

Run under a real X server:  xvfb-run -a -s "-screen 0 1920x1080x24" python
benchmarks/screenshots.py [OUT_DIR]   (QT_QPA_PLATFORM=offscreen works too; fonts may
differ slightly). Uses the services' demo clinic in a temporary data folder; the ICD-10-CM
index comes from the user cache (built if missing).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime
from pathlib import Path

SIZES = ((1366, 768), (1920, 1080))


def settle(application, rounds: int = 8) -> None:
    for _ in range(rounds):
        application.processEvents()


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtCore import QSettings

    from otdesk.core import icd
    from otdesk.services.clinic import Clinic
    from otdesk.services.demo import install_demo
    from otdesk.ui import app as ui_app
    from otdesk.ui.clinic_codes_dialog import ClinicCodeDialog
    from otdesk.ui.setup_dialog import SetupDialog

    application = ui_app.create_app()
    clock = ui_app.SystemClock()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        install_demo(data, clock=clock)
        clinic = Clinic.open(data, clock=clock)
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        window = ui_app.build_window(clinic, clock, settings, loader=None)
        window._icd_ready(icd.open_index())
        window.show()
        today = datetime.now().astimezone().date()
        visits = clinic.visits.day(today)
        # the draft with the code pair, given a deleted code too: three findings and more
        riley = next(v for v in visits if v.patient_name == "Demo, Riley")
        clinic.visits.add_line(riley.id, "97003", minutes=45, modifiers=["GO"], dx_pointers="A")
        clinic.visits.add_line(riley.id, "97014", modifiers=["GO"], dx_pointers="A")
        window.refresh_day()
        window.controller.open(riley.id)
        window.day.select_visit(riley.id)
        window.editor.lines.select_row(0)
        for width, height in SIZES:
            window.resize(width, height)
            settle(application)
            path = out / f"main-{width}x{height}.png"
            window.grab().save(str(path))
            print(path)
        window.resize(1366, 768)
        settle(application)
        window.day.grab().save(str(out / "day-list-1366x768.png"))
        print(out / "day-list-1366x768.png")

        panel = window.editor.diagnoses
        panel.search.setFocus()
        panel.search.setText("M62.8")
        settle(application)
        path = out / "dx-dropdown-1366x768.png"
        window.grab().save(str(path))
        print(path)
        panel.search.setText("")

        dialog = ClinicCodeDialog(clinic, "98975", "OT", parent=window)
        dialog.show()
        settle(application)
        dialog.grab().save(str(out / "clinic-code-dialog.png"))
        print(out / "clinic-code-dialog.png")
        dialog.close()
        window.close()
        clinic.close()

        with Clinic.open(Path(folder) / "new", clock=clock) as empty:
            setup = SetupDialog(empty)
            setup.show()
            settle(application)
            setup.grab().save(str(out / "first-run-setup.png"))
            print(out / "first-run-setup.png")
            setup.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
