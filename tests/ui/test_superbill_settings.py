"""Superbill settings and the encounter form in the window, with real widgets on a real
clinic database; the only fakes are the clock and the dialogs that ask for a file, a printer
or a save path. Documents are read back with pypdf."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QDialog

from otdesk.export.model import DEFAULT_OUT_OF_NETWORK_TEXT
from otdesk.services.superbills import SuperbillService
from otdesk.ui.patient_pick_dialog import PatientPickDialog
from otdesk.ui.superbill_preview import EncounterFormPreview
from otdesk.ui.superbill_settings_dialog import SuperbillSettingsDialog
from tests.export.helpers import flat, pdf_pages, pdf_text, tiny_png
from tests.ui.test_superbill_preview import Asked

# every test here works on the superbill demo, seeded before the window opens over it
pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def clinic(superbill_clinic):
    return superbill_clinic


@pytest.fixture
def service(clinic):
    return SuperbillService(clinic.ctx)


class Files:
    """Stands in for the file chooser: answers with the next path given, or None."""

    def __init__(self, *answers) -> None:
        self.answers = [str(a) if a is not None else None for a in answers]
        self.titles: list[str] = []

    def __call__(self, parent, title):
        self.titles.append(title)
        return self.answers.pop(0)


def settings_dialog(qtbot, service, files=None, **options) -> SuperbillSettingsDialog:
    dialog = SuperbillSettingsDialog(service, ask_image=files or Files(), **options)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def choose_provider(dialog, provider_id: int) -> None:
    dialog.provider.setCurrentIndex(dialog.provider.findData(provider_id))


def test_settings_are_saved_through_the_service_and_read_back(
    qtbot, clinic, service, tmp_path, demo
):
    logo = tmp_path / "harbor-logo.png"
    logo.write_bytes(tiny_png(120, 40))
    signature = tmp_path / "blake.png"
    signature.write_bytes(tiny_png(160, 30, (0, 0, 0)))
    service.set_signature(demo.ot, tiny_png())
    files = Files(logo, signature)
    dialog = settings_dialog(qtbot, service, files)
    assert dialog.paper.currentData() == "letter"
    assert not dialog.out_of_network.isChecked()
    assert dialog.statement.toPlainText() == DEFAULT_OUT_OF_NETWORK_TEXT
    assert dialog.logo.name.text() == "No logo."

    dialog.paper.setCurrentIndex(dialog.paper.findData("a4"))
    dialog.out_of_network.setChecked(True)
    dialog.statement.setPlainText("Paid in full at the visit.\nPlease reimburse the patient.")
    qtbot.mouseClick(dialog.logo.choose_button, Qt.MouseButton.LeftButton)
    assert "harbor-logo.png" in dialog.logo.name.text()  # the chosen file's name
    assert (
        dialog.logo.thumbnail.pixmap() is not None and not dialog.logo.thumbnail.pixmap().isNull()
    )
    choose_provider(dialog, demo.ota)
    assert dialog.signature.name.text() == "No signature."
    qtbot.mouseClick(dialog.signature.choose_button, Qt.MouseButton.LeftButton)
    assert "blake.png" in dialog.signature.name.text()
    choose_provider(dialog, demo.ot)
    assert dialog.signature.name.text() == "A signature is set."
    qtbot.mouseClick(dialog.signature.remove_button, Qt.MouseButton.LeftButton)
    assert "removed when you press Save" in dialog.signature.name.text()
    assert service.settings().paper == "letter"  # nothing is stored before Save
    assert service.logo() is None

    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton
    )
    assert dialog.result() == QDialog.DialogCode.Accepted
    settings = service.settings()
    assert (settings.paper, settings.out_of_network, settings.has_logo) == ("a4", True, True)
    assert settings.out_of_network_text == (
        "Paid in full at the visit.\nPlease reimburse the patient."
    )
    assert dialog.saved == settings
    assert service.logo() == tiny_png(120, 40)
    assert service.signature(demo.ota) == tiny_png(160, 30, (0, 0, 0))
    assert service.signature(demo.ot) is None
    # and the superbill shows them: A4, the statement
    document = service.render(demo.visit)
    assert round(float(pdf_pages(document)[0].mediabox.width)) == 595
    assert "Please reimburse the patient." in flat(pdf_text(document))

    again = settings_dialog(qtbot, service)  # opened again: what was saved
    assert again.paper.currentData() == "a4" and again.out_of_network.isChecked()
    assert again.logo.name.text() == "A logo is set."
    choose_provider(again, demo.ota)
    assert again.signature.name.text() == "A signature is set."


def test_a_bad_logo_is_refused_with_the_services_message(qtbot, clinic, service, tmp_path):
    scan = tmp_path / "letterhead.gif"
    scan.write_bytes(b"GIF89a" + bytes(200))
    good = tmp_path / "logo.jpg"
    image = QImage(90, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("#24507a"))
    assert image.save(str(good), "JPG")
    dialog = settings_dialog(qtbot, service, Files(scan, tmp_path / "gone.png", good))
    assert not dialog.choose_logo()
    assert not dialog.logo.error.isHidden()
    assert dialog.logo.error.text() == "letterhead.gif is not a PNG or JPEG image."
    assert dialog.logo.name.text() == "No logo."
    assert not dialog.choose_logo()
    assert "gone.png cannot be read" in dialog.logo.error.text()
    assert dialog.choose_logo()  # a good one clears the message
    assert dialog.logo.error.isHidden()
    assert "logo.jpg" in dialog.logo.name.text()
    dialog.accept()
    assert service.logo() == good.read_bytes()


def test_a_refused_statement_keeps_the_dialog_open(qtbot, clinic, service):
    dialog = settings_dialog(qtbot, service)
    dialog.statement.setPlainText("x" * 700)
    dialog.accept()
    assert dialog.isVisible()
    assert not dialog.message.isHidden() and "600" in dialog.message.text()
    assert service.settings().out_of_network_text == DEFAULT_OUT_OF_NETWORK_TEXT
    qtbot.mouseClick(dialog.standard_wording, Qt.MouseButton.LeftButton)
    assert dialog.statement.toPlainText() == DEFAULT_OUT_OF_NETWORK_TEXT


def test_cancel_changes_nothing(qtbot, clinic, service, tmp_path, demo):
    service.set_logo(tiny_png())
    logo = tmp_path / "new.png"
    logo.write_bytes(tiny_png(90, 30))
    entries = len(clinic.audit.entries())
    before = service.settings()
    dialog = settings_dialog(qtbot, service, Files(logo, logo))
    dialog.paper.setCurrentIndex(1)
    dialog.out_of_network.setChecked(True)
    dialog.statement.setPlainText("Something else")
    assert dialog.choose_logo()
    choose_provider(dialog, demo.ot)
    assert dialog.choose_signature()
    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton
    )
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert service.settings() == before
    assert service.logo() == tiny_png() and service.signature(demo.ot) is None
    assert len(clinic.audit.entries()) == entries
    # Save with nothing changed writes nothing either
    unchanged = settings_dialog(qtbot, service)
    unchanged.accept()
    assert len(clinic.audit.entries()) == entries


def test_the_clinic_menu_opens_the_settings_and_links_to_the_favourites(qtbot, window, clinic):
    from otdesk.ui.app import add_management_actions
    from otdesk.ui.favourites_dialog import FavouritesDialog

    add_management_actions(window)
    entry = next(a for a in window.clinic_menu.actions() if a.text() == "&Superbill settings…")
    seen = {}

    def in_favourites():
        dialog = QApplication.activeModalWidget()
        seen["favourites"] = isinstance(dialog, FavouritesDialog)
        dialog.list.clear()
        for code in ("97530", "97110"):
            dialog.code.setText(code)
            dialog.add_code()
        dialog.accept()

    def in_settings():
        dialog = QApplication.activeModalWidget()
        seen["settings"] = isinstance(dialog, SuperbillSettingsDialog)
        dialog.paper.setCurrentIndex(dialog.paper.findData("a4"))
        QTimer.singleShot(100, in_favourites)
        dialog.open_favourites()
        seen["codes"] = dialog.favourites.text()
        dialog.accept()

    QTimer.singleShot(100, in_settings)
    entry.trigger()
    assert seen["settings"] and seen["favourites"]
    assert "2 now: 97530, 97110" in seen["codes"]
    service = SuperbillService(clinic.ctx)
    assert service.settings().paper == "a4"
    assert service.settings().favourite_codes == ("97530", "97110")
    assert window.editor.picker.favourite_codes() == ["97530", "97110"]


# --- the encounter form ------------------------------------------------------------------------


def run_encounter_form(qtbot, window, *steps):
    """Trigger Visit > Encounter form; each step gets the next modal dialog shown."""
    seen = []

    def step(index, tries=0):
        dialog = QApplication.activeModalWidget()
        if (dialog is None or (seen and dialog is seen[-1])) and tries < 100:
            QTimer.singleShot(50, lambda: step(index, tries + 1))  # not shown yet
            return
        seen.append(dialog)
        if index + 1 < len(steps):
            QTimer.singleShot(50, lambda: step(index + 1))
        steps[index](dialog)

    QTimer.singleShot(50, lambda: step(0))
    window.encounter_action.trigger()
    return seen


def test_the_encounter_form_of_the_open_visit(qtbot, window, clinic, tmp_path, demo):
    service = SuperbillService(clinic.ctx)
    service.save_settings(favourite_codes="97165 97110 97530 97535 97010")
    entries = len(clinic.audit.entries(limit=100_000))
    window.day.set_date(date(2026, 3, 2))
    window.controller.open(demo.visit)
    assert window.encounter_action.isVisible() and window.encounter_action.isEnabled()
    assert "Encounter form…" in [
        a.text().replace("&", "") for a in window.menuBar().actions()[0].menu().actions()
    ]
    asked = Asked(tmp_path)
    found = {}

    def look(dialog):
        found["dialog"] = isinstance(dialog, EncounterFormPreview)
        found["pages"] = dialog.page_count()
        found["title"] = dialog.title.text()
        found["pdf"] = dialog.pdf_bytes
        dialog._ask_save_path = asked.save_path
        dialog._ask_printer = asked.printer
        found["saved"] = dialog.save_pdf()
        found["printed"] = dialog.print_document()
        found["message"] = dialog.message.text()
        dialog.reject()

    run_encounter_form(qtbot, window, look)
    assert found["dialog"] and found["pages"] == 1
    assert "Ng-Ødegård, Zoë" in found["title"] and "03/02/2026" in found["title"]
    text = flat(pdf_text(found["pdf"]))
    assert "ENCOUNTER FORM" in text
    assert "Ng-Ødegård, Zoë" in text and "A-1001" in text
    assert "Date of service 03/02/2026" in text
    assert "Blake Demo" in text  # the visit's provider
    for code in ("97165", "97110", "97530", "97535", "97010"):
        assert f"☐ {code}" in text
    name = asked.calls[0].split(":", 1)[1]
    assert name == "encounter-form_2026-03-02_A-1001.pdf"  # never the patient's name
    assert (tmp_path / name).read_bytes() == found["pdf"]
    assert found["saved"] and found["printed"]
    assert len(pdf_pages(asked.printed_to.read_bytes())) == 1
    # not a superbill: nothing recorded as issued; but the form saved and the form printed
    # (the patient's name on paper) are each in the audit log
    assert service.history(demo.visit) == []
    log = clinic.audit.entries(limit=100_000)
    assert len(log) == entries + 2
    saved, printed = log[-2:]
    patient_id = clinic.visits.get(demo.visit).patient_id
    for entry, how in ((saved, "file"), (printed, "print")):
        assert (entry.action, entry.entity, entry.entity_id) == (
            "encounter_form.print",
            "patient",
            patient_id,
        )
        assert entry.after["how"] == how and entry.after["date"] == "2026-03-02"
        assert entry.after["sha256"] == hashlib.sha256(found["pdf"]).hexdigest()
    assert saved.after["file"] == name and "file" not in printed.after


def test_with_no_visit_open_the_encounter_form_asks_for_the_patient(qtbot, window, clinic, demo):
    window.day.set_date(date(2026, 3, 9))
    assert window.controller.visit is None
    window.settings.setValue("visit/last_provider", demo.ota)  # the last one chosen
    assistant = clinic.providers.get(demo.ota)
    found = {}

    def pick(dialog):
        found["picker"] = isinstance(dialog, PatientPickDialog)
        found["prompt_day"] = "03/09/2026" in dialog.prompt.text()
        qtbot.keyClicks(dialog.search, "nunez")
        qtbot.keyClick(dialog.search, Qt.Key.Key_Return)

    def look(dialog):
        found["preview"] = isinstance(dialog, EncounterFormPreview)
        found["pdf"] = dialog.pdf_bytes
        dialog.reject()

    run_encounter_form(qtbot, window, pick, look)
    assert found["picker"] and found["prompt_day"] and found["preview"]
    text = flat(pdf_text(found["pdf"]))
    assert "Núñez, José" in text and "A-1002" in text
    assert "Date of service 03/09/2026" in text
    assert assistant.last_name in text and assistant.npi in text  # the provider a visit gets
    for code in SuperbillService(clinic.ctx).settings().favourite_codes:
        assert f"☐ {code}" in text
    assert window.controller.visit is None  # no visit was started


def test_cancelling_the_patient_search_makes_no_form(qtbot, window, clinic):
    seen = run_encounter_form(qtbot, window, lambda dialog: dialog.reject())
    assert isinstance(seen[0], PatientPickDialog)
    assert QApplication.activeModalWidget() is None
