"""Billing in the window, with real widgets on a copy of the demo clinic: the menu, Create
claim file (validated by pyx12), Claim files with the payer's claim number, Claim settings,
the CMS-1500 preview in both modes and the printer calibration, the claim status in the
status bar. Fakes: the clock, and the dialogs asking for a printer, a file or a reason."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter
from sqlalchemy import select

from otdesk.services.claims import ClaimService
from otdesk.services.cms1500 import Cms1500Service
from otdesk.storage import schema as s
from otdesk.ui.claim_file_dialog import ClaimFileDialog
from otdesk.ui.claim_files_dialog import ClaimFilesDialog
from otdesk.ui.claim_settings_dialog import ClaimSettingsDialog
from otdesk.ui.cms1500_dialog import CalibrationDialog, Cms1500Preview
from otdesk.ui.models.claims import ClaimRecordsModel
from otdesk.ui.superbill_preview import page_size
from tests.helpers.claims import demo_template
from tests.helpers.clinics import open_clinic
from tests.helpers.x12 import pyx12_errors

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
DAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def _demo(tmp_path_factory):
    return demo_template(tmp_path_factory)


@pytest.fixture
def demo(_demo, tmp_path, clock):
    shutil.copytree(_demo, tmp_path / "demo")
    opened = open_clinic(tmp_path / "demo", clock, user=None)  # the demo's own user
    yield opened
    opened.close()


@pytest.fixture
def demo_window(qtbot, demo, clock, settings):
    from otdesk.core.catalog import default_catalog
    from otdesk.ui.main_window import MainWindow

    win = MainWindow(demo, default_catalog(), clock, settings)
    qtbot.addWidget(win)
    return win


def _printer(path):
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setResolution(100)
    printer.setPageSize(page_size("letter"))
    return printer


def _finalized_today(clinic) -> list[int]:
    return [v.id for v in clinic.visits.day(DAY) if v.status == "finalized"]


def test_the_billing_menu_sits_before_help_and_visit_has_print_cms1500(demo_window):
    titles = [a.text() for a in demo_window.menuBar().actions()]
    assert titles[-2:] == ["&Billing", "&Help"]
    billing = demo_window.menuBar().actions()[-2].menu()
    assert [a.text() for a in billing.actions() if a.text()] == [
        "&Create claim file…",
        "Claim &files…",
        "Claim &settings…",
    ]
    visit_menu = demo_window.menuBar().actions()[0].menu()
    assert "Print &CMS-1500…" in [a.text() for a in visit_menu.actions()]


def test_create_claim_file_finds_the_day_and_writes_a_valid_file(
    qtbot, demo, tmp_path, qtmodeltester
):
    copies = []
    dialog = ClaimFileDialog(
        demo, DAY, ask_path=lambda parent, name: copies.append(name) or str(tmp_path / name)
    )
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.model)
    ready = len(dialog.plan.ready)
    assert ready >= 3 and dialog.model.rowCount() == len(dialog.plan.pending)
    assert dialog.summary.text().startswith(f"{ready} ready, 0 held back")
    assert dialog.details.text() == "Ready to send."
    assert dialog.create()
    assert "Claim file 1 written" in dialog.summary.text()
    kept = dialog.result.file.path
    assert pyx12_errors(kept.read_text()) == []
    assert not dialog.create_button.isEnabled()
    assert dialog.save_copy()
    assert (tmp_path / copies[0]).read_bytes() == kept.read_bytes()
    again = ClaimFileDialog(demo, DAY)
    qtbot.addWidget(again)
    assert again.model.rowCount() == 0 and "already in a file" in again.summary.text()


def test_held_back_claims_are_shown_and_go_only_with_a_reason(qtbot, demo):
    demo.practice.save(postal_code="97201")
    reasons = []
    answer: list[str | None] = [None]

    def ask(parent, title, prompt, action, details):
        reasons.append(details)
        return answer[0]

    dialog = ClaimFileDialog(demo, DAY, ask_reason=ask)
    qtbot.addWidget(dialog)
    assert dialog.plan.held and not dialog.plan.ready
    assert "ZIP" in dialog.details.text()
    state = dialog.model.index(0, dialog.model.COL_STATE).data()
    assert state.startswith("Held: ")
    assert not dialog.create()  # nothing ready and the box unticked
    assert "held back" in dialog.summary.text()
    dialog.include_held.setChecked(True)
    assert not dialog.create()  # the reason dialog cancelled
    answer[0] = "the clearinghouse adds the ZIP+4"
    assert dialog.create()
    assert len(reasons[-1]) == len(dialog.plan.held)
    assert pyx12_errors(dialog.result.text) == []


def test_claim_files_lists_files_and_keeps_the_payer_s_claim_number(
    qtbot, demo, qtmodeltester, tmp_path
):
    service = ClaimService(demo.ctx)
    service.create_file(service.plan(DAY, DAY))
    dialog = ClaimFilesDialog(demo, ask_path=lambda parent, name: str(tmp_path / name))
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.files_model)
    qtmodeltester.check(dialog.claims_model)
    assert dialog.files_model.rowCount() == 1
    rows = dialog.claims_model.rowCount()
    assert rows >= 3
    cell = dialog.claims_model.index(0, ClaimRecordsModel.COL_PAYER_NUMBER)
    assert dialog.claims_model.setData(cell, " ICN-900 ")
    first = dialog.claims_model.record(0)
    assert first.payer_claim_number == "ICN-900"
    assert service.history(first.visit_id)[-1].payer_claim_number == "ICN-900"
    assert "ICN-900" in dialog.message.text()
    assert dialog.save_copy()
    kept = service.files()[0].path
    kept.write_text(kept.read_text().replace("~", "~ "))  # someone edited the kept file
    assert not dialog.save_copy()
    assert "SHA-256 differs" in dialog.message.text()


def test_claim_settings_save_the_clearinghouse_and_payer_ids(qtbot, demo):
    dialog = ClaimSettingsDialog(demo)
    qtbot.addWidget(dialog)
    assert dialog.form.text("receiver_id") == "EXCLEARDEMO"
    dialog.form.fields["contact_phone"].setText("555")
    dialog.accept()
    assert "10 digits" in dialog.form.messages["contact_phone"].text()
    assert ClaimService(demo.ctx).settings().contact_phone == "5035550100"
    dialog.form.fields["contact_phone"].setText("(503) 555-0199")
    dialog.form.fields["submitter_id"].setText("hhot02")
    row = next(i for i, p in enumerate(dialog.payers) if p.kind == "commercial")
    dialog.id_edits[row].setText("EVG99")
    box = dialog.filing_boxes[row]
    box.setCurrentIndex(box.findData("BL"))
    dialog.accept()
    saved = ClaimService(demo.ctx).settings()
    assert (saved.submitter_id, saved.contact_phone) == ("HHOT02", "5035550199")
    payer = demo.payers.get(dialog.payers[row].id)
    assert (payer.payer_code, payer.claim_filing_indicator) == ("EVG99", "BL")


def test_cms1500_preview_in_both_modes_saves_and_prints(qtbot, demo, tmp_path):
    visit = _finalized_today(demo)[0]
    service = Cms1500Service(demo.ctx)
    printed = tmp_path / "printed.pdf"
    dialog = Cms1500Preview(
        service,
        visit,
        ask_printer=lambda parent, paper: _printer(printed),
        ask_save_path=lambda parent, name: str(tmp_path / name),
    )
    qtbot.addWidget(dialog)
    form_text = PdfReader(io.BytesIO(dialog.pdf_bytes)).pages[0].extract_text()
    assert "HEALTH INSURANCE CLAIM FORM" in form_text
    dialog.mode_box.setCurrentIndex(1)
    data_text = PdfReader(io.BytesIO(dialog.pdf_bytes)).pages[0].extract_text()
    assert "HEALTH INSURANCE CLAIM FORM" not in data_text and "SIGNATURE ON FILE" in data_text
    assert dialog.save_pdf()
    saved = tmp_path / dialog.suggested_file_name()
    assert saved.read_bytes() == dialog.pdf_bytes
    assert dialog.print_document()
    assert len(PdfReader(str(printed)).pages) == 1
    assert "Printed 1 form" in dialog.message.text()
    with demo.db.read() as connection:
        issued = connection.execute(
            select(s.audit_log.c.after_json).where(s.audit_log.c.action == "cms1500.issue")
        ).scalars()
        hows = [json.loads(entry)["how"] for entry in issued]
    assert hows == ["file", "print"]


def test_a_held_back_cms1500_asks_for_a_reason(qtbot, demo, tmp_path):
    demo.practice.save(postal_code="97201")
    visit = _finalized_today(demo)[0]
    asked = []
    dialog = Cms1500Preview(
        Cms1500Service(demo.ctx),
        visit,
        ask_save_path=lambda parent, name: str(tmp_path / name),
        ask_reason=lambda parent, problems: asked.append(problems) or None,
    )
    qtbot.addWidget(dialog)
    assert dialog.problems.isVisible() or "ZIP" in dialog.problems.text()
    assert not dialog.save_pdf()
    assert asked and not list(tmp_path.glob("*.pdf"))


def test_calibration_is_kept_per_printer_and_the_alignment_page_prints(qtbot, demo, tmp_path):
    service = Cms1500Service(demo.ctx)
    page = tmp_path / "alignment.pdf"
    dialog = CalibrationDialog(
        service, ask_printer=lambda parent, paper: _printer(page), printers=["Front desk"]
    )
    qtbot.addWidget(dialog)
    dialog.right.setValue(0.12)
    dialog.down.setValue(-0.05)
    dialog.scale.setValue(101)
    assert dialog.save()
    stored = service.calibration("Front desk")
    assert (stored.right, stored.down, stored.scale_percent) == (12, -5, 101)
    dialog.printer.setEditText("Back office")
    assert dialog.right.value() == 0
    dialog.printer.setEditText("Front desk")
    assert dialog.right.value() == pytest.approx(0.12)
    assert dialog.print_alignment()
    assert len(PdfReader(str(page)).pages) == 1  # printed as an image of the page
    assert "Alignment page sent" in dialog.message.text()


def test_the_status_bar_shows_the_open_visit_s_claim_status(qtbot, demo, demo_window):
    visit = _finalized_today(demo)[0]
    demo_window.controller.open(visit)
    assert demo_window.claim_status.text() == "Claim: Not claimed"
    assert demo_window.cms1500_action.isEnabled()
    service = ClaimService(demo.ctx)
    file = service.create_file(service.plan(DAY, DAY)).file
    demo_window.controller.open(None)
    assert demo_window.claim_status.text() == ""
    demo_window.controller.open(visit)
    assert demo_window.claim_status.text().startswith(f"Claim: In claim file {file.id} on ")
