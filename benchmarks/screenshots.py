"""Screenshots of the main window with a visit open that shows findings, at 1366x768 and
1920x1080, to look at (is everything readable, is anything clipped?).

Run under a real X server:  xvfb-run -a python benchmarks/screenshots.py [OUT_DIR]
(QT_QPA_PLATFORM=offscreen also works; fonts may differ slightly.)
Uses the services' demo clinic when it exists, else a small clinic made here, in a
temporary data folder; the ICD-10-CM index comes from the user cache (built if missing).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime
from pathlib import Path

SIZES = ((1366, 768), (1920, 1080))


def make_clinic(folder: Path, clock):
    from otdesk.services.clinic import Clinic

    try:
        from otdesk.services.demo import install_demo
    except ImportError:
        install_demo = None
    if install_demo is not None:
        install_demo(folder, clock=clock)
        return Clinic.open(folder, clock=clock)
    clinic = Clinic.open(folder, clock=clock)
    clinic.practice.save(name="Harbor Hand & Occupational Therapy")
    ot = clinic.providers.create(
        last_name="Kim", first_name="Dana", credentials="OTR/L", role="OT", npi="1234567893"
    )
    medicare = clinic.payers.create(name="Medicare Part B", kind="medicare")
    acme = clinic.payers.create(name="Acme Health PPO", kind="commercial")
    for code, charge in (("97110", "45.00"), ("97140", "42.00"), ("97530", "48.00")):
        clinic.fees.add(code, charge=charge, effective_from="2020-01-01")
    people = [
        ("Rivera", "Ana", "1950-04-12", medicare.id, "1EG4TE5MK72"),
        ("Olsen", "Bo", "1988-09-30", acme.id, "ACM123"),
        ("Nguyen", "Mai", "1961-01-05", medicare.id, "2FH5UF6NL83"),
        ("Okafor", "Chidi", "1975-07-21", acme.id, "ACM777"),
    ]
    patients = []
    for last, first, born, payer_id, member in people:
        patient = clinic.patients.create(last_name=last, first_name=first, date_of_birth=born)
        clinic.patients.add_policy(patient.id, payer_id=payer_id, member_id=member)
        patients.append(patient)
    for patient in patients[1:]:
        visit = clinic.visits.create(patient.id, provider_id=ot.id)
        visit = clinic.visits.add_line(visit.id, "97530", minutes=38)
        visit = clinic.visits.add_diagnosis(visit.id, "M62.81")
        clinic.visits.update_line(visit.lines[0].id, dx_pointers=["A"])
    visit = clinic.visits.create(patients[0].id, provider_id=ot.id)
    visit = clinic.visits.add_line(visit.id, "97110", minutes=33)
    visit = clinic.visits.add_line(visit.id, "97140", minutes=7)
    visit = clinic.visits.add_line(visit.id, "97530", minutes=12)
    visit = clinic.visits.add_diagnosis(visit.id, "M62.81")
    return clinic


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtCore import QSettings

    from otdesk.core import icd
    from otdesk.ui import app as ui_app

    application = ui_app.create_app()
    clock = ui_app.SystemClock()
    with tempfile.TemporaryDirectory() as folder:
        clinic = make_clinic(Path(folder) / "data", clock)
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        window = ui_app.build_window(clinic, clock, settings, loader=None)
        window._icd_ready(icd.open_index())
        window.show()
        visits = clinic.visits.day(datetime.now().astimezone().date())
        # a draft with findings to show (the one with the most)
        drafts = [v for v in visits if v.status == "draft"] or visits
        shown = max(drafts, key=lambda v: len(clinic.visits.get(v.id).findings))
        if shown.status == "draft":
            # two more lines, so the checks show an NCCI pair and a units note too
            clinic.visits.add_line(shown.id, "97140", minutes=7)
            clinic.visits.add_line(shown.id, "97110", minutes=12)
        window.refresh_day()
        window.controller.open(shown.id)
        window.day.select_visit(shown.id)
        window.editor.lines.select_row(0)
        for width, height in SIZES:
            window.resize(width, height)
            for _ in range(5):
                application.processEvents()
            path = out / f"main-{width}x{height}.png"
            window.grab().save(str(path))
            print(path)
        window.close()
        clinic.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
