"""The superbill preview and the batch dialog with real widgets on a real clinic database;
the only fakes are the clock and the dialogs that ask for a printer, a file or a reason.
Printing goes to a PDF-format QPrinter (offscreen) that is read back with pypdf."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter

from otdesk.export import sha256
from otdesk.services.superbills import SuperbillService
from otdesk.ui.batch_print_dialog import BatchPrintDialog
from otdesk.ui.superbill_preview import SuperbillPreview, page_size
from tests.export.helpers import flat, page_texts, pdf_pages, pdf_text, refinalized
from tests.helpers.clinics import finalized_visit


@dataclass
class Reason:
    reason: str


class Asked:
    """Stand-ins for the dialogs: they answer as told and remember being asked."""

    def __init__(self, tmp_path, reason: str | None = None) -> None:
        self.tmp_path = tmp_path
        self.reason = reason
        self.printed_to = tmp_path / "printer.pdf"
        self.calls: list[str] = []

    def printer(self, parent, paper):
        self.calls.append(f"printer:{paper}")
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(self.printed_to))
        printer.setResolution(150)
        printer.setPageSize(page_size(paper))
        return printer

    def save_path(self, parent, suggested):
        self.calls.append(f"save:{suggested}")
        return str(self.tmp_path / suggested)

    def folder(self, parent):
        self.calls.append("folder")
        target = self.tmp_path / "folder"
        target.mkdir(exist_ok=True)
        return str(target)

    def ask_reason(self, parent, title, prompt, action="OK", details=()):
        self.calls.append(f"reason:{len(details)}")
        self.details = list(details)
        return Reason(self.reason) if self.reason else None

    def seams(self) -> dict:
        return {
            "ask_printer": self.printer,
            "ask_save_path": self.save_path,
            "ask_reason": self.ask_reason,
        }


# every test here works on the superbill demo, seeded before the window opens over it
pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def clinic(superbill_clinic):
    return superbill_clinic


@pytest.fixture
def service(clinic):
    return SuperbillService(clinic.ctx)


def preview(qtbot, service, visit_id, asked):
    dialog = SuperbillPreview(service, visit_id, **asked.seams())
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_the_window_does_not_import_reportlab():
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'; "
        "import otdesk.ui.app, otdesk.ui.main_window, otdesk.ui.superbill_preview, "
        "otdesk.ui.batch_print_dialog, otdesk.export, otdesk.services.superbills; "
        "print('reportlab' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"


def test_preview_then_print_records_the_printed_document(qtbot, clinic, service, tmp_path, demo):
    asked = Asked(tmp_path)
    dialog = preview(qtbot, service, demo.visit, asked)
    assert dialog.page_count() == 1
    assert dialog.problems.isHidden()
    assert service.history(demo.visit) == []  # previewing records nothing
    with qtbot.waitSignal(dialog.issued) as signal:
        qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert asked.calls == ["printer:letter"]
    printed = pdf_pages(asked.printed_to.read_bytes())
    assert len(printed) == 1
    assert round(float(printed[0].mediabox.width)) == 612
    issued = signal.args[0]
    assert issued.sha256 == sha256(dialog.pdf_bytes)
    assert [h.sha256 for h in service.history(demo.visit)] == [issued.sha256]
    entry = [e for e in clinic.audit.visit_history(demo.visit) if e.action == "superbill.issue"]
    assert entry[-1].after["how"] == "print"
    assert "recorded as issued" in dialog.message.text()


def test_save_as_pdf_writes_the_previewed_file(qtbot, clinic, service, tmp_path, demo):
    asked = Asked(tmp_path)
    dialog = preview(qtbot, service, demo.visit, asked)
    assert dialog.save_pdf()
    name = asked.calls[-1].split(":", 1)[1]
    assert name.startswith("superbill_2026-03-02_A-1001_visit")
    saved = (tmp_path / name).read_bytes()
    assert saved == dialog.pdf_bytes
    assert service.history(demo.visit)[0].sha256 == sha256(saved)


def test_an_incomplete_superbill_is_listed_and_needs_a_reason(
    qtbot, clinic, service, tmp_path, demo
):
    clinic.practice.save(tin="")
    visit = refinalized(clinic, demo.visit)
    asked = Asked(tmp_path)
    dialog = preview(qtbot, service, visit, asked)
    assert not dialog.problems.isHidden()
    assert "the practice has no TIN" in dialog.problems.text()
    assert not dialog.print_superbill()  # the reason dialog was cancelled
    assert asked.calls == ["reason:1"]
    assert service.history(visit) == []
    asked.reason = "Patient leaves for Europe tonight"
    assert dialog.print_superbill()
    entry = [e for e in clinic.audit.visit_history(visit) if e.action == "superbill.issue"]
    assert entry[-1].reason == "Patient leaves for Europe tonight"
    # what was shown, printed (as images) and recorded says it went out with open items
    shown = flat(pdf_text(dialog.pdf_bytes))
    assert "Issued with open items: Patient leaves for Europe tonight" in shown
    assert service.history(visit)[0].sha256 == sha256(dialog.pdf_bytes)


def test_a_void_visit_can_be_looked_at_but_not_issued(qtbot, clinic, service, tmp_path, demo):
    clinic.visits.void(demo.visit, "entered twice")
    dialog = preview(qtbot, service, demo.visit, Asked(tmp_path))
    assert not dialog.print_button.isEnabled() and not dialog.save_button.isEnabled()
    assert "void" in dialog.problems.text()


def test_a4_and_a_long_visit_print_every_page(qtbot, clinic, service, tmp_path, demo):
    draft = clinic.visits.create(demo.patient, provider_id=demo.ot)
    clinic.visits.set_diagnoses(draft.id, ["M62.81", "R26.89", "R27.9", "R44.8"])
    for index in range(24):
        code = ("97110", "97530", "97535", "97140")[index % 4]
        clinic.visits.add_line(draft.id, code, minutes=10, modifiers=["GO"], dx_pointers=["A"])
    asked = Asked(tmp_path, reason="checking the layout")
    dialog = preview(qtbot, service, draft.id, asked)
    dialog.paper_box.setCurrentIndex(1)
    assert dialog.paper == "a4"
    assert dialog.page_count() >= 2
    assert dialog.print_superbill()
    printed = pdf_pages(asked.printed_to.read_bytes())
    assert len(printed) == dialog.page_count()
    assert round(float(printed[0].mediabox.width)) == 595


@pytest.fixture
def day(clinic, demo):
    second = finalized_visit(clinic, demo.other_patient, demo.ot)
    draft = clinic.visits.create(demo.other_patient, provider_id=demo.ota)
    clinic.visits.add_line(draft.id, "97110", minutes=20)
    return [demo.visit, second], draft.id


def batch(qtbot, service, asked, day_date=None):
    from datetime import date

    dialog = BatchPrintDialog(
        service,
        day_date or date(2026, 3, 2),
        ask_printer=asked.printer,
        ask_save_path=asked.save_path,
        ask_folder=asked.folder,
        ask_reason=asked.ask_reason,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_batch_into_one_file(qtbot, clinic, service, day, tmp_path, demo):
    asked = Asked(tmp_path)
    dialog = batch(qtbot, service, asked)
    assert dialog.summary.text() == "2 visits on 03/02/2026."
    assert dialog.go.text() == "Print 2 superbills…"
    dialog.drafts.setChecked(True)
    assert dialog.summary.text() == "3 visits on 03/02/2026 (1 draft)."
    dialog.to_file.setChecked(True)
    assert dialog.go.text() == "Save 3 superbills in one PDF…"
    assert dialog.run()
    assert asked.calls[0] == "reason:1"  # the draft has no diagnosis: left out
    # the incomplete one is named by its patient, not by a visit number
    (listed,) = asked.details
    patient = clinic.patients.get(demo.other_patient)
    assert listed.startswith(f"{patient.last_name}, {patient.first_name} (")
    document = (tmp_path / "superbills_2026-03-02.pdf").read_bytes()
    assert len(page_texts(document)) == 2
    assert "2 superbills saved" in dialog.message.text()
    assert "1 left out" in dialog.message.text()
    for visit in day[0]:
        assert service.history(visit)[0].sha256 == sha256(document)


def test_batch_to_the_printer_and_into_a_folder(qtbot, clinic, service, day, tmp_path):
    asked = Asked(tmp_path)
    dialog = batch(qtbot, service, asked)
    assert dialog.run()
    assert len(pdf_pages(asked.printed_to.read_bytes())) == 2
    assert "2 superbills printed" in dialog.message.text()
    dialog.to_folder.setChecked(True)
    assert dialog.go.text() == "Save 2 superbills, one PDF each…"
    assert dialog.run()
    assert len(list((tmp_path / "folder").iterdir())) == 2
    assert len(service.history(day[0][0])) == 2


def test_a_date_that_does_not_exist_keeps_the_range(qtbot, clinic, service, day, tmp_path):
    dialog = batch(qtbot, service, Asked(tmp_path))
    dialog.end.edit.setText("02/31/2026")
    dialog.end.edit.editingFinished.emit()
    assert "February 2026 has 28 days" in dialog.message.text()
    assert dialog.end.text() == "03/02/2026" and dialog.summary.text() == "2 visits on 03/02/2026."


def test_save_dialogs_open_in_documents(monkeypatch, qtbot, tmp_path):
    from PySide6.QtCore import QStandardPaths
    from PySide6.QtWidgets import QFileDialog

    from otdesk.ui import batch_print_dialog, superbill_preview

    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _where: str(documents))
    opened = []
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *args: opened.append(args[2]) or ("", "")
    )
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", lambda *args: opened.append(args[2]) or ""
    )
    superbill_preview.ask_save_path(None, "superbills_2026-03-02.pdf")
    batch_print_dialog.ask_folder(None)
    assert opened == [str(documents / "superbills_2026-03-02.pdf"), str(documents)]


def test_a_cancelled_batch_leaves_nothing(qtbot, clinic, service, day, tmp_path):
    asked = Asked(tmp_path)
    dialog = batch(qtbot, service, asked)
    dialog.to_folder.setChecked(True)
    dialog.worker_step = lambda done, total: dialog.cancel_running()
    assert not dialog.run()
    assert "Cancelled" in dialog.message.text()
    assert not (tmp_path / "folder").exists() or list((tmp_path / "folder").iterdir()) == []
    assert all(service.history(visit) == [] for visit in day[0])


def test_the_main_window_offers_print_superbill_and_the_day(qtbot, window, clinic, demo):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    # the preview always ships: the actions are there from the start
    assert window.print_action.shortcut().toString() == "Ctrl+P"
    assert window.print_action.isVisible() and window.print_day_action.isVisible()
    window.controller.open(demo.visit)
    seen = {}

    def look_and_close(kind):
        dialog = QApplication.activeModalWidget()
        seen[kind] = dialog
        if isinstance(dialog, SuperbillPreview):
            seen["pages"] = dialog.page_count()
        else:
            seen["summary"] = dialog.summary.text()
        dialog.reject()

    QTimer.singleShot(200, lambda: look_and_close("preview"))
    window.print_action.trigger()
    assert isinstance(seen["preview"], SuperbillPreview) and seen["pages"] == 1
    window.day.set_date(clinic.visits.get(demo.visit).date_of_service)
    QTimer.singleShot(200, lambda: look_and_close("batch"))
    window.print_day_action.trigger()
    assert isinstance(seen["batch"], BatchPrintDialog)
    assert seen["summary"] == "1 visit on 03/02/2026."


@pytest.mark.expect_log("otdesk.ui.worker", "WARNING")
def test_a_batch_on_a_full_disk_is_named_and_the_log_keeps_no_patient_data(
    qtbot, clinic, service, day, tmp_path
):
    import logging

    from otdesk import logs
    from tests.helpers.disks import small_disk

    log_path = logs.setup_logging(tmp_path / "logs")
    try:
        with small_disk(tmp_path / "disk") as disk:
            target = disk.root / "folder"
            target.mkdir()
            asked = Asked(tmp_path)
            asked.folder = lambda parent: str(target)
            dialog = batch(qtbot, service, asked)
            dialog.to_folder.setChecked(True)
            disk.fill()
            assert not dialog.run()
            assert "The disk is full" in dialog.message.text()
            assert "was not written (nothing was saved)" in dialog.message.text()
            disk.free()
            assert [p.name for p in target.iterdir()] == []
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "baseFilename", None) == str(log_path):
                root.removeHandler(handler)
                handler.close()
    assert all(service.history(visit) == [] for visit in day[0])
    text = log_path.read_text(encoding="utf-8")
    assert "background job failed" in text and "ExportError" in text
    for visit_id in day[0]:
        visit = clinic.visits.get(visit_id)
        patient = clinic.patients.get(visit.patient_id)
        for identifier in (patient.last_name, patient.first_name, patient.account_number):
            assert identifier not in text
        assert str(patient.date_of_birth) not in text
